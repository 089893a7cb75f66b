/**
 * The CQT's inner loops per octave and frame, in WebAssembly SIMD (one
 * complex value per f64x2 vector), with scalar twins that round identically
 * for runtimes without WebAssembly SIMD:
 *
 * - the product of a banded filter basis with one spectrum (36 rows x ~19
 *   bins): each basis entry stored as the pairs (br, br) and (-bi, bi), so a
 *   complex multiply-add is two vector multiply-adds into two accumulators,
 *   x * (br, br) and swap(x) * (-bi, bi), added when the row ends (3x the
 *   scalar loop);
 * - a sliding DFT of the bins the basis reads, for octaves whose hop is
 *   small against the FFT length (the low octaves: hop 8..32 for n_fft 1024):
 *   with W = e^{-2πi/N}, the frame starting h samples later has
 *   `X'[f] = W^{-fh} (X[f] + Σ_{j<h} (x[s+N+j] - x[s+j]) W^{fj})`, about
 *   (h + 1) complex multiply-adds per bin instead of a whole FFT per frame.
 *   The sum runs in j order, one f64x2 multiply and add per term (wasm SIMD
 *   has no fused multiply-add, so the scalar twin rounds the same).
 *
 * The module is small enough to be written out here byte by byte; each
 * thread instantiates it once and lays the bases out in its memory per call
 * of {@link createBandKernels}.
 */
import { unitRoot } from "../fft/unitRoot.js";
import type { BandRows } from "./bands.js";
import { instantiateIfSupported, section, text, uleb } from "../util/wasm.js";

interface BandKernels {
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  /** Rows of the table at `table` (per row: spectrum address, coefficient address, band bytes), sums to `out`. */
  bandProduct(table: number, rows: number, out: number): void;
  /** One hop of the sliding DFT of `bins` values at `state` (see the file comment); hop a multiple of 4. */
  slide(state: number, diffs: number, twiddles: number, rotations: number, bins: number, hop: number): void;
  /** `frames` products of the state (rows with the table at `table`) to `out`, sliding between them by the hop differences at `diffs`. */
  slideRun(state: number, diffs: number, twiddles: number, rotations: number, bins: number, hop: number, frames: number, table: number, rows: number, out: number): void;
}

const simd = (op: number[]): number[] => [0xfd, ...op];
const F64X2_ADD = simd([0xf0, 0x01]);
const F64X2_MUL = simd([0xf2, 0x01]);
const F64X2_SPLAT = simd([0x14]);
const V128_LOAD = (offset: number): number[] => simd([0x00, 4, offset]);
const V128_STORE = simd([0x0b, 4, 0]);
const F64_LOAD = [0x2b, 3, 0];
const V128_ZERO = simd([0x0c, ...new Array<number>(16).fill(0)]);
const SWAP_LANES = simd([0x0d, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7]);
const get = (local: number): number[] => [0x20, local];
const set = (local: number): number[] => [0x21, local];
const addConst = (local: number, value: number): number[] => [...get(local), 0x41, value, 0x6a, ...set(local)];
const decrement = (local: number): number[] => [...get(local), 0x41, 0x01, 0x6b, ...set(local)];

// bandProduct. Params: 0 table, 1 rows, 2 out. Locals: 3 p (spectrum), 4 c (coefficients), 5 end, 6 accA, 7 accB, 8 x.
const productBody = [
  2, 0x03, 0x7f, 0x03, 0x7b,
  0x02, 0x40, // block: all rows done
  0x03, 0x40, // loop over rows
  ...get(1), 0x45, 0x0d, 0x01,
  ...get(0), 0x28, 0x02, 0x00, ...set(3),
  ...get(0), 0x28, 0x02, 0x04, ...set(4),
  ...get(3), ...get(0), 0x28, 0x02, 0x08, 0x6a, ...set(5),
  ...V128_ZERO, ...set(6),
  ...V128_ZERO, ...set(7),
  0x02, 0x40, // block: row done
  0x03, 0x40, // loop over the band
  ...get(3), ...get(5), 0x4f, 0x0d, 0x01,
  ...get(3), ...V128_LOAD(0), ...set(8),
  ...get(6), ...get(8), ...get(4), ...V128_LOAD(0), ...F64X2_MUL, ...F64X2_ADD, ...set(6),
  ...get(7), ...get(8), ...get(8), ...SWAP_LANES, ...get(4), ...V128_LOAD(16), ...F64X2_MUL, ...F64X2_ADD, ...set(7),
  ...addConst(3, 16),
  ...addConst(4, 32),
  0x0c, 0x00,
  0x0b,
  0x0b,
  ...get(2), ...get(6), ...get(7), ...F64X2_ADD, ...V128_STORE,
  ...addConst(2, 16),
  ...addConst(0, 12),
  ...decrement(1),
  0x0c, 0x00,
  0x0b,
  0x0b,
  0x0b,
];

// slide. Params: 0 state, 1 diffs, 2 twiddles, 3 rotations, 4 bins, 5 hop (a multiple of 4).
// Locals: 6 j, 7 f, 8 s, 9 t (i32); 10-13 d0..d3, 14 acc (v128). Terms in blocks of 4 j's: per
// block, every bin's state gets its 4 terms in j order (twiddles laid out block, bin, j).
const termBlock = (k: number): number[] => [...get(14), ...get(10 + k), ...get(9), ...V128_LOAD(16 * k), ...F64X2_MUL, ...F64X2_ADD, ...set(14)];
const slideBody = [
  3, 0x04, 0x7f, 0x04, 0x7b, 0x01, 0x7b,
  ...get(2), ...set(9),
  ...get(5), ...set(6),
  0x02, 0x40, // block: all terms done
  0x03, 0x40, // loop over blocks of 4 j's
  ...get(6), 0x45, 0x0d, 0x01,
  ...[0, 1, 2, 3].flatMap((k) => [...get(1), 0x2b, 3, 8 * k, ...F64X2_SPLAT, ...set(10 + k)]),
  ...get(0), ...set(8),
  ...get(4), ...set(7),
  0x02, 0x40, // block: bins done
  0x03, 0x40, // loop over bins
  ...get(7), 0x45, 0x0d, 0x01,
  ...get(8), ...V128_LOAD(0), ...set(14),
  ...termBlock(0), ...termBlock(1), ...termBlock(2), ...termBlock(3),
  ...get(8), ...get(14), ...V128_STORE,
  ...addConst(8, 16),
  ...get(9), 0x41, 0xc0, 0x00, 0x6a, ...set(9),
  ...decrement(7),
  0x0c, 0x00,
  0x0b,
  0x0b,
  ...addConst(1, 32),
  ...get(6), 0x41, 0x04, 0x6b, ...set(6),
  0x0c, 0x00,
  0x0b,
  0x0b,
  // Rotation: state = acc * (rr, rr) + swap(acc) * (-ri, ri).
  ...get(0), ...set(8),
  0x02, 0x40,
  0x03, 0x40,
  ...get(4), 0x45, 0x0d, 0x01,
  ...get(8), ...V128_LOAD(0), ...set(14),
  ...get(8),
  ...get(14), ...get(3), ...V128_LOAD(0), ...F64X2_MUL,
  ...get(14), ...get(14), ...SWAP_LANES, ...get(3), ...V128_LOAD(16), ...F64X2_MUL,
  ...F64X2_ADD, ...V128_STORE,
  ...addConst(8, 16),
  ...addConst(3, 32),
  ...decrement(4),
  0x0c, 0x00,
  0x0b,
  0x0b,
  0x0b,
];

// slideRun. Params: 0 state, 1 diffs, 2 twiddles, 3 rotations, 4 bins, 5 hop, 6 frames, 7 table, 8 rows, 9 out.
// Per frame: the product of the state to out (rows values), then (but after the last) one slide.
const slideRunBody = [
  0,
  0x02, 0x40,
  0x03, 0x40,
  ...get(6), 0x45, 0x0d, 0x01,
  ...get(7), ...get(8), ...get(9), 0x10, 0x00,
  ...get(9), ...get(8), 0x41, 0x04, 0x74, 0x6a, ...set(9),
  ...decrement(6),
  ...get(6), 0x45, 0x0d, 0x01,
  ...get(0), ...get(1), ...get(2), ...get(3), ...get(4), ...get(5), 0x10, 0x01,
  ...get(1), ...get(5), 0x41, 0x03, 0x74, 0x6a, ...set(1),
  0x0c, 0x00,
  0x0b,
  0x0b,
  0x0b,
];

const I32 = 0x7f;
const MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  ...section(1, [3, 0x60, 3, I32, I32, I32, 0, 0x60, 6, ...new Array<number>(6).fill(I32), 0, 0x60, 10, ...new Array<number>(10).fill(I32), 0]),
  ...section(3, [3, 0, 1, 2]),
  ...section(5, [1, 0x00, 1]),
  ...section(7, [4, ...text("memory"), 2, 0, ...text("bandProduct"), 0, 0, ...text("slide"), 0, 1, ...text("slideRun"), 0, 2]),
  ...section(10, [3, ...[productBody, slideBody, slideRunBody].flatMap((body) => [...uleb(body.length), ...body])]),
]);

let kernels: BandKernels | null | undefined;

const loadKernels = (): BandKernels | null => {
  if (kernels === undefined) kernels = instantiateIfSupported(MODULE) as BandKernels | null;
  return kernels;
};

/** Computes row sums of a basis against spectra, `out[2 k], out[2 k + 1]` for row k. */
export interface BandProduct {
  /** The spectrum's interleaved bins start at `spectrum[offset]` (default 0); the sums go to `out` from `outOffset` (default 0). */
  apply(spectrum: Float64Array, out: Float64Array, offset?: number, outOffset?: number): void;
}

/**
 * A sliding DFT of the bins a basis reads, for one channel, and the basis
 * product with it. Frames must be `hop` samples apart in one signal.
 */
export interface SlidingBand {
  /** Takes the bins of an FFT (interleaved from `spectrum[offset]`) as the current frame. */
  anchor(spectrum: Float64Array, offset: number): void;
  /** Moves the current frame, which starts at `signal[start]`, one hop on. */
  slide(signal: Float64Array, start: number): void;
  /**
   * The basis products (as {@link BandProduct.apply}) of `frames` frames, the
   * current one (starting at `signal[start]`) and the next ones a hop apart,
   * to `out` from `outOffset`, 2 * rows values a frame; the state ends at the last.
   */
  run(signal: Float64Array, start: number, frames: number, out: Float64Array, outOffset: number): void;
}

/**
 * What one basis needs: its rows, and for a sliding DFT its hop (a multiple
 * of 4; 0: none), FFT length and the most frames one run may have.
 */
export interface BandSpec {
  basis: BandRows;
  hop: number;
  nFft: number;
  maxFrames: number;
}

/** The FFT bins [lo, hi) a basis reads. */
const binRange = (basis: BandRows): [number, number] => {
  const { rows, first, width } = basis;
  let lo = Infinity;
  let hi = 0;
  for (let k = 0; k < rows; k++) {
    if (width[k]! === 0) continue;
    lo = Math.min(lo, first[k]!);
    hi = Math.max(hi, first[k]! + width[k]!);
  }
  return hi === 0 ? [0, 0] : [lo, hi];
};

/**
 * The sliding DFT's tables for bins f in [lo, hi): the terms' W^{fj} (j < hop)
 * as (re, im), laid out by block of 4 j's, then bin, then j (the order the
 * vector kernel reads them), and W^{-f hop} as (rr, rr, -ri, ri) per bin.
 */
const slideTables = (lo: number, hi: number, hop: number, nFft: number): { twiddles: Float64Array; rotations: Float64Array } => {
  const bins = hi - lo;
  const twiddles = new Float64Array(2 * bins * hop);
  const rotations = new Float64Array(4 * bins);
  const root = new Float64Array(2);
  for (let b = 0; b < bins; b++) {
    const f = lo + b;
    for (let j = 0; j < hop; j++) unitRoot(-((f * j) % nFft), nFft, twiddles, 2 * twiddleIndex(b, j, bins));
    unitRoot((f * hop) % nFft, nFft, root, 0);
    rotations[4 * b] = root[0]!;
    rotations[4 * b + 1] = root[0]!;
    rotations[4 * b + 2] = -root[1]!;
    rotations[4 * b + 3] = root[1]!;
  }
  return { twiddles, rotations };
};

/** Position of bin b's term j in the twiddle table (in complex values). */
const twiddleIndex = (b: number, j: number, bins: number): number => (Math.floor(j / 4) * bins + b) * 4 + (j % 4);

/** Row sums of `basis` with the bins at `spectrum[offset + 2 * (f - lo)]`: x * (br, br) and swap(x) * (-bi, bi) summed apart, as the vector kernel does. */
const scalarRows = (basis: BandRows, lo: number, spectrum: Float64Array, offset: number, out: Float64Array, outOffset = 0): void => {
  const { rows, first, width, offset: rowOffset, coef } = basis;
  for (let k = 0; k < rows; k++) {
    let aRe = 0;
    let aIm = 0;
    let bRe = 0;
    let bIm = 0;
    let j = offset + 2 * (first[k]! - lo);
    let e = 2 * rowOffset[k]!;
    const end = e + 2 * width[k]!;
    for (; e < end; e += 2, j += 2) {
      const br = coef[e]!;
      const bi = coef[e + 1]!;
      const xr = spectrum[j]!;
      const xi = spectrum[j + 1]!;
      aRe += xr * br;
      aIm += xi * br;
      bRe += xi * -bi;
      bIm += xr * bi;
    }
    out[outOffset + 2 * k] = aRe + bRe;
    out[outOffset + 2 * k + 1] = aIm + bIm;
  }
};

/** The scalar product (same sums, same order as the vector kernel). */
export const scalarBandProduct = (basis: BandRows): BandProduct => ({
  apply(spectrum: Float64Array, out: Float64Array, offset = 0): void {
    scalarRows(basis, 0, spectrum, offset, out);
  },
});

/** The scalar sliding DFT (same operations, same order as the vector kernel). */
export const scalarSlidingBand = (spec: BandSpec): SlidingBand => {
  const { basis, hop, nFft } = spec;
  const [lo, hi] = binRange(basis);
  const bins = hi - lo;
  const { twiddles, rotations } = slideTables(lo, hi, hop, nFft);
  const state = new Float64Array(2 * bins);
  const diffs = new Float64Array(hop);
  const slide = (signal: Float64Array, start: number): void => {
    for (let j = 0; j < hop; j++) diffs[j] = signal[start + nFft + j]! - signal[start + j]!;
    for (let b = 0; b < bins; b++) {
      let re = state[2 * b]!;
      let im = state[2 * b + 1]!;
      for (let j = 0; j < hop; j++) {
        const d = diffs[j]!;
        const t = 2 * twiddleIndex(b, j, bins);
        re += d * twiddles[t]!;
        im += d * twiddles[t + 1]!;
      }
      state[2 * b] = re * rotations[4 * b]! + im * rotations[4 * b + 2]!;
      state[2 * b + 1] = im * rotations[4 * b + 1]! + re * rotations[4 * b + 3]!;
    }
  };
  return {
    anchor(spectrum: Float64Array, offset: number): void {
      state.set(spectrum.subarray(offset + 2 * lo, offset + 2 * hi));
    },
    slide,
    run(signal: Float64Array, start: number, frames: number, out: Float64Array, outOffset: number): void {
      for (let i = 0; i < frames; i++) {
        if (i > 0) slide(signal, start + (i - 1) * hop);
        scalarRows(basis, lo, state, 0, out, outOffset + 2 * basis.rows * i);
      }
    },
  };
};

/** Per basis: its product, and one sliding DFT per channel when it has a hop. */
export interface BandKernelSet {
  products: BandProduct[];
  sliding: SlidingBand[][];
}

/**
 * The products with each basis on this thread, and for each spec with a hop,
 * `channels` sliding DFTs. Lays everything out in the thread's kernel
 * memory: the returned objects are valid until the next call.
 */
export const createBandKernels = (specs: BandSpec[], channels: number): BandKernelSet => {
  const wasm = loadKernels();
  if (wasm === null) {
    return {
      products: specs.map((s) => scalarBandProduct(s.basis)),
      sliding: specs.map((s) => (s.hop > 0 ? Array.from({ length: channels }, () => scalarSlidingBand(s)) : [])),
    };
  }
  // Per basis: row table (12 bytes a row), spectrum bins [lo, hi), coefficient pairs, row sums;
  // with a hop: twiddles, rotations, differences, and per channel a state and its row table.
  const align = (bytes: number): number => Math.ceil(bytes / 16) * 16;
  const layouts = [];
  let top = 0;
  for (const spec of specs) {
    const { rows, coef } = spec.basis;
    const [lo, hi] = binRange(spec.basis);
    const bins = hi - lo;
    const tableAt = top;
    const specAt = tableAt + align(12 * rows);
    const coefAt = specAt + 16 * bins;
    const outAt = coefAt + 16 * coef.length;
    top = outAt + 16 * rows;
    let slide = null;
    if (spec.hop > 0) {
      const twiddleAt = top;
      const rotationAt = twiddleAt + 16 * bins * spec.hop;
      const diffAt = rotationAt + 32 * bins;
      const runOutAt = diffAt + align(8 * spec.hop * Math.max(1, spec.maxFrames - 1));
      top = runOutAt + 16 * rows * Math.max(1, spec.maxFrames);
      const states = [];
      for (let c = 0; c < channels; c++) {
        const stateTableAt = top;
        const stateAt = stateTableAt + align(12 * rows);
        top = stateAt + 16 * bins;
        states.push({ stateTableAt, stateAt });
      }
      slide = { twiddleAt, rotationAt, diffAt, runOutAt, states };
    }
    layouts.push({ spec, lo, hi, tableAt, specAt, coefAt, outAt, slide });
  }
  const missing = top - wasm.memory.buffer.byteLength;
  if (missing > 0) wasm.memory.grow(Math.ceil(missing / 65536));
  const heap = new Float64Array(wasm.memory.buffer);
  const writeTable = (basis: BandRows, lo: number, tableAt: number, binsAt: number, coefAt: number): void => {
    const table = new Int32Array(wasm.memory.buffer, tableAt, 3 * basis.rows);
    for (let k = 0; k < basis.rows; k++) {
      table[3 * k] = binsAt + 16 * (basis.first[k]! - lo);
      table[3 * k + 1] = coefAt + 32 * basis.offset[k]!;
      table[3 * k + 2] = 16 * basis.width[k]!;
    }
  };
  const products: BandProduct[] = [];
  const sliding: SlidingBand[][] = [];
  for (const { spec, lo, hi, tableAt, specAt, coefAt, outAt, slide } of layouts) {
    const { basis } = spec;
    const { rows, coef } = basis;
    writeTable(basis, lo, tableAt, specAt, coefAt);
    for (let e = 0; e < coef.length / 2; e++) {
      const br = coef[2 * e]!;
      const bi = coef[2 * e + 1]!;
      const at = (coefAt + 32 * e) / 8;
      heap[at] = br;
      heap[at + 1] = br;
      heap[at + 2] = -bi;
      heap[at + 3] = bi;
    }
    const sums = heap.subarray(outAt / 8, outAt / 8 + 2 * rows);
    const specIndex = specAt / 8;
    products.push({
      apply(spectrum: Float64Array, out: Float64Array, offset = 0, outOffset = 0): void {
        heap.set(spectrum.subarray(offset + 2 * lo, offset + 2 * hi), specIndex);
        wasm.bandProduct(tableAt, rows, outAt);
        out.set(sums, outOffset);
      },
    });
    if (slide === null) {
      sliding.push([]);
      continue;
    }
    const { hop, nFft } = spec;
    const bins = hi - lo;
    const { twiddles, rotations } = slideTables(lo, hi, hop, nFft);
    heap.set(twiddles, slide.twiddleAt / 8);
    heap.set(rotations, slide.rotationAt / 8);
    const diffIndex = slide.diffAt / 8;
    sliding.push(
      slide.states.map(({ stateTableAt, stateAt }) => {
        writeTable(basis, lo, stateTableAt, stateAt, coefAt);
        const stateIndex = stateAt / 8;
        const runOutIndex = slide.runOutAt / 8;
        return {
          anchor(spectrum: Float64Array, offset: number): void {
            heap.set(spectrum.subarray(offset + 2 * lo, offset + 2 * hi), stateIndex);
          },
          slide(signal: Float64Array, start: number): void {
            for (let j = 0; j < hop; j++) heap[diffIndex + j] = signal[start + nFft + j]! - signal[start + j]!;
            wasm.slide(stateAt, slide.diffAt, slide.twiddleAt, slide.rotationAt, bins, hop);
          },
          run(signal: Float64Array, start: number, frames: number, out: Float64Array, outOffset: number): void {
            const count = (frames - 1) * hop;
            for (let i = 0; i < count; i++) heap[diffIndex + i] = signal[start + nFft + i]! - signal[start + i]!;
            wasm.slideRun(stateAt, slide.diffAt, slide.twiddleAt, slide.rotationAt, bins, hop, frames, stateTableAt, rows, slide.runOutAt);
            out.set(heap.subarray(runOutIndex, runOutIndex + 2 * rows * frames), outOffset);
          },
        };
      }),
    );
  }
  return { products, sliding };
};

/** The products with each of `bases` on this thread (valid until the next call of this or {@link createBandKernels}). */
export const createBandProducts = (bases: BandRows[]): BandProduct[] =>
  createBandKernels(bases.map((basis) => ({ basis, hop: 0, nFft: 0, maxFrames: 0 })), 1).products;
