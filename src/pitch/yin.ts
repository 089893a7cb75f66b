/**
 * YIN fundamental frequency estimation, step for step as librosa 0.11.0's
 * `librosa.yin` computes it, one frame at a time.
 *
 * Per frame (length `frameLength`, read straight from the unpadded signal):
 * 1. autocorrelation `r(k)` for lags 0 .. maxPeriod only, by FFT: per frame
 *    (`directAcf`), or from spectra of blocks that overlapping frames share
 *    (`blockAcf`, chosen when cheaper; e.g. frameLength 2048, hop 512);
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
 * Precision: float64 throughout, with librosa's order of operations wherever it
 * decides which bin wins (the `tiny` guard, the threshold and neighbour
 * comparisons, argmin's first-minimum rule). For float32 input librosa rounds
 * frames, squares, its float32 FFT, `d` and the cumulative sum to float32
 * (dividing in float64). We tried emulating every one of those roundings except
 * the FFT (which cannot be reproduced): on 30 s of each of 30 real tracks that
 * matched librosa's float32 answer on fewer frames than plain float64 did, since
 * the frames where librosa's float32 answer differs are decided by its FFT
 * rounding, which emulating the other steps does not reproduce. So float32
 * input is computed exactly like float64 input.
 *
 * @see {@link https://doi.org/10.1121/1.1458024 | de Cheveigné & Kawahara 2002, "YIN, a fundamental frequency estimator for speech and music"}
 */
import { getRealFft } from "../fft/realFft.js";
import { unitRoot } from "../fft/unitRoot.js";
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
  };
};

/**
 * The autocorrelation `r(0 .. maxPeriod)` of one frame into `acf`; `head`
 * holds the frame's first maxPeriod samples afterwards.
 */
interface AcfSource {
  frame(channel: number, t: number, acf: Float64Array, head: Float64Array): void;
}

/**
 * One real FFT of size >= frameLength + maxPeriod per frame: `r = irfft(|rfft(frame)|²)`.
 */
const directAcf = (plan: YinPlan, signal: Float32Array | Float64Array): AcfSource => {
  const { frameLength, hopLength, offset, padMode, length } = plan;
  const n = nextPowerOfTwo(frameLength + plan.maxPeriod);
  const fft = getRealFft(n);
  const frame = new Float64Array(n);
  const spectrum = new Float64Array(n + 2);
  return {
    frame(channel, t, acf, head) {
      readPadded(signal, channel * length, length, padMode, t * hopLength + offset, frameLength, frame);
      fft.forward(frame, 0, spectrum);
      for (let b = 0; b <= n; b += 2) {
        const re = spectrum[b]!;
        const im = spectrum[b + 1]!;
        spectrum[b] = re * re + im * im;
        spectrum[b + 1] = 0;
      }
      fft.inverse(spectrum, 0, acf, 0);
      head.set(frame.subarray(0, head.length));
    },
  };
};

/** How frames split into blocks for `blockAcf`, or null where that costs more than `directAcf`. */
export interface BlockLayout {
  /** Block length: gcd(frameLength, hopLength). */
  size: number;
  /** Blocks per frame. */
  perFrame: number;
  /** Blocks per hop. */
  perHop: number;
  /** Largest block distance whose pairs reach a lag <= maxPeriod. */
  reach: number;
  /** FFT size of the block spectra. */
  fftSize: number;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * Relative costs per frame, fitted to measurements of both paths (Node 20, 2-core
 * EPYC; W1: 2048/512 at fmin 50 Hz / 22050 Hz, where blocks are ~1.9x faster, and
 * W2: the same at 44100 Hz, where one FFT per frame is ~1.3x faster): an FFT of
 * size n (WebAssembly) costs n log2 n, a complex multiply-add per bin in JS ~22,
 * a real add per element in JS ~8.5.
 */
const fftCost = (n: number): number => n * Math.log2(n);
const JS_COMPLEX_PRODUCT = 22;
const JS_ADD = 8.5;

export const blockLayout = (frameLength: number, hopLength: number, maxPeriod: number): BlockLayout | null => {
  const size = gcd(frameLength, hopLength);
  const perFrame = frameLength / size;
  const perHop = hopLength / size;
  const reach = Math.min(Math.floor((maxPeriod + size - 1) / size), perFrame - 1);
  const fftSize = nextPowerOfTwo(Math.max(maxPeriod + size, (reach + 1) * size));
  const bins = fftSize / 2 + 1;
  const directSize = nextPowerOfTwo(frameLength + maxPeriod);
  const direct = 2 * fftCost(directSize) + (directSize / 2 + 1) * JS_COMPLEX_PRODUCT;
  const newBlocks = Math.min(perHop, perFrame);
  const perBlock = fftCost(fftSize) + (reach + 1) * bins * JS_COMPLEX_PRODUCT;
  const blocks = newBlocks * perBlock + fftCost(fftSize) + perFrame * 2 * bins * JS_ADD;
  return blocks < 0.9 * direct ? { size, perFrame, perHop, reach, fftSize } : null;
};

/**
 * Frames share blocks of `gcd(frameLength, hopLength)` samples. A lag-k product
 * `y(j) y(j+k)` of a frame pairs block a (holding j) with block a + d, d >= 0, and
 * the frame's autocorrelation spectrum is the sum over its block pairs of
 * `conj(X_a) X_{a+d} e^{-2πi f d size / M}` (M = block FFT size, large enough that
 * no lag <= maxPeriod wraps). Per block we keep the partial sums over d,
 * `Q_a^(r) = Σ_{d<=r} ...`, in a fixed order; a frame adds, for its block at
 * position p, `Q^(min(reach, perFrame-1-p))`, and runs one inverse FFT. Each value
 * depends only on the block's samples, so any split of frames over threads gives
 * the same bits; and no running sum carries rounding from one frame to the next.
 */
const blockAcf = (plan: YinPlan, signal: Float32Array | Float64Array, layout: BlockLayout): AcfSource => {
  const { offset, padMode, length, maxPeriod } = plan;
  const { size, perFrame, perHop, reach, fftSize } = layout;
  const fft = getRealFft(fftSize);
  const stride = fftSize + 2;
  const phases = new Float64Array((reach + 1) * stride);
  for (let d = 0; d <= reach; d++) {
    for (let f = 0; f <= fftSize / 2; f++) unitRoot(-((f * d * size) % fftSize), fftSize, phases, d * stride + 2 * f);
  }
  const block = new Float64Array(fftSize);
  const spectra = new Float64Array(perFrame * stride);
  const partial = new Float64Array(perFrame * (reach + 1) * stride);
  // A ring of the last perFrame blocks of the current channel: which block each slot
  // holds, and how many partial sums Q^(0 .. done-1) it has.
  const held = new Float64Array(perFrame).fill(-1);
  const done = new Int32Array(perFrame);
  const sum = new Float64Array(stride);
  let currentChannel = -1;
  const slotOf = (a: number): number => a % perFrame;

  const loadSpectrum = (channel: number, a: number): void => {
    const slot = slotOf(a);
    if (held[slot] === a) return;
    readPadded(signal, channel * length, length, padMode, a * size + offset, size, block);
    fft.forward(block, 0, spectra.subarray(slot * stride, (slot + 1) * stride));
    held[slot] = a;
    done[slot] = 0;
  };

  /** Index in `partial` of Q_a^(r); the blocks a .. a + r must be loaded. */
  const partialSum = (a: number, r: number): number => {
    const slot = slotOf(a);
    const base = slot * (reach + 1) * stride;
    const xIndex = slot * stride;
    for (let d = done[slot]!; d <= r; d++) {
      const yIndex = slotOf(a + d) * stride;
      const phase = d * stride;
      const out = base + d * stride;
      const prev = base + (d - 1) * stride;
      if (d === 0) {
        for (let b = 0; b < stride; b += 2) {
          const xr = spectra[xIndex + b]!;
          const xi = spectra[xIndex + b + 1]!;
          partial[out + b] = xr * xr + xi * xi;
          partial[out + b + 1] = 0;
        }
      } else {
        for (let b = 0; b < stride; b += 2) {
          const xr = spectra[xIndex + b]!;
          const xi = spectra[xIndex + b + 1]!;
          const yr = spectra[yIndex + b]!;
          const yi = spectra[yIndex + b + 1]!;
          // conj(X_a) X_{a+d}, turned by the phase of block a + d's offset, added to Q^(d-1)
          const pr = xr * yr + xi * yi;
          const pi = xr * yi - xi * yr;
          const wr = phases[phase + b]!;
          const wi = phases[phase + b + 1]!;
          partial[out + b] = partial[prev + b]! + (pr * wr - pi * wi);
          partial[out + b + 1] = partial[prev + b + 1]! + (pr * wi + pi * wr);
        }
      }
      done[slot] = d + 1;
    }
    return base + r * stride;
  };

  return {
    frame(channel, t, acf, head) {
      if (channel !== currentChannel) {
        held.fill(-1);
        currentChannel = channel;
      }
      const first = t * perHop;
      for (let p = 0; p < perFrame; p++) loadSpectrum(channel, first + p);
      // Left to right, two blocks per pass: ((Q_0 + Q_1) + Q_2) + ...
      const at0 = partialSum(first, Math.min(reach, perFrame - 1));
      sum.set(partial.subarray(at0, at0 + stride));
      let p = 1;
      for (; p + 1 < perFrame; p += 2) {
        const atA = partialSum(first + p, Math.min(reach, perFrame - 1 - p));
        const atB = partialSum(first + p + 1, Math.min(reach, perFrame - 2 - p));
        for (let b = 0; b < stride; b++) sum[b] = sum[b]! + partial[atA + b]! + partial[atB + b]!;
      }
      if (p < perFrame) {
        const at = partialSum(first + p, Math.min(reach, perFrame - 1 - p));
        for (let b = 0; b < stride; b++) sum[b] += partial[at + b]!;
      }
      fft.inverse(sum, 0, acf, 0);
      readPadded(signal, channel * length, length, padMode, t * plan.hopLength + offset, maxPeriod, head);
    },
  };
};

/**
 * The cumulative mean normalised difference d'(k), k = minPeriod .. maxPeriod,
 * from the frame's autocorrelation `acf` and first samples `head`, into `normalized`.
 */
const normalizedDifference = (plan: YinPlan, acf: Float64Array, head: Float64Array, normalized: Float64Array): void => {
  const { minPeriod, maxPeriod } = plan;
  const acf0 = acf[0]!;
  let energy = 0;
  let sum = 0;
  for (let k = 1; k <= maxPeriod; k++) {
    const x = head[k - 1]!;
    energy += x * x;
    const d = 2 * (acf0 - acf[k]!) - (k === 1 ? 0 : energy);
    sum += d;
    if (k >= minPeriod) normalized[k - minPeriod] = d / (sum / k + TINY64);
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
  const layout = blockLayout(plan.frameLength, plan.hopLength, plan.maxPeriod);
  const source = layout ? blockAcf(plan, signal, layout) : directAcf(plan, signal);
  const acf = new Float64Array(layout ? layout.fftSize : nextPowerOfTwo(plan.frameLength + plan.maxPeriod));
  const head = new Float64Array(plan.maxPeriod);
  const normalized = new Float64Array(plan.maxPeriod - plan.minPeriod + 1);
  const { nFrames, minPeriod, sr, troughThreshold } = plan;
  for (let u = u0; u < u1; u++) {
    const channel = Math.floor(u / nFrames);
    source.frame(channel, u - channel * nFrames, acf, head);
    normalizedDifference(plan, acf, head, normalized);
    const bin = pickTrough(normalized, troughThreshold);
    out[u] = sr / (minPeriod + bin + parabolicShift(normalized, bin));
  }
};

/**
 * librosa.yin of every channel of a (channels, length) signal, on this thread:
 * a (channels, nFrames) array of f0 in Hz, float64 as librosa returns.
 *
 * @example
 * ```ts
 * const f0 = yin(samples, 1, samples.length, { sr: 22050, fmin: 65, fmax: 2093, frameLength: 2048,
 *   hopLength: 512, troughThreshold: 0.1, center: true, padMode: "constant" });
 * ```
 */
export const yin = (signal: Float32Array | Float64Array, channels: number, length: number, options: YinOptions): Float64Array => {
  const plan = planYin(length, options);
  const out = new Float64Array(channels * plan.nFrames);
  yinUnits(plan, signal, out, 0, out.length);
  return out;
};
