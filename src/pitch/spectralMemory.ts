/**
 * Where yin's autocorrelations are computed: real FFTs, spectral products and
 * yin's difference function on one float64 memory, so block spectra, their
 * products and the frame sums never travel between JavaScript arrays and the
 * WebAssembly heap.
 *
 * Where the runtime has WebAssembly SIMD: the FFT's transforms over this
 * thread's kernel memory (src/fft/wasmRealFft.ts) and yin's kernels
 * (./yinKernels.ts) instantiated over the same memory, yin's buffers in its
 * "yin" region. Else the same operations in TypeScript over a growable
 * Float64Array, with the same rounding per value.
 */
import { getRealFft } from "../fft/index.js";
import { fftMemory, type FftMemory } from "../fft/wasmRealFft.js";
import { yinKernels, type YinKernels } from "./yinKernels.js";
import { onClearCaches } from "../util/clearCaches.js";

/** The operations yin chains in one memory (positions are float64 indices into `heap()`, counts complex values). */
export interface SpectralMemory extends Pick<FftMemory, "heap" | "input" | "forward" | "forwardFrom" | "inverse" | "crossProduct"> {
  /** Reserves `doubles` float64 values (16-byte aligned, kept as long as the memory); returns their index. */
  reserve(doubles: number): number;
  /** The index of yin's reusable scratch area, at least `doubles` long (contents not kept when it has to grow). */
  scratch(doubles: number): number;
  /** out = (|x|², 0) per value. */
  powerSpectrum(x: number, out: number, count: number): void;
  /** out = prev + conj(x) y w per value, w as 4 float64 (wr, wr, -wi, wi) per value. */
  crossAccumulate(x: number, y: number, w: number, prev: number, out: number, count: number): void;
  /** dst += src per value. */
  accumulate(dst: number, src: number, count: number): void;
  /** dst = (dst + a) + b per value. */
  accumulatePair(dst: number, a: number, b: number, count: number): void;
  /**
   * YIN's difference function d_k = 2 (acf[0] - acf[k]) - Σ_{m<k} head[m]² (no energy term at
   * k = 1) and its running sum, summed in k order; d_k, k = first .. last, to `d`, the sums to `sums` (2 <= first <= last).
   */
  differenceSums(acf: number, head: number, d: number, sums: number, first: number, last: number): void;
  /** out[i] = d[i] / (sums[i] / (first + i) + guard) for float64 values i < count (an odd count also writes out[count]). */
  normalizeByMean(d: number, sums: number, out: number, first: number, count: number, guard: number): void;
  /** The first index of the minimum of the count >= 2 values at x, or -1 if one is below `threshold` or NaN. */
  firstMinimum(x: number, count: number, threshold: number): number;
  /**
   * The troughs of the count >= 2 values at x as pyin finds them (`localmin`: x[i] < x[i-1] and
   * x[i] <= x[i+1]; the first when x[0] < x[1], the last when below the one before): their indices,
   * ascending, as float64 values at `out` (at most ceil(count / 2)); returns how many.
   */
  troughs(x: number, count: number, out: number): number;
}

/**
 * Whether bin i of the values x[at .. at + last] is a trough as pyin and yin find them (librosa's
 * `localmin`, x[i] < x[i-1] and x[i] <= x[i+1], with the first bin a trough when below the second
 * and the last when below the one before); a NaN compares false. last >= 1.
 */
export const isTrough = (x: Float64Array, at: number, i: number, last: number): boolean => {
  const v = x[at + i]!;
  return i === 0 ? v < x[at + 1]! : i === last ? v < x[at + last - 1]! : v < x[at + i - 1]! && v <= x[at + i + 1]!;
};

/** The FFT memory with yin's kernels over it (byte addresses for the kernels, float64 indices for yin). */
const wasmSpectralMemory = (fft: FftMemory, kernels: YinKernels): SpectralMemory => ({
  heap: () => fft.heap(),
  reserve: (doubles) => fft.reserve(doubles, "yin"),
  scratch: (doubles) => fft.area("yin", "scratch", doubles),
  input: (n) => fft.input(n),
  forward: (n) => fft.forward(n),
  forwardFrom: (n, at) => fft.forwardFrom(n, at),
  inverse: (n) => fft.inverse(n),
  crossProduct: (x, y, out, count) => fft.crossProduct(x, y, out, count),
  powerSpectrum: (x, out, count) => kernels.powerSpectrum(8 * x, 8 * out, count),
  crossAccumulate: (x, y, w, prev, out, count) => kernels.crossAccumulate(8 * x, 8 * y, 8 * w, 8 * prev, 8 * out, count),
  accumulate: (dst, src, count) => kernels.accumulate(8 * dst, 8 * src, count),
  accumulatePair: (dst, a, b, count) => kernels.accumulatePair(8 * dst, 8 * a, 8 * b, count),
  differenceSums: (acf, head, d, sums, first, last) => kernels.differenceSums(8 * acf, 8 * head, 8 * d, 8 * sums, first, last),
  firstMinimum: (x, count, threshold) => kernels.firstMinimum(8 * x, count, threshold),
  troughs: (x, count, out) => kernels.troughs(8 * x, count, 8 * out),
  normalizeByMean: (d, sums, out, first, count, guard) => kernels.normalizeByMean(8 * d, 8 * sums, 8 * out, first, count, guard),
});

const YIN = Symbol("yin");

/** yin's memory in this thread's kernel memory (one object per memory), or null without WebAssembly SIMD. */
const inKernelMemory = (): SpectralMemory | null => {
  const fft = fftMemory();
  if (fft === null) return null;
  return fft.memory.memo(YIN, () => {
    const kernels = yinKernels(fft.memory);
    return kernels === null ? null : wasmSpectralMemory(fft, kernels);
  });
};

/** The TypeScript fallback: each size has an input and an output area of n + 2 values. */
const jsSpectralMemory = (): SpectralMemory => {
  let memory = new Float64Array(1024);
  let top = 0;
  const areas = new Map<number, { input: number; output: number }>();
  const reserve = (doubles: number): number => {
    const at = top;
    top += doubles + (doubles & 1);
    if (top > memory.length) {
      const grown = new Float64Array(Math.max(top, 2 * memory.length));
      grown.set(memory);
      memory = grown;
    }
    return at;
  };
  const areaOf = (n: number): { input: number; output: number } => {
    let area = areas.get(n);
    if (area === undefined) {
      area = { input: reserve(n + 2), output: reserve(n + 2) };
      areas.set(n, area);
    }
    return area;
  };
  let scratch = { at: 0, doubles: -1 };
  return {
    heap: () => memory,
    reserve,
    scratch(doubles) {
      if (doubles > scratch.doubles) scratch = { at: reserve(doubles), doubles };
      return scratch.at;
    },
    input: (n) => areaOf(n).input,
    forward(n) {
      const { input, output } = areaOf(n);
      getRealFft(n).forward(memory, input, memory.subarray(output, output + n + 2));
      return output;
    },
    forwardFrom(n, at) {
      const { output } = areaOf(n);
      getRealFft(n).forward(memory, at, memory.subarray(output, output + n + 2));
      return output;
    },
    inverse(n) {
      const { input, output } = areaOf(n);
      getRealFft(n).inverse(memory, input, memory, output);
      return output;
    },
    powerSpectrum(x, out, count) {
      for (let b = 0; b < 2 * count; b += 2) {
        const xr = memory[x + b]!;
        const xi = memory[x + b + 1]!;
        memory[out + b] = xr * xr + xi * xi;
        memory[out + b + 1] = 0;
      }
    },
    crossAccumulate(x, y, w, prev, out, count) {
      for (let b = 0, c = w; b < 2 * count; b += 2, c += 4) {
        const xr = memory[x + b]!;
        const xi = memory[x + b + 1]!;
        const yr = memory[y + b]!;
        const yi = memory[y + b + 1]!;
        const pr = xr * yr + xi * yi;
        const pi = xr * yi - xi * yr;
        const wr = memory[c]!;
        const wi = memory[c + 3]!;
        memory[out + b] = memory[prev + b]! + (pr * wr - pi * wi);
        memory[out + b + 1] = memory[prev + b + 1]! + (pr * wi + pi * wr);
      }
    },
    accumulate(dst, src, count) {
      for (let b = 0; b < 2 * count; b++) memory[dst + b] = memory[dst + b]! + memory[src + b]!;
    },
    crossProduct(x, y, out, count) {
      for (let b = 0; b < 2 * count; b += 2) {
        const xr = memory[x + b]!;
        const xi = memory[x + b + 1]!;
        const yr = memory[y + b]!;
        const yi = memory[y + b + 1]!;
        memory[out + b] = xr * yr + xi * yi;
        memory[out + b + 1] = xr * yi - xi * yr;
      }
    },
    accumulatePair(dst, a, b, count) {
      for (let i = 0; i < 2 * count; i++) memory[dst + i] = memory[dst + i]! + memory[a + i]! + memory[b + i]!;
    },
    differenceSums(acf, head, d, sums, first, last) {
      const acf0 = memory[acf]!;
      let energy = 0;
      let sum = 0;
      for (let k = 1; k <= last; k++) {
        const x = memory[head + k - 1]!;
        energy += x * x;
        const dk = 2 * (acf0 - memory[acf + k]!) - (k === 1 ? 0 : energy);
        sum += dk;
        if (k >= first) {
          memory[d + k - first] = dk;
          memory[sums + k - first] = sum;
        }
      }
    },
    firstMinimum(x, count, threshold) {
      let best = 0;
      for (let i = 0; i < count; i++) {
        const v = memory[x + i]!;
        if (v < threshold || v !== v) return -1;
        if (v < memory[x + best]!) best = i;
      }
      return best;
    },
    troughs(x, count, out) {
      const last = count - 1;
      let n = 0;
      for (let i = 0; i <= last; i++) if (isTrough(memory, x, i, last)) memory[out + n++] = i;
      return n;
    },
    normalizeByMean(d, sums, out, first, count, guard) {
      for (let i = 0; i < count; i++) memory[out + i] = memory[d + i]! / (memory[sums + i]! / (first + i) + guard);
    },
  };
};

let shared: SpectralMemory | undefined;
onClearCaches(() => {
  shared = undefined;
});

/** This thread's spectral memory: WebAssembly where the runtime has SIMD (a new one after the kernel memory is released), else TypeScript. */
export const spectralMemory = (): SpectralMemory => inKernelMemory() ?? (shared ??= jsSpectralMemory());

/** A spectral memory of the given kind (for tests comparing the two); `null` for "wasm" without WebAssembly SIMD. */
export const createSpectralMemory = (kind: "wasm" | "typescript"): SpectralMemory | null =>
  kind === "wasm" ? inKernelMemory() : jsSpectralMemory();

/**
 * `doubles` float64 values of `memory`'s scratch area: one area reused by every
 * call (yin runs synchronously, one call at a time per thread), replaced by a
 * larger one when a call needs more.
 */
export const spectralScratch = (memory: SpectralMemory, doubles: number): number => memory.scratch(doubles);
