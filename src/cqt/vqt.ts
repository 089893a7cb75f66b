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
import { getRealFft } from "../fft/realFft.js";
import type { FloatArray } from "../parallel/alloc.js";
import { allocFloat64 } from "../parallel/alloc.js";
import { resample } from "../resample/index.js";
import type { PadMode } from "../spectrum/pad.js";
import { planStft, type SpectrumLayout, type StftPlan } from "../spectrum/stft.js";
import type { WindowName } from "../spectrum/window.js";
import { ParameterError } from "../util/errors.js";
import { cqtFrequencies, filterBasis, relativeBandwidth, waveletLengths, windowBandwidth } from "./filters.js";
import { interiorFrameStart, loadFrame } from "./frames.js";
import type { ComplexCsr } from "./sparse.js";

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
  basis: ComplexCsr;
  /** Per row: sqrt(sr / octave sr), divided by sqrt(filter length) when scaling. */
  rowScale: Float64Array;
  stft: StftPlan;
}

export interface CqtPlan {
  nBins: number;
  /** Frames of the stacked output (the shortest octave). */
  nFrames: number;
  octaves: CqtOctave[];
  /** Early downsampling exponent c (the input is decimated by 2^c first). */
  earlyDownsample: number;
  /** Length of each octave signal; signal i + 1 is signal i halved. */
  signalLengths: number[];
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

/**
 * Plans the transform of `length`-sample signals.
 *
 * @throws ParameterError for librosa's conditions: a filter bank reaching past
 *   Nyquist, a signal shorter than the early downsampling factor, bad filter
 *   scale or sparsity.
 */
export const planCqt = (p: CqtParams, length: number, single: boolean): CqtPlan => {
  if (!Number.isInteger(p.hopLength) || p.hopLength <= 0) throw new ParameterError(`hop_length=${p.hopLength} must be a positive integer`);
  if (!Number.isInteger(p.nBins) || p.nBins <= 0) throw new ParameterError(`n_bins=${p.nBins} must be a positive integer`);
  if (!Number.isInteger(p.binsPerOctave) || p.binsPerOctave <= 0) {
    throw new ParameterError(`bins_per_octave=${p.binsPerOctave} must be a positive integer`);
  }
  const nOctaves = Math.ceil(p.nBins / p.binsPerOctave);
  const nFilters = Math.min(p.binsPerOctave, p.nBins);
  const freqs = cqtFrequencies(p.nBins, p.fmin, p.binsPerOctave, p.tuning);
  const alpha = relativeBandwidth(freqs, p.binsPerOctave);
  const bandwidth = windowBandwidth(p.window);
  const { cutoff } = waveletLengths(freqs, alpha, p.sr, p.filterScale, bandwidth);
  const nyquist = p.sr / 2.0;
  if (cutoff > nyquist) {
    let fmaxTop = -Infinity;
    for (let i = Math.max(0, p.nBins - p.binsPerOctave); i < p.nBins; i++) fmaxTop = Math.max(fmaxTop, freqs[i]!);
    throw new ParameterError(
      `Wavelet basis with max frequency=${pyFloat(fmaxTop)} would exceed the Nyquist frequency=${pyFloat(nyquist)}. ` +
        "Try reducing the number of frequency bins.",
    );
  }
  const count1 = Math.max(0, Math.trunc(Math.ceil(Math.log2(nyquist / cutoff)) - 1) - 1);
  const count2 = Math.max(0, numTwoFactors(p.hopLength) - nOctaves + 1);
  const early = Math.min(count1, count2);
  let sr = p.sr;
  let hop = p.hopLength;
  let len = length;
  if (early > 0) {
    const factor = 2 ** early;
    hop = Math.floor(hop / factor);
    if (length < factor) throw new ParameterError(`Input signal length=${length} is too short for ${nOctaves}-octave CQT`);
    sr = sr / factor;
    len = Math.ceil(length / factor);
  }
  const srDs = sr;
  const lengthsDs = waveletLengths(freqs, alpha, srDs, p.filterScale, bandwidth).lengths;
  const octaves: CqtOctave[] = [];
  const signalLengths = [len];
  let mySr = srDs;
  let myHop = hop;
  for (let i = 0; i < nOctaves; i++) {
    const hi = p.nBins - nFilters * i;
    const lo = Math.max(0, p.nBins - nFilters * (i + 1));
    const { nFft, basis } = filterBasis(mySr, freqs.subarray(lo, hi), alpha.subarray(lo, hi), p.filterScale, p.norm, p.sparsity, p.window);
    const rowScale = new Float64Array(hi - lo);
    const rateScale = Math.sqrt(srDs / mySr);
    for (let k = 0; k < rowScale.length; k++) rowScale[k] = p.scale ? rateScale / Math.sqrt(lengthsDs[lo + k]!) : rateScale;
    const stft = planStft(len, nFft, myHop, true, p.padMode);
    octaves.push({ signal: signalLengths.length - 1, sr: mySr, hopLength: myHop, binStart: lo, basis, rowScale, stft });
    if (myHop % 2 === 0 && i < nOctaves - 1) {
      myHop /= 2;
      mySr /= 2.0;
      len = Math.ceil(len / 2);
      signalLengths.push(len);
    }
  }
  let nFrames = Infinity;
  for (const o of octaves) nFrames = Math.min(nFrames, o.stft.nFrames);
  return { nBins: p.nBins, nFrames, octaves, earlyDownsample: early, signalLengths, single };
};

const roundInPlace = (x: Float64Array): Float64Array => {
  for (let i = 0; i < x.length; i++) x[i] = Math.fround(x[i]!);
  return x;
};

/**
 * The octave signals of a plan for (channels, length) input: early
 * downsampling (`resample(y, 2^c, 1, scale=True)`, times sqrt(2^c) when not
 * scaling), then successive halvings, each `(channels, signalLengths[i])`
 * row-major in a buffer shared with the workers when `shared`. Float32 input
 * is rounded to float32 after each resampling, as librosa casts back.
 */
export const octaveSignals = (
  plan: CqtPlan,
  y: Float64Array,
  channels: number,
  length: number,
  scale: boolean,
  shared: boolean,
): Float64Array[] => {
  const signals: Float64Array[] = [];
  const first = allocFloat64(channels * plan.signalLengths[0]!, shared, { zero: false });
  for (let c = 0; c < channels; c++) {
    const row = y.subarray(c * length, (c + 1) * length);
    if (plan.earlyDownsample > 0) {
      const factor = 2 ** plan.earlyDownsample;
      let out = resample(row, factor, 1, { scale: true });
      if (plan.single) out = roundInPlace(out);
      if (!scale) {
        const s = Math.sqrt(factor);
        for (let i = 0; i < out.length; i++) out[i] = out[i]! * s;
        if (plan.single) roundInPlace(out);
      }
      first.set(out, c * plan.signalLengths[0]!);
    } else {
      first.set(row, c * length);
    }
  }
  signals.push(first);
  for (let s = 1; s < plan.signalLengths.length; s++) {
    const prevLen = plan.signalLengths[s - 1]!;
    const len = plan.signalLengths[s]!;
    const prev = signals[s - 1]!;
    const next = allocFloat64(channels * len, shared, { zero: false });
    for (let c = 0; c < channels; c++) {
      const out = resample(prev.slice(c * prevLen, (c + 1) * prevLen), 2, 1, { scale: true });
      next.set(plan.single ? roundInPlace(out) : out, c * len);
    }
    signals.push(next);
  }
  return signals;
};

/**
 * Computes units [u0, u1) of the transform, unit u = frame (u mod nFrames) of
 * octave floor(u / nFrames), for every channel: complex values into `out`
 * (interleaved, at `2 * (t * frameStride + bin * binStride + c * channelStride)`),
 * or magnitudes (at half those offsets) when `magnitude`.
 */
export const cqtUnits = (
  plan: CqtPlan,
  signals: Float64Array[],
  channels: number,
  out: FloatArray,
  layout: SpectrumLayout,
  magnitude: boolean,
  u0: number,
  u1: number,
): void => {
  const nFrames = plan.nFrames;
  for (let o = Math.floor(u0 / nFrames); o < plan.octaves.length && o * nFrames < u1; o++) {
    const oct = plan.octaves[o]!;
    const { nFft } = oct.stft;
    const fft = getRealFft(nFft);
    const frame = new Float64Array(nFft);
    const spectrum = new Float64Array(nFft + 2);
    const signal = signals[oct.signal]!;
    const len = plan.signalLengths[oct.signal]!;
    const { rowStart, col, re, im, rows } = oct.basis;
    const rowScale = oct.rowScale;
    const { frameStride, binStride, channelStride } = layout;
    const t0 = Math.max(0, u0 - o * nFrames);
    const t1 = Math.min(nFrames, u1 - o * nFrames);
    for (let t = t0; t < t1; t++) {
      for (let c = 0; c < channels; c++) {
        const start = interiorFrameStart(oct.stft, c * len, t);
        if (start >= 0) {
          fft.forward(signal, start, spectrum);
        } else {
          loadFrame(oct.stft, signal, c * len, t, frame);
          fft.forward(frame, 0, spectrum);
        }
        const base = t * frameStride + c * channelStride + oct.binStart * binStride;
        for (let k = 0; k < rows; k++) {
          let accRe = 0;
          let accIm = 0;
          const end = rowStart[k + 1]!;
          for (let e = rowStart[k]!; e < end; e++) {
            const j = col[e]! << 1;
            const br = re[e]!;
            const bi = im[e]!;
            const xr = spectrum[j]!;
            const xi = spectrum[j + 1]!;
            accRe += br * xr - bi * xi;
            accIm += br * xi + bi * xr;
          }
          const s = rowScale[k]!;
          const p = base + k * binStride;
          if (magnitude) {
            out[p] = Math.sqrt(accRe * accRe + accIm * accIm) * s;
          } else {
            out[2 * p] = accRe * s;
            out[2 * p + 1] = accIm * s;
          }
        }
      }
    }
  }
};
