/**
 * chroma_stft's per-frame loops in WebAssembly SIMD, working in the FFT
 * thread's kernel memory, where the FFT leaves its spectra (as
 * src/pitch/tuningKernels.ts does):
 *
 * - `power32` / `power64`: the power column of a spectrum, |X|² as
 *   `_spectrogram(power=2)` rounds it (float32 path: re and im rounded to
 *   float32, the magnitude sqrt(re² + im²) rounded, then its square rounded),
 *   two bins per f64x2 vector, with the column's largest value;
 * - `fold64` / `fold32`: a dense fold of one column onto 12 rows (6 f64x2
 *   accumulators holding rows (2j, 2j + 1)): per bin, in bin order, the
 *   column value splatted, times the 12 weights, added to the accumulators.
 *   Each row's sum is therefore the same chain of IEEE multiplies and adds
 *   as the scalar loop `sum += w[f] * x[f]` over the bins in order (wasm has
 *   no fused multiply-add), bit for bit; zero weights add +0 (see
 *   src/cqt/chromaStft.ts for the one case where they do not: NaN).
 *
 * Written with util/wasm.ts's instructions; each thread instantiates it once
 * over its kernel memory (util/kernelMemory.ts).
 */
import { loadLanePair } from "../pitch/tuningKernels.js";
import { kernelsOverMemory } from "../util/kernelMemory.js";
import {
  END, F32_LOAD, F64, F64_LT, F64_PROMOTE_F32, F64X2_ADD, F64X2_EXTRACT_LANE, F64X2_MUL, F64X2_PMAX, F64X2_SPLAT, F64X2_SQRT, F32X4_DEMOTE_F64X2_ZERO,
  F64X2_PROMOTE_LOW_F32X4, I32, I8X16_SHUFFLE, ROUND32, SELECT, V128, V128_LOAD, V128_LOAD64_SPLAT, V128_STORE, V128_STORE64_LANE, addConst, countedLoop, f64, get,
  locals, set, tee, type WasmFunction,
} from "../util/wasm.js";
import { kernelModule } from "../util/kernelModules.js";

/** Rows folded per call of a fold kernel (6 vectors of 2). */
export const FOLD_ROWS = 12;

/** Byte addresses in the kernel memory; counts as named. */
export interface FoldKernels {
  /**
   * The power of bins 0 .. 2 pairs of the interleaved spectrum at `spec`
   * (re, im rounded to float32, m = fround(sqrt(re² + im²)), p = fround(m²))
   * as float64 to `out64` and as float32 to `out32`; returns the largest p
   * (-Infinity if none; NaN ignored).
   */
  power32(spec: number, pairs: number, out64: number, out32: number): number;
  /**
   * {@link power32} over one frame of a float32 pair spectrum (16 bytes a bin: re_a, im_a, re_b, im_b):
   * `spec` is the pair spectrum's address plus 8 for the second frame. The same values as power32 over
   * the frame's bins unpacked to float64.
   */
  powerPair(spec: number, pairs: number, out64: number, out32: number): number;
  /** {@link power32} without rounding (m = sqrt(re² + im²), p = m²) and without the float32 copy (`out32` unused). */
  power64(spec: number, pairs: number, out64: number, out32: number): number;
  /**
   * out[k] = Σ_f w[f * 12 + k] x[f] for k < 12, summed in f order from +0,
   * over the `bins` float64 values x at `x` and the (bins, 12) float64
   * weights at `w`; 12 float64 to `out`.
   */
  fold64(x: number, w: number, bins: number, out: number): void;
  /** {@link fold64} over float32 values x. */
  fold32(x: number, w: number, bins: number, out: number): void;
}

const DEMOTE = F32X4_DEMOTE_F64X2_ZERO;
const PROMOTE = F64X2_PROMOTE_LOW_F32X4;
// F64X2_PMAX: pmax(a, b) = a < b ? b : a per lane, `if (b > a) a = b` of the scalar loops.
const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);
/** (re0, im0), (re1, im1) -> (re0, re1) and -> (im0, im1). */
const REALS = I8X16_SHUFFLE([...range(0, 8), ...range(16, 8)]);
const IMAGS = I8X16_SHUFFLE([...range(8, 8), ...range(24, 8)]);

// power. Params: 0 spec, 1 pairs, 2 out64, 3 out32. Locals: 4 re, 5 im, 6 acc, 7 p, 8 a, 9 b (v128).
// `pair`: a frame of a float32 pair spectrum (float32 values: no rounding of re and im needed).
const powerBody = (single: boolean, pair = false): number[] => {
  const r = single ? ROUND32 : [];
  const load = pair
    ? loadLanePair(0, 4, 5, 8)
    : [...get(0), ...V128_LOAD(0), ...tee(8), ...get(0), ...V128_LOAD(16), ...tee(9), ...REALS, ...r, ...set(4), ...get(8), ...get(9), ...IMAGS, ...r, ...set(5)];
  return [
    ...locals([6, V128]),
    ...f64(-Infinity), ...F64X2_SPLAT, ...set(6),
    ...countedLoop(1, 1, [
      ...load,
      ...get(4), ...get(4), ...F64X2_MUL, ...get(5), ...get(5), ...F64X2_MUL, ...F64X2_ADD, ...F64X2_SQRT, ...r, ...tee(7),
      ...get(7), ...F64X2_MUL,
      // float32: the demoted square is both the float32 copy and, promoted, the rounded value.
      ...(single ? [...DEMOTE, ...tee(8), ...PROMOTE, ...set(7), ...get(3), ...get(8), ...V128_STORE64_LANE(0, 0)] : set(7)),
      ...get(2), ...get(7), ...V128_STORE(0),
      ...get(6), ...get(7), ...F64X2_PMAX, ...set(6),
      ...addConst(0, 32),
      ...addConst(2, 16),
      ...addConst(3, 8),
    ]),
    // lane0 < lane1 ? lane1 : lane0
    ...get(6), ...F64X2_EXTRACT_LANE(1), ...get(6), ...F64X2_EXTRACT_LANE(0), ...get(6), ...F64X2_EXTRACT_LANE(0), ...get(6), ...F64X2_EXTRACT_LANE(1), ...F64_LT, ...SELECT,
    ...END,
  ];
};

// fold. Params: 0 x, 1 w, 2 bins, 3 out. Locals: 4 splat, 5 .. 10 accumulators (v128, zero-initialised).
// (Unrolling the loop over bins measured slower: 2.0-2.3 µs against 1.6 µs a 1025-bin column.)
const foldBody = (single: boolean): number[] => {
  const rows = FOLD_ROWS / 2;
  const splat = single ? [...F32_LOAD(0), ...F64_PROMOTE_F32, ...F64X2_SPLAT] : V128_LOAD64_SPLAT(0);
  const accumulate = (j: number): number[] => [...get(5 + j), ...get(1), ...V128_LOAD(16 * j), ...get(4), ...F64X2_MUL, ...F64X2_ADD, ...set(5 + j)];
  return [
    ...locals([1 + rows, V128]),
    ...countedLoop(2, 1, [
      ...get(0), ...splat, ...set(4),
      ...range(0, rows).flatMap(accumulate),
      ...addConst(0, single ? 4 : 8),
      ...addConst(1, 16 * rows),
    ]),
    ...range(0, rows).flatMap((j) => [...get(3), ...get(5 + j), ...V128_STORE(16 * j)]),
    ...END,
  ];
};

const POWER = { params: [I32, I32, I32, I32], results: [F64] };
const FOLD = { params: [I32, I32, I32, I32], results: [] };
const functions: WasmFunction[] = [
  { name: "power32", ...POWER, body: powerBody(true) },
  { name: "power64", ...POWER, body: powerBody(false) },
  { name: "powerPair", ...POWER, body: powerBody(true, true) },
  { name: "fold64", ...FOLD, body: foldBody(false) },
  { name: "fold32", ...FOLD, body: foldBody(true) },
];

const MODULE = kernelModule("fold", functions);

/**
 * The kernels over `memory` (this thread's kernel memory, where the FFT
 * works), instantiated on first use; null where WebAssembly SIMD is missing.
 */
export const foldKernels = kernelsOverMemory<FoldKernels>(MODULE);
