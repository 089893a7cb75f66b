/**
 * librosa 0.11.0's multirate constant-Q transform (`cqt` = `vqt` with
 * gamma = 0): optional early downsampling, then per octave (top first) a
 * centred STFT with a boxcar window and the octave's FFT length, multiplied by
 * the octave's sparse filter basis; between octaves, while the hop is even,
 * the hop and the rate are halved by `resample(res_type="soxr_hq", scale=True)`.
 * Octave responses are trimmed to the shortest and stacked, then divided by
 * sqrt(filter length) when `scale`.
 *
 * @see https://librosa.org/doc/0.11.0/generated/librosa.cqt.html
 */
import { getRealFft, type RealFft } from "../fft/realFft.js";
import type { FloatArray } from "../parallel/alloc.js";
import type { PadMode } from "../spectrum/pad.js";
import { planStft, type SpectrumLayout, type StftPlan } from "../spectrum/stft.js";
import type { WindowName } from "../spectrum/window.js";
import { ParameterError } from "../util/errors.js";
import { cqtFrequencies, filterBasis, relativeBandwidth, waveletLengths, windowBandwidth } from "./filters.js";
import { createBandProducts, type BandProduct } from "./bandProduct.js";
import { bandRows, type BandRows } from "./bands.js";
import { interiorFrameStart, loadFrame } from "./frames.js";

export interface CqtParams {
  sr: number;
  hopLength: number;
  /** Lowest frequency before tuning (Hz). */
  fmin: number;
  nBins: number;
  binsPerOctave: number;
  /** Tuning in fractions of a bin (already estimated). */
  tuning: number;
  filterScale: number;
  norm: number | null;
  sparsity: number;
  window: WindowName;
  scale: boolean;
  padMode: PadMode;
}

/** One octave of the plan: which signal it reads and how it turns frames into bins. */
export interface CqtOctave {
  /** Index into the list of octave signals (0: the input, after early downsampling). */
  signal: number;
  sr: number;
  hopLength: number;
  /** Output bins [binStart, binStart + basis.rows). */
  binStart: number;
  basis: BandRows;
  /** Per row: sqrt(sr / octave sr), divided by sqrt(filter length) when scaling. */
  rowScale: Float64Array;
  stft: StftPlan;
}

/** The signals a plan reads: the input after early downsampling, then successive halvings. */
export interface SignalPlan {
  /** Early downsampling exponent c (the input is decimated by 2^c first). */
  earlyDownsample: number;
  /** Length of each octave signal; signal i + 1 is signal i halved. */
  signalLengths: number[];
}

export interface CqtPlan extends SignalPlan {
  nBins: number;
  /** Frames of the stacked output (the shortest octave). */
  nFrames: number;
  octaves: CqtOctave[];
  /** Whether the resampled signals are cast back to float32 (float32 input). */
  single: boolean;
}

const numTwoFactors = (x: number): number => {
  if (x <= 0) return 0;
  let n = 0;
  while (x % 2 === 0) {
    n++;
    x /= 2;
  }
  return n;
};

/** Python's repr of a float (an integral value keeps its ".0"). */
export const pyFloat = (x: number): string => (Number.isInteger(x) ? `${x}.0` : String(x));

const checkShape = (p: Omit<CqtParams, "tuning">): void => {
  if (!Number.isInteger(p.hopLength) || p.hopLength <= 0) throw new ParameterError(`hop_length=${p.hopLength} must be a positive integer`);
  if (!Number.isInteger(p.nBins) || p.nBins <= 0) throw new ParameterError(`n_bins=${p.nBins} must be a positive integer`);
  if (!Number.isInteger(p.binsPerOctave) || p.binsPerOctave <= 0) {
    throw new ParameterError(`bins_per_octave=${p.binsPerOctave} must be a positive integer`);
  }
};

/** The top filter's frequency + half bandwidth (the filter bank's cutoff, Hz) and the bank's frequencies and bandwidths. */
const filterBank = (p: CqtParams): { freqs: Float64Array; alpha: Float64Array; cutoff: number } => {
  const freqs = cqtFrequencies(p.nBins, p.fmin, p.binsPerOctave, p.tuning);
  const alpha = relativeBandwidth(freqs, p.binsPerOctave);
  const { cutoff } = waveletLengths(freqs, alpha, p.sr, p.filterScale, windowBandwidth(p.window));
  return { freqs, alpha, cutoff };
};

/** librosa's early downsampling exponent for a filter bank with this cutoff. */
const earlyDownsampleCount = (p: Omit<CqtParams, "tuning">, cutoff: number): number => {
  const nOctaves = Math.ceil(p.nBins / p.binsPerOctave);
  const count1 = Math.max(0, Math.trunc(Math.ceil(Math.log2(p.sr / 2.0 / cutoff)) - 1) - 1);
  const count2 = Math.max(0, numTwoFactors(p.hopLength) - nOctaves + 1);
  return Math.min(count1, count2);
};

/** The octave signals' lengths for an early downsampling exponent (after librosa's length check). */
const planSignals = (p: Omit<CqtParams, "tuning">, length: number, early: number): SignalPlan => {
  const nOctaves = Math.ceil(p.nBins / p.binsPerOctave);
  const factor = 2 ** early;
  if (early > 0 && length < factor) throw new ParameterError(`Input signal length=${length} is too short for ${nOctaves}-octave CQT`);
  let len = early > 0 ? Math.ceil(length / factor) : length;
  let hop = Math.floor(p.hopLength / factor);
  const signalLengths = [len];
  for (let i = 0; i < nOctaves - 1 && hop % 2 === 0; i++) {
    hop /= 2;
    len = Math.ceil(len / 2);
    signalLengths.push(len);
  }
  return { earlyDownsample: early, signalLengths };
};

/**
 * The octave signals of a transform whose tuning is not known yet, when
 * they do not depend on it: the early downsampling exponent is the same at
 * both ends of estimate_tuning's range [-0.5, 0.5) (the cutoff grows with the
 * tuning). Then the resampling can run while the tuning is estimated. Null
 * when the exponent depends on the tuning or the parameters are invalid
 * (planCqt reports that once the tuning is known).
 */
export const signalsBeforeTuning = (p: Omit<CqtParams, "tuning">, length: number): SignalPlan | null => {
  try {
    checkShape(p);
    const low = earlyDownsampleCount(p, filterBank({ ...p, tuning: -0.5 }).cutoff);
    const high = earlyDownsampleCount(p, filterBank({ ...p, tuning: 0.5 }).cutoff);
    return low === high ? planSignals(p, length, low) : null;
  } catch {
    return null;
  }
};

/**
 * Plans the transform of `length`-sample signals.
 *
 * @throws ParameterError for librosa's conditions: a filter bank reaching past
 *   Nyquist, a signal shorter than the early downsampling factor, bad filter
 *   scale or sparsity.
 */
export const planCqt = (p: CqtParams, length: number, single: boolean): CqtPlan => {
  checkShape(p);
  const nOctaves = Math.ceil(p.nBins / p.binsPerOctave);
  const nFilters = Math.min(p.binsPerOctave, p.nBins);
  const { freqs, alpha, cutoff } = filterBank(p);
  const nyquist = p.sr / 2.0;
  if (cutoff > nyquist) {
    let fmaxTop = -Infinity;
    for (let i = Math.max(0, p.nBins - p.binsPerOctave); i < p.nBins; i++) fmaxTop = Math.max(fmaxTop, freqs[i]!);
    throw new ParameterError(
      `Wavelet basis with max frequency=${pyFloat(fmaxTop)} would exceed the Nyquist frequency=${pyFloat(nyquist)}. ` +
        "Try reducing the number of frequency bins.",
    );
  }
  const signalPlan = planSignals(p, length, earlyDownsampleCount(p, cutoff));
  const { earlyDownsample: early, signalLengths } = signalPlan;
  const srDs = p.sr / 2 ** early;
  const lengthsDs = waveletLengths(freqs, alpha, srDs, p.filterScale, windowBandwidth(p.window)).lengths;
  const octaves: CqtOctave[] = [];
  let mySr = srDs;
  let myHop = Math.floor(p.hopLength / 2 ** early);
  let signal = 0;
  for (let i = 0; i < nOctaves; i++) {
    const hi = p.nBins - nFilters * i;
    const lo = Math.max(0, p.nBins - nFilters * (i + 1));
    const { nFft, basis } = filterBasis(mySr, freqs.subarray(lo, hi), alpha.subarray(lo, hi), p.filterScale, p.norm, p.sparsity, p.window);
    const rowScale = new Float64Array(hi - lo);
    const rateScale = Math.sqrt(srDs / mySr);
    for (let k = 0; k < rowScale.length; k++) rowScale[k] = p.scale ? rateScale / Math.sqrt(lengthsDs[lo + k]!) : rateScale;
    const stft = planStft(signalLengths[signal]!, nFft, myHop, true, p.padMode);
    octaves.push({ signal, sr: mySr, hopLength: myHop, binStart: lo, basis: bandRows(basis), rowScale, stft });
    if (myHop % 2 === 0 && i < nOctaves - 1) {
      myHop /= 2;
      mySr /= 2.0;
      signal++;
    }
  }
  let nFrames = Infinity;
  for (const o of octaves) nFrames = Math.min(nFrames, o.stft.nFrames);
  return { nBins: p.nBins, nFrames, octaves, earlyDownsample: early, signalLengths, single };
};

/** Per-thread scratch of {@link octaveResponse}, reused across frames. */
export interface ResponseScratch {
  frame: Float64Array;
  spectrum: Float64Array;
}

export const responseScratch = (plan: CqtPlan): ResponseScratch => {
  let nFft = 2;
  for (const o of plan.octaves) nFft = Math.max(nFft, o.stft.nFft);
  return { frame: new Float64Array(nFft), spectrum: new Float64Array(nFft + 2) };
};

/**
 * Frame t of octave `oct` for the channel starting at `channelBase` in
 * `signal`: the complex responses of the octave's rows before the row scale
 * (`oct.rowScale`, applied by the caller), into `out[2 k], out[2 k + 1]` for row k.
 */
export const octaveResponse = (
  oct: CqtOctave,
  fft: RealFft,
  signal: Float64Array,
  channelBase: number,
  t: number,
  product: BandProduct,
  scratch: ResponseScratch,
  out: Float64Array,
): void => {
  const spectrum = scratch.spectrum;
  const start = interiorFrameStart(oct.stft, channelBase, t);
  if (start >= 0) {
    fft.forward(signal, start, spectrum);
  } else {
    loadFrame(oct.stft, signal, channelBase, t, scratch.frame);
    fft.forward(scratch.frame, 0, spectrum);
  }
  product.apply(spectrum, out);
};

/** The FFT and the basis product of each octave, in plan order, for this thread (valid until the next call). */
export const octaveKernels = (plan: CqtPlan): { ffts: RealFft[]; products: BandProduct[] } => ({
  ffts: plan.octaves.map((o) => getRealFft(o.stft.nFft)),
  products: createBandProducts(plan.octaves.map((o) => o.basis)),
});

/**
 * Frames [t0, t1) of the transform, every octave and channel: complex values
 * into `out` (interleaved, at `2 * (t * frameStride + bin * binStride + c * channelStride)`).
 */
export const cqtFrames = (
  plan: CqtPlan,
  signals: Float64Array[],
  channels: number,
  out: FloatArray,
  layout: SpectrumLayout,
  t0: number,
  t1: number,
): void => {
  const scratch = responseScratch(plan);
  const { ffts, products } = octaveKernels(plan);
  const response = new Float64Array(2 * plan.nBins);
  const { frameStride, binStride, channelStride } = layout;
  for (let t = t0; t < t1; t++) {
    for (let c = 0; c < channels; c++) {
      for (let o = 0; o < plan.octaves.length; o++) {
        const oct = plan.octaves[o]!;
        octaveResponse(oct, ffts[o]!, signals[oct.signal]!, c * plan.signalLengths[oct.signal]!, t, products[o]!, scratch, response);
        const base = t * frameStride + c * channelStride + oct.binStart * binStride;
        const rowScale = oct.rowScale;
        for (let k = 0; k < oct.basis.rows; k++) {
          const p = 2 * (base + k * binStride);
          out[p] = response[2 * k]! * rowScale[k]!;
          out[p + 1] = response[2 * k + 1]! * rowScale[k]!;
        }
      }
    }
  }
};
