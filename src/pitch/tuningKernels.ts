/**
 * The per-frame loops of the tuning estimate's STFT columns
 * (src/cqt/tuningColumns.ts) in WebAssembly SIMD, working in place in the
 * thread's kernel memory, beside the FFT's buffers (util/kernelMemory.ts): the
 * window product that fills the transform's input, and over the spectrum the
 * largest squared magnitude with the magnitudes of a bin range (one pass), and piptrack's
 * local-maximum test over them (the scalar loop's branches mispredict on
 * every bin near the threshold; the vector test has one branch per pair). Each f64x2
 * operation is the IEEE operation of the scalar loops they replace (wasm has
 * no fused multiply-add; `f32x4.demote_f64x2_zero` + `f64x2.promote_low_f32x4`
 * round to float32 as `Math.fround` does), so the values are bit-identical.
 *
 * Written with util/wasm.ts's instructions; each thread instantiates it once
 * over its kernel memory.
 */
import { kernelsOverMemory } from "../util/kernelMemory.js";
import {
  END, F64, F64_LT, F64X2_ADD, F64X2_EXTRACT_LANE, F64X2_GE, F64X2_GT, F64X2_MUL, F64X2_PMAX, F64X2_PROMOTE_LOW_F32X4, F64X2_SPLAT, F64X2_SQRT, I32, I32_ADD, I32_AND, I32_SHL, I32_STORE,
  I64X2_BITMASK, I8X16_SHUFFLE, IF, ROUND32, SELECT, V128, V128_AND, V128_LOAD, V128_LOAD64_ZERO, V128_STORE, addConst, countedLoop, f64, get, i32, locals, set, tee, type WasmFunction,
} from "../util/wasm.js";
import { kernelModule } from "../util/kernelModules.js";

/** Byte addresses in the kernel memory; counts as named. */
export interface TuningKernels {
  /** dst[k] = src[k] * win[k] for the `bytes / 8` float64 values (bytes a multiple of 32). */
  window(src: number, win: number, dst: number, bytes: number): void;
  /**
   * One pass over the bins f < 2 (head + body + tail) of the interleaved
   * spectrum at `spec`, re and im rounded to float32 first: returns the largest
   * re² + im² (-Infinity if none; NaN ignored), and writes the magnitudes
   * fround(sqrt(re² + im²)) of the 2 body bins after the 2 head bins to `out`.
   */
  column32(spec: number, head: number, body: number, tail: number, out: number): number;
  /** {@link column32} without the float32 rounding. */
  column64(spec: number, head: number, body: number, tail: number, out: number): number;
  /**
   * {@link column32} over one frame of a float32 pair spectrum (16 bytes a bin: re_a, im_a, re_b,
   * im_b): `spec` is the pair spectrum's address plus 8 for the second frame. The same values as
   * column32 over the frame's bins unpacked to float64.
   */
  columnPair(spec: number, head: number, body: number, tail: number, out: number): number;
  /**
   * piptrack's peak test over the 2 pairs float64 magnitudes from `x + 8`
   * (x: the bin before the first): the relative indices j of the local maxima
   * of `x * (x > ref)`, strictly above the bin before and at least the bin after,
   * as int32 to `out`, ascending; returns how many.
   */
  localMaxima(x: number, pairs: number, ref: number, out: number): number;
}

// F64X2_PMAX: pmax(a, b) = a < b ? b : a per lane, `if (b > a) a = b` of the scalar loops.
const EXTRACT = F64X2_EXTRACT_LANE;
const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);
/** (re0, im0), (re1, im1) -> (re0, re1) and -> (im0, im1). */
const REALS = I8X16_SHUFFLE([...range(0, 8), ...range(16, 8)]);
const IMAGS = I8X16_SHUFFLE([...range(8, 8), ...range(24, 8)]);

// window. Params: 0 src, 1 win, 2 dst, 3 bytes.
const windowBody = [
  ...locals(),
  ...countedLoop(3, 32, [
    ...get(2), ...get(0), ...V128_LOAD(0), ...get(1), ...V128_LOAD(0), ...F64X2_MUL, ...V128_STORE(0),
    ...get(2), ...get(0), ...V128_LOAD(16), ...get(1), ...V128_LOAD(16), ...F64X2_MUL, ...V128_STORE(16),
    ...addConst(0, 32),
    ...addConst(1, 32),
    ...addConst(2, 32),
  ]),
  ...END,
];

/** Loads bins (2 k, 2 k + 1) at local `spec` into locals `re`, `im` as (re0, re1), (im0, im1), rounded to float32 if `single` (`a`, `b`: scratch). */
const loadPair = (spec: number, re: number, im: number, a: number, b: number, single: boolean): number[] => [
  ...get(spec), ...V128_LOAD(0), ...tee(a), ...get(spec), ...V128_LOAD(16), ...tee(b), ...REALS, ...(single ? ROUND32 : []), ...set(re),
  ...get(a), ...get(b), ...IMAGS, ...(single ? ROUND32 : []), ...set(im),
];

/** (re0, im0, _, _), (re1, im1, _, _) as float32 -> (re0, re1, im0, im1). */
const LANE_PAIRS = I8X16_SHUFFLE([0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23]);
const HIGH_HALF = I8X16_SHUFFLE([...range(8, 8), ...range(8, 8)]);

/**
 * Loads bins (2 k, 2 k + 1) of one frame of a float32 pair spectrum (bin f's re, im at `spec + 16 f`)
 * into locals `re`, `im` as float64 (re0, re1), (im0, im1) (`a`: scratch).
 */
export const loadLanePair = (spec: number, re: number, im: number, a: number): number[] => [
  ...get(spec), ...V128_LOAD64_ZERO(0), ...get(spec), ...V128_LOAD64_ZERO(16), ...LANE_PAIRS, ...tee(a), ...F64X2_PROMOTE_LOW_F32X4, ...set(re),
  ...get(a), ...get(a), ...HIGH_HALF, ...F64X2_PROMOTE_LOW_F32X4, ...set(im),
];

/** re * re + im * im of locals re, im. */
const squares = (re: number, im: number): number[] => [...get(re), ...get(re), ...F64X2_MUL, ...get(im), ...get(im), ...F64X2_MUL, ...F64X2_ADD];

// column. Params: 0 spec, 1 head, 2 body, 3 tail, 4 out. Locals: 5 re, 6 im, 7 acc, 8 square, 9 a, 10 b.
// `pair`: a frame of a float32 pair spectrum (its values are float32: no rounding needed).
const columnBody = (single: boolean, pair = false): number[] => {
  const load = pair ? loadLanePair(0, 5, 6, 9) : loadPair(0, 5, 6, 9, 10, single);
  const maxOnly = [...load, ...get(7), ...squares(5, 6), ...F64X2_PMAX, ...set(7), ...addConst(0, 32)];
  return [
    ...locals([6, V128]),
    ...f64(-Infinity), ...F64X2_SPLAT, ...set(7),
    ...countedLoop(1, 1, maxOnly),
    ...countedLoop(2, 1, [
      ...load,
      ...get(7), ...squares(5, 6), ...tee(8), ...F64X2_PMAX, ...set(7),
      ...get(4), ...get(8), ...F64X2_SQRT, ...(single ? ROUND32 : []), ...V128_STORE(0),
      ...addConst(0, 32),
      ...addConst(4, 16),
    ]),
    ...countedLoop(3, 1, maxOnly),
    // lane0 < lane1 ? lane1 : lane0
    ...get(7), ...EXTRACT(1), ...get(7), ...EXTRACT(0), ...get(7), ...EXTRACT(0), ...get(7), ...EXTRACT(1), ...F64_LT, ...SELECT,
    ...END,
  ];
};

/** x * (x > ref) of the vector loaded at `offset` from local `x`, ref in local `ref`. */
const aboveRef = (x: number, offset: number, ref: number): number[] => [
  ...get(x), ...V128_LOAD(offset), ...get(x), ...V128_LOAD(offset), ...get(ref), ...F64X2_GT, ...V128_AND,
];

/** If bit `bit` of local `bits` is set: out[count++] = j + lane. */
const emitIf = (bits: number, bit: number, lane: number, out: number, j: number, count: number): number[] => [
  ...get(bits), ...i32(bit), ...I32_AND, ...IF,
  ...get(out), ...get(count), ...i32(2), ...I32_SHL, ...I32_ADD, ...get(j), ...(lane ? [...i32(lane), ...I32_ADD] : []), ...I32_STORE(0),
  ...addConst(count, 1),
  ...END,
];

// localMaxima. Params: 0 x, 1 pairs, 2 ref (f64), 3 out. Locals: 4 j, 5 count, 6 bits (i32); 7 refs, 8 z (v128).
const localMaximaBody = [
  ...locals([3, I32], [2, V128]),
  ...get(2), ...F64X2_SPLAT, ...set(7),
  ...countedLoop(1, 1, [
    ...aboveRef(0, 8, 7), ...set(8),
    ...get(8), ...aboveRef(0, 0, 7), ...F64X2_GT,
    ...get(8), ...aboveRef(0, 16, 7), ...F64X2_GE,
    ...V128_AND, ...I64X2_BITMASK, ...tee(6),
    ...IF,
    ...emitIf(6, 1, 0, 3, 4, 5),
    ...emitIf(6, 2, 1, 3, 4, 5),
    ...END,
    ...addConst(4, 2),
    ...addConst(0, 16),
  ]),
  ...get(5),
  ...END,
];

const COLUMN = { params: [I32, I32, I32, I32, I32], results: [F64] };
const functions: WasmFunction[] = [
  { name: "window", params: [I32, I32, I32, I32], results: [], body: windowBody },
  { name: "column32", ...COLUMN, body: columnBody(true) },
  { name: "column64", ...COLUMN, body: columnBody(false) },
  { name: "columnPair", ...COLUMN, body: columnBody(true, true) },
  { name: "localMaxima", params: [I32, I32, F64, I32], results: [I32], body: localMaximaBody },
];

const MODULE = kernelModule("tuning", functions);

/**
 * The kernels over `memory` (this thread's kernel memory, where the FFT
 * works), instantiated on first use; null where WebAssembly SIMD is missing.
 */
export const tuningKernels = kernelsOverMemory<TuningKernels>(MODULE);
