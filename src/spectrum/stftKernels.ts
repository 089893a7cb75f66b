/**
 * The per-frame loops of `stftFrames` and `istftUnits` in WebAssembly SIMD,
 * working in the FFT kernels' memory (imported from
 * `wasmSpectralMemory().memory`): the window product that fills the forward
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
 * The module is small enough to be written out here byte by byte; each
 * thread instantiates it once over its FFT memory.
 */
import { F64, F64X2_ADD, F64X2_MUL, F64X2_SPLAT, I32, V128, V128_LOAD, V128_STORE, addConst, countedLoop, get, kernelsOverMemory, memoryImportingModule, set, simd, sleb, tee, uleb, type WasmFunction } from "../util/wasm.js";

/** Byte addresses in the FFT kernels' memory; counts as named. */
export interface StftKernels {
  /** dst[k] = f64(src32[k]) * win[k] for 2 * pairs values (pairs even): src float32, win and dst float64. */
  window32(src: number, win: number, dst: number, pairs: number): void;
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
  /** dst[k] = env[k] > tiny ? acc[k] / env[k] : acc[k] for 2 * pairs float64 values, dst float32. */
  normalize32(acc: number, env: number, dst: number, pairs: number, tiny: number): void;
  /** {@link normalize32} with a float64 `dst`. */
  normalize64(acc: number, env: number, dst: number, pairs: number, tiny: number): void;
}

/** Loads 8 bytes (two float32) into the low lanes, zeroes the rest. */
const V128_LOAD64_ZERO = (offset: number): number[] => simd([0x5d, 3, ...uleb(offset)]);
/** Stores the low 8 bytes (lane 0 of i64x2). */
const V128_STORE64_LANE0 = (offset: number): number[] => simd([0x5b, 3, ...uleb(offset), 0]);
const F64X2_DIV = simd([0xf3, 0x01]);
const F64X2_GT = simd([0x4a]);
const V128_BITSELECT = simd([0x52]);
const DEMOTE = simd([0x5e]);
const PROMOTE = simd([0x5f]);
const addLocal = (local: number, other: number): number[] => [...get(local), ...get(other), 0x6a, ...set(local)];

// window32 / window64. Params: 0 src, 1 win, 2 dst, 3 pairs (even); two pairs per iteration.
const windowBody = (single: boolean): number[] => {
  const load = single ? (offset: number) => [...V128_LOAD64_ZERO(offset), ...PROMOTE] : V128_LOAD;
  const step = single ? 8 : 16;
  return [
    0,
    ...countedLoop(3, 2, [
      ...get(2), ...get(0), ...load(0), ...get(1), ...V128_LOAD(0), ...F64X2_MUL, ...V128_STORE(0),
      ...get(2), ...get(0), ...load(step), ...get(1), ...V128_LOAD(16), ...F64X2_MUL, ...V128_STORE(16),
      ...addConst(0, 2 * step),
      ...addConst(1, 32),
      ...addConst(2, 32),
    ]),
    0x0b,
  ];
};

/** A v128 of two float64 +0. */
const V128_ZERO = simd([0x0c, ...new Array<number>(16).fill(0)]);

// overlapAdd / overlapSet. Params: 0 acc, 1 win, 2 frame, 3 pairs. The product first, then the sum (the operand
// order of the TypeScript loop's `acc + w * f`, which decides which NaN an add of two NaNs returns).
const overlapBody = (first: boolean): number[] => {
  const one = (offset: number): number[] => [
    ...get(0),
    ...get(1), ...V128_LOAD(offset), ...get(2), ...V128_LOAD(offset), ...F64X2_MUL,
    ...(first ? V128_ZERO : [...get(0), ...V128_LOAD(offset)]), ...F64X2_ADD, ...V128_STORE(offset),
  ];
  return [
    0,
    ...pairedLoop(3, (items) => items === 2 ? [...one(0), ...one(16), ...addConst(0, 32), ...addConst(1, 32), ...addConst(2, 32)] : one(0)),
    0x0b,
  ];
};

// copyPairs / demote / promote. Params: 0 src, 1 srcStride, 2 dst, 3 dstStride, 4 count.
const convertBody = (kind: "copy" | "demote" | "promote"): number[] => {
  const load = kind === "promote" ? [...V128_LOAD64_ZERO(0), ...PROMOTE] : V128_LOAD(0);
  const store = kind === "demote" ? [...DEMOTE, ...V128_STORE64_LANE0(0)] : V128_STORE(0);
  return [
    0,
    ...countedLoop(4, 1, [...get(2), ...get(0), ...load, ...store, ...addLocal(0, 1), ...addLocal(2, 3)]),
    0x0b,
  ];
};

// normalize32 / normalize64. Params: 0 acc, 1 env, 2 dst, 3 pairs, 4 tiny (f64). Locals: 5 tinies, 6 a, 7 e (v128).
const normalizeBody = (single: boolean): number[] => [
  1, 3, V128,
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
  0x0b,
];

/**
 * `body(2)` while local `count` >= 2 (then count -= 2), and `body(1)` once if
 * one is left: the loops below handle two items per iteration.
 */
const pairedLoop = (count: number, body: (items: 1 | 2) => number[]): number[] => [
  0x02, 0x40,
  0x03, 0x40,
  ...get(count), 0x41, 2, 0x49, 0x0d, 0x01,
  ...body(2),
  ...get(count), 0x41, 2, 0x6b, ...set(count),
  0x0c, 0x00,
  0x0b,
  0x0b,
  ...get(count), 0x04, 0x40,
  ...body(1),
  0x0b,
];

const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);
/** (a0, a1, _, _), (b0, b1, _, _) -> (a0, a1, b0, b1). */
const LOW_HALVES = simd([0x0d, ...range(0, 8), ...range(16, 8)]);

// demotePacked. Params: 0 src, 1 dst, 2 count.
const demotePackedBody = [
  0,
  ...pairedLoop(2, (items) => items === 2
    ? [
        ...get(1), ...get(0), ...V128_LOAD(0), ...DEMOTE, ...get(0), ...V128_LOAD(16), ...DEMOTE, ...LOW_HALVES, ...V128_STORE(0),
        ...addConst(0, 32),
        ...addConst(1, 16),
      ]
    : [...get(1), ...get(0), ...V128_LOAD(0), ...DEMOTE, ...V128_STORE64_LANE0(0)]),
  0x0b,
];

// promotePacked. Params: 0 src, 1 dst, 2 count.
const promotePackedBody = [
  0,
  ...pairedLoop(2, (items) => items === 2
    ? [
        ...get(1), ...get(0), ...V128_LOAD64_ZERO(0), ...PROMOTE, ...V128_STORE(0),
        ...get(1), ...get(0), ...V128_LOAD64_ZERO(8), ...PROMOTE, ...V128_STORE(16),
        ...addConst(0, 16),
        ...addConst(1, 32),
      ]
    : [...get(1), ...get(0), ...V128_LOAD64_ZERO(0), ...PROMOTE, ...V128_STORE(0)]),
  0x0b,
];

const functions: WasmFunction[] = [
  { name: "window32", type: 0, body: windowBody(true) },
  { name: "window64", type: 0, body: windowBody(false) },
  { name: "overlapAdd", type: 0, body: overlapBody(false) },
  { name: "overlapSet", type: 0, body: overlapBody(true) },
  { name: "copyPairs", type: 1, body: convertBody("copy") },
  { name: "demote", type: 1, body: convertBody("demote") },
  { name: "promote", type: 1, body: convertBody("promote") },
  { name: "demotePacked", type: 3, body: demotePackedBody },
  { name: "promotePacked", type: 3, body: promotePackedBody },
  { name: "normalize32", type: 2, body: normalizeBody(true) },
  { name: "normalize64", type: 2, body: normalizeBody(false) },
];

const MODULE = memoryImportingModule([
    4,
    0x60, 4, I32, I32, I32, I32, 0,
    0x60, 5, I32, I32, I32, I32, I32, 0,
    0x60, 5, I32, I32, I32, I32, F64, 0,
    0x60, 3, I32, I32, I32, 0,
  ], functions);

/**
 * The kernels over `memory` (the FFT kernels' WebAssembly.Memory of this
 * thread), instantiated on first use; null where WebAssembly SIMD is missing.
 */
export const stftKernels = kernelsOverMemory<StftKernels>(MODULE);
