/**
 * Bounded caches and clear_caches: the LRU-by-bytes helper, the reset
 * registry, kernel memories that stay flat over repeated calls, and results
 * that are bit-identical before and after a clear.
 */
import { describe, expect, it } from "vitest";
import { callOp } from "../src/bridge/inProcess.js";
import "../src/bridge/ops/index.js";
import type { NamedArray } from "../src/bridge/registry.js";
import { getRealFft } from "../src/fft/realFft.js";
import { wasmSpectralMemory } from "../src/fft/wasmRealFft.js";
import { BoundedCache, onCacheEviction, reachableBytes } from "../src/util/boundedCache.js";
import { clearCaches, onClearCaches } from "../src/util/clearCaches.js";

const bytesOf = (a: NamedArray["data"]): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** A tone with a click train, 1 s at 22050 Hz, (1, n) float32. */
const clip = (): NamedArray => {
  const n = 22050;
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = 0.5 * Math.sin((2 * Math.PI * 233 * i) / 22050) + (i % 2756 === 0 ? 0.8 : 0) + 0.01 * Math.sin(0.37 * i * i);
  return { name: "y", dtype: "float32", shape: [1, n], data };
};

const stftParams = { n_fft: 1000, hop_length: 250, win_length: 1000, center: true, pad_mode: "constant", window: "hann", dtype: "complex64" };
const tuningParams = { sr: 22050, resolution: 0.01, bins_per_octave: 12, fmin: 150, fmax: 4000, threshold: 0.1, ref: null, n_fft: 2048, hop_length: 512, win_length: 2048, center: true, pad_mode: "constant", window: "hann" };
const chromaCqtParams = { sr: 22050, hop_length: 512, fmin: null, norm: Infinity, threshold: 0, tuning: null, n_chroma: 12, n_octaves: 7, bins_per_octave: 36, dtype: "float32" };
const chromaStftParams = { sr: 22050, n_fft: 2048, hop_length: 512, win_length: 2048, window: "hann", center: true, pad_mode: "constant", norm: Infinity, tuning: null, n_chroma: 12, ctroct: 5.0, octwidth: 2, base_c: true, dtype: "float32", fb_dtype: "float32" };
const yinParams = { fmin: 50, fmax: 2000, sr: 22050, frame_length: 2048, hop_length: 512, trough_threshold: 0.1, center: true, pad_mode: "constant" };

describe("BoundedCache", () => {
  const sized = (maxBytes: number) => new BoundedCache<string, Float64Array>(maxBytes);

  it("drops the least recently used entries past its byte bound", () => {
    const cache = sized(100 * 8);
    cache.set("a", new Float64Array(40));
    cache.set("b", new Float64Array(40));
    expect(cache.get("a")).toBeDefined(); // a is now the most recent
    cache.set("c", new Float64Array(40)); // 120 doubles: b goes
    expect(cache.get("b")).toBeUndefined();
    expect(cache.get("a")?.length).toBe(40);
    expect(cache.get("c")?.length).toBe(40);
    expect(cache.bytes).toBe(80 * 8);
    expect(cache.size).toBe(2);
  });

  it("keeps the last entry even when it alone is over the bound, dropping the rest", () => {
    const cache = sized(100);
    cache.set("small", new Float64Array(4));
    cache.set("huge", new Float64Array(1000));
    expect(cache.get("huge")?.length).toBe(1000);
    expect(cache.get("small")).toBeUndefined();
    expect(cache.bytes).toBe(8000);
  });

  it("replaces a key's entry and its bytes, and makes missing values once", () => {
    const cache = sized(1 << 20);
    cache.set("k", new Float64Array(10));
    cache.set("k", new Float64Array(3));
    expect(cache.bytes).toBe(24);
    let made = 0;
    const make = () => {
      made++;
      return new Float64Array(5);
    };
    const first = cache.getOrCreate("m", make);
    expect(cache.getOrCreate("m", make)).toBe(first);
    expect(made).toBe(1);
    cache.delete("k");
    expect(cache.bytes).toBe(40);
  });

  it("tells the eviction listener the bytes it drops", () => {
    const cache = sized(64);
    const told: number[] = [];
    onCacheEviction((bytes) => told.push(bytes));
    try {
      cache.set("a", new Float64Array(4));
      cache.set("b", new Float64Array(4));
      cache.set("c", new Float64Array(8)); // a and b go
    } finally {
      onCacheEviction(undefined);
    }
    expect(told).toEqual([64]);
  });

  it("is emptied by clearCaches, as are registered resets", () => {
    const cache = sized(1 << 20);
    cache.set("x", new Float64Array(8));
    let resets = 0;
    onClearCaches(() => resets++);
    clearCaches();
    expect(cache.size).toBe(0);
    expect(cache.bytes).toBe(0);
    expect(resets).toBe(1);
  });

  it("measures the typed arrays reachable from a value, each buffer once", () => {
    const shared = new Float64Array(16);
    expect(reachableBytes({ a: shared, b: shared.subarray(4), nested: { c: new Int32Array(10), list: [new Uint8Array(3)] }, n: 5 })).toBe(128 + 40 + 3);
    expect(reachableBytes(new Map([[1, new Float32Array(2)]]))).toBe(8);
    expect(reachableBytes(42)).toBe(0);
  });
});

describe("kernel memory over repeated calls", () => {
  it("wasmSpectralMemory is one object per instance, a new one (and memory) after clearCaches", () => {
    const before = wasmSpectralMemory();
    if (before === null) return; // no WebAssembly SIMD: nothing to keep
    expect(wasmSpectralMemory()).toBe(before);
    const fft = getRealFft(1000);
    expect(getRealFft(1000)).toBe(fft);
    clearCaches();
    const after = wasmSpectralMemory()!;
    expect(after).not.toBe(before);
    expect(after.memory).not.toBe(before.memory);
    expect(getRealFft(1000)).not.toBe(fft);
  });

  it.each([
    ["estimate_tuning", tuningParams],
    ["chroma_stft", chromaStftParams],
    ["chroma_cqt", chromaCqtParams],
    ["stft", stftParams],
    ["yin", yinParams],
  ] as const)("%s does not grow the kernels' memory after its first call", async (op, params) => {
    const y = clip();
    await callOp(op, params, [y]);
    const memory = wasmSpectralMemory();
    if (memory === null) return;
    const size = memory.heap().byteLength;
    for (let i = 0; i < 20; i++) await callOp(op, params, [y]);
    expect(wasmSpectralMemory()).toBe(memory);
    expect(memory.heap().byteLength).toBe(size);
  });
});

describe("clear_caches op", () => {
  it("leaves every result bit-identical", async () => {
    const y = clip();
    const calls = [
      ["stft", stftParams],
      ["stft", { ...stftParams, n_fft: 1024, win_length: 1024, hop_length: 256 }],
      ["chroma_cqt", chromaCqtParams],
      ["chroma_stft", chromaStftParams],
      ["yin", yinParams],
      ["estimate_tuning", tuningParams],
    ] as const;
    const run = async () => {
      const results = [];
      for (const [op, params] of calls) results.push(await callOp(op, params, [y]));
      return results;
    };
    const before = await run();
    const cleared = await callOp("clear_caches", {}, []);
    expect(cleared.meta?.cleared_bytes).toBeGreaterThan(0);
    expect((await callOp("clear_caches", {}, [])).meta?.cleared_bytes).toBe(0);
    const after = await run();
    for (let i = 0; i < before.length; i++) {
      expect(after[i]!.meta).toEqual(before[i]!.meta);
      expect(after[i]!.arrays.length).toBe(before[i]!.arrays.length);
      for (let j = 0; j < before[i]!.arrays.length; j++) expect(bytesOf(after[i]!.arrays[j]!.data).equals(bytesOf(before[i]!.arrays[j]!.data))).toBe(true);
    }
  });
});
