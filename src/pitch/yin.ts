/**
 * YIN fundamental frequency estimation, step for step as librosa 0.11.0's
 * `librosa.yin` computes it, one frame at a time.
 *
 * Per frame (length `frameLength`, read straight from the unpadded signal):
 * 1. autocorrelation `r(k)` for lags 0 .. maxPeriod via a real FFT of a size
 *    `>= frameLength + maxPeriod` (no circular wrap onto those lags);
 * 2. librosa's difference function `d(k) = 2 (r(0) - r(k)) - Σ_{m<k} y(m)²`
 *    (the energy term is librosa's, not the paper's two-sided one; and librosa
 *    zeroes the energy cumsum's first element before using it, so `d(1)` has
 *    no energy term at all);
 * 3. cumulative mean normalisation `d'(k) = d(k) / (Σ_{j=1..k} d(j) / k + tiny)`
 *    for k in [minPeriod, maxPeriod] only;
 * 4. the first trough (librosa's `localmin`, with its first-bin rule) below
 *    `troughThreshold`, else the first global minimum;
 * 5. parabolic refinement and `f0 = sr / period`.
 *
 * Precision: float64 input is computed in float64 with librosa's order of
 * operations wherever it decides which bin wins. For float32 input librosa
 * computes the frames, squares, energy cumsum, autocorrelation, `d` and the
 * cumulative sum of `d` in float32, then divides in float64 (float32 / int64
 * promotes); we round those same steps with `Math.fround`. Only librosa's
 * float32 FFT rounding cannot be reproduced: we round an exact-to-float64
 * autocorrelation instead.
 *
 * @see {@link https://doi.org/10.1121/1.1458024 | de Cheveigné & Kawahara 2002, "YIN, a fundamental frequency estimator for speech and music"}
 */
import { getRealFft } from "../fft/realFft.js";
import { readPadded, type PadMode } from "../spectrum/pad.js";

/** numpy's `finfo(float64).tiny`, librosa's `util.tiny` guard in the denominator. */
const TINY64 = 2.2250738585072014e-308;

/** Geometry and parameters of one yin call, resolved as librosa resolves them. */
export interface YinPlan {
  /** Samples per channel of the unpadded signal. */
  length: number;
  frameLength: number;
  hopLength: number;
  /** Padded position of frame 0's first sample relative to the signal: -floor(frameLength/2) when centred, else 0. */
  offset: number;
  padMode: PadMode;
  nFrames: number;
  /** floor(sr / fmax). */
  minPeriod: number;
  /** min(ceil(sr / fmin), frameLength - 1). */
  maxPeriod: number;
  sr: number;
  troughThreshold: number;
  /** Emulate librosa's float32 arithmetic. */
  single: boolean;
  /** Real FFT size of the autocorrelation: a power of two >= frameLength + maxPeriod. */
  fftSize: number;
}

export interface YinOptions {
  sr: number;
  fmin: number;
  fmax: number;
  frameLength: number;
  hopLength: number;
  troughThreshold: number;
  center: boolean;
  padMode: PadMode;
  single: boolean;
}

const nextPowerOfTwo = (n: number): number => {
  let p = 1;
  while (p < n) p *= 2;
  return p;
};

/**
 * Resolves librosa's frame count and period range. The caller has checked the
 * parameters (librosa's `__check_yin_params`) and that the padded signal holds
 * at least one frame.
 */
export const planYin = (length: number, o: YinOptions): YinPlan => {
  const half = Math.floor(o.frameLength / 2);
  const padded = o.center ? length + 2 * half : length;
  const maxPeriod = Math.min(Math.ceil(o.sr / o.fmin), o.frameLength - 1);
  return {
    length,
    frameLength: o.frameLength,
    hopLength: o.hopLength,
    offset: o.center ? -half : 0,
    padMode: o.center ? o.padMode : "constant",
    nFrames: 1 + Math.floor((padded - o.frameLength) / o.hopLength),
    minPeriod: Math.floor(o.sr / o.fmax),
    maxPeriod,
    sr: o.sr,
    troughThreshold: o.troughThreshold,
    single: o.single,
    fftSize: nextPowerOfTwo(o.frameLength + maxPeriod),
  };
};

/** Per-thread work buffers of `yinUnits`. */
interface YinScratch {
  frame: Float64Array;
  spectrum: Float64Array;
  acf: Float64Array;
  normalized: Float64Array;
}

const createScratch = (plan: YinPlan): YinScratch => ({
  frame: new Float64Array(plan.fftSize),
  spectrum: new Float64Array(plan.fftSize + 2),
  acf: new Float64Array(plan.fftSize),
  normalized: new Float64Array(plan.maxPeriod - plan.minPeriod + 1),
});

/**
 * The cumulative mean normalised difference d'(k), k = minPeriod .. maxPeriod,
 * of the frame in `s.frame` (zero beyond frameLength), into `s.normalized`.
 */
const normalizedDifference = (plan: YinPlan, s: YinScratch): void => {
  const { frame, spectrum, acf, normalized } = s;
  const { fftSize, minPeriod, maxPeriod, single } = plan;
  const fft = getRealFft(fftSize);
  fft.forward(frame, 0, spectrum);
  for (let b = 0; b <= fftSize; b += 2) {
    const re = spectrum[b]!;
    const im = spectrum[b + 1]!;
    spectrum[b] = re * re + im * im;
    spectrum[b + 1] = 0;
  }
  fft.inverse(spectrum, 0, acf, 0);
  if (single) {
    const fr = Math.fround;
    const acf0 = fr(acf[0]!);
    let energy = 0;
    let sum = 0;
    for (let k = 1; k <= maxPeriod; k++) {
      const x = frame[k - 1]!;
      energy = fr(energy + fr(x * x));
      const d = fr(fr(2 * fr(acf0 - fr(acf[k]!))) - (k === 1 ? 0 : energy));
      sum = fr(sum + d);
      if (k >= minPeriod) normalized[k - minPeriod] = d / (sum / k + TINY64);
    }
  } else {
    const acf0 = acf[0]!;
    let energy = 0;
    let sum = 0;
    for (let k = 1; k <= maxPeriod; k++) {
      const x = frame[k - 1]!;
      energy += x * x;
      const d = 2 * (acf0 - acf[k]!) - (k === 1 ? 0 : energy);
      sum += d;
      if (k >= minPeriod) normalized[k - minPeriod] = d / (sum / k + TINY64);
    }
  }
};

/**
 * librosa's choice of bin in d' (length >= 2): the first local minimum below
 * `threshold` (`localmin`: `x[i] < x[i-1] && x[i] <= x[i+1]`; the first bin is a
 * trough when `x[0] < x[1]`, the last when `x[n-1] < x[n-2]`), else `argmin`
 * (the first minimum; the first NaN if any, as numpy).
 */
export const pickTrough = (x: Float64Array, threshold: number): number => {
  const last = x.length - 1;
  for (let i = 0; i <= last; i++) {
    const v = x[i]!;
    if (!(v < threshold)) continue;
    const trough = i === 0 ? v < x[1]! : i === last ? v < x[last - 1]! : v < x[i - 1]! && v <= x[i + 1]!;
    if (trough) return i;
  }
  let best = 0;
  for (let i = 0; i <= last; i++) {
    const v = x[i]!;
    if (Number.isNaN(v)) return i;
    if (v < x[best]!) best = i;
  }
  return best;
};

/**
 * librosa's `_parabolic_interpolation` shift at bin `i` of d': 0 at both ends
 * and where the vertex lies more than one bin away, else `-b / a`.
 */
export const parabolicShift = (x: Float64Array, i: number): number => {
  if (i === 0 || i === x.length - 1) return 0;
  const next = x[i + 1]!;
  const previous = x[i - 1]!;
  const a = next + previous - 2 * x[i]!;
  const b = (next - previous) / 2;
  return Math.abs(b) >= Math.abs(a) ? 0 : -b / a;
};

/**
 * f0 of units [u0, u1), unit `c * nFrames + t` being frame t of channel c of
 * the (channels, length) `signal`, into `out[unit]`. Each unit is computed on
 * its own, so any cut of the range gives identical results.
 */
export const yinUnits = (plan: YinPlan, signal: Float32Array | Float64Array, out: Float64Array, u0: number, u1: number): void => {
  const s = createScratch(plan);
  const { frameLength, hopLength, offset, padMode, nFrames, length, minPeriod, sr, troughThreshold } = plan;
  for (let u = u0; u < u1; u++) {
    const channel = Math.floor(u / nFrames);
    const t = u - channel * nFrames;
    readPadded(signal, channel * length, length, padMode, t * hopLength + offset, frameLength, s.frame);
    normalizedDifference(plan, s);
    const bin = pickTrough(s.normalized, troughThreshold);
    out[u] = sr / (minPeriod + bin + parabolicShift(s.normalized, bin));
  }
};

/**
 * librosa.yin of every channel of a (channels, length) signal, on this thread:
 * a (channels, nFrames) array of f0 in Hz, float64 as librosa returns.
 *
 * @example
 * ```ts
 * const f0 = yin(samples, 1, samples.length, { sr: 22050, fmin: 65, fmax: 2093, frameLength: 2048,
 *   hopLength: 512, troughThreshold: 0.1, center: true, padMode: "constant", single: false });
 * ```
 */
export const yin = (signal: Float32Array | Float64Array, channels: number, length: number, options: YinOptions): Float64Array => {
  const plan = planYin(length, options);
  const out = new Float64Array(channels * plan.nFrames);
  yinUnits(plan, signal, out, 0, out.length);
  return out;
};
