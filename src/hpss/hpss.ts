/**
 * The core of `librosa.decompose.hpss` (0.11.0) for one channel:
 * magnitude and phase of a complex spectrogram (`core.magphase`), a harmonic
 * median along time, a percussive median along frequency, soft (or hard)
 * masks with margins, and the masked spectra `H = S * mask_harm`,
 * `P = S * mask_perc`.
 *
 * Every pass is a function over an index range, so a caller can cut it across
 * worker threads; results do not depend on the cut:
 * 1. {@link complexMagnitude}: elements;
 * 2. {@link harmonicMedian}: frequency bins, {@link percussiveMedian}: frames
 *    (both read the whole magnitude matrix, so run them after pass 1);
 * 3. {@link hpssMasks}: elements;
 * 4. {@link applyHpssMasks} / {@link applyHpssMasksReal}: elements.
 * {@link hpss} runs them all on one thread.
 *
 * Matrices (`mag`, `harm`, `perc`, masks) are planar float64, `nFreq x nTime`
 * in one of two orders: `"freq-major"` (`[freq][time]`, numpy's C order for
 * librosa's `(..., freq, time)`) or `"frame-major"` (`[time][freq]`, the order
 * of the bridge's STFT wire layout). The median passes pick the contiguous or
 * the blocked-column filter accordingly; the element passes do not care.
 *
 * Float32 (complex64 / float32 input): librosa computes in float32 throughout,
 * and so do we, by rounding each numpy operation's result with `Math.fround`
 * in the same order numpy evaluates it:
 * - `np.abs` of complex64 is numpy's SIMD formula (see {@link complexMagnitude});
 * - the medians pick input values (exact);
 * - `perc * margin` rounds the margin to float32 first (a Python float is a
 *   "weak" scalar under NumPy 2 promotion) and then the product;
 * - the softmask steps are rounded one by one (see `softmask.ts`);
 * - `(S * mask) * phase` rounds `mag * mask`, then the complex product with
 *   the phase `(re / mag, im / mag)`, itself rounded per component.
 * With these, float32 and float64 results agree with librosa bit for bit for
 * the powers 1, 2, 0.5 and infinity (other powers: to about one ulp, numpy's
 * vectorised `pow` is not correctly rounded).
 *
 * @see https://librosa.org/doc/0.11.0/generated/librosa.decompose.hpss.html
 * @see Fitzgerald, "Harmonic/percussive separation using median filtering", DAFx 2010.
 */
import type { FloatArray } from "../util/alloc.js";
import { ParameterError } from "../util/errors.js";
import { MEDIAN_COLUMN_BLOCK, createMedianWorkspace, medianFilterColumns, medianFilterRows, type MedianWorkspace } from "./medianFilter.js";
import { roundTo, softmaskValue, tinyOf, type Precision } from "./softmask.js";

/** Storage order of the planar `nFreq x nTime` matrices. */
export type MatrixOrder = "freq-major" | "frame-major";

/** Shape and order of the planar matrices of one channel. */
export interface HpssGeometry {
  nFreq: number;
  nTime: number;
  order: MatrixOrder;
}

/** Parameters of `decompose.hpss`, with `kernel_size` and `margin` split into their two parts. */
export interface HpssParams {
  /** Harmonic median length in frames (`kernel_size[0]`). */
  winHarm: number;
  /** Percussive median length in bins (`kernel_size[1]`). */
  winPerc: number;
  /** Mask exponent, > 0, or `Infinity` for hard masks. librosa's default is 2. */
  power: number;
  /** `margin[0]` and `margin[1]`, each >= 1. */
  marginHarm: number;
  marginPerc: number;
  /** dtype librosa computes in: that of the magnitudes (float32 for complex64 input). */
  precision: Precision;
  /**
   * librosa 1.0's rule: with both margins 1 and a finite power, the
   * percussive mask is `1 - maskHarm` instead of its own softmask (see
   * {@link percussiveIsComplement}). Default false (librosa 0.11).
   */
  complementPercussive?: boolean;
}

/**
 * Whether the percussive mask is `1 - maskHarm`: librosa 1.0 computes it so
 * when `split_zeros` holds (both margins 1) and `np.isfinite(power)`; librosa
 * 0.11, and 1.0 otherwise, computes `softmask(perc, harm * marginPerc)`. The
 * two agree in exact arithmetic, not in round-off.
 */
export const percussiveIsComplement = (params: HpssParams): boolean =>
  params.complementPercussive === true && params.marginHarm === 1 && params.marginPerc === 1 && Number.isFinite(params.power);

/**
 * Checks the parameters as librosa does (margins) and as scipy does (median sizes).
 *
 * @throws ParameterError when a margin is below 1 or the power is not > 0.
 * @throws RangeError when a median length is not an integer >= 1.
 */
export const validateHpssParams = (params: HpssParams): void => {
  if (params.marginHarm < 1 || params.marginPerc < 1) {
    throw new ParameterError("Margins must be >= 1.0. A typical range is between 1 and 10.");
  }
  if (params.power <= 0) throw new ParameterError("power must be strictly positive");
  for (const win of [params.winHarm, params.winPerc]) {
    if (!Number.isInteger(win) || win < 1) throw new RangeError(`median kernel size must be an integer >= 1, got ${win}`);
  }
};

/**
 * `fma(r, r, 1)` in float64, for 0 <= r <= 1: `r * r` is split exactly into
 * `p + q` (Dekker), `1 + p` into `s + e` (Fast2Sum), and the tail is added
 * last. This agrees with a hardware FMA on a million random inputs; it could
 * differ only on a rounding tie of the tail.
 */
const squarePlusOneFused = (r: number): number => {
  const p = r * r;
  const split = 134217729 * r; // 2^27 + 1
  const hi = split - (split - r);
  const lo = r - hi;
  const q = hi * hi - p + 2 * hi * lo + lo * lo;
  const s = 1 + p;
  const e = p - (s - 1);
  return s + (e + q);
};

/**
 * `np.abs` of complex elements `[start, end)`: element `i` is the pair at
 * `spectrum[2 * (offset + i * stride)]` (re) and `+ 1` (im); `mag[i]` gets
 * its modulus.
 *
 * numpy's vectorised complex absolute value (AVX2/AVX-512 builds) computes
 * `larger * sqrt(fma(ratio, ratio, 1))` with `ratio = smaller / larger`, not a
 * correctly rounded hypot; that formula is reproduced here, in float32 for
 * `"float32"` (where `ratio * ratio + 1` is exact in float64, so rounding it
 * once is the float32 FMA) and with an emulated FMA for `"float64"`. Checked
 * bit-exact against numpy 2.4 on x86-64 with AVX-512 for 10^6 values per dtype.
 * A numpy built without FMA rounds the product separately; the difference is
 * at most an ulp.
 *
 * @param stride - elements between consecutive pairs (the channel count in
 *   the frame-major wire layout, 1 for a planar spectrogram).
 * @returns `mag`.
 */
export const complexMagnitude = (
  spectrum: FloatArray,
  offset: number,
  stride: number,
  mag: FloatArray,
  precision: Precision,
  start = 0,
  end = mag.length,
): FloatArray => {
  const float32 = precision === "float32";
  for (let i = start; i < end; i++) {
    const at = 2 * (offset + i * stride);
    const re = Math.abs(spectrum[at]!);
    const im = Math.abs(spectrum[at + 1]!);
    const larger = re > im ? re : im;
    const smaller = re > im ? im : re;
    if (larger === 0) {
      mag[i] = 0;
    } else if (float32) {
      const ratio = Math.fround(smaller / larger);
      mag[i] = Math.fround(larger * Math.fround(Math.sqrt(Math.fround(ratio * ratio + 1))));
    } else {
      mag[i] = larger * Math.sqrt(squarePlusOneFused(smaller / larger));
    }
  }
  return mag;
};

const columnWorkspace = (lineLength: number, size: number, work: MedianWorkspace | undefined): MedianWorkspace =>
  work ?? createMedianWorkspace(lineLength, size, MEDIAN_COLUMN_BLOCK);

/**
 * The harmonic median, `median_filter(S, size=(1, winHarm), mode="reflect")`:
 * along time, for frequency bins `[binStart, binEnd)`.
 *
 * @param work - optional scratch: `createMedianWorkspace(nTime, winHarm, 2)`
 *   for "freq-major", `createMedianWorkspace(nTime, winHarm, MEDIAN_COLUMN_BLOCK)`
 *   for "frame-major".
 * @returns `harm`.
 */
export const harmonicMedian = (
  mag: Float64Array,
  geometry: HpssGeometry,
  winHarm: number,
  harm: Float64Array,
  binStart = 0,
  binEnd = geometry.nFreq,
  work?: MedianWorkspace,
): Float64Array => {
  const { nFreq, nTime, order } = geometry;
  return order === "freq-major"
    ? medianFilterRows(mag, nFreq, nTime, winHarm, harm, binStart, binEnd, work)
    : medianFilterColumns(mag, nTime, nFreq, winHarm, harm, binStart, binEnd, columnWorkspace(nTime, winHarm, work));
};

/**
 * The percussive median, `median_filter(S, size=(winPerc, 1), mode="reflect")`:
 * along frequency, for frames `[frameStart, frameEnd)`.
 *
 * @param work - optional scratch: `createMedianWorkspace(nFreq, winPerc, MEDIAN_COLUMN_BLOCK)`
 *   for "freq-major", `createMedianWorkspace(nFreq, winPerc, 2)` for "frame-major".
 * @returns `perc`.
 */
export const percussiveMedian = (
  mag: Float64Array,
  geometry: HpssGeometry,
  winPerc: number,
  perc: Float64Array,
  frameStart = 0,
  frameEnd = geometry.nTime,
  work?: MedianWorkspace,
): Float64Array => {
  const { nFreq, nTime, order } = geometry;
  return order === "freq-major"
    ? medianFilterColumns(mag, nFreq, nTime, winPerc, perc, frameStart, frameEnd, columnWorkspace(nFreq, winPerc, work))
    : medianFilterRows(mag, nTime, nFreq, winPerc, perc, frameStart, frameEnd, work);
};

/**
 * Both masks for elements `[start, end)`:
 * `maskHarm = softmask(harm, perc * marginHarm, power, splitZeros)` and
 * `maskPerc = softmask(perc, harm * marginPerc, power, splitZeros)` with
 * `splitZeros = marginHarm == 1 && marginPerc == 1`, as librosa's hpss calls
 * them, or `maskPerc = 1 - maskHarm` under {@link percussiveIsComplement}.
 * Hard masks (`power = Infinity`) are 0/1 (librosa: booleans).
 */
export const hpssMasks = (
  harm: Float64Array,
  perc: Float64Array,
  params: HpssParams,
  maskHarm: Float64Array,
  maskPerc: Float64Array,
  start = 0,
  end = harm.length,
): void => {
  const { power, precision } = params;
  const float32 = precision === "float32";
  const tiny = tinyOf(precision);
  const splitZeros = params.marginHarm === 1 && params.marginPerc === 1;
  const marginHarm = roundTo(params.marginHarm, float32);
  const marginPerc = roundTo(params.marginPerc, float32);
  const complement = percussiveIsComplement(params);
  for (let i = start; i < end; i++) {
    const h = harm[i]!;
    const p = perc[i]!;
    const mh = softmaskValue(h, roundTo(p * marginHarm, float32), power, splitZeros, float32, tiny);
    maskHarm[i] = mh;
    maskPerc[i] = complement ? roundTo(1 - mh, float32) : softmaskValue(p, roundTo(h * marginPerc, float32), power, splitZeros, float32, tiny);
  }
};

/**
 * One masked spectrum, `(mag * mask) * phase`, for elements `[start, end)`,
 * where `phase = (re / mag, im / mag)` (`1 + 0j` where `mag == 0`) as
 * `core.magphase` makes it. `out` uses the spectrum's interleaved layout
 * (`offset`, `stride`) and may be a float32 array.
 */
export const applyMask = (
  spectrum: FloatArray,
  offset: number,
  stride: number,
  mag: Float64Array,
  mask: Float64Array,
  precision: Precision,
  out: FloatArray,
  start = 0,
  end = mag.length,
): void => {
  const float32 = precision === "float32";
  for (let i = start; i < end; i++) {
    const at = 2 * (offset + i * stride);
    const m = mag[i]!;
    let phaseRe = 1;
    let phaseIm = 0;
    if (m !== 0) {
      phaseRe = roundTo(spectrum[at]! / m, float32);
      phaseIm = roundTo(spectrum[at + 1]! / m, float32);
    }
    const scaled = roundTo(m * mask[i]!, float32);
    out[at] = roundTo(scaled * phaseRe, float32);
    out[at + 1] = roundTo(scaled * phaseIm, float32);
  }
};

/** Both masked spectra, `H = (mag * maskHarm) * phase` and `P = (mag * maskPerc) * phase` (see {@link applyMask}). */
export const applyHpssMasks = (
  spectrum: FloatArray,
  offset: number,
  stride: number,
  mag: Float64Array,
  maskHarm: Float64Array,
  maskPerc: Float64Array,
  precision: Precision,
  outHarm: FloatArray,
  outPerc: FloatArray,
  start = 0,
  end = mag.length,
): void => {
  applyMask(spectrum, offset, stride, mag, maskHarm, precision, outHarm, start, end);
  applyMask(spectrum, offset, stride, mag, maskPerc, precision, outPerc, start, end);
};

/** `H = S * maskHarm`, `P = S * maskPerc` for a real (non-negative) `S`, elements `[start, end)`. */
export const applyHpssMasksReal = (
  mag: Float64Array,
  maskHarm: Float64Array,
  maskPerc: Float64Array,
  precision: Precision,
  outHarm: FloatArray,
  outPerc: FloatArray,
  start = 0,
  end = mag.length,
): void => {
  const float32 = precision === "float32";
  for (let i = start; i < end; i++) {
    outHarm[i] = roundTo(mag[i]! * maskHarm[i]!, float32);
    outPerc[i] = roundTo(mag[i]! * maskPerc[i]!, float32);
  }
};

/** What {@link hpss} returns: the masked spectra, or the masks when asked for. */
export interface HpssResult {
  harmonic: FloatArray;
  percussive: FloatArray;
}

/**
 * `librosa.decompose.hpss(S, kernel_size=(winHarm, winPerc), power=power,
 * mask=returnMasks, margin=(marginHarm, marginPerc))` for one channel, on one
 * thread.
 *
 * @param spectrum - complex `S` as interleaved re/im pairs, planar in
 *   `geometry.order`, or, with `isComplex = false`, the real non-negative `S`.
 * @param returnMasks - return the masks (float64, 0/1 for hard masks) instead
 *   of the masked spectra.
 * @returns the harmonic and percussive parts: interleaved complex (or real,
 *   like `spectrum`) in an array of the same type as `spectrum`, or the masks.
 * @throws ParameterError for librosa's parameter conditions.
 * @example
 * ```ts
 * const { harmonic, percussive } = hpss(stft, true,
 *   { nFreq: 1025, nTime, order: "freq-major" },
 *   { winHarm: 31, winPerc: 31, power: 2, marginHarm: 1, marginPerc: 1, precision: "float64" });
 * ```
 */
export const hpss = (
  spectrum: FloatArray,
  isComplex: boolean,
  geometry: HpssGeometry,
  params: HpssParams,
  returnMasks = false,
): HpssResult => {
  validateHpssParams(params);
  const count = geometry.nFreq * geometry.nTime;
  const mag = isComplex ? (complexMagnitude(spectrum, 0, 1, new Float64Array(count), params.precision) as Float64Array) : Float64Array.from(spectrum);
  const harm = harmonicMedian(mag, geometry, params.winHarm, new Float64Array(count));
  const perc = percussiveMedian(mag, geometry, params.winPerc, new Float64Array(count));
  // librosa's softmask rejects negative inputs; with a real S that shows up in the medians.
  for (let i = 0; i < count; i++) {
    if (harm[i]! < 0 || perc[i]! < 0) throw new ParameterError("X and X_ref must be non-negative");
  }
  const maskHarm = new Float64Array(count);
  const maskPerc = new Float64Array(count);
  hpssMasks(harm, perc, params, maskHarm, maskPerc);
  if (returnMasks) return { harmonic: maskHarm, percussive: maskPerc };
  const make = (): FloatArray =>
    spectrum instanceof Float32Array ? new Float32Array(spectrum.length) : new Float64Array(spectrum.length);
  const harmonic = make();
  const percussive = make();
  if (isComplex) applyHpssMasks(spectrum, 0, 1, mag, maskHarm, maskPerc, params.precision, harmonic, percussive);
  else applyHpssMasksReal(mag, maskHarm, maskPerc, params.precision, harmonic, percussive);
  return { harmonic, percussive };
};
