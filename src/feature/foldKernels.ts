/**
 * chroma_stft's per-frame loops in WebAssembly SIMD, working in the FFT
 * kernels' memory (imported from `wasmSpectralMemory().memory`, as
 * src/cqt/tuningKernels.ts does):
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
 * The module is small enough to be written out here byte by byte; each
 * thread instantiates it once over its FFT memory.
 */
import { F64, F64X2_ADD, F64X2_MUL, F64X2_SPLAT, I32, V128, V128_LOAD, V128_STORE, addConst, countedLoop, get, kernelsOverMemory, memoryImportingModule, set, simd, sleb, tee, type WasmFunction } from "../util/wasm.js";

/** Rows folded per call of a fold kernel (6 vectors of 2). */
export const FOLD_ROWS = 12;

/** Byte addresses in the FFT kernels' memory; counts as named. */
export interface FoldKernels {
  /**
   * The power of bins 0 .. 2 pairs of the interleaved spectrum at `spec`
   * (re, im rounded to float32, m = fround(sqrt(re² + im²)), p = fround(m²))
   * as float64 to `out64` and as float32 to `out32`; returns the largest p
   * (-Infinity if none; NaN ignored).
   */
  power32(spec: number, pairs: number, out64: number, out32: number): number;
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

const V128_STORE64_LANE0 = simd([0x5b, 3, 0, 0]);
const F64_PROMOTE_F32 = [0xbb];
const F64X2_SQRT = simd([0xef, 0x01]);
/** pmax(a, b) = a < b ? b : a per lane: `if (b > a) a = b` of the scalar loops. */
const F64X2_PMAX = simd([0xf7, 0x01]);
const EXTRACT = (lane: number): number[] => simd([0x21, lane]);
const DEMOTE = simd([0x5e]);
const PROMOTE = simd([0x5f]);
/** Rounds both float64 lanes to float32 and back. */
const ROUND32 = [...DEMOTE, ...PROMOTE];
const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);
/** (re0, im0), (re1, im1) -> (re0, re1) and -> (im0, im1). */
const REALS = simd([0x0d, ...range(0, 8), ...range(16, 8)]);
const IMAGS = simd([0x0d, ...range(8, 8), ...range(24, 8)]);

// power. Params: 0 spec, 1 pairs, 2 out64, 3 out32. Locals: 4 re, 5 im, 6 acc, 7 p, 8 a, 9 b (v128).
const powerBody = (single: boolean): number[] => {
  const r = single ? ROUND32 : [];
  return [
    1, 6, V128,
    0x44, 0, 0, 0, 0, 0, 0, 0xf0, 0xff, ...F64X2_SPLAT, ...set(6),
    ...countedLoop(1, 1, [
      ...get(0), ...V128_LOAD(0), ...tee(8), ...get(0), ...V128_LOAD(16), ...tee(9), ...REALS, ...r, ...set(4),
      ...get(8), ...get(9), ...IMAGS, ...r, ...set(5),
      ...get(4), ...get(4), ...F64X2_MUL, ...get(5), ...get(5), ...F64X2_MUL, ...F64X2_ADD, ...F64X2_SQRT, ...r, ...tee(7),
      ...get(7), ...F64X2_MUL,
      // float32: the demoted square is both the float32 copy and, promoted, the rounded value.
      ...(single ? [...DEMOTE, ...tee(8), ...PROMOTE, ...set(7), ...get(3), ...get(8), ...V128_STORE64_LANE0] : set(7)),
      ...get(2), ...get(7), ...V128_STORE(0),
      ...get(6), ...get(7), ...F64X2_PMAX, ...set(6),
      ...addConst(0, 32),
      ...addConst(2, 16),
      ...addConst(3, 8),
    ]),
    // lane0 < lane1 ? lane1 : lane0
    ...get(6), ...EXTRACT(1), ...get(6), ...EXTRACT(0), ...get(6), ...EXTRACT(0), ...get(6), ...EXTRACT(1), 0x63, 0x1b,
    0x0b,
  ];
};

// fold. Params: 0 x, 1 w, 2 bins, 3 out. Locals: 4 splat, 5 .. 10 accumulators (v128, zero-initialised).
// (Unrolling the loop over bins measured slower: 2.0-2.3 µs against 1.6 µs a 1025-bin column.)
const foldBody = (single: boolean): number[] => {
  const rows = FOLD_ROWS / 2;
  const splat = single ? [0x2a, 2, 0, ...F64_PROMOTE_F32, ...F64X2_SPLAT] : simd([0x0a, 3, 0]);
  const accumulate = (j: number): number[] => [...get(5 + j), ...get(1), ...V128_LOAD(16 * j), ...get(4), ...F64X2_MUL, ...F64X2_ADD, ...set(5 + j)];
  return [
    1, 1 + rows, V128,
    ...countedLoop(2, 1, [
      ...get(0), ...splat, ...set(4),
      ...range(0, rows).flatMap(accumulate),
      ...addConst(0, single ? 4 : 8),
      ...addConst(1, 16 * rows),
    ]),
    ...range(0, rows).flatMap((j) => [...get(3), ...get(5 + j), ...V128_STORE(16 * j)]),
    0x0b,
  ];
};

const functions: WasmFunction[] = [
  { name: "power32", type: 0, body: powerBody(true) },
  { name: "power64", type: 0, body: powerBody(false) },
  { name: "fold64", type: 1, body: foldBody(false) },
  { name: "fold32", type: 1, body: foldBody(true) },
];

const MODULE = memoryImportingModule([2, 0x60, 4, I32, I32, I32, I32, 1, F64, 0x60, 4, I32, I32, I32, I32, 0], functions);

/**
 * The kernels over `memory` (the FFT kernels' WebAssembly.Memory of this
 * thread), instantiated on first use; null where WebAssembly SIMD is missing.
 */
export const foldKernels = kernelsOverMemory<FoldKernels>(MODULE);
