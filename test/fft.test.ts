import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "npyjs";
import { describe, expect, it } from "vitest";
import { createComplexFft, createRealFft, getRealFft, type RealFft } from "../src/fft/index.js";
import { createScalarRealFft } from "../src/fft/index.js";
import { FFT_PAIRS_WASM_BASE64 } from "../src/fft/fftWasmModule.js";
import { fftMemory } from "../src/fft/wasmRealFft.js";

const SIZES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 15, 16, 17, 25, 30, 32, 49, 62, 64, 100, 121, 128, 255, 256, 512, 1000, 1021, 1024, 2047, 2048, 3000, 4096, 4097];
/** createRealFft (WebAssembly for powers of two) and the TypeScript engine it falls back on. */
const ENGINES: [string, (n: number) => RealFft][] = [
  ["createRealFft", createRealFft],
  ["createScalarRealFft", createScalarRealFft],
];
const FIXTURE_SIZES = [1, 2, 7, 16, 100, 1021, 1024, 3000];

/** Deterministic uniform values in [-1, 1) (mulberry32), so failures reproduce. */
const randomSignal = (length: number, seed: number): Float64Array => {
  let state = seed >>> 0;
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1;
  }
  return out;
};

/** Neumaier-compensated sum step: returns [sum, compensation]. */
const addCompensated = (state: Float64Array, index: number, value: number): void => {
  const sum = state[index]!;
  const next = sum + value;
  state[index + 1]! += Math.abs(sum) >= Math.abs(value) ? sum - next + value : value - next + sum;
  state[index] = next;
};

/**
 * Reference DFT in O(n²) with compensated sums; twiddles are Math.cos/sin of
 * 2π((jk) mod n)/n, computed independently of the kernels' twiddle code.
 * `sign` is -1 for the forward transform, +1 for the unscaled inverse.
 */
const naiveDft = (re: Float64Array, im: Float64Array, sign: number): [Float64Array, Float64Array] => {
  const n = re.length;
  const cos = new Float64Array(n);
  const sin = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    cos[t] = Math.cos((2 * Math.PI * t) / n);
    sin[t] = sign * Math.sin((2 * Math.PI * t) / n);
  }
  const outRe = new Float64Array(n);
  const outIm = new Float64Array(n);
  const acc = new Float64Array(4);
  for (let k = 0; k < n; k++) {
    acc.fill(0);
    for (let j = 0, t = 0; j < n; j++, t = (t + k) % n) {
      addCompensated(acc, 0, re[j]! * cos[t]!);
      addCompensated(acc, 0, -im[j]! * sin[t]!);
      addCompensated(acc, 2, re[j]! * sin[t]!);
      addCompensated(acc, 2, im[j]! * cos[t]!);
    }
    outRe[k] = acc[0]! + acc[1]!;
    outIm[k] = acc[2]! + acc[3]!;
  }
  return [outRe, outIm];
};

/** max |a - b| / max |b|: the usual norm-relative FFT error. */
const relativeError = (actual: ArrayLike<number>, expected: ArrayLike<number>): number => {
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return worst / (scale || 1);
};

const binsOf = (n: number): number => Math.floor(n / 2) + 1;

/** A Hermitian-extended inverse through the naive DFT: what irfft must return. */
const naiveIrfft = (spectrum: Float64Array, n: number): Float64Array => {
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  for (let k = 0; k < binsOf(n); k++) {
    re[k] = spectrum[2 * k]!;
    im[k] = spectrum[2 * k + 1]!;
    if (k > 0) {
      re[n - k] = re[k]!;
      im[n - k] = -im[k]!;
    }
  }
  // pocketfft ignores these imaginary parts.
  im[0] = 0;
  if (n % 2 === 0) im[n / 2] = 0;
  const [outRe] = naiveDft(re, im, 1);
  return outRe.map((v) => v / n);
};

const loadNpy = (name: string): Float64Array => {
  const path = fileURLToPath(new URL(`../fixtures/fft/${name}.npy`, import.meta.url));
  const bytes = readFileSync(path);
  const array = parse(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  if (array.dtype !== "f8") throw new Error(`${name}.npy: expected float64, got ${array.dtype}`);
  return array.data as Float64Array;
};

describe.each(ENGINES)("%s forward", (_, createRealFft) => {
  it.each(SIZES)("matches a naive DFT for n = %i", (n) => {
    const x = randomSignal(n, n);
    const [re, im] = naiveDft(x, new Float64Array(n), -1);
    const expected = new Float64Array(2 * binsOf(n));
    for (let k = 0; k < binsOf(n); k++) {
      expected[2 * k] = re[k]!;
      expected[2 * k + 1] = im[k]!;
    }
    // Only bins 0 .. floor(n/2) may be written; the guard after them must survive.
    const out = new Float64Array(2 * binsOf(n) + 2).fill(7);
    createRealFft(n).forward(x, 0, out);
    expect(relativeError(out.subarray(0, 2 * binsOf(n)), expected)).toBeLessThan(1e-14);
    expect(out[2 * binsOf(n)]).toBe(7);
    expect(out[1]).toBe(0);
    if (n % 2 === 0) expect(out[n + 1]).toBe(0);
  });

  it.each([30, 32])("reads from inOffset and leaves the input untouched, n = %i", (n) => {
    const x = randomSignal(n + 5, 3);
    const before = x.slice();
    const shifted = new Float64Array(2 * binsOf(n));
    const direct = new Float64Array(2 * binsOf(n));
    createRealFft(n).forward(x, 5, shifted);
    createRealFft(n).forward(x.slice(5), 0, direct);
    expect(shifted).toEqual(direct);
    expect(x).toEqual(before);
  });
});

describe.each(ENGINES)("%s inverse", (_, createRealFft) => {
  it.each(SIZES)("matches a naive inverse DFT and ignores the imaginary parts pocketfft ignores, n = %i", (n) => {
    const spectrum = randomSignal(2 * binsOf(n), 1000 + n);
    const expected = naiveIrfft(spectrum, n);
    const out = new Float64Array(n + 4).fill(7);
    createRealFft(n).inverse(spectrum, 0, out, 2);
    expect(relativeError(out.subarray(2, 2 + n), expected)).toBeLessThan(1e-14);
    expect([out[0], out[1], out[n + 2], out[n + 3]]).toEqual([7, 7, 7, 7]);
  });

  it.each([8, 9, 1000, 1021, 1024])("gives the same output whatever the ignored imaginary parts hold, n = %i", (n) => {
    const spectrum = randomSignal(2 * binsOf(n) + 3, n).subarray(3);
    const fft = createRealFft(n);
    const reference = new Float64Array(n);
    fft.inverse(spectrum, 0, reference, 0);
    const altered = spectrum.slice();
    altered[1] = 123.5;
    if (n % 2 === 0) altered[n + 1] = -9.25;
    const out = new Float64Array(n);
    fft.inverse(altered, 0, out, 0);
    expect(out).toEqual(reference);
  });

  it.each(SIZES)("round-trips inverse(forward(x)) = x for n = %i", (n) => {
    const x = randomSignal(n, 77 * n);
    const fft = createRealFft(n);
    const spectrum = new Float64Array(2 * binsOf(n) + 4);
    fft.forward(x, 0, spectrum.subarray(4));
    const back = new Float64Array(n);
    fft.inverse(spectrum, 4, back, 0);
    expect(relativeError(back, x)).toBeLessThan(1e-12);
  });
});

describe("createComplexFft", () => {
  it.each([1, 2, 3, 4, 5, 7, 8, 11, 12, 13, 16, 31, 37, 60, 64, 97, 210, 256, 500, 509, 1024])(
    "matches a naive complex DFT for n = %i",
    (n) => {
      const re = randomSignal(n, 5 * n);
      const im = randomSignal(n, 5 * n + 1);
      const [expRe, expIm] = naiveDft(re, im, -1);
      const input = new Float64Array(2 * n);
      const expected = new Float64Array(2 * n);
      for (let j = 0; j < n; j++) {
        input[2 * j] = re[j]!;
        input[2 * j + 1] = im[j]!;
        expected[2 * j] = expRe[j]!;
        expected[2 * j + 1] = expIm[j]!;
      }
      const out = new Float64Array(2 * n);
      createComplexFft(n).forward(input, 0, out);
      expect(relativeError(out, expected)).toBeLessThan(1e-14);
    },
  );
});

describe.each(ENGINES)("%s against numpy.fft (fixtures/fft, scripts/make_fft_fixtures.py)", (_, createRealFft) => {
  it.each(FIXTURE_SIZES)("rfft and irfft agree with numpy for n = %i", (n) => {
    const fft = createRealFft(n);
    const spectrum = new Float64Array(2 * binsOf(n));
    fft.forward(loadNpy(`x_${n}`), 0, spectrum);
    expect(relativeError(spectrum, loadNpy(`rfft_${n}`))).toBeLessThan(1e-12);
    const signal = new Float64Array(n);
    fft.inverse(loadNpy(`spec_${n}`), 0, signal, 0);
    expect(relativeError(signal, loadNpy(`irfft_${n}`))).toBeLessThan(1e-12);
  });
});

describe("getRealFft", () => {
  it("caches one instance per size and rejects invalid sizes", () => {
    expect(getRealFft(512)).toBe(getRealFft(512));
    expect(getRealFft(512).size).toBe(512);
    expect(() => createRealFft(0)).toThrow(RangeError);
    expect(() => createRealFft(2.5)).toThrow(RangeError);
  });
});

describe("WebAssembly real FFT", () => {
  it("serves powers of two and leaves other sizes to the TypeScript engine", () => {
    expect(createRealFft(1024).constructor).not.toBe(createScalarRealFft(1024).constructor);
    expect(createRealFft(1000).constructor).toBe(createScalarRealFft(1000).constructor);
  });

  it("keeps working after a larger plan grows the kernel memory", () => {
    const n = 64;
    const x = randomSignal(n, 11);
    const fft = createRealFft(n);
    const before = new Float64Array(n + 2);
    fft.forward(x, 0, before);
    createRealFft(2 ** 20);
    const after = new Float64Array(n + 2);
    fft.forward(x, 0, after);
    expect(after).toEqual(before);
    const back = new Float64Array(n);
    fft.inverse(after, 0, back, 0);
    expect(relativeError(back, x)).toBeLessThan(1e-15);
  });

  it("agrees with the TypeScript engine to round-off for n = 4 .. 2^16", () => {
    for (let n = 4; n <= 2 ** 16; n *= 2) {
      const x = randomSignal(n, n + 1);
      const expected = new Float64Array(n + 2);
      const actual = new Float64Array(n + 2);
      createScalarRealFft(n).forward(x, 0, expected);
      createRealFft(n).forward(x, 0, actual);
      expect(relativeError(actual, expected)).toBeLessThan(2e-15);
    }
  });

  it("transforms float32 pairs within float32 round-off, each frame independent of its partner", () => {
    const memory = fftMemory()!;
    for (let n = 4; n <= 2 ** 16; n *= 2) {
      const a = Float64Array.from(randomSignal(n, 3 * n), Math.fround);
      const b = Float64Array.from(randomSignal(n, 5 * n), (v) => Math.fround(100 * v));
      const expectedA = new Float64Array(n + 2);
      const expectedB = new Float64Array(n + 2);
      createRealFft(n).forward(a, 0, expectedA);
      createRealFft(n).forward(b, 0, expectedB);
      const frames = memory.reserve(2 * n + 4, "fft");
      // Bins [lo, hi) of each frame of the pair spectrum (16 bytes a bin: re_a, im_a, re_b, im_b) as float64 (re, im).
      const pair = (x: Float64Array, y: Float64Array, lo: number, hi: number): [Float64Array, Float64Array] => {
        memory.heap().set(x, frames);
        memory.heap().set(y, frames + n + 2);
        const at = memory.spectrumPairs32!(n, frames, frames + n + 2);
        const points = new Float32Array(memory.heap().buffer, 8 * at + 16 * lo, 4 * (hi - lo));
        const lane = (l: number): Float64Array => Float64Array.from({ length: 2 * (hi - lo) }, (_, i) => points[4 * (i >> 1) + 2 * l + (i & 1)]!);
        return [lane(0), lane(1)];
      };
      const [actualA, actualB] = pair(a, b, 0, n / 2 + 1);
      // Float32 rounding at each of the log2(n) stages: errors ~ eps32 log2(n) relative to the largest bin.
      expect(relativeError(actualA, expectedA)).toBeLessThan(2e-7 * Math.log2(n));
      expect(relativeError(actualB, expectedB)).toBeLessThan(2e-7 * Math.log2(n));
      expect(relativeError(actualA, expectedA)).toBeGreaterThan(0);
      for (const v of actualA) expect(Math.fround(v)).toBe(v);
      const [alone] = pair(a, a, 1, n / 2);
      expect(alone).toEqual(actualA.subarray(2, n));
    }
  });

  it("inverts a pair spectrum staged at input(n) as inversePairs32 does with a table of ones, bit for bit", () => {
    const memory = fftMemory()!;
    for (let n = 4; n <= 2 ** 14; n *= 2) {
      const a = Float64Array.from(randomSignal(n, 17 * n), Math.fround);
      const b = Float64Array.from(randomSignal(n, 19 * n), (v) => Math.fround(0.01 * v));
      const ones = new Float64Array(n + 2);
      for (let k = 0; k <= n / 2; k++) ones[2 * k] = 1;
      const q = memory.quadsPairs32!(ones, n / 2 + 1, "fft");
      const frames = memory.reserve(2 * n + 4, "fft");
      const saved = memory.reserve(n + 2, "fft");
      const expected = memory.reserve(2 * n + 4, "fft");
      const actual = memory.reserve(2 * n + 4, "fft");
      memory.heap().set(a, frames);
      memory.heap().set(b, frames + n + 2);
      const x = memory.spectrumPairs32!(n, frames, frames + n + 2);
      memory.heap().copyWithin(saved, x, x + n + 2);
      memory.inversePairs32!(n, saved, q, expected, expected + n + 2);
      memory.heap().copyWithin(memory.input(n), saved, saved + n + 2);
      memory.inverseStagedPairs32!(n, actual, actual + n + 2);
      const heap = memory.heap();
      expect(heap.slice(actual, actual + n)).toEqual(heap.slice(expected, expected + n));
      expect(heap.slice(actual + n + 2, actual + 2 * n + 2)).toEqual(heap.slice(expected + n + 2, expected + 2 * n + 2));
      // The round trip gives the frames back (each from its own lane).
      expect(relativeError(heap.slice(actual, actual + n), a)).toBeLessThan(4e-7 * Math.log2(n));
      expect(relativeError(heap.slice(actual + n + 2, actual + 2 * n + 2), b)).toBeLessThan(4e-7 * Math.log2(n));
    }
  });

  it("filters and inverts float32 pairs within float32 round-off of the float64 transforms", () => {
    const memory = fftMemory()!;
    for (let n = 4; n <= 2 ** 14; n *= 2) {
      const a = Float64Array.from(randomSignal(n, 7 * n), Math.fround);
      const b = Float64Array.from(randomSignal(n, 11 * n), (v) => Math.fround(0.01 * v));
      const h = randomSignal(n + 2, 13 * n);
      const frames = memory.reserve(2 * n + 4, "fft");
      const out = memory.reserve(2 * n + 4, "fft");
      const q = memory.quadsPairs32!(h, n / 2 + 1, "fft");
      memory.heap().set(a, frames);
      memory.heap().set(b, frames + n + 2);
      const x = memory.spectrumPairs32!(n, frames, frames + n + 2);
      memory.inversePairs32!(n, x, q, out, out + n + 2);
      const heap = memory.heap();
      for (const [signal, at] of [[a, out], [b, out + n + 2]] as const) {
        const spectrum = new Float64Array(n + 2);
        createRealFft(n).forward(signal, 0, spectrum);
        for (let k = 0; k <= n / 2; k++) {
          const [re, im] = [spectrum[2 * k]!, spectrum[2 * k + 1]!];
          spectrum[2 * k] = re * h[2 * k]! - im * h[2 * k + 1]!;
          spectrum[2 * k + 1] = re * h[2 * k + 1]! + im * h[2 * k]!;
        }
        const expected = new Float64Array(n);
        createRealFft(n).inverse(spectrum, 0, expected, 0);
        const actual = heap.slice(at, at + n);
        expect(relativeError(actual, expected)).toBeLessThan(4e-7 * Math.log2(n));
        expect(relativeError(actual, expected)).toBeGreaterThan(0);
      }
    }
  });

  it("keeps the float32 pair kernels' module under 4 KB, so browsers compile it synchronously on the main thread", () => {
    expect(atob(FFT_PAIRS_WASM_BASE64).length).toBeLessThan(4096);
  });

  it("is the output of scripts/gen_fft_wasm.mjs", () => {
    const script = fileURLToPath(new URL("../scripts/gen_fft_wasm.mjs", import.meta.url));
    expect(() => execFileSync(process.execPath, [script, "--check"], { stdio: "pipe" })).not.toThrow();
  });
});
