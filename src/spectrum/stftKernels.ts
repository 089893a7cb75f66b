/**
 * The per-frame loops of `stftFrames` and `istftUnits` in WebAssembly SIMD,
 * working in the thread's kernel memory beside the FFT's buffers
 * (util/kernelMemory.ts): the window product that fills the forward
 * transform's input (from float32 or float64 samples), the conversions that
 * copy a spectrum between the transform's float64 pairs and a staging area
 * in the output's or input's element type and layout (a Float32Array /
 * Float64Array view + `TypedArray.set` then copies it as a memcpy), the
 * windowed overlap-add of an inverse frame, and the division by the window's
 * sum-square envelope.
 *
 * Each f64x2 operation is the IEEE operation of the scalar loops they replace
 * (wasm has no fused multiply-add; `f32x4.demote_f64x2_zero` rounds to
 * nearest-even as a Float32Array store does, `f64x2.promote_low_f32x4` is
 * exact), so the values are bit-identical.
 *
 * Written with util/wasm.ts's instructions; each thread instantiates it once
 * over its kernel memory.
 */
import { kernelsOverMemory } from "../util/kernelMemory.js";
import {
  BLOCK, BR, BR_IF, END, F32X4_DEMOTE_F64X2_ZERO, F64, F64X2_ADD, F64X2_DIV, F64X2_GT, F64X2_MUL, F64X2_PROMOTE_LOW_F32X4, F64X2_SPLAT, I32, I32_LT_U, I32_SUB,
  I8X16_SHUFFLE, IF, LOOP, V128, V128_BITSELECT, V128_LOAD, V128_LOAD64_ZERO, V128_STORE, V128_STORE64_LANE, V128_ZERO, addConst, addLocal, countedLoop, get, i32,
  locals, set, tee, type WasmFunction,
} from "../util/wasm.js";
import { kernelModule } from "../util/kernelModules.js";

/** Byte addresses in the kernel memory; counts as named. */
export interface StftKernels {
  /** dst[k] = f64(src32[k]) * win[k] for 2 * pairs values (pairs even): src float32, win and dst float64. */
  window32(src: number, win: number, dst: number, pairs: number): void;
  /**
   * Two frames of float32 samples at `srcA` and `srcB` (4-byte aligned) times the float64 window at `win`,
   * as the float32 pair transform's input at `dst`: point j is (a[2j], a[2j+1], b[2j], b[2j+1]), each
   * product f64(sample) * win[k] rounded to float32 (window32 then the pair module's interleave, fused), for
   * `points` points (even).
   */
  windowPairs32(srcA: number, srcB: number, win: number, dst: number, points: number): void;
  /** dst[k] = src[k] * win[k] for 2 * pairs float64 values (pairs even). */
  window64(src: number, win: number, dst: number, pairs: number): void;
  /** acc[k] = acc[k] + win[k] * frame[k] for 2 * pairs float64 values. */
  overlapAdd(acc: number, win: number, frame: number, pairs: number): void;
  /** acc[k] = 0 + win[k] * frame[k] (a first term added to a zeroed sum: -0 becomes +0) for 2 * pairs float64 values. */
  overlapSet(acc: number, win: number, frame: number, pairs: number): void;
  /** count complex float64 pairs from `src` (every srcStride bytes) to `dst` (every dstStride bytes). */
  copyPairs(src: number, srcStride: number, dst: number, dstStride: number, count: number): void;
  /** As {@link copyPairs}, each float64 pair rounded to a float32 pair at `dst`. */
  demote(src: number, srcStride: number, dst: number, dstStride: number, count: number): void;
  /** As {@link copyPairs}, from float32 pairs at `src` to float64 pairs at `dst`. */
  promote(src: number, srcStride: number, dst: number, dstStride: number, count: number): void;
  /** {@link demote} of adjacent pairs to adjacent pairs (strides 16 and 8), two per vector store. */
  demotePacked(src: number, dst: number, count: number): void;
  /** {@link promote} of adjacent pairs to adjacent pairs (strides 8 and 16). */
  promotePacked(src: number, dst: number, count: number): void;
  /**
   * count points of a float32 pair spectrum (16 bytes each: re_a, im_a, re_b, im_b)
   * at `src` to complex64 values every `stride` bytes: the first transform's from `dstA`, the second's from `dstB`.
   */
  splitPairs32(src: number, dstA: number, dstB: number, stride: number, count: number): void;
  /**
   * count complex64 values every `stride` bytes from `srcA` and from `srcB` as the
   * points of a float32 pair spectrum at `dst` (16 bytes each: re_a, im_a, re_b, im_b); {@link splitPairs32} undone.
   */
  joinPairs32(srcA: number, srcB: number, stride: number, dst: number, count: number): void;
  /** dst[k] = env[k] > tiny ? acc[k] / env[k] : acc[k] for 2 * pairs float64 values, dst float32. */
  normalize32(acc: number, env: number, dst: number, pairs: number, tiny: number): void;
  /** {@link normalize32} with a float64 `dst`. */
  normalize64(acc: number, env: number, dst: number, pairs: number, tiny: number): void;
}

/** Stores the low 8 bytes (lane 0 of i64x2). */
const V128_STORE64_LANE0 = (offset: number): number[] => V128_STORE64_LANE(offset, 0);
const DEMOTE = F32X4_DEMOTE_F64X2_ZERO;
const PROMOTE = F64X2_PROMOTE_LOW_F32X4;

// window32 / window64. Params: 0 src, 1 win, 2 dst, 3 pairs (even); two pairs per iteration.
const windowBody = (single: boolean): number[] => {
  const load = single ? (offset: number) => [...V128_LOAD64_ZERO(offset), ...PROMOTE] : V128_LOAD;
  const step = single ? 8 : 16;
  return [
    ...locals(),
    ...countedLoop(3, 2, [
      ...get(2), ...get(0), ...load(0), ...get(1), ...V128_LOAD(0), ...F64X2_MUL, ...V128_STORE(0),
      ...get(2), ...get(0), ...load(step), ...get(1), ...V128_LOAD(16), ...F64X2_MUL, ...V128_STORE(16),
      ...addConst(0, 2 * step),
      ...addConst(1, 32),
      ...addConst(2, 32),
    ]),
    ...END,
  ];
};

// windowPairs32. Params: 0 srcA, 1 srcB, 2 win, 3 dst, 4 points (even); two points per iteration.
const windowPairsBody = (): number[] => {
  const product = (src: number, o: number): number[] => [...get(src), ...V128_LOAD64_ZERO(8 * o), ...PROMOTE, ...get(2), ...V128_LOAD(16 * o), ...F64X2_MUL, ...DEMOTE];
  const point = (o: number): number[] => [...get(3), ...product(0, o), ...product(1, o), ...LOW_HALVES, ...V128_STORE(16 * o)];
  return [
    ...locals(),
    ...countedLoop(4, 2, [...point(0), ...point(1), ...addConst(0, 16), ...addConst(1, 16), ...addConst(2, 32), ...addConst(3, 32)]),
    ...END,
  ];
};

// overlapAdd / overlapSet. Params: 0 acc, 1 win, 2 frame, 3 pairs. The product first, then the sum (the operand
// order of the TypeScript loop's `acc + w * f`, which decides which NaN an add of two NaNs returns).
const overlapBody = (first: boolean): number[] => {
  const one = (offset: number): number[] => [
    ...get(0),
    ...get(1), ...V128_LOAD(offset), ...get(2), ...V128_LOAD(offset), ...F64X2_MUL,
    ...(first ? V128_ZERO : [...get(0), ...V128_LOAD(offset)]), ...F64X2_ADD, ...V128_STORE(offset),
  ];
  return [
    ...locals(),
    ...pairedLoop(3, (items) => items === 2 ? [...one(0), ...one(16), ...addConst(0, 32), ...addConst(1, 32), ...addConst(2, 32)] : one(0)),
    ...END,
  ];
};

// copyPairs / demote / promote. Params: 0 src, 1 srcStride, 2 dst, 3 dstStride, 4 count.
const convertBody = (kind: "copy" | "demote" | "promote"): number[] => {
  const load = kind === "promote" ? [...V128_LOAD64_ZERO(0), ...PROMOTE] : V128_LOAD(0);
  const store = kind === "demote" ? [...DEMOTE, ...V128_STORE64_LANE0(0)] : V128_STORE(0);
  return [
    ...locals(),
    ...countedLoop(4, 1, [...get(2), ...get(0), ...load, ...store, ...addLocal(0, 1), ...addLocal(2, 3)]),
    ...END,
  ];
};

// normalize32 / normalize64. Params: 0 acc, 1 env, 2 dst, 3 pairs, 4 tiny (f64). Locals: 5 tinies, 6 a, 7 e (v128).
const normalizeBody = (single: boolean): number[] => [
  ...locals([3, V128]),
  ...get(4), ...F64X2_SPLAT, ...set(5),
  ...countedLoop(3, 1, [
    ...get(2),
    ...get(0), ...V128_LOAD(0), ...tee(6),
    ...get(1), ...V128_LOAD(0), ...tee(7),
    ...F64X2_DIV,
    ...get(6),
    ...get(7), ...get(5), ...F64X2_GT,
    ...V128_BITSELECT,
    ...(single ? [...DEMOTE, ...V128_STORE64_LANE0(0)] : V128_STORE(0)),
    ...addConst(0, 16),
    ...addConst(1, 16),
    ...addConst(2, single ? 8 : 16),
  ]),
  ...END,
];

/**
 * `body(2)` while local `count` >= 2 (then count -= 2), and `body(1)` once if
 * one is left: the loops below handle two items per iteration.
 */
const pairedLoop = (count: number, body: (items: 1 | 2) => number[]): number[] => [
  ...BLOCK,
  ...LOOP,
  ...get(count), ...i32(2), ...I32_LT_U, ...BR_IF(1),
  ...body(2),
  ...get(count), ...i32(2), ...I32_SUB, ...set(count),
  ...BR(0),
  ...END,
  ...END,
  ...get(count), ...IF,
  ...body(1),
  ...END,
];

const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);
/** (a0, a1, _, _), (b0, b1, _, _) -> (a0, a1, b0, b1). */
const LOW_HALVES = I8X16_SHUFFLE([...range(0, 8), ...range(16, 8)]);

// demotePacked. Params: 0 src, 1 dst, 2 count.
const demotePackedBody = [
  ...locals(),
  ...pairedLoop(2, (items) => items === 2
    ? [
        ...get(1), ...get(0), ...V128_LOAD(0), ...DEMOTE, ...get(0), ...V128_LOAD(16), ...DEMOTE, ...LOW_HALVES, ...V128_STORE(0),
        ...addConst(0, 32),
        ...addConst(1, 16),
      ]
    : [...get(1), ...get(0), ...V128_LOAD(0), ...DEMOTE, ...V128_STORE64_LANE0(0)]),
  ...END,
];

// promotePacked. Params: 0 src, 1 dst, 2 count.
const promotePackedBody = [
  ...locals(),
  ...pairedLoop(2, (items) => items === 2
    ? [
        ...get(1), ...get(0), ...V128_LOAD64_ZERO(0), ...PROMOTE, ...V128_STORE(0),
        ...get(1), ...get(0), ...V128_LOAD64_ZERO(8), ...PROMOTE, ...V128_STORE(16),
        ...addConst(0, 16),
        ...addConst(1, 32),
      ]
    : [...get(1), ...get(0), ...V128_LOAD64_ZERO(0), ...PROMOTE, ...V128_STORE(0)]),
  ...END,
];

// splitPairs32. Params: 0 src, 1 dstA, 2 dstB, 3 stride, 4 count.
const splitPairsBody = [
  ...locals(),
  ...countedLoop(4, 1, [
    ...get(1), ...get(0), ...V128_LOAD(0), ...V128_STORE64_LANE0(0),
    ...get(2), ...get(0), ...V128_LOAD(0), ...V128_STORE64_LANE(0, 1),
    ...addConst(0, 16),
    ...addLocal(1, 3),
    ...addLocal(2, 3),
  ]),
  ...END,
];

// joinPairs32. Params: 0 srcA, 1 srcB, 2 stride, 3 dst, 4 count.
const joinPairsBody = [
  ...locals(),
  ...countedLoop(4, 1, [
    ...get(3), ...get(0), ...V128_LOAD64_ZERO(0), ...get(1), ...V128_LOAD64_ZERO(0), ...LOW_HALVES, ...V128_STORE(0),
    ...addLocal(0, 2),
    ...addLocal(1, 2),
    ...addConst(3, 16),
  ]),
  ...END,
];

const W4 = { params: [I32, I32, I32, I32], results: [] };
const W5 = { params: [I32, I32, I32, I32, I32], results: [] };
const WN = { params: [I32, I32, I32, I32, F64], results: [] };
const W3 = { params: [I32, I32, I32], results: [] };
const functions: WasmFunction[] = [
  { name: "window32", ...W4, body: windowBody(true) },
  { name: "window64", ...W4, body: windowBody(false) },
  { name: "windowPairs32", ...W5, body: windowPairsBody() },
  { name: "overlapAdd", ...W4, body: overlapBody(false) },
  { name: "overlapSet", ...W4, body: overlapBody(true) },
  { name: "copyPairs", ...W5, body: convertBody("copy") },
  { name: "demote", ...W5, body: convertBody("demote") },
  { name: "promote", ...W5, body: convertBody("promote") },
  { name: "demotePacked", ...W3, body: demotePackedBody },
  { name: "promotePacked", ...W3, body: promotePackedBody },
  { name: "splitPairs32", ...W5, body: splitPairsBody },
  { name: "joinPairs32", ...W5, body: joinPairsBody },
  { name: "normalize32", ...WN, body: normalizeBody(true) },
  { name: "normalize64", ...WN, body: normalizeBody(false) },
];

const MODULE = kernelModule("stft", functions);

/**
 * The kernels over `memory` (this thread's kernel memory, where the FFT
 * works), instantiated on first use; null where WebAssembly SIMD is missing.
 */
export const stftKernels = kernelsOverMemory<StftKernels>(MODULE);
