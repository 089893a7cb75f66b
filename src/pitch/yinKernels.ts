/**
 * yin's kernels in WebAssembly SIMD, working on the FFT's buffers in the
 * thread's kernel memory (src/pitch/spectralMemory.ts puts them beside the
 * transforms of src/fft/wasmRealFft.ts): the block products that build
 * autocorrelations from block spectra, and the difference function, its
 * cumulative mean normalisation and the first minimum over it. Each f64x2
 * operation is the IEEE operation of the scalar twins in spectralMemory.ts
 * (wasm has no fused multiply-add), so the values are bit-identical.
 *
 * Byte addresses; counts in complex values unless named otherwise.
 */
import { kernelsOverMemory } from "../util/kernelMemory.js";
import {
  F64, F64_ADD, F64_CONVERT_I32_S, F64_EQ, F64_GE, F64_LT, F64X2_GE, I32_AND, I64X2_BITMASK, V128_AND, F64_LOAD, F64_MIN, F64_MUL, F64_STORE, F64_SUB, F64X2_ADD, F64X2_DIV, F64X2_EXTRACT_LANE, F64X2_LT, F64X2_MIN, F64X2_MUL, F64X2_NE,
  F64X2_REPLACE_LANE, F64X2_SPLAT, I32, I32_SHR_U, RETURN, V128, V128_ANY_TRUE, V128_CONST,
  V128_OR, V128_ZERO, declare, doWhile, f64, func, get, i32, ifThen, set, whileLoop,
  BYTE_ORDER, binary, i32Add as add, i32LeU as leU, i32LtU as ltU, i32Shl as shl, i32Sub as sub, i8x16Shuffle as shuffle,
  v128Load as load, v128Store as store, v128Xor as xor,
} from "../util/wasm.js";
import { kernelModule } from "../util/kernelModules.js";

export interface YinKernels {
  /** out = (|x|², 0) per value. */
  powerSpectrum(x: number, out: number, count: number): void;
  /** out = prev + conj(x) y w per value, w as 4 float64 (wr, wr, -wi, wi) per value. */
  crossAccumulate(x: number, y: number, w: number, prev: number, out: number, count: number): void;
  /** dst = (dst + a) + b per value. */
  accumulatePair(dst: number, a: number, b: number, count: number): void;
  /** dst += src per value. */
  accumulate(dst: number, src: number, count: number): void;
  /** yin's difference function and its running sums (see SpectralMemory.differenceSums; float64 values). */
  differenceSums(acf: number, head: number, d: number, sums: number, first: number, last: number): void;
  /** The cumulative mean normalisation (see SpectralMemory.normalizeByMean). */
  normalizeByMean(d: number, sums: number, out: number, first: number, count: number, guard: number): void;
  /** The first index of the minimum, or -1 (see SpectralMemory.firstMinimum). */
  firstMinimum(x: number, count: number, threshold: number): number;
  /** The troughs' indices as float64 into out; how many (see SpectralMemory.troughs). */
  troughs(x: number, count: number, out: number): number;
}

const fadd = binary(F64X2_ADD);
const fmul = binary(F64X2_MUL);
const splat = (a: number[]): number[] => [...a, ...F64X2_SPLAT];
const LOW_HIGH = BYTE_ORDER;
/** (a.re, b.re) */
const LOWS = [...LOW_HIGH.slice(0, 8), 16, 17, 18, 19, 20, 21, 22, 23];
/** (im, re) of a local. */
const swap = (local: string): number[] => shuffle(get(local), get(local), [...LOW_HIGH.slice(8), ...LOW_HIGH.slice(0, 8)]);
/** (0, -0): xor flips the sign of the imaginary part, i.e. conjugates. */
const conjugator = (): number[] => V128_CONST([...new Array<number>(15).fill(0), 0x80]);
/** local b times the twiddle held as the pair (wr, wr), (-wi, wi) in locals wr, wi. */
const cmul = (b: string, wr: string, wi: string): number[] => fadd(fmul(get(b), get(wr)), fmul(swap(b), get(wi)));

/** out[0 .. count) = (|x|², 0) per complex value: `xr*xr + xi*xi` as the scalar code rounds it. */
const powerSpectrum = func("powerSpectrum", [["x", I32], ["out", I32], ["count", I32]], () => {
  declare({ end: I32, zero: V128, v: V128 });
  return [
    ...set("zero", V128_ZERO),
    ...set("end", add(get("x"), shl(get("count"), i32(4)))),
    ...doWhile(
      [
        ...set("v", load(get("x"))),
        ...set("v", fmul(get("v"), get("v"))),
        ...store(get("out"), shuffle(fadd(get("v"), swap("v")), get("zero"), LOWS)),
        ...set("x", add(get("x"), i32(16))),
        ...set("out", add(get("out"), i32(16))),
      ],
      ltU(get("x"), get("end")),
    ),
  ];
});

/**
 * out = prev + (conj(x) y) w per complex value, w held as pairs (wr, wr), (-wi, wi)
 * (32 bytes each). conj(x) y is y times the pair (xr, xr), (xi, -xi), which rounds
 * like the scalar `xr*yr + xi*yi`, `xr*yi - xi*yr`.
 */
const crossAccumulate = func("crossAccumulate", [["x", I32], ["y", I32], ["w", I32], ["prev", I32], ["out", I32], ["count", I32]], () => {
  declare({ end: I32, conj: V128, v: V128, xr: V128, xi: V128, p: V128, wr: V128, wi: V128 });
  return [
    ...set("conj", conjugator()),
    ...set("end", add(get("x"), shl(get("count"), i32(4)))),
    ...doWhile(
      [
        ...set("v", load(get("x"))),
        ...set("xr", shuffle(get("v"), get("v"), [...LOW_HIGH.slice(0, 8), ...LOW_HIGH.slice(0, 8)])),
        ...set("xi", xor(shuffle(get("v"), get("v"), [...LOW_HIGH.slice(8), ...LOW_HIGH.slice(8)]), get("conj"))),
        ...set("v", load(get("y"))),
        ...set("p", cmul("v", "xr", "xi")),
        ...set("wr", load(get("w"), 0)),
        ...set("wi", load(get("w"), 16)),
        ...store(get("out"), fadd(load(get("prev")), cmul("p", "wr", "wi"))),
        ...set("x", add(get("x"), i32(16))),
        ...set("y", add(get("y"), i32(16))),
        ...set("w", add(get("w"), i32(32))),
        ...set("prev", add(get("prev"), i32(16))),
        ...set("out", add(get("out"), i32(16))),
      ],
      ltU(get("x"), get("end")),
    ),
  ];
});

/** dst[0 .. count) = (dst + a) + b, complex values: two accumulate steps in one pass. */
const accumulatePair = func("accumulatePair", [["dst", I32], ["a", I32], ["b", I32], ["count", I32]], () => {
  declare({ end: I32 });
  return [
    ...set("end", add(get("dst"), shl(get("count"), i32(4)))),
    ...doWhile(
      [
        ...store(get("dst"), fadd(fadd(load(get("dst")), load(get("a"))), load(get("b")))),
        ...set("dst", add(get("dst"), i32(16))),
        ...set("a", add(get("a"), i32(16))),
        ...set("b", add(get("b"), i32(16))),
      ],
      ltU(get("dst"), get("end")),
    ),
  ];
});

/** dst[0 .. count) += src[0 .. count), complex values. */
const accumulate = func("accumulate", [["dst", I32], ["src", I32], ["count", I32]], () => {
  declare({ end: I32 });
  return [
    ...set("end", add(get("dst"), shl(get("count"), i32(4)))),
    ...doWhile(
      [
        ...store(get("dst"), fadd(load(get("dst")), load(get("src")))),
        ...set("dst", add(get("dst"), i32(16))),
        ...set("src", add(get("src"), i32(16))),
      ],
      ltU(get("dst"), get("end")),
    ),
  ];
});

/**
 * YIN's difference function from an autocorrelation r (at acf) and the frame's first
 * samples (at head), in the scalar order of src/pitch/yin.ts: for k = 1 .. last,
 * e_k = e_{k-1} + head[k-1]², d_k = 2 (r_0 - r_k) - e_k (no e at k = 1), s_k = s_{k-1} + d_k;
 * d_k and s_k are stored at d, sums for k = first .. last (2 <= first <= last).
 */
const differenceSums = func("differenceSums", [["acf", I32], ["head", I32], ["d", I32], ["sums", I32], ["first", I32], ["last", I32]], () => {
  declare({ k: I32, acf0: F64, energy: F64, sum: F64, x: F64, dv: F64 });
  const fload = (addr: number[]): number[] => [...addr, ...F64_LOAD(0)];
  const fstore = (addr: number[], value: number[]): number[] => [...addr, ...value, ...F64_STORE(0)];
  const fa = binary(F64_ADD);
  const fs = binary(F64_SUB);
  const fm = binary(F64_MUL);
  const step = [
    ...set("x", fload(get("head"))),
    ...set("energy", fa(get("energy"), fm(get("x"), get("x")))),
    ...set("dv", fs(fm(f64(2), fs(get("acf0"), fload(get("acf")))), get("energy"))),
    ...set("sum", fa(get("sum"), get("dv"))),
    ...set("head", add(get("head"), i32(8))),
    ...set("acf", add(get("acf"), i32(8))),
    ...set("k", add(get("k"), i32(1))),
  ];
  return [
    ...set("acf0", fload(get("acf"))),
    ...set("x", fload(get("head"))),
    ...set("energy", fm(get("x"), get("x"))),
    ...set("sum", fa(f64(0), fm(f64(2), fs(get("acf0"), fload(add(get("acf"), i32(8))))))),
    ...set("head", add(get("head"), i32(8))),
    ...set("acf", add(get("acf"), i32(16))),
    ...set("k", i32(2)),
    ...ifThen(ltU(get("k"), get("first")), doWhile(step, ltU(get("k"), get("first")))),
    ...doWhile(
      [
        ...step,
        ...fstore(get("d"), get("dv")),
        ...fstore(get("sums"), get("sum")),
        ...set("d", add(get("d"), i32(8))),
        ...set("sums", add(get("sums"), i32(8))),
      ],
      leU(get("k"), get("last")),
    ),
  ];
});

/**
 * out[i] = d[i] / (sums[i] / (first + i) + guard) for i = 0 .. count, two values per
 * step (an odd count also writes out[count]): YIN's cumulative mean normalisation,
 * each division correctly rounded as in the scalar code.
 */
const normalizeByMean = func("normalizeByMean", [["d", I32], ["sums", I32], ["out", I32], ["first", F64], ["count", I32], ["guard", F64]], () => {
  declare({ end: I32, lag: V128, two: V128, tiny: V128 });
  const fdiv = binary(F64X2_DIV);
  const replaceLane1 = (v: number[], x: number[]): number[] => [...v, ...x, ...F64X2_REPLACE_LANE(1)];
  return [
    ...set("lag", replaceLane1(splat(get("first")), [...get("first"), ...f64(1), ...F64_ADD])),
    ...set("two", splat(f64(2))),
    ...set("tiny", splat(get("guard"))),
    ...set("end", add(get("d"), shl(get("count"), i32(3)))),
    ...doWhile(
      [
        ...store(get("out"), fdiv(load(get("d")), fadd(fdiv(load(get("sums")), get("lag")), get("tiny")))),
        ...set("lag", fadd(get("lag"), get("two"))),
        ...set("d", add(get("d"), i32(16))),
        ...set("sums", add(get("sums"), i32(16))),
        ...set("out", add(get("out"), i32(16))),
      ],
      ltU(get("d"), get("end")),
    ),
  ];
});

/**
 * The first index of the minimum of x[0 .. count), count >= 2 (numpy's argmin), or -1
 * when some value is below `threshold` or NaN: YIN's trough rules then decide (in the caller).
 */
const firstMinimum = func(
  "firstMinimum",
  [["x", I32], ["count", I32], ["threshold", F64]],
  () => {
    declare({ at: I32, lastPair: I32, low: V128, limit: V128, flags: V128, v: V128, lowest: F64 });
    const fmin = binary(F64X2_MIN);
    const flt = binary(F64X2_LT);
    const fne = binary(F64X2_NE);
    const or = binary(V128_OR);
    const lane = (local: string, l: number): number[] => [...get(local), ...F64X2_EXTRACT_LANE(l)];
    const visit = (addr: number[]): number[] => [
      ...set("v", load(addr)),
      ...set("low", fmin(get("low"), get("v"))),
      ...set("flags", or(get("flags"), or(flt(get("v"), get("limit")), fne(get("v"), get("v"))))),
    ];
    return [
      ...set("limit", splat(get("threshold"))),
      ...set("low", load(get("x"))),
      ...set("flags", V128_ZERO),
      ...set("lastPair", add(get("x"), shl(sub(get("count"), i32(2)), i32(3)))),
      ...set("at", get("x")),
      ...doWhile([...visit(get("at")), ...set("at", add(get("at"), i32(16)))], leU(get("at"), get("lastPair"))),
      // the last pair again, for an odd count (a repeated value changes neither answer)
      ...visit(get("lastPair")),
      ...ifThen([...get("flags"), ...V128_ANY_TRUE], [...i32(-1), ...RETURN]),
      ...set("lowest", [...lane("low", 0), ...lane("low", 1), ...F64_MIN]),
      ...set("at", get("x")),
      ...doWhile(
        [
          ...ifThen([...get("at"), ...F64_LOAD(0), ...get("lowest"), ...F64_EQ], [...sub(get("at"), get("x")), ...i32(3), ...I32_SHR_U, ...RETURN]),
          ...set("at", add(get("at"), i32(8))),
        ],
        leU(get("at"), add(get("lastPair"), i32(8))),
      ),
      ...i32(-1),
    ];
  },
  [I32],
);

/**
 * The troughs of x[0 .. count), count >= 2, as pyin finds them (librosa's `localmin`
 * with the first-bin rule): 0 when x[0] < x[1]; i in (0, last) when x[i] < x[i-1] and
 * x[i] <= x[i+1]; last when x[last] < x[last-1]. Their indices, ascending, into `out`
 * as float64; returns how many. Interior bins two at a time (a NaN compares false, as
 * in the scalar code).
 */
const troughs = func(
  "troughs",
  [["x", I32], ["count", I32], ["out", I32]],
  () => {
    declare({ n: I32, i: I32, last: I32, at: I32, v: V128, mask: I32 });
    const flt = binary(F64X2_LT);
    const fge = binary(F64X2_GE);
    const and = binary(V128_AND);
    const value = (addr: number[]): number[] => [...addr, ...F64_LOAD(0)];
    const emit = (index: number[]): number[] => [
      ...get("out"), ...index, ...F64_CONVERT_I32_S, ...F64_STORE(0),
      ...set("out", add(get("out"), i32(8))),
      ...set("n", add(get("n"), i32(1))),
    ];
    const bit = (b: number): number[] => [...get("mask"), ...i32(b), ...I32_AND];
    const before = sub(get("at"), i32(8));
    const after = add(get("at"), i32(8));
    return [
      ...set("last", sub(get("count"), i32(1))),
      ...ifThen([...value(get("x")), ...value(add(get("x"), i32(8))), ...F64_LT], emit(i32(0))),
      ...set("i", i32(1)),
      ...set("at", add(get("x"), i32(8))),
      // bins i and i + 1 while i + 1 < last
      ...whileLoop(ltU(add(get("i"), i32(1)), get("last")), [
        ...set("v", load(get("at"))),
        ...set("mask", [...and(flt(get("v"), load(before)), fge(load(after), get("v"))), ...I64X2_BITMASK]),
        ...ifThen(get("mask"), [...ifThen(bit(1), emit(get("i"))), ...ifThen(bit(2), emit(add(get("i"), i32(1))))]),
        ...set("i", add(get("i"), i32(2))),
        ...set("at", add(get("at"), i32(16))),
      ]),
      // an odd interior bin left over
      ...ifThen(ltU(get("i"), get("last")), [
        ...ifThen([...value(get("at")), ...value(before), ...F64_LT, ...value(after), ...value(get("at")), ...F64_GE, ...I32_AND], emit(get("i"))),
      ]),
      ...set("at", add(get("x"), shl(get("last"), i32(3)))),
      ...ifThen([...value(get("at")), ...value(before), ...F64_LT], emit(get("last"))),
      ...get("n"),
    ];
  },
  [I32],
);

/** In the order of the FFT generator's module they came from. */
const MODULE = kernelModule("yin", [powerSpectrum, crossAccumulate, accumulatePair, accumulate, differenceSums, normalizeByMean, firstMinimum, troughs]);

/** The kernels over a kernel memory (its instance there); null where WebAssembly SIMD is missing. */
export const yinKernels = kernelsOverMemory<YinKernels>(MODULE);
