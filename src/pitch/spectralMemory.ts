/**
 * Where yin's autocorrelations are computed: real FFTs and spectral products
 * on one float64 memory, so block spectra, their products and the frame sums
 * never travel between JavaScript arrays and the WebAssembly heap.
 *
 * The WebAssembly SIMD kernels (src/fft/wasmRealFft.ts) when the runtime has
 * them, else the same operations in TypeScript over a growable Float64Array,
 * with the same rounding per value.
 */
import { getRealFft } from "../fft/index.js";
import { wasmSpectralMemory, type WasmSpectralMemory } from "../fft/wasmRealFft.js";
import { onClearCaches } from "../util/clearCaches.js";

export type SpectralMemory = WasmSpectralMemory;

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
  return {
    heap: () => memory,
    reserve,
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
    normalizeByMean(d, sums, out, first, count, guard) {
      for (let i = 0; i < count; i++) memory[out + i] = memory[d + i]! / (memory[sums + i]! / (first + i) + guard);
    },
  };
};

let shared: SpectralMemory | undefined;
onClearCaches(() => {
  shared = undefined;
});
const scratches = new WeakMap<SpectralMemory, { at: number; doubles: number }>();

/** This thread's spectral memory, made on first use: WebAssembly where the runtime has SIMD. */
export const spectralMemory = (): SpectralMemory => (shared ??= wasmSpectralMemory() ?? jsSpectralMemory());

/** A new spectral memory of the given kind (for tests comparing the two); `null` for "wasm" without WebAssembly SIMD. */
export const createSpectralMemory = (kind: "wasm" | "typescript"): SpectralMemory | null =>
  kind === "wasm" ? wasmSpectralMemory() : jsSpectralMemory();

/**
 * `doubles` float64 values of `memory`'s scratch area: one area reused by every
 * call (yin runs synchronously, one call at a time per thread), replaced by a
 * larger one when a call needs more.
 */
export const spectralScratch = (memory: SpectralMemory, doubles: number): number => {
  let scratch = scratches.get(memory);
  if (scratch === undefined || doubles > scratch.doubles) {
    scratch = { at: memory.reserve(doubles), doubles };
    scratches.set(memory, scratch);
  }
  return scratch.at;
};
