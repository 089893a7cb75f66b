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
 * - the same product for two frames at once in float32, from the pair
 *   spectrum the float32 pair transform leaves (re_a, im_a, re_b, im_b per
 *   bin, so one f32x4 multiply-add serves both frames): a float32 signal's
 *   transformed octaves, as librosa's complex64 product (a scipy sparse basis
 *   of complex64 times a complex64 STFT) sums in float32. No scalar twin:
 *   without SIMD there is no pair transform, and the float64 path runs;
 * - a sliding DFT of the bins the basis reads, for octaves whose hop is
 *   small against the FFT length (the low octaves: hop 8..32 for n_fft 1024):
 *   with W = e^{-2πi/N}, the frame starting h samples later has
 *   `X'[f] = W^{-fh} (X[f] + Σ_{j<h} (x[s+N+j] - x[s+j]) W^{fj})`, about
 *   (h + 1) complex multiply-adds per bin instead of a whole FFT per frame.
 *   The sum runs in j order, one f64x2 multiply and add per term (wasm SIMD
 *   has no fused multiply-add, so the scalar twin rounds the same).
 *
 * Written with util/wasm.ts's instructions; each thread instantiates it once
 * over its kernel memory and lays the bases out in the "cqt" region per call
 * of {@link createBandKernels}.
 */
import { unitRoot } from "../fft/unitRoot.js";
import type { BandRows } from "./bands.js";
import { BoundedCache } from "../util/boundedCache.js";
import { onClearCaches } from "../util/clearCaches.js";
import type { FloatArray } from "../util/alloc.js";
import { kernelMemory, type KernelMemory } from "../util/kernelMemory.js";
import {
  BLOCK, BR, BR_IF, CALL, ELSE, END, F32_DEMOTE_F64, F32X4_ADD, F32X4_MUL, F64, F64_ADD, F64_LOAD, F64_MUL, F64_PROMOTE_F32, F64_SQRT, F64_STORE, F64X2_ADD,
  F64X2_EXTRACT_LANE, F64X2_MUL, F64X2_PROMOTE_LOW_F32X4, F64X2_SPLAT, I32, I32_ADD, I32_EQ, I32_EQZ, I32_GE_U, I32_LOAD, I32_LT_U, I32_SHL, I32_SUB, I8X16_SHUFFLE, IF, LOOP, V128, V128_CONST, V128_LOAD,
  V128_STORE, V128_XOR, V128_ZERO, addConst, addLocal, declare, func, get, i32, set,
} from "../util/wasm.js";
import { kernelModule } from "../util/kernelModules.js";

interface BandKernels {
  /** Rows of the table at `table` (per row: spectrum address, coefficient address, band bytes), values to `out` (see BandOutput; mode 0, 1, 2). */
  bandProduct(table: number, rows: number, out: number, scale: number, mode: number): void;
  /**
   * Rows of the table at `table` (per row: byte offset of its first bin from `spectrum`, float32 coefficient
   * address, band bytes) against two frames' float32 spectra interleaved per bin (re_a, im_a, re_b, im_b, as
   * the pair transform leaves them at `spectrum`), in float32; values of frame a to `outA`, of frame b to `outB`.
   */
  pairProduct(table: number, rows: number, spectrum: number, outA: number, outB: number, scale: number, mode: number): void;
  /** One hop of the sliding DFT of `bins` values at `state` (see the file comment); hop a multiple of 4. */
  slide(state: number, diffs: number, twiddles: number, rotations: number, bins: number, hop: number): void;
  /** `frames` products of the state (rows with the table at `table`) to `out`, sliding between them by the hop differences at `diffs`. */
  slideRun(state: number, diffs: number, twiddles: number, rotations: number, bins: number, hop: number, frames: number, table: number, rows: number, out: number, scale: number, mode: number, outStep: number): void;
}

/** (im, re) of a complex value. */
const SWAP_LANES = I8X16_SHUFFLE([8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7]);
/** The sign bit of lane 0: xor negates the real part. */
const SIGN_LOW = V128_CONST([0, 0, 0, 0, 0, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0, 0]);
const decrement = (local: string): number[] => [...get(local), ...i32(1), ...I32_SUB, ...set(local)];

/**
 * Entry i (0 or 1) after the spectrum pointer p and coefficient pointer c, into the accumulators of its
 * parity: accA += x * (coefficients at c), accB += x * (those at c + 16), with the vector `mul` and `add`.
 */
const bandEntry = (mul: readonly number[], add: readonly number[]) => (i: number): number[] => {
  const [accA, accB] = i === 0 ? ["accA", "accB"] : ["accA2", "accB2"];
  return [
    ...get("p"), ...V128_LOAD(16 * i), ...set("x"),
    ...get(accA), ...get("x"), ...get("c"), ...V128_LOAD(32 * i), ...mul, ...add, ...set(accA),
    ...get(accB), ...get("x"), ...get("c"), ...V128_LOAD(32 * i + 16), ...mul, ...add, ...set(accB),
  ];
};

/**
 * The start of both products' loop over rows (left open: BLOCK, LOOP), ending when `rows` is 0: p, c and
 * end from the row's table entry, p offset by local `base` when given.
 */
const rowStart = (base: string | null): number[] => [
  ...BLOCK, // all rows done
  ...LOOP, // over rows
  ...get("rows"), ...I32_EQZ, ...BR_IF(1),
  ...(base === null ? [] : get(base)), ...get("table"), ...I32_LOAD(0), ...(base === null ? [] : I32_ADD), ...set("p"),
  ...get("table"), ...I32_LOAD(4), ...set("c"),
  ...get("p"), ...get("table"), ...I32_LOAD(8), ...I32_ADD, ...set("end"),
];

/** Closes {@link rowStart}'s loop: the next row's scale and table entry. */
const rowEnd = (): number[] => [
  ...addConst("scale", 8),
  ...addConst("table", 12),
  ...decrement("rows"),
  ...BR(0),
  ...END,
  ...END,
];

/**
 * The band loop of both products: the four accumulators zeroed, then `entry(0)` and `entry(1)` for each
 * pair of entries from the spectrum pointer p to `end` (p += 32, c += 64), then the odd last entry
 * (locals p, c, end and accA, accB, accA2, accB2 of the function).
 */
const bandSums = (entry: (i: number) => number[]): number[] => [
  ...V128_ZERO, ...set("accA"),
  ...V128_ZERO, ...set("accB"),
  ...V128_ZERO, ...set("accA2"),
  ...V128_ZERO, ...set("accB2"),
  ...BLOCK, // pairs done
  ...LOOP, // over the band, two entries at a time (same order of additions)
  ...get("p"), ...i32(16), ...I32_ADD, ...get("end"), ...I32_GE_U, ...BR_IF(1),
  ...entry(0),
  ...entry(1),
  ...addConst("p", 32),
  ...addConst("c", 64),
  ...BR(0),
  ...END,
  ...END,
  ...get("p"), ...get("end"), ...I32_LT_U,
  ...IF, // the last entry of an odd band
  ...entry(0),
  ...END,
];

/**
 * A row's value (f64x2 re, im in local `value`) to local address `out` as BandOutput's mode says
 * (magnitude, rounded or not, or the complex value, times the row's scale at `scale`); advances `out`.
 * Uses locals x (v128) and m (f64).
 */
const emitRow = (value: string, out: string): number[] => [
  ...get("mode"),
  ...IF, // mode != 0: a magnitude
  ...get(value), ...get(value), ...F64X2_MUL, ...set("x"),
  ...get("x"), ...F64X2_EXTRACT_LANE(0), ...get("x"), ...F64X2_EXTRACT_LANE(1), ...F64_ADD, ...F64_SQRT,
  ...get("scale"), ...F64_LOAD(0), ...F64_MUL, ...set("m"),
  ...get("mode"), ...i32(2), ...I32_EQ,
  ...IF, // mode == 2: rounded to float32
  ...get("m"), ...F32_DEMOTE_F64, ...F64_PROMOTE_F32, ...set("m"),
  ...END,
  ...get(out), ...get("m"), ...F64_STORE(0),
  ...addConst(out, 8),
  ...ELSE, // the complex value times the scale
  ...get(out), ...get(value), ...get("scale"), ...F64_LOAD(0), ...F64X2_SPLAT, ...F64X2_MUL, ...V128_STORE(0),
  ...addConst(out, 16),
  ...END,
];

/**
 * The rows of a table (per row: spectrum address, coefficient address, band
 * bytes, 12 bytes), each row's value to `out` (see BandOutput; mode 0, 1, 2)
 * with its scale (a float64 per row at `scale`). Per entry accA += x * (br, br),
 * accB += x * (bi, bi), even entries into accA, accB and odd ones into accA2,
 * accB2 (two independent chains of additions); per row accA += accA2,
 * accB += accB2, r = accA + (-accB.im, accB.re).
 */
const bandProduct = func("bandProduct", [["table", I32], ["rows", I32], ["out", I32], ["scale", I32], ["mode", I32]], () => {
  declare({ p: I32, c: I32, end: I32 });
  declare({ accA: V128, accB: V128, x: V128, r: V128 });
  declare({ m: F64 });
  declare({ accA2: V128, accB2: V128 });
  return [
    ...rowStart(null),
    ...bandSums(bandEntry(F64X2_MUL, F64X2_ADD)),
    ...get("accA"), ...get("accA2"), ...F64X2_ADD, ...set("accA"),
    ...get("accB"), ...get("accB2"), ...F64X2_ADD, ...set("accB"),
    ...get("accA"), ...get("accB"), ...get("accB"), ...SWAP_LANES, ...SIGN_LOW, ...V128_XOR, ...F64X2_ADD, ...set("r"),
    ...emitRow("r", "out"),
    ...rowEnd(),
  ];
});

/** (im, re) of both complex values of a float32 pair. */
const SWAP_PAIRS32 = I8X16_SHUFFLE([4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11]);
/** The sign bits of lanes 0 and 2: xor negates both real parts. */
const SIGN_REALS32 = V128_CONST([0, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0, 0x80, 0, 0, 0, 0]);
/** Lanes 2 and 3 moved to 0 and 1 (frame b's value, for the promotion). */
const HIGH_PAIR32 = I8X16_SHUFFLE([8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15]);

/**
 * `bandProduct` for two frames at once in float32 (librosa's complex64 product): per entry
 * x = (re_a, im_a, re_b, im_b) at bin f, accA += x * (br, br, br, br), accB += x * (bi, bi, bi, bi), even
 * entries into accA, accB and odd ones into accA2, accB2; per row accA += accA2, accB += accB2,
 * r = accA + (-accB.im, accB.re) per frame; each frame's (re, im) promoted to float64 and output as
 * `bandProduct` does (times the row's scale, or the magnitude times the scale).
 */
const pairProduct = func(
  "pairProduct",
  [["table", I32], ["rows", I32], ["spectrum", I32], ["outA", I32], ["outB", I32], ["scale", I32], ["mode", I32]],
  () => {
    declare({ p: I32, c: I32, end: I32 });
    declare({ accA: V128, accB: V128, accA2: V128, accB2: V128, x: V128, r: V128, v: V128 });
    declare({ m: F64 });
    return [
      ...rowStart("spectrum"),
      ...bandSums(bandEntry(F32X4_MUL, F32X4_ADD)),
      ...get("accA"), ...get("accA2"), ...F32X4_ADD, ...set("accA"),
      ...get("accB"), ...get("accB2"), ...F32X4_ADD, ...set("accB"),
      ...get("accA"), ...get("accB"), ...get("accB"), ...SWAP_PAIRS32, ...SIGN_REALS32, ...V128_XOR, ...F32X4_ADD, ...set("r"),
      ...get("r"), ...F64X2_PROMOTE_LOW_F32X4, ...set("v"),
      ...emitRow("v", "outA"),
      ...get("r"), ...get("r"), ...HIGH_PAIR32, ...F64X2_PROMOTE_LOW_F32X4, ...set("v"),
      ...emitRow("v", "outB"),
      ...rowEnd(),
    ];
  },
);

/**
 * One hop of the sliding DFT (hop a multiple of 4). Terms in blocks of 4 j's:
 * per block, every bin's state gets its 4 terms in j order (twiddles laid out
 * block, bin, j); then the rotation state = acc * (rr, rr) + swap(acc) * (-ri, ri).
 */
const slide = func("slide", [["state", I32], ["diffs", I32], ["twiddles", I32], ["rotations", I32], ["bins", I32], ["hop", I32]], () => {
  declare({ j: I32, f: I32, s: I32, t: I32 });
  declare({ d0: V128, d1: V128, d2: V128, d3: V128 });
  declare({ acc: V128 });
  const termBlock = (k: number): number[] => [...get("acc"), ...get(`d${k}`), ...get("t"), ...V128_LOAD(16 * k), ...F64X2_MUL, ...F64X2_ADD, ...set("acc")];
  return [
    ...get("twiddles"), ...set("t"),
    ...get("hop"), ...set("j"),
    ...BLOCK, // all terms done
    ...LOOP, // over blocks of 4 j's
    ...get("j"), ...I32_EQZ, ...BR_IF(1),
    ...[0, 1, 2, 3].flatMap((k) => [...get("diffs"), ...F64_LOAD(8 * k), ...F64X2_SPLAT, ...set(`d${k}`)]),
    ...get("state"), ...set("s"),
    ...get("bins"), ...set("f"),
    ...BLOCK, // bins done
    ...LOOP, // over bins
    ...get("f"), ...I32_EQZ, ...BR_IF(1),
    ...get("s"), ...V128_LOAD(0), ...set("acc"),
    ...termBlock(0), ...termBlock(1), ...termBlock(2), ...termBlock(3),
    ...get("s"), ...get("acc"), ...V128_STORE(0),
    ...addConst("s", 16),
    ...addConst("t", 64),
    ...decrement("f"),
    ...BR(0),
    ...END,
    ...END,
    ...addConst("diffs", 32),
    ...get("j"), ...i32(4), ...I32_SUB, ...set("j"),
    ...BR(0),
    ...END,
    ...END,
    ...get("state"), ...set("s"),
    ...BLOCK,
    ...LOOP,
    ...get("bins"), ...I32_EQZ, ...BR_IF(1),
    ...get("s"), ...V128_LOAD(0), ...set("acc"),
    ...get("s"),
    ...get("acc"), ...get("rotations"), ...V128_LOAD(0), ...F64X2_MUL,
    ...get("acc"), ...get("acc"), ...SWAP_LANES, ...get("rotations"), ...V128_LOAD(16), ...F64X2_MUL,
    ...F64X2_ADD, ...V128_STORE(0),
    ...addConst("s", 16),
    ...addConst("rotations", 32),
    ...decrement("bins"),
    ...BR(0),
    ...END,
    ...END,
  ];
});

/** Per frame: the product of the state (function 0), then (but after the last) one slide (function 1); `outStep`: bytes a frame. */
const slideRun = func(
  "slideRun",
  [["state", I32], ["diffs", I32], ["twiddles", I32], ["rotations", I32], ["bins", I32], ["hop", I32], ["frames", I32], ["table", I32], ["rows", I32], ["out", I32], ["scale", I32], ["mode", I32], ["outStep", I32]],
  () => [
    ...BLOCK,
    ...LOOP,
    ...get("frames"), ...I32_EQZ, ...BR_IF(1),
    ...get("table"), ...get("rows"), ...get("out"), ...get("scale"), ...get("mode"), ...CALL(0),
    ...addLocal("out", "outStep"),
    ...decrement("frames"),
    ...get("frames"), ...I32_EQZ, ...BR_IF(1),
    ...get("state"), ...get("diffs"), ...get("twiddles"), ...get("rotations"), ...get("bins"), ...get("hop"), ...CALL(1),
    ...get("diffs"), ...get("hop"), ...i32(3), ...I32_SHL, ...I32_ADD, ...set("diffs"),
    ...BR(0),
    ...END,
    ...END,
  ],
);

const MODULE = kernelModule("bandProduct", [bandProduct, slide, slideRun, pairProduct]);

/** This thread's kernel memory and the kernels over it, or null without WebAssembly SIMD. */
const loadKernels = (): { km: KernelMemory; wasm: BandKernels } | null => {
  const km = kernelMemory();
  const wasm = km?.instance<BandKernels>(MODULE) ?? null;
  return km === null || wasm === null ? null : { km, wasm };
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
  /**
   * The row values of two frames at once in float32 (librosa's complex64 product): their spectra as
   * the float32 pair transform leaves them at kernel-memory index `pair` (bin f at `pair + 2 f`: re_a,
   * im_a, re_b, im_b as float32); frame a's values to `out` from `outA`, frame b's from `outB` (-1: not
   * wanted). Only with WebAssembly SIMD (where the pair transform exists).
   */
  applyPair?(pair: number, out: Float64Array, outA: number, outB: number): void;
  /** As `apply`, the values written straight to kernel-memory byte address `address` (WebAssembly kernels only). */
  applyAt?(spectrum: Float64Array, offset: number, address: number): void;
  /** As `applyPair`, the values written straight to kernel-memory byte addresses `addressA` and `addressB` (-1: not wanted). */
  applyPairAt?(pair: number, addressA: number, addressB: number): void;
}

/**
 * A sliding DFT of the bins a basis reads, for one channel, and the basis
 * product with it. Frames must be `hop` samples apart in one signal.
 */
export interface SlidingBand {
  /** Takes the bins of an FFT (interleaved from `spectrum[offset]`) as the current frame. */
  anchor(spectrum: Float64Array, offset: number): void;
  /** Moves the current frame, which starts at `signal[start]`, one hop on. */
  slide(signal: FloatArray, start: number): void;
  /**
   * The row values (as {@link BandProduct.apply}) of `frames` frames, the
   * current one (starting at `signal[start]`) and the next ones a hop apart,
   * to `out` from `outOffset`, one frame after the other; the state ends at the last.
   */
  run(signal: FloatArray, start: number, frames: number, out: Float64Array, outOffset: number): void;
  /** As `run`, frame i's values written straight to kernel-memory byte address `address + i * frameBytes` (WebAssembly kernels only). */
  runAt?(signal: FloatArray, start: number, frames: number, address: number, frameBytes: number): void;
}

/**
 * What one basis needs: its rows and their scales, and for a sliding DFT its
 * hop (a multiple of 4; 0: none), FFT length and the most frames one run may have.
 */
interface BandSpec {
  basis: BandRows;
  /** Per row; null: 1. */
  rowScale: Float64Array | null;
  hop: number;
  nFft: number;
  maxFrames: number;
  /** Lay out the float32 pair product too ({@link BandProduct.applyPair}): a float32 plan's transformed octave. */
  pairs?: boolean;
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
  const slide = (signal: FloatArray, start: number): void => {
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
    run(signal: FloatArray, start: number, frames: number, out: Float64Array, outOffset: number): void {
      for (let i = 0; i < frames; i++) {
        if (i > 0) slide(signal, start + (i - 1) * hop);
        scalarRows(basis, lo, rowScale, output, state, 0, out, outOffset + step * i);
      }
    },
  };
};

/** Per basis: its product, and one sliding DFT per channel when it has a hop. */
interface BandKernelSet {
  products: BandProduct[];
  sliding: SlidingBand[][];
}

/**
 * The products with each basis on this thread, giving `output`, and for each
 * spec with a hop, `channels` sliding DFTs. Lays everything out in the
 * thread's kernel memory: the returned objects are valid until the next call.
 */
export const createBandKernels = (specs: BandSpec[], channels: number, output: BandOutput): BandKernelSet => {
  const kernels = loadKernels();
  if (kernels === null) {
    return {
      products: specs.map((s) => scalarBandProduct(s.basis, s.rowScale, output)),
      sliding: specs.map((s) => (s.hop > 0 ? Array.from({ length: channels }, () => scalarSlidingBand(s, output)) : [])),
    };
  }
  const { km, wasm } = kernels;
  const mode = MODES[output];
  const perRow = valuesPerRow(output);
  // Per basis: row table (12 bytes a row), spectrum bins [lo, hi), coefficient pairs, row scales, row values;
  // with a hop: twiddles, rotations, differences, the values of a run, and per channel a state and its row table.
  const align = (bytes: number): number => Math.ceil(bytes / 16) * 16;
  /** The byte addresses of everything, from `start`; and where they end. */
  const layOut = (start: number) => {
    const layouts = [];
    let top = start;
    for (const spec of specs) {
      const { rows, coef } = spec.basis;
      const [lo, hi] = binRange(spec.basis);
      const bins = hi - lo;
      const tableAt = top;
      const specAt = tableAt + align(12 * rows);
      const coefAt = specAt + 16 * bins;
      const scaleAt = coefAt + 16 * coef.length;
      const outAt = scaleAt + align(8 * rows);
      // With pairs: the pair product's row table, float32 coefficients (32 bytes an entry) and frame b's values.
      const pairTableAt = outAt + 16 * rows;
      const coef32At = pairTableAt + align(12 * rows);
      const outBAt = coef32At + 16 * coef.length;
      top = spec.pairs === true ? outBAt + 16 * rows : pairTableAt;
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
      layouts.push({ spec, lo, hi, tableAt, specAt, coefAt, scaleAt, outAt, pairTableAt, coef32At, outBAt, slide });
    }
    return { layouts, end: top };
  };
  // One area of the "cqt" region, as large as the largest call's layout: this call's layout replaces the last one's.
  const areaAt = km.area("cqt", "bands", layOut(0).end);
  // The chunks of one run each make an engine over the same plan: the layout they would write is already there.
  const last = lastLayout;
  if (last !== null && last.km === km && last.at === areaAt && last.channels === channels && last.output === output && sameSpecs(last.specs, specs)) return last.set;
  const { layouts } = layOut(areaAt);
  // Nothing below reserves memory, so these views stay valid until the products run; those read km.f64 afresh
  // (other kernels, e.g. an FFT of a new size, may grow the memory between two products).
  const heap = km.f64;
  const products: BandProduct[] = [];
  const sliding: SlidingBand[][] = [];
  for (const { spec, lo, hi, tableAt, specAt, coefAt, scaleAt, outAt, pairTableAt, coef32At, outBAt, slide } of layouts) {
    const { basis } = spec;
    const { rows, coef } = basis;
    const pairs = spec.pairs === true;
    writeRowTable(km.i32, basis, lo, tableAt, specAt, coefAt);
    // Offsets from the pair spectrum's bin 0 (16 bytes a bin).
    if (pairs) writeRowTable(km.i32, basis, 0, pairTableAt, 0, coef32At);
    writeCoefficients(coef, heap, coefAt, pairs ? km.f32 : null, coef32At);
    if (spec.rowScale === null) heap.fill(1, scaleAt / 8, scaleAt / 8 + rows);
    else heap.set(spec.rowScale.subarray(0, rows), scaleAt / 8);
    const specIndex = specAt / 8;
    const outIndex = outAt / 8;
    // The row values' view, made again only after the memory grew (a view per frame would cost more than the product).
    const outBIndex = outBAt / 8;
    let memory = km.f64;
    let values = memory.subarray(outIndex, outIndex + perRow * rows);
    let valuesB = pairs ? memory.subarray(outBIndex, outBIndex + perRow * rows) : values;
    const refresh = (): void => {
      memory = km.f64;
      values = memory.subarray(outIndex, outIndex + perRow * rows);
      valuesB = pairs ? memory.subarray(outBIndex, outBIndex + perRow * rows) : values;
    };
    const applyAt = (spectrum: Float64Array, offset: number, address: number): void => {
      km.f64.set(spectrum.subarray(offset + 2 * lo, offset + 2 * hi), specIndex);
      wasm.bandProduct(tableAt, rows, address, scaleAt, mode);
    };
    const product: BandProduct = {
      apply(spectrum: Float64Array, out: Float64Array, offset = 0, outOffset = 0): void {
        applyAt(spectrum, offset, outAt);
        if (km.f64 !== memory) refresh();
        out.set(values, outOffset);
      },
      applyAt,
    };
    if (pairs) {
      const applyPairAt = (pair: number, addressA: number, addressB: number): void => {
        wasm.pairProduct(pairTableAt, rows, 8 * pair, addressA, addressB >= 0 ? addressB : outBAt, scaleAt, mode);
      };
      product.applyPairAt = applyPairAt;
      product.applyPair = (pair: number, out: Float64Array, outA: number, outB: number): void => {
        applyPairAt(pair, outAt, outBAt);
        if (km.f64 !== memory) refresh();
        out.set(values, outA);
        if (outB >= 0) out.set(valuesB, outB);
      };
    }
    products.push(product);
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
        writeRowTable(km.i32, basis, lo, stateTableAt, stateAt, coefAt);
        const stateIndex = stateAt / 8;
        const runAt = (signal: FloatArray, start: number, frames: number, address: number, frameBytes: number): void => {
          const memory = km.f64;
          const count = (frames - 1) * hop;
          for (let i = 0; i < count; i++) memory[diffIndex + i] = signal[start + nFft + i]! - signal[start + i]!;
          wasm.slideRun(stateAt, slide.diffAt, slide.twiddleAt, slide.rotationAt, bins, hop, frames, stateTableAt, rows, address, scaleAt, mode, frameBytes);
        };
        return {
          anchor(spectrum: Float64Array, offset: number): void {
            km.f64.set(spectrum.subarray(offset + 2 * lo, offset + 2 * hi), stateIndex);
          },
          slide(signal: FloatArray, start: number): void {
            const memory = km.f64;
            for (let j = 0; j < hop; j++) memory[diffIndex + j] = signal[start + nFft + j]! - signal[start + j]!;
            wasm.slide(stateAt, slide.diffAt, slide.twiddleAt, slide.rotationAt, bins, hop);
          },
          run(signal: FloatArray, start: number, frames: number, out: Float64Array, outOffset: number): void {
            runAt(signal, start, frames, slide.runOutAt, 8 * step);
            out.set(km.f64.subarray(runOutIndex, runOutIndex + step * frames), outOffset);
          },
          runAt,
        };
      }),
    );
  }
  lastLayout = { km, at: areaAt, specs, channels, output, set: { products, sliding } };
  return lastLayout.set;
};

// createBandKernels' loops over rows and coefficients are functions of their own: loops in that long function
// made it hot only around a fresh server's sixth call of a 180 s cqt, whose TurboFan compilations (35-44 ms on
// each worker) then took the cores from the calls bench.py times.

/** A basis's row table at byte `tableAt` of `table`'s memory: per row its bins' address (from bin `lo` at `binsAt`), its coefficients' address and bytes. */
const writeRowTable = (table: Int32Array, basis: BandRows, lo: number, tableAt: number, binsAt: number, coefAt: number): void => {
  const at = tableAt / 4;
  for (let k = 0; k < basis.rows; k++) {
    table[at + 3 * k] = binsAt + 16 * (basis.first[k]! - lo);
    table[at + 3 * k + 1] = coefAt + 32 * basis.offset[k]!;
    table[at + 3 * k + 2] = 16 * basis.width[k]!;
  }
};

/** Each coefficient (re, im) as (re, re, im, im) at byte `coefAt` of `heap`'s memory; and as float32 at `coef32At` of `heap32`'s when given (the pair product's). */
const writeCoefficients = (coef: Float64Array, heap: Float64Array, coefAt: number, heap32: Float32Array | null, coef32At: number): void => {
  for (let e = 0; e < coef.length / 2; e++) {
    const br = coef[2 * e]!;
    const bi = coef[2 * e + 1]!;
    const at = (coefAt + 32 * e) / 8;
    heap[at] = br;
    heap[at + 1] = br;
    heap[at + 2] = bi;
    heap[at + 3] = bi;
    if (heap32 === null) continue;
    const at32 = (coef32At + 32 * e) / 4;
    heap32[at32] = heap32[at32 + 1] = heap32[at32 + 2] = heap32[at32 + 3] = br;
    heap32[at32 + 4] = heap32[at32 + 5] = heap32[at32 + 6] = heap32[at32 + 7] = bi;
  }
};

/** The last layout {@link createBandKernels} wrote on this thread (its bases, their tables and kernels over them). */
let lastLayout: { km: KernelMemory; at: number; specs: BandSpec[]; channels: number; output: BandOutput; set: BandKernelSet } | null = null;
// It holds the plan's bases: clear_caches lets them go.
onClearCaches(() => {
  lastLayout = null;
});

/** The same bases (the same objects: a run's chunks share its plan) with the same scales, hops and sizes. */
const sameSpecs = (a: BandSpec[], b: BandSpec[]): boolean =>
  a.length === b.length &&
  a.every((s, i) => {
    const t = b[i]!;
    return s.basis === t.basis && s.rowScale === t.rowScale && s.hop === t.hop && s.nFft === t.nFft && s.maxFrames === t.maxFrames && s.pairs === t.pairs;
  });

/** Complex products with unit scales of each of `bases` on this thread (valid until the next call of this or {@link createBandKernels}). */
export const createBandProducts = (bases: BandRows[]): BandProduct[] =>
  createBandKernels(bases.map((basis) => ({ basis, rowScale: null, hop: 0, nFft: 0, maxFrames: 0 })), 1, "complex").products;
