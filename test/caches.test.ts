/**
 * Bounded caches and clear_caches: the LRU-by-bytes helper, the reset
 * registry, kernel memories that stay flat over repeated calls, and results
 * that are bit-identical before and after a clear.
 */
import { describe, expect, it } from "vitest";
import { createCallOp } from "../src/bridge/inProcess.js";
import { debugOps } from "../src/ops/debug.js";
import { publicOps } from "../src/ops/index.js";
import type { NamedArray } from "../src/ops/types.js";
import { createRealFft, getRealFft } from "../src/fft/index.js";
import { fftMemory } from "../src/fft/wasmRealFft.js";
import { BoundedCache, onCacheEviction, reachableBytes } from "../src/util/boundedCache.js";
import { clearCaches, onClearCaches } from "../src/util/clearCaches.js";
import { isCurrentKernelMemory, kernelMemory, kernelMemoryBytes, setKernelMemoryBudget } from "../src/util/kernelMemory.js";

// The public ops and the debug `memory` op, in this thread.
const callOp = createCallOp({ ...publicOps, ...debugOps({ protocolVersion: 1, ops: () => [] }) });

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
  it("fftMemory is one object per instance, a new one (and memory) after clearCaches", () => {
    const before = fftMemory();
    if (before === null) return; // no WebAssembly SIMD: nothing to keep
    expect(fftMemory()).toBe(before);
    const fft = getRealFft(1000);
    expect(getRealFft(1000)).toBe(fft);
    clearCaches();
    const after = fftMemory()!;
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
    const memory = fftMemory();
    if (memory === null) return;
    const size = memory.heap().byteLength;
    for (let i = 0; i < 20; i++) await callOp(op, params, [y]);
    expect(fftMemory()).toBe(memory);
    expect(memory.heap().byteLength).toBe(size);
  });
});

/** Sum of the kernels' WebAssembly memories of this thread (bytes). */
const kernelBytes = (): number => Object.values(kernelMemoryBytes()).reduce((a, b) => a + b, 0);

const hpssParams = { n_fft: 2048, hop_length: 512, win_length: 2048, center: true, pad_mode: "constant", window: "hann", win_harm: 31, win_perc: 31, power: 2, margin_harm: 1, margin_perc: 1, mask: false, which: "both" };
const cqtParams = { sr: 22050, hop_length: 512, fmin: null, n_bins: 84, bins_per_octave: 12, tuning: 0, filter_scale: 1, norm: 1, sparsity: 0.01, window: "hann", scale: true, pad_mode: "constant", res_type: "soxr_hq", dtype: "complex64" };
const pyinParams = { sr: 22050, fmin: 65, fmax: 2093, frame_length: 2048, hop_length: 512, center: true, pad_mode: "constant", n_thresholds: 100, beta_parameters: [2, 18], boltzmann_parameter: 2, resolution: 0.1, max_transition_rate: 35.92, switch_prob: 0.01, no_trough_prob: 0.01, transition_min_prob: null };
const sizes = (n: number) => ({ n_fft: n, win_length: n, hop_length: Math.max(16, n >> 2) });

/** Per op, calls with distinct parameters (sizes of every kind: powers of two, mixed radix, Bluestein), as a long-running analyzer might vary them. */
const variedCalls: [string, Record<string, unknown>[]][] = [
  ["stft", [512, 1000, 2048, 777, 4096, 1536].map((n) => ({ ...stftParams, ...sizes(n), window: n % 2 ? "hamming" : "hann" }))],
  ["effects.hpss", [[512, 7, 9], [1000, 31, 17], [2048, 13, 39], [777, 3, 5]].map(([n, h, p]) => ({ ...hpssParams, ...sizes(n!), win_harm: h, win_perc: p }))],
  ["yin", [[1024, 50], [2048, 80], [3000, 60], [4096, 45]].map(([n, fmin]) => ({ ...yinParams, frame_length: n, hop_length: n! >> 2, fmin }))],
  ["pyin", [1024, 2048, 4096].map((n) => ({ ...pyinParams, frame_length: n, hop_length: n >> 2 }))],
  ["cqt", [[12, 84, 512, 32.7], [24, 120, 256, 55], [36, 180, 64, 40]].map(([bpo, bins, hop, fmin]) => ({ ...cqtParams, bins_per_octave: bpo, n_bins: bins, hop_length: hop, fmin }))],
  ["chroma_cqt", [[36, 7, 512, 32.7], [24, 5, 128, 60], [12, 3, 64, 80]].map(([bpo, oct, hop, fmin]) => ({ ...chromaCqtParams, bins_per_octave: bpo, n_octaves: oct, hop_length: hop, fmin }))],
  ["chroma_stft", [[2048, 12], [1000, 24], [4096, 36], [777, 12]].map(([n, c]) => ({ ...chromaStftParams, ...sizes(n!), n_chroma: c }))],
  ["estimate_tuning", [[2048, 12], [1024, 24], [4096, 36]].map(([n, bpo]) => ({ ...tuningParams, ...sizes(n!), bins_per_octave: bpo }))],
];

describe("retained memory over varied parameters", () => {
  // The bounds are the code's own: each cache's byte bound (BoundedCache), and for the kernels'
  // WebAssembly memories, which only grow, what the largest call of a parameter set needs: repeating
  // the set must not grow them by a single page, and must not add a single memory.
  it.each(variedCalls)("%s: caches stay within their bounds, kernel memories stop growing after one pass", async (op, paramSets) => {
    const y = clip();
    const pass = async () => {
      for (const params of paramSets) await callOp(op, params, [y]);
    };
    await pass();
    const kernels = kernelMemoryBytes();
    expect(BoundedCache.allWithinBounds()).toBe(true);
    for (let i = 0; i < 3; i++) await pass();
    expect(kernelMemoryBytes()).toEqual(kernels);
    expect(BoundedCache.allWithinBounds()).toBe(true);
  });

  it("pyin over varied pitch ranges: one transition table per setting, bounded, every one dropped reported as garbage", async () => {
    // A table dropped without a report is garbage nothing collects until V8's own external-memory
    // limit (~64 MB): the soak's pyin varied row grew that much before tables were cached like this.
    const y = clip();
    const told: number[] = [];
    onCacheEviction((bytes) => told.push(bytes));
    try {
      for (let i = 0; i < 16; i++) await callOp("pyin", { ...pyinParams, fmin: 50, fmax: 600 + 200 * i }, [y]);
    } finally {
      onCacheEviction(undefined);
    }
    expect(BoundedCache.allWithinBounds()).toBe(true);
    // 16 settings, 0.7-1.2 MB each (2 tables of nPitch (2 half + 1) float64; ~15 MB): those beyond the bound were dropped, and said so.
    expect(told.reduce((a, b) => a + b, 0)).toBeGreaterThan(4 * 2 ** 20);
  });

  it("chroma_stft's kept filter banks follow the tuning: each tuning's chroma as from a cleared state", async () => {
    const y = clip();
    const tunings = [0.1, -0.23, 0.1, 0.37, -0.23];
    const warm = [];
    for (const tuning of tunings) warm.push((await callOp("chroma_stft", { ...chromaStftParams, tuning }, [y])).arrays[0]!);
    for (const [i, tuning] of tunings.entries()) {
      clearCaches();
      const { arrays: [fresh] } = await callOp("chroma_stft", { ...chromaStftParams, tuning }, [y]);
      expect(bytesOf(warm[i]!.data).equals(bytesOf(fresh!.data))).toBe(true);
    }
    expect(bytesOf(warm[0]!.data).equals(bytesOf(warm[1]!.data))).toBe(false);
  });

  it("istft of spectra of varied sizes keeps the kernels' memory after one pass", async () => {
    const y = clip();
    const spectra: { params: Record<string, unknown>; S: NamedArray }[] = [];
    for (const n of [512, 1000, 2048, 4096]) {
      const params = { ...stftParams, ...sizes(n) };
      const { arrays } = await callOp("stft", params, [y]);
      spectra.push({ params: { n_fft: n, hop_length: params.hop_length, win_length: n, center: true, length: null, dtype: "float32", window: "hann" }, S: { ...arrays[0]!, name: "stft_matrix" } });
    }
    const pass = async () => {
      for (const { params, S } of spectra) await callOp("istft", params, [S]);
    };
    await pass();
    const before = kernelBytes();
    for (let i = 0; i < 3; i++) await pass();
    expect(kernelBytes()).toBe(before);
  });

  it("after clearCaches no kernel memory is the kernels' any more, and the next call makes one", async () => {
    await callOp("chroma_cqt", chromaCqtParams, [clip()]);
    expect(kernelBytes()).toBeGreaterThan(0);
    clearCaches();
    expect(kernelMemoryBytes()).toEqual({});
    await callOp("chroma_cqt", chromaCqtParams, [clip()]);
    if (fftMemory() !== null) expect(kernelMemoryBytes().fft).toBeGreaterThan(0);
  });

  it("the memory op reports the caches, kernel memories and, under Node, memoryUsage", async () => {
    await callOp("stft", stftParams, [clip()]);
    const { meta } = await callOp("memory", {}, []);
    expect(meta?.cache_bytes).toBe(BoundedCache.totalBytes());
    expect(meta?.kernel_memory_bytes).toEqual(kernelMemoryBytes());
    expect(meta?.arena_bytes).toBe(0);
    expect(meta?.rss as number).toBeGreaterThan(0);
    expect(meta?.heap_used as number).toBeGreaterThan(0);
  });
});

describe("the kernel memory", () => {
  const sum = (bytes: Record<string, number>): number => Object.values(bytes).reduce((a, b) => a + b, 0);

  it("counts its bytes by region, the rest free, adding up to the memory's size", () => {
    clearCaches();
    const km = kernelMemory();
    if (km === null) return; // no WebAssembly
    expect(km.byteLength).toBe(65536);
    const a = km.reserve("fft", 100);
    const b = km.reserve("cqt", 40000);
    expect([a, b]).toEqual([0, 112]); // 16-aligned, one after the other
    expect(km.bytesByRegion()).toEqual({ fft: 112, cqt: 40000, free: 65536 - 40112 });
    km.reserve("yin", 30000); // grows by the pages missing
    expect(km.byteLength).toBe(2 * 65536);
    expect(sum(kernelMemoryBytes())).toBe(km.byteLength);
    clearCaches();
  });

  it("keeps an area while large enough, grows the last one in place, reuses the space a moved one leaves", () => {
    clearCaches();
    const km = kernelMemory();
    if (km === null) return;
    const first = km.area("hpss", "medians", 1000);
    expect(km.area("hpss", "medians", 500)).toBe(first);
    expect(km.area("hpss", "medians", 2000)).toBe(first); // the last laid out: grows in place
    km.reserve("fft", 16);
    const moved = km.area("hpss", "medians", 3000); // no longer last: moves to the end
    expect(moved).toBeGreaterThan(first);
    expect(km.area("cqt", "bands", 1500)).toBe(first); // the space it left
    expect(km.bytesByRegion()).toEqual({ hpss: 3008, fft: 16, cqt: 1504, free: km.byteLength - 3008 - 16 - 1504 });
    km.f64[first / 8] = 1.5; // the views see the memory
    expect(new Float64Array(km.memory.buffer)[first / 8]).toBe(1.5);
    clearCaches();
  });

  it("is released by clearCaches: none left, and the next one starts at one page", async () => {
    await callOp("chroma_cqt", chromaCqtParams, [clip()]);
    const before = kernelMemory();
    if (before === null) return;
    expect(before.byteLength).toBeGreaterThan(65536);
    clearCaches();
    expect(kernelMemoryBytes()).toEqual({});
    expect(isCurrentKernelMemory(before)).toBe(false);
    const after = kernelMemory()!;
    expect(after).not.toBe(before);
    expect(after.memory).not.toBe(before.memory);
    expect(after.byteLength).toBe(65536);
  });

  it("is retired past its budget: the next use starts a new one, and transforms made before follow it", () => {
    clearCaches();
    const previous = setKernelMemoryBudget(4 * 65536);
    try {
      const km = kernelMemory();
      if (km === null) return;
      const fft = getRealFft(1024);
      const x = Float64Array.from({ length: 1024 }, (_, i) => Math.sin(0.1 * i) + 0.01 * i);
      const expected = new Float64Array(1026);
      createRealFft(1024).forward(x, 0, expected);
      km.reserve("cqt", 5 * 65536);
      expect(km.retired).toBe(true);
      expect(isCurrentKernelMemory(km)).toBe(false);
      const next = kernelMemory()!;
      expect(next).not.toBe(km);
      const out = new Float64Array(1026);
      fft.forward(x, 0, out);
      expect(out).toEqual(expected);
      expect(kernelMemory()).toBe(next); // the transform moved into the new memory, not back
      expect(kernelMemoryBytes().fft).toBeGreaterThan(0);
      expect(kernelMemoryBytes().cqt).toBeUndefined();
    } finally {
      setKernelMemoryBudget(previous);
      clearCaches();
    }
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
