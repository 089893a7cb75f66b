/**
 * Power-of-two decimation that reproduces libsoxr's "HQ" recipe (what
 * `soxr.resample(x, r, 1, quality="HQ")` and `librosa.resample(...,
 * res_type="soxr_hq")` compute) for r = 2^k.
 *
 * Structure (see docs/resampler.md for the numbers and how they were checked):
 *
 * - k - 1 half-band FIR stages (31 taps for k <= 3, 35 taps for k >= 4), each
 *   a zero-phase 2:1 decimator;
 * - one final 2:1 stage: a linear-phase Kaiser-windowed sinc low-pass
 *   (pass-band end 0.9137 and stop-band start 1.0 of the output Nyquist, 389
 *   taps for r = 2) applied by overlap-save FFT blocks of 2048 samples; the
 *   decimation happens in the frequency domain: the block's filtered spectrum
 *   is cut to its lower half (bins 0 .. N/4, the last one taken as real) and
 *   inverse-transformed at half length. That drops the (stop-band) alias
 *   terms a time-domain decimation would fold back, exactly as soxr does, so
 *   the block grid (hop 2048 - 388 input samples) is reproduced too;
 * - every filter is centred (zero delay): output n is the filter centred on
 *   input sample r n, with the input taken as zero outside [0, len);
 * - output length floor(len / r + 1/2) (soxr's flush rounding; librosa's
 *   `fix=True` then pads or trims to ceil(len / r)).
 *
 * soxr itself runs HQ in single precision (float32 samples, coefficients and
 * FFTs, whatever the I/O type); this module computes everything in float64,
 * so the residual against soxr is soxr's own float32 rounding noise (about
 * 1e-7 of the signal scale) plus, for r >= 4, the tiny difference between our
 * half-band designs and soxr's (both equiripple, ~1.5e-7 ripple).
 *
 * @see https://sourceforge.net/projects/soxr/ (libsoxr, the design being matched)
 */
import { getRealFft, type RealFft } from "../fft/index.js";
import { fftMemory, type FftMemory } from "../fft/wasmRealFft.js";
import type { FloatArray } from "../util/alloc.js";
import { ParameterError } from "../util/errors.js";
import { outputKernels } from "./outputKernels.js";
import { onClearCaches } from "../util/clearCaches.js";

/** HQ pass-band end (0 dB point) as a fraction of the output Nyquist: 1 - 0.05 / (3 dB width of a 120.4 dB filter). */
export const HQ_PASSBAND_END = 0.9137436532733066;
/** HQ stop-band start as a fraction of the output Nyquist. */
export const HQ_STOPBAND_BEGIN = 1;

/**
 * Final 2:1 stage parameters per total stage count k (decimation by 2^k):
 * [stop-band attenuation in dB, Kaiser beta, number of taps].
 * The attenuation is 21 bits (126.43 dB) plus 20 log10(k) when k stages share
 * the error budget; beta and taps follow soxr's Kaiser fits for that
 * attenuation and a transition band of 0.0216 of the input Nyquist.
 */
const DFT_STAGE_PARAMS: ReadonlyArray<readonly [number, number, number]> = [
  [126.4325981788721, 13.040035757464572, 389],
  [132.45319809215172, 13.711204171876062, 409],
  [135.97502327326535, 14.104186059408212, 421],
  [138.47379800543135, 14.38317872742154, 429],
  [140.41199826559247, 14.599678187739219, 433],
  [141.99562318654498, 14.776633412415704, 441],
  [143.33455897915724, 14.92629066266456, 445],
  [144.49439791871097, 15.055962088474258, 449],
  [145.5174483676586, 15.170365388699343, 449],
  [146.4325981788721, 15.272722492941073, 453],
  [147.2604518820366, 15.365331925023504, 457],
  [148.0162230998246, 15.449891129488872, 461],
  [148.71146522500882, 15.527689370660756, 461],
  [149.35515889243686, 15.599728960720473, 465],
  [149.95442335998573, 15.666804574120233, 465],
  [150.5149978319906, 15.729556919407464, 469],
];

/** Largest supported log2 of the decimation factor. */
export const MAX_LOG2_FACTOR = DFT_STAGE_PARAMS.length;

/**
 * Half-band decimators, designed by us (scripts/make_resample_fixtures.py
 * `halfband`): minimax (Remez) fits of H(w) = 1/2 + sum_j 2 c_j cos((2j+1) w)
 * to 1 on [0, pi/4], hence to 0 on [3 pi/4, pi].
 * 8 coefficients: 31 taps, ripple 1.49e-7 (136.5 dB), used while the
 * attenuation budget is <= 136.51 dB (k = 2, 3); 9 coefficients: 35 taps,
 * ripple 2.42e-8 (152.3 dB), used for k >= 4.
 */
const HALF_BAND_8: readonly number[] = [
  0.3115465502820771, -0.0873449854038628, 0.03681453890149601, -0.015189271319490088,
  0.0054541265286916045, -0.0015644046132707293, 0.0003181712818132217, -3.4800318518066576e-5,
];
const HALF_BAND_9: readonly number[] = [
  0.3122703674560625, -0.08922156861940655, 0.0391397674619577, -0.017250614301444193,
  0.006858981594099381, -0.0023045244344947536, 0.0006096449024750751, -0.00011323999503479291,
  1.1198036760206648e-5,
];
/** Attenuation (dB) up to which the 31-tap half-band suffices. */
const HALF_BAND_8_ATT = 136.51;

/** Modified Bessel function of the first kind, order 0 (power series; |x| <= ~50). */
export function besselI0(x: number): number {
  const q = (x * x) / 4;
  let term = 1;
  let sum = 1;
  for (let k = 1; k < 500; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

/**
 * Kaiser-windowed sinc low-pass, odd length `taps`, centred, DC gain ~1.
 * `fc` is the 6 dB cutoff as a fraction of the Nyquist; the Kaiser window is
 * evaluated at z / (m/2 + 1/2) (m = taps - 1), so its end taps are not zero.
 */
export function kaiserSincLowpass(taps: number, fc: number, beta: number): Float64Array {
  const m = taps - 1;
  const h = new Float64Array(taps);
  const norm = 1 / besselI0(beta);
  const inv = 1 / (0.5 * m + 0.5);
  for (let i = 0; i <= m / 2; i++) {
    const z = i - 0.5 * m;
    const x = z * Math.PI;
    const y = z * inv;
    let v = x !== 0 ? Math.sin(fc * x) / x : fc;
    v *= besselI0(beta * Math.sqrt(1 - y * y)) * norm;
    h[i] = v;
    h[m - i] = v;
  }
  return h;
}

/** The final 2:1 stage of a 2^k decimation: its filter and FFT block plan. */
export interface DftStage {
  /** Number of taps T (odd, T = 1 mod 4). */
  readonly taps: number;
  readonly beta: number;
  /** 6 dB cutoff, fraction of the input Nyquist. */
  readonly cutoff: number;
  readonly attenuation: number;
  /** FFT block length N. */
  readonly dftLength: number;
  /** Input samples consumed per block: N - (T - 1). */
  readonly blockInput: number;
  /** The centred impulse response (length T). */
  readonly impulse: Float64Array;
  /** 0.5 * DFT_N of the filter placed at -(T-1) .. 0, bins 0 .. N/4, interleaved re/im. */
  readonly spectrum: Float64Array;
}

const dftStageCache = new Map<number, DftStage>();

/** soxr's DFT-length rule: about 4x the filter length (power of two), between 2^10 and 2^17. */
function dftLengthFor(taps: number): number {
  const d = Math.log(taps) / Math.log(2);
  const lo = 10;
  const hi = Math.max(Math.trunc(d + 1.77), 17);
  return 1 << Math.min(Math.max(Math.trunc(d + 2.77), lo), hi);
}

/** Design (cached) of the final 2:1 stage for a decimation by 2^k. */
export function dftStage(k: number): DftStage {
  const cached = dftStageCache.get(k);
  if (cached) return cached;
  const params = DFT_STAGE_PARAMS[k - 1];
  if (!params) throw new ParameterError(`decimation by 2^${k} is not supported (1 <= k <= ${MAX_LOG2_FACTOR})`);
  const [attenuation, beta, taps] = params;
  // Normalised to the input Nyquist: pass-band end Fp/2, stop-band start 1/2.
  const fs = HQ_STOPBAND_BEGIN / 2;
  const tr = 0.5 * (fs - HQ_PASSBAND_END / 2);
  const cutoff = fs - tr;
  const impulse = kaiserSincLowpass(taps, cutoff, beta);
  const n = dftLengthFor(taps);
  const placed = new Float64Array(n);
  const offset = n - taps + 1;
  for (let i = 0; i < taps; i++) placed[(i + offset) & (n - 1)] = impulse[i]!;
  const full = new Float64Array(n + 2);
  getRealFft(n).forward(placed, 0, full);
  const bins = n / 4 + 1;
  const spectrum = new Float64Array(2 * bins);
  // 0.5: the half-length inverse (irfft, scaled 1/(N/2)) must equal soxr's unscaled inverse times 1/N.
  for (let i = 0; i < 2 * bins; i++) spectrum[i] = 0.5 * full[i]!;
  const stage: DftStage = {
    taps,
    beta,
    cutoff,
    attenuation,
    dftLength: n,
    blockInput: n - (taps - 1),
    impulse,
    spectrum,
  };
  dftStageCache.set(k, stage);
  return stage;
}

/** Half-band coefficients c_j (taps at offsets ±(2j+1)) used in a 2^k chain. */
export function halfBandCoefficients(k: number): readonly number[] {
  const att = DFT_STAGE_PARAMS[k - 1]?.[0];
  if (att === undefined) throw new ParameterError(`decimation by 2^${k} is not supported`);
  return att <= HALF_BAND_8_ATT ? HALF_BAND_8 : HALF_BAND_9;
}

/**
 * One half-band 2:1 stage: w[i] = x[2i]/2 + sum_j c_j (x[2i-2j-1] + x[2i+2j+1]),
 * x zero outside [0, len). Returns every possibly non-zero output:
 * floor((len + 2n - 2) / 2) + 1 samples for n coefficients.
 */
export function halfBandDecimate(x: Float64Array, coefs: readonly number[]): Float64Array {
  const len = x.length;
  if (len === 0) return new Float64Array(0);
  const nc = coefs.length;
  const reach = 2 * nc - 1;
  const outLen = Math.floor((len + 2 * nc - 2) / 2) + 1;
  const pad = new Float64Array(len + 3 * reach + 2);
  pad.set(x, reach);
  const out = new Float64Array(outLen);
  const c = Float64Array.from(coefs);
  for (let i = 0; i < outLen; i++) {
    const centre = reach + 2 * i;
    let sum = 0.5 * pad[centre]!;
    for (let j = 0; j < nc; j++) {
      const d = 2 * j + 1;
      sum += c[j]! * (pad[centre - d]! + pad[centre + d]!);
    }
    out[i] = sum;
  }
  return out;
}

/** Input samples per overlap-save block of `stage`, halved: the outputs each block yields. */
const outputsPerBlock = (stage: DftStage): number => stage.blockInput / 2;

/** Number of overlap-save blocks {@link dftStageDecimateBlocks} needs for `outLen` outputs. */
export function dftStageBlockCount(stage: DftStage, outLen: number): number {
  return outLen <= 0 ? 0 : Math.ceil(outLen / outputsPerBlock(stage));
}

/** The outputs [from, to) that blocks [b0, b1) of a `outLen`-sample decimation write. */
export function dftStageBlockOutputs(stage: DftStage, outLen: number, b0: number, b1: number): [number, number] {
  const per = outputsPerBlock(stage);
  return [Math.min(outLen, b0 * per), Math.min(outLen, b1 * per)];
}

/**
 * What the caller does to each output of {@link dftStageDecimateBlocks} as it
 * is stored: v = raw / divisor, rounded to float32 if `single`, then, if
 * `multiplier` is not 1, v = v * multiplier, rounded again if `single`
 * (librosa's `scale` division and float32 cast, fused into the block output).
 */
export interface DftStageOutputMap {
  readonly divisor: number;
  readonly multiplier: number;
  readonly single: boolean;
}

/**
 * Copies `count` block outputs from `src[from ..]` to `out[to ..]`, applying
 * `map` (one loop per case, so each stays a tight monomorphic loop).
 */
function storeOutputs(src: Float64Array, from: number, out: FloatArray, to: number, count: number, map: DftStageOutputMap | undefined): void {
  if (map === undefined) {
    out.set(src.subarray(from, from + count), to);
    return;
  }
  const d = map.divisor;
  const mult = map.multiplier;
  if (map.single) {
    if (mult === 1) for (let i = 0; i < count; i++) out[to + i] = Math.fround(src[from + i]! / d);
    else for (let i = 0; i < count; i++) out[to + i] = Math.fround(Math.fround(src[from + i]! / d) * mult);
  } else if (mult === 1) {
    for (let i = 0; i < count; i++) out[to + i] = src[from + i]! / d;
  } else {
    for (let i = 0; i < count; i++) out[to + i] = (src[from + i]! / d) * mult;
  }
}

/**
 * What a kernel memory holds for the stages (kept as long as that memory, in
 * its "resample" region): per stage (by its spectrum array), where
 * conj(spectrum) sits, for `crossProduct`, and its spectrum as the float32
 * table of the pair path.
 */
interface StageTables {
  conjugateSpectra: WeakMap<Float64Array, number>;
  quadSpectra: WeakMap<Float64Array, number>;
}
const STAGE_TABLES = Symbol("resample");
const stageTables = (sm: FftMemory): StageTables =>
  sm.memory.memo(STAGE_TABLES, () => ({ conjugateSpectra: new WeakMap<Float64Array, number>(), quadSpectra: new WeakMap<Float64Array, number>() }));
onClearCaches(() => {
  dftStageCache.clear();
});

/** Writes block b's n input samples (x read as zero outside [0, x.length)) to `heap[at ..]`. */
const stageBlock = (heap: FloatArray, at: number, x: FloatArray, start: number, n: number): void => {
  if (start >= 0 && start + n <= x.length) {
    heap.set(x.subarray(start, start + n), at);
    return;
  }
  heap.fill(0, at, at + n);
  const from = Math.max(0, start);
  const to = Math.min(x.length, start + n);
  if (to > from) heap.set(x.subarray(from, to), at + from - start);
};

/**
 * {@link decimateBlocksInMemory} for float32 output (`map.single`), two blocks
 * at a time through the float32 pair transforms: soxr's HQ recipe runs its
 * own DFT stages in single precision, and the outputs are rounded to float32
 * anyway. A block's outputs never depend on the block it is paired with (an
 * odd last one is paired with itself), so they do not depend on how blocks are
 * split among threads.
 */
function decimateBlockPairs32(
  sm: FftMemory,
  x: FloatArray,
  stage: DftStage,
  outLen: number,
  out: FloatArray,
  outOffset: number,
  b0: number,
  b1: number,
  map: DftStageOutputMap,
): void {
  const n = stage.dftLength;
  const delay = (stage.taps - 1) / 2;
  const block = stage.blockInput;
  const perBlock = outputsPerBlock(stage);
  const bins = n / 4 + 1;
  // Tables and areas first: they may grow the memory, which renews the heap view.
  const { quadSpectra } = stageTables(sm);
  let q = quadSpectra.get(stage.spectrum);
  if (q === undefined) {
    q = sm.quadsPairs32!(stage.spectrum, bins, "resample");
    quadSpectra.set(stage.spectrum, q);
  }
  // Two blocks of input and two of output, for transforms of n points.
  const inA = sm.area("resample", "pairs", 3 * n + 8);
  const inB = inA + n + 2;
  const outA = inB + n + 2;
  const outB = outA + n / 2 + 2;
  // Float32 output without a multiplier: the inverse itself divides in float64 and rounds to float32 as it unpacks the
  // pair (divide32's operations, without a second pass over float64 outputs), and emit copies float32 (a float64 ->
  // float32 `set` converts element by element: the first halving of 180 s, in-process, 17.3 -> 14.8 ms in session 15).
  const divided = map.multiplier === 1 && out instanceof Float32Array;
  // Otherwise float64 outputs divided in place (no multiplier) before the copy, or a scalar loop.
  const kernels = !divided && map.multiplier === 1 && sm.memory !== undefined ? outputKernels(sm.memory) : null;
  // A float32 signal's blocks are staged as float32 (half the bytes, no conversion); the transform reads them so.
  const single = x instanceof Float32Array;
  let heap32: Float32Array | null = null;
  /** Block `blockIndex`'s outputs, left by the inverse at heap index `at`, into `out` (one function for the whole loop). */
  const emit = (blockIndex: number, at: number): void => {
    const outputs = sm.heap();
    const base = blockIndex * perBlock;
    const count = Math.min(perBlock, outLen - base);
    if (divided) {
      if (heap32 === null || heap32.buffer !== outputs.buffer) heap32 = new Float32Array(outputs.buffer, outputs.byteOffset, 2 * outputs.length);
      out.set(heap32.subarray(2 * at, 2 * at + count), outOffset + base);
    } else if (kernels !== null) {
      kernels.divide32(8 * at, 32 * Math.ceil(count / 4), map.divisor);
      out.set(outputs.subarray(at, at + count), outOffset + base);
    } else {
      storeOutputs(outputs, at, out, outOffset + base, count, map);
    }
  };
  for (let b = b0; b < b1; b += 2) {
    const second = Math.min(b + 1, b1 - 1);
    const heap = sm.heap();
    if (single) {
      // A float32 view of the heap, made again only when the memory grew (a new buffer).
      if (heap32 === null || heap32.buffer !== heap.buffer) heap32 = new Float32Array(heap.buffer, heap.byteOffset, 2 * heap.length);
      stageBlock(heap32, 2 * inA, x, b * block - delay, n);
      stageBlock(heap32, 2 * inB, x, second * block - delay, n);
    } else {
      stageBlock(heap, inA, x, b * block - delay, n);
      stageBlock(heap, inB, x, second * block - delay, n);
    }
    // irfft ignores the imaginary parts of bins 0 and N/4: the Nyquist bin is taken as real, like soxr.
    const spectrum = sm.spectrumPairs32!(n, inA, inB, single);
    if (divided) sm.inverseDividedPairs32!(n / 2, spectrum, q, outA, outB, map.divisor);
    else sm.inversePairs32!(n / 2, spectrum, q, outA, outB);
    emit(b, outA);
    if (second !== b) emit(second, outB);
  }
}

/**
 * The in-memory path of {@link dftStageDecimateBlocks}: the same transforms
 * (the WebAssembly kernels that `getRealFft` also uses), product and inverse,
 * hence bit-identical results, without copying spectra in and out: each
 * block's samples are written into the forward transform's input, the
 * product conj(conj H) X = H X (same operations and rounding as the
 * TypeScript product) goes straight into the inverse's input, and the
 * outputs are read where the inverse leaves them.
 */
function decimateBlocksInMemory(
  sm: FftMemory,
  x: FloatArray,
  stage: DftStage,
  outLen: number,
  out: FloatArray,
  outOffset: number,
  b0: number,
  b1: number,
  map: DftStageOutputMap | undefined,
): void {
  const n = stage.dftLength;
  const delay = (stage.taps - 1) / 2;
  const block = stage.blockInput;
  const perBlock = outputsPerBlock(stage);
  const bins = n / 4 + 1;
  // Plans (tables and buffers) first: they may grow the memory, which renews the heap view.
  const inAt = sm.input(n);
  const halfAt = sm.input(n / 2);
  const { conjugateSpectra } = stageTables(sm);
  let hAt = conjugateSpectra.get(stage.spectrum);
  if (hAt === undefined) {
    hAt = sm.reserve(2 * bins, "resample");
    const heap = sm.heap();
    const h = stage.spectrum;
    for (let k = 0; k < bins; k++) {
      heap[hAt + 2 * k] = h[2 * k]!;
      heap[hAt + 2 * k + 1] = -h[2 * k + 1]!;
    }
    conjugateSpectra.set(stage.spectrum, hAt);
  }
  // The scale division (and float32 cast) in SIMD where it is all the map asks.
  const kernels = map !== undefined && map.multiplier === 1 && sm.memory !== undefined ? outputKernels(sm.memory) : null;
  const divide = kernels === null ? null : map!.single ? kernels.divide32 : kernels.divide64;
  const heap = sm.heap();
  for (let b = b0; b < b1; b++) {
    stageBlock(heap, inAt, x, b * block - delay, n);
    const specAt = sm.forward(n);
    // irfft ignores the imaginary parts of bins 0 and N/4: the Nyquist bin is taken as real, like soxr.
    sm.crossProduct(hAt, specAt, halfAt, bins);
    const outAt = sm.inverse(n / 2);
    const base = b * perBlock;
    const count = Math.min(perBlock, outLen - base);
    if (divide !== null) {
      // In place over whole vectors (count rounded up to 4 stays inside the N/2 outputs), then one copy.
      divide(8 * outAt, 32 * Math.ceil(count / 4), map!.divisor);
      out.set(heap.subarray(outAt, outAt + count), outOffset + base);
    } else {
      storeOutputs(heap, outAt, out, outOffset + base, count, map);
    }
  }
}

/**
 * Blocks [b0, b1) of the final 2:1 stage (see {@link dftStageDecimate}):
 * writes their outputs (see {@link dftStageBlockOutputs}) to
 * `out[outOffset + n]`, through `map` if given. Each block depends only on
 * `x`, so disjoint block ranges can run on different threads with identical
 * results. `x` and `out` may be float32 (`out` only with `map.single`, whose
 * outputs are float32 values anyway).
 */
export function dftStageDecimateBlocks(
  x: FloatArray,
  stage: DftStage,
  outLen: number,
  out: FloatArray,
  outOffset: number,
  b0: number,
  b1: number,
  map?: DftStageOutputMap,
): void {
  if (b1 <= b0) return;
  const spectral = fftMemory();
  if (spectral !== null && map?.single && spectral.inversePairs32 !== undefined) decimateBlockPairs32(spectral, x, stage, outLen, out, outOffset, b0, b1, map);
  else if (spectral !== null) decimateBlocksInMemory(spectral, x, stage, outLen, out, outOffset, b0, b1, map);
  else dftStageDecimateBlocksWith(getRealFft(stage.dftLength), getRealFft(stage.dftLength / 2), x, stage, outLen, out, outOffset, b0, b1, map);
}

/**
 * {@link dftStageDecimateBlocks} through the given forward (length N) and
 * inverse (length N/2) transforms, copying each spectrum out and back: the
 * path without WebAssembly SIMD (with `getRealFft`), and the reference the
 * tests compare the in-memory path with.
 */
export function dftStageDecimateBlocksWith(
  fwd: RealFft,
  inv: RealFft,
  x: FloatArray,
  stage: DftStage,
  outLen: number,
  out: FloatArray,
  outOffset: number,
  b0: number,
  b1: number,
  map?: DftStageOutputMap,
): void {
  const n = stage.dftLength;
  const delay = (stage.taps - 1) / 2;
  const block = stage.blockInput;
  const perBlock = outputsPerBlock(stage);
  // Stream: `delay` zeros (soxr's pre-load), the input, then zeros (the flush).
  // Block b reads stream[b B, b B + N) = x[b B - delay, b B - delay + N); blocks that
  // fall inside x are read in place, the others through a zero-padded scratch copy.
  const scratch = new Float64Array(n);
  const spec = new Float64Array(n + 2);
  const half = new Float64Array(n / 2 + 2);
  const tmp = new Float64Array(n / 2);
  const h = stage.spectrum;
  const bins = n / 4 + 1;
  const len = x.length;
  for (let b = b0; b < b1; b++) {
    const start = b * block - delay;
    // In place when the block lies inside a float64 x (the TypeScript FFT reads float64), else through `scratch`.
    if (start >= 0 && start + n <= len && x instanceof Float64Array) {
      fwd.forward(x, start, spec);
    } else {
      scratch.fill(0);
      const from = Math.max(0, start);
      const to = Math.min(len, start + n);
      if (to > from) scratch.set(x.subarray(from, to), from - start);
      fwd.forward(scratch, 0, spec);
    }
    for (let k = 0; k < bins; k++) {
      const xr = spec[2 * k]!;
      const xi = spec[2 * k + 1]!;
      const hr = h[2 * k]!;
      const hi = h[2 * k + 1]!;
      half[2 * k] = xr * hr - xi * hi;
      half[2 * k + 1] = xr * hi + xi * hr;
    }
    // irfft ignores the imaginary parts of bins 0 and N/4: the Nyquist bin is taken as real, like soxr.
    inv.inverse(half, 0, tmp, 0);
    const base = b * perBlock;
    storeOutputs(tmp, 0, out, outOffset + base, Math.min(perBlock, outLen - base), map);
  }
}

/**
 * The final 2:1 stage by overlap-save FFT blocks with frequency-domain
 * decimation (see the module comment). `x` is taken as zero outside
 * [0, x.length); returns `outLen` samples, output n centred on input 2n.
 */
export function dftStageDecimate(x: Float64Array, stage: DftStage, outLen: number): Float64Array {
  const out = new Float64Array(Math.max(0, outLen));
  dftStageDecimateBlocks(x, stage, outLen, out, 0, 0, dftStageBlockCount(stage, outLen));
  return out;
}

/** Output length of soxr's `resample(x, r, 1)`: floor(len / r + 1/2). */
export function soxrOutputLength(len: number, factor: number): number {
  return Math.floor(len / factor + 0.5);
}

/** log2 of a power-of-two factor >= 2, or -1. */
export function log2Factor(factor: number): number {
  if (!Number.isInteger(factor) || factor < 2) return -1;
  const k = Math.round(Math.log2(factor));
  return 2 ** k === factor ? k : -1;
}

/**
 * soxr HQ decimation by `factor` = 2^k (1 <= k <= 16): what
 * `soxr.resample(x, factor, 1, quality="HQ")` returns (same length,
 * floor(len / factor + 1/2), and values to about 1e-7 relative).
 * No `scale` and no length fix: see {@link resample} for librosa's wrapper.
 */
export function soxrHqDecimate(input: Float64Array, factor: number): Float64Array {
  const k = log2Factor(factor);
  if (k < 1 || k > MAX_LOG2_FACTOR) {
    throw new ParameterError(`soxr HQ decimation supports factors 2^k, 1 <= k <= ${MAX_LOG2_FACTOR}; got ${factor}`);
  }
  const outLen = soxrOutputLength(input.length, factor);
  if (outLen === 0) return new Float64Array(0);
  let x = input;
  if (k > 1) {
    const coefs = halfBandCoefficients(k);
    for (let s = 1; s < k; s++) x = halfBandDecimate(x, coefs);
  }
  return dftStageDecimate(x, dftStage(k), outLen);
}

/** soxr HQ 2:1 decimation (`soxr.resample(x, 2, 1, "HQ")`): ceil(len / 2) samples. */
export function resampleHalf(input: Float64Array): Float64Array {
  return soxrHqDecimate(input, 2);
}
