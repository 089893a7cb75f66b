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
import { BoundedCache } from "../util/boundedCache.js";
import { onClearCaches } from "../util/clearCaches.js";

interface BandKernels {
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  /** Rows of the table at `table` (per row: spectrum address, coefficient address, band bytes), values to `out` (see BandOutput; mode 0, 1, 2). */
  bandProduct(table: number, rows: number, out: number, scale: number, mode: number): void;
  /** One hop of the sliding DFT of `bins` values at `state` (see the file comment); hop a multiple of 4. */
  slide(state: number, diffs: number, twiddles: number, rotations: number, bins: number, hop: number): void;
  /** `frames` products of the state (rows with the table at `table`) to `out`, sliding between them by the hop differences at `diffs`. */
  slideRun(state: number, diffs: number, twiddles: number, rotations: number, bins: number, hop: number, frames: number, table: number, rows: number, out: number, scale: number, mode: number, outStep: number): void;
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

// bandProduct. Params: 0 table, 1 rows, 2 out, 3 scale (f64 per row), 4 mode (0, 1, 2: BandOutput).
// Locals: 5 p (spectrum), 6 c (coefficients), 7 end (i32); 8 accA, 9 accB, 10 x, 11 r (v128); 12 m (f64);
// 13 accA', 14 accB' (v128). Per entry accA += x * (br, br), accB += x * (bi, bi), even entries into
// accA, accB and odd ones into accA', accB'; per row accA += accA', accB += accB', r = accA + (-accB.im, accB.re).
const SIGN_LOW = simd([0x0c, 0, 0, 0, 0, 0, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0, 0]);
const V128_XOR = simd([0x51]);
const F64X2_EXTRACT = (lane: number): number[] => simd([0x21, lane]);
/**
 * Entry i (0 or 1) after the spectrum pointer (local 5) and coefficient
 * pointer (local 6), into the accumulators of its parity (8, 9 for even
 * entries, 13, 14 for odd ones: two independent chains of additions).
 */
const entry = (i: number): number[] => [
  ...get(5), ...V128_LOAD(16 * i), ...set(10),
  ...get(i === 0 ? 8 : 13), ...get(10), ...get(6), ...V128_LOAD(32 * i), ...F64X2_MUL, ...F64X2_ADD, ...set(i === 0 ? 8 : 13),
  ...get(i === 0 ? 9 : 14), ...get(10), ...get(6), ...V128_LOAD(32 * i + 16), ...F64X2_MUL, ...F64X2_ADD, ...set(i === 0 ? 9 : 14),
];
const productBody = [
  4, 0x03, 0x7f, 0x04, 0x7b, 0x01, 0x7c, 0x02, 0x7b,
  0x02, 0x40, // block: all rows done
  0x03, 0x40, // loop over rows
  ...get(1), 0x45, 0x0d, 0x01,
  ...get(0), 0x28, 0x02, 0x00, ...set(5),
  ...get(0), 0x28, 0x02, 0x04, ...set(6),
  ...get(5), ...get(0), 0x28, 0x02, 0x08, 0x6a, ...set(7),
  ...V128_ZERO, ...set(8),
  ...V128_ZERO, ...set(9),
  ...V128_ZERO, ...set(13),
  ...V128_ZERO, ...set(14),
  0x02, 0x40, // block: pairs done
  0x03, 0x40, // loop over the band, two entries at a time (same order of additions)
  ...get(5), 0x41, 16, 0x6a, ...get(7), 0x4f, 0x0d, 0x01,
  ...entry(0),
  ...entry(1),
  ...addConst(5, 32),
  ...get(6), 0x41, 0xc0, 0x00, 0x6a, ...set(6),
  0x0c, 0x00,
  0x0b,
  0x0b,
  ...get(5), ...get(7), 0x49,
  0x04, 0x40, // the last entry of an odd band
  ...entry(0),
  0x0b,
  ...get(8), ...get(13), ...F64X2_ADD, ...set(8),
  ...get(9), ...get(14), ...F64X2_ADD, ...set(9),
  ...get(8), ...get(9), ...get(9), ...SWAP_LANES, ...SIGN_LOW, ...V128_XOR, ...F64X2_ADD, ...set(11),
  ...get(4),
  0x04, 0x40, // if mode != 0: a magnitude
  ...get(11), ...get(11), ...F64X2_MUL, ...set(10),
  ...get(10), ...F64X2_EXTRACT(0), ...get(10), ...F64X2_EXTRACT(1), 0xa0, 0x9f,
  ...get(3), 0x2b, 3, 0, 0xa2, ...set(12),
  ...get(4), 0x41, 0x02, 0x46,
  0x04, 0x40, // if mode == 2: rounded to float32
  ...get(12), 0xb6, 0xbb, ...set(12),
  0x0b,
  ...get(2), ...get(12), 0x39, 3, 0,
  ...addConst(2, 8),
  0x05, // else: the complex value times the scale
  ...get(2), ...get(11), ...get(3), 0x2b, 3, 0, ...F64X2_SPLAT, ...F64X2_MUL, ...V128_STORE,
  ...addConst(2, 16),
  0x0b,
  ...addConst(3, 8),
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

// slideRun. Params: 0 state, 1 diffs, 2 twiddles, 3 rotations, 4 bins, 5 hop, 6 frames, 7 table, 8 rows, 9 out,
// 10 scale, 11 mode, 12 outStep (bytes a frame). Per frame: the product of the state, then (but after the last) one slide.
const slideRunBody = [
  0,
  0x02, 0x40,
  0x03, 0x40,
  ...get(6), 0x45, 0x0d, 0x01,
  ...get(7), ...get(8), ...get(9), ...get(10), ...get(11), 0x10, 0x00,
  ...get(9), ...get(12), 0x6a, ...set(9),
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
  ...section(1, [3, 0x60, 5, ...new Array<number>(5).fill(I32), 0, 0x60, 6, ...new Array<number>(6).fill(I32), 0, 0x60, 13, ...new Array<number>(13).fill(I32), 0]),
  ...section(3, [3, 0, 1, 2]),
  ...section(5, [1, 0x00, 1]),
  ...section(7, [4, ...text("memory"), 2, 0, ...text("bandProduct"), 0, 0, ...text("slide"), 0, 1, ...text("slideRun"), 0, 2]),
  ...section(10, [3, ...[productBody, slideBody, slideRunBody].flatMap((body) => [...uleb(body.length), ...body])]),
]);

/** This thread's instance; its memory grows to the largest call's layout, and clearCaches drops it. */
let kernels: BandKernels | null | undefined;
onClearCaches(() => {
  kernels = undefined;
});

const loadKernels = (): BandKernels | null => {
  if (kernels === undefined) kernels = instantiateIfSupported(MODULE, "cqt.bandProduct") as BandKernels | null;
  return kernels;
};

/**
 * What the products give per row k: the complex value times the row's scale
 * (`out[2 k], out[2 k + 1]`), or its magnitude times the scale (`out[k]`),
 * `sqrt(re * re + im * im) * scale`, optionally rounded to float32.
 */
export type BandOutput = "complex" | "magnitude" | "magnitude32";

const MODES: Record<BandOutput, number> = { complex: 0, magnitude: 1, magnitude32: 2 };

/** Values per row of an output. */
export const valuesPerRow = (output: BandOutput): number => (output === "complex" ? 2 : 1);

/** Row values of a basis against spectra (see {@link BandOutput}). */
export interface BandProduct {
  /** The spectrum's interleaved bins start at `spectrum[offset]` (default 0); the values go to `out` from `outOffset` (default 0). */
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
   * The row values (as {@link BandProduct.apply}) of `frames` frames, the
   * current one (starting at `signal[start]`) and the next ones a hop apart,
   * to `out` from `outOffset`, one frame after the other; the state ends at the last.
   */
  run(signal: Float64Array, start: number, frames: number, out: Float64Array, outOffset: number): void;
}

/**
 * What one basis needs: its rows and their scales, and for a sliding DFT its
 * hop (a multiple of 4; 0: none), FFT length and the most frames one run may have.
 */
export interface BandSpec {
  basis: BandRows;
  /** Per row; null: 1. */
  rowScale: Float64Array | null;
  hop: number;
  nFft: number;
  maxFrames: number;
}

/** The FFT bins [lo, hi) a basis reads. */
export const binRange = (basis: BandRows): [number, number] => {
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
  const key = `${lo} ${hi} ${hop} ${nFft}`;
  return tableCache.getOrCreate(key, () => makeSlideTables(lo, hi, hop, nFft));
};

/** This thread's sliding tables by (lo, hi, hop, nFft): each chunk of frames of each call needs the same few. */
const tableCache = new BoundedCache<string, { twiddles: Float64Array; rotations: Float64Array }>(4 * 2 ** 20);

const makeSlideTables = (lo: number, hi: number, hop: number, nFft: number): { twiddles: Float64Array; rotations: Float64Array } => {
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

/**
 * Row values of `basis` with the bins at `spectrum[offset + 2 * (f - lo)]`,
 * as the vector kernel forms them: per row the sums of x * br and x * bi
 * apart, each over the even and the odd entries apart and then added, then
 * (Σ xr br - Σ xi bi, Σ xi br + Σ xr bi), then the output.
 */
const scalarRows = (
  basis: BandRows,
  lo: number,
  rowScale: Float64Array | null,
  output: BandOutput,
  spectrum: Float64Array,
  offset: number,
  out: Float64Array,
  outOffset: number,
): void => {
  const { rows, first, width, offset: rowOffset, coef } = basis;
  for (let k = 0; k < rows; k++) {
    // Σ xr br, Σ xi br, Σ xr bi, Σ xi bi over the even entries (a*, b*) and the odd ones (c*, d*).
    let aRe = 0;
    let aIm = 0;
    let bRe = 0;
    let bIm = 0;
    let cRe = 0;
    let cIm = 0;
    let dRe = 0;
    let dIm = 0;
    let j = offset + 2 * (first[k]! - lo);
    let e = 2 * rowOffset[k]!;
    const end = e + 2 * width[k]!;
    for (; e < end; e += 4, j += 4) {
      const br = coef[e]!;
      const bi = coef[e + 1]!;
      const xr = spectrum[j]!;
      const xi = spectrum[j + 1]!;
      aRe += xr * br;
      aIm += xi * br;
      bRe += xr * bi;
      bIm += xi * bi;
      if (e + 2 >= end) break;
      const br1 = coef[e + 2]!;
      const bi1 = coef[e + 3]!;
      const xr1 = spectrum[j + 2]!;
      const xi1 = spectrum[j + 3]!;
      cRe += xr1 * br1;
      cIm += xi1 * br1;
      dRe += xr1 * bi1;
      dIm += xi1 * bi1;
    }
    aRe += cRe;
    aIm += cIm;
    bRe += dRe;
    bIm += dIm;
    const re = aRe + -bIm;
    const im = aIm + bRe;
    const scale = rowScale === null ? 1 : rowScale[k]!;
    if (output === "complex") {
      out[outOffset + 2 * k] = re * scale;
      out[outOffset + 2 * k + 1] = im * scale;
    } else {
      const v = Math.sqrt(re * re + im * im) * scale;
      out[outOffset + k] = output === "magnitude32" ? Math.fround(v) : v;
    }
  }
};

/** The scalar product (same sums, same order as the vector kernel); complex output with unit scales by default. */
export const scalarBandProduct = (basis: BandRows, rowScale: Float64Array | null = null, output: BandOutput = "complex"): BandProduct => ({
  apply(spectrum: Float64Array, out: Float64Array, offset = 0, outOffset = 0): void {
    scalarRows(basis, 0, rowScale, output, spectrum, offset, out, outOffset);
  },
});

/** The scalar sliding DFT (same operations, same order as the vector kernel). */
export const scalarSlidingBand = (spec: BandSpec, output: BandOutput = "complex"): SlidingBand => {
  const { basis, hop, nFft, rowScale } = spec;
  const [lo, hi] = binRange(basis);
  const bins = hi - lo;
  const { twiddles, rotations } = slideTables(lo, hi, hop, nFft);
  const state = new Float64Array(2 * bins);
  const diffs = new Float64Array(hop);
  const step = valuesPerRow(output) * basis.rows;
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
        scalarRows(basis, lo, rowScale, output, state, 0, out, outOffset + step * i);
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
 * The products with each basis on this thread, giving `output`, and for each
 * spec with a hop, `channels` sliding DFTs. Lays everything out in the
 * thread's kernel memory: the returned objects are valid until the next call.
 */
export const createBandKernels = (specs: BandSpec[], channels: number, output: BandOutput): BandKernelSet => {
  const wasm = loadKernels();
  if (wasm === null) {
    return {
      products: specs.map((s) => scalarBandProduct(s.basis, s.rowScale, output)),
      sliding: specs.map((s) => (s.hop > 0 ? Array.from({ length: channels }, () => scalarSlidingBand(s, output)) : [])),
    };
  }
  const mode = MODES[output];
  const perRow = valuesPerRow(output);
  // Per basis: row table (12 bytes a row), spectrum bins [lo, hi), coefficient pairs, row scales, row values;
  // with a hop: twiddles, rotations, differences, the values of a run, and per channel a state and its row table.
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
    const scaleAt = coefAt + 16 * coef.length;
    const outAt = scaleAt + align(8 * rows);
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
    layouts.push({ spec, lo, hi, tableAt, specAt, coefAt, scaleAt, outAt, slide });
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
  for (const { spec, lo, hi, tableAt, specAt, coefAt, scaleAt, outAt, slide } of layouts) {
    const { basis } = spec;
    const { rows, coef } = basis;
    writeTable(basis, lo, tableAt, specAt, coefAt);
    for (let e = 0; e < coef.length / 2; e++) {
      const br = coef[2 * e]!;
      const bi = coef[2 * e + 1]!;
      const at = (coefAt + 32 * e) / 8;
      heap[at] = br;
      heap[at + 1] = br;
      heap[at + 2] = bi;
      heap[at + 3] = bi;
    }
    if (spec.rowScale === null) heap.fill(1, scaleAt / 8, scaleAt / 8 + rows);
    else heap.set(spec.rowScale.subarray(0, rows), scaleAt / 8);
    const values = heap.subarray(outAt / 8, outAt / 8 + perRow * rows);
    const specIndex = specAt / 8;
    products.push({
      apply(spectrum: Float64Array, out: Float64Array, offset = 0, outOffset = 0): void {
        heap.set(spectrum.subarray(offset + 2 * lo, offset + 2 * hi), specIndex);
        wasm.bandProduct(tableAt, rows, outAt, scaleAt, mode);
        out.set(values, outOffset);
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
    const runOutIndex = slide.runOutAt / 8;
    const step = perRow * rows;
    sliding.push(
      slide.states.map(({ stateTableAt, stateAt }) => {
        writeTable(basis, lo, stateTableAt, stateAt, coefAt);
        const stateIndex = stateAt / 8;
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
            wasm.slideRun(stateAt, slide.diffAt, slide.twiddleAt, slide.rotationAt, bins, hop, frames, stateTableAt, rows, slide.runOutAt, scaleAt, mode, 8 * step);
            out.set(heap.subarray(runOutIndex, runOutIndex + step * frames), outOffset);
          },
        };
      }),
    );
  }
  return { products, sliding };
};

/** Complex products with unit scales of each of `bases` on this thread (valid until the next call of this or {@link createBandKernels}). */
export const createBandProducts = (bases: BandRows[]): BandProduct[] =>
  createBandKernels(bases.map((basis) => ({ basis, rowScale: null, hop: 0, nFft: 0, maxFrames: 0 })), 1, "complex").products;
