/**
 * librosa's multirate constant-Q transform (`cqt` = `vqt` with gamma = 0):
 * optional early downsampling, then per octave (top first) a centred STFT
 * with a boxcar window and the octave's FFT length, multiplied by the
 * octave's sparse filter basis; between octaves the hop and the rate are
 * halved by `resample(res_type="soxr_hq", scale=True)` while the hop is even
 * (librosa 0.11), or while the hop is even and the next octave's top
 * frequency is at most a fifth of the current rate (librosa 1.0).
 * Octave responses are trimmed to the shortest and stacked, then divided by
 * sqrt(filter length) when `scale`.
 *
 * librosa 1.0 also rejects a tuned `fmin >= sr / 2` up front and, for
 * `n_bins=None`, takes every bin whose filter stays below Nyquist (see
 * {@link automaticBinCount}).
 *
 * @see https://librosa.org/doc/0.11.0/generated/librosa.cqt.html
 */
import { getRealFft, type RealFft } from "../fft/index.js";
import { fftMemory, type FftMemory } from "../fft/wasmRealFft.js";
import type { FloatArray } from "../util/alloc.js";
import type { PadMode } from "../spectrum/pad.js";
import { planStft, type SpectrumLayout, type StftPlan } from "../spectrum/stft.js";
import { stftKernels } from "../spectrum/stftKernels.js";
import type { WindowName } from "../spectrum/window.js";
import { ParameterError } from "../util/errors.js";
import type { LibrosaSemantics } from "../util/params.js";
import { cqtFrequencies, filterBasis, relativeBandwidth, waveletLengths, windowBandwidth } from "./filters.js";
import { createBandKernels, valuesPerRow, type BandOutput, type BandProduct, type SlidingBand } from "./bandProduct.js";
import { bandRows, type BandRows } from "./bands.js";
import { interiorFrameStart, interiorRunEnd, loadFrame } from "../spectrum/frames.js";
import { onClearCaches } from "../util/clearCaches.js";

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
  /** Which librosa's octave rule and checks to follow (see the module notes). */
  semantics: LibrosaSemantics;
}

/** One octave of the plan: which signal it reads and how it turns frames into bins. */
interface CqtOctave {
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
  /** Per octave (top first), the signal it reads. */
  octaveSignal: number[];
}

/** Whether two signal plans make the same signals (the octaves may read them differently). */
export const sameSignals = (a: SignalPlan, b: SignalPlan): boolean =>
  a.earlyDownsample === b.earlyDownsample && a.signalLengths.length === b.signalLengths.length;

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

/**
 * The octave signals for an early downsampling exponent (after librosa's
 * length check): between octave i and i + 1 the signal is halved when the hop
 * is even and, under librosa 1.0, when octave i + 1's top frequency is at
 * most a fifth of octave i's rate.
 */
const planSignals = (p: Omit<CqtParams, "tuning">, freqs: Float64Array, length: number, early: number): SignalPlan => {
  const nOctaves = Math.ceil(p.nBins / p.binsPerOctave);
  const nFilters = Math.min(p.binsPerOctave, p.nBins);
  const factor = 2 ** early;
  if (early > 0 && length < factor) throw new ParameterError(`Input signal length=${length} is too short for ${nOctaves}-octave CQT`);
  let len = early > 0 ? Math.ceil(length / factor) : length;
  let hop = Math.floor(p.hopLength / factor);
  let sr = p.sr / factor;
  const signalLengths = [len];
  const octaveSignal = [0];
  for (let i = 0; i < nOctaves - 1; i++) {
    const nextTop = freqs[p.nBins - nFilters * (i + 1) - 1]!;
    if (hop % 2 === 0 && (p.semantics === "0.11" || nextTop <= sr / 5)) {
      hop /= 2;
      sr /= 2.0;
      len = Math.ceil(len / 2);
      signalLengths.push(len);
    }
    octaveSignal.push(signalLengths.length - 1);
  }
  return { earlyDownsample: early, signalLengths, octaveSignal };
};

/**
 * librosa 1.0's bin count for `n_bins=None` (its `__clip_freqs`): of the
 * `ceil(bpo * log2(sr / fmin))` bins from the tuned `fmin`, those before the
 * first whose running maximum of `f (1 + bandwidth / 2Q)` reaches `sr / 2`.
 *
 * @throws ParameterError when not even one bin fits.
 */
export const automaticBinCount = (p: Omit<CqtParams, "tuning" | "nBins">, tuning: number): number => {
  const tunedFmin = p.fmin * 2.0 ** (tuning / p.binsPerOctave);
  const candidates = Math.ceil(p.binsPerOctave * (Math.log2(p.sr) - Math.log2(tunedFmin)));
  const freqs = cqtFrequencies(candidates, p.fmin, p.binsPerOctave, tuning);
  if (freqs.length < 2) {
    throw new ParameterError(`Unable to construct wavelet basis for fmin=${tunedFmin.toFixed(2)} Hz and sr=${p.sr.toFixed(2)} Hz.`);
  }
  const bandwidth = windowBandwidth(p.window);
  const nyquist = p.sr / 2.0;
  let cutoff = -Infinity;
  let prev = 0;
  for (let i = 0; i < freqs.length; i++) {
    const logf = Math.log2(freqs[i]!);
    const bpo = i === 0 ? 1 / (Math.log2(freqs[1]!) - logf) : 1 / (logf - prev);
    prev = logf;
    const r = 2.0 ** (2 / bpo);
    const q = p.filterScale / ((r - 1) / (r + 1));
    cutoff = Math.max(cutoff, freqs[i]! * (1 + (0.5 * bandwidth) / q));
    if (cutoff >= nyquist) {
      if (i === 0) {
        throw new ParameterError(`Unable to construct wavelet basis for fmin=${freqs[0]!.toFixed(2)} Hz and sr=${p.sr.toFixed(2)} Hz.`);
      }
      return i;
    }
  }
  return freqs.length;
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
    const plan = (tuning: number): SignalPlan => {
      const { freqs, cutoff } = filterBank({ ...p, tuning });
      return planSignals(p, freqs, length, earlyDownsampleCount(p, cutoff));
    };
    const low = plan(-0.5);
    return sameSignals(low, plan(0.5)) ? low : null;
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
  const nyquist = p.sr / 2.0;
  checkTunedFmin(p);
  const { freqs, alpha, cutoff } = filterBank(p);
  if (cutoff > nyquist) {
    let fmaxTop = -Infinity;
    for (let i = Math.max(0, p.nBins - p.binsPerOctave); i < p.nBins; i++) fmaxTop = Math.max(fmaxTop, freqs[i]!);
    throw new ParameterError(
      `Wavelet basis with max frequency=${pyFloat(fmaxTop)} would exceed the Nyquist frequency=${pyFloat(nyquist)}. ` +
        "Try reducing the number of frequency bins.",
    );
  }
  const signalPlan = planSignals(p, freqs, length, earlyDownsampleCount(p, cutoff));
  const { earlyDownsample: early, signalLengths, octaveSignal } = signalPlan;
  const srDs = p.sr / 2 ** early;
  const hopDs = Math.floor(p.hopLength / 2 ** early);
  const lengthsDs = waveletLengths(freqs, alpha, srDs, p.filterScale, windowBandwidth(p.window)).lengths;
  const octaves: CqtOctave[] = [];
  for (let i = 0; i < nOctaves; i++) {
    // Halvings by powers of two are exact: the same rate and hop as librosa's repeated `/= 2`.
    const signal = octaveSignal[i]!;
    const mySr = srDs / 2 ** signal;
    const myHop = hopDs / 2 ** signal;
    const hi = p.nBins - nFilters * i;
    const lo = Math.max(0, p.nBins - nFilters * (i + 1));
    const { nFft, basis } = filterBasis(mySr, freqs.subarray(lo, hi), alpha.subarray(lo, hi), p.filterScale, p.norm, p.sparsity, p.window);
    const rowScale = new Float64Array(hi - lo);
    const rateScale = Math.sqrt(srDs / mySr);
    for (let k = 0; k < rowScale.length; k++) rowScale[k] = p.scale ? rateScale / Math.sqrt(lengthsDs[lo + k]!) : rateScale;
    const stft = planStft(signalLengths[signal]!, nFft, myHop, true, p.padMode);
    octaves.push({ signal, sr: mySr, hopLength: myHop, binStart: lo, basis: bandRows(basis), rowScale, stft });
  }
  let nFrames = Infinity;
  for (const o of octaves) nFrames = Math.min(nFrames, o.stft.nFrames);
  return { nBins: p.nBins, nFrames, octaves, earlyDownsample: early, signalLengths, octaveSignal, single };
};

/** librosa 1.0's first check: the tuned `fmin` below Nyquist. */
const checkTunedFmin = (p: CqtParams): void => {
  if (p.semantics === "0.11") return;
  const tunedFmin = p.fmin * 2.0 ** (p.tuning / p.binsPerOctave);
  if (tunedFmin >= p.sr / 2) throw new ParameterError(`fmin=${pyFloat(tunedFmin)} must be less than sr/2=${pyFloat(p.sr / 2)}`);
};

/**
 * Frames per sliding run: frame t of a sliding octave is the FFT of the last
 * frame a <= t with a % ANCHOR_INTERVAL == 0 (or that is digital silence, or
 * after which the frames stop being contiguous slices of the signal), slid t - a hops. So a frame's value
 * depends only on t, never on how frames are split among threads, and round-off
 * grows over at most 31 hops (each adds about one ulp of the band's magnitude).
 */
export const ANCHOR_INTERVAL = 32;

/**
 * Whether octave `oct` is transformed by a sliding DFT: when (hop + 1)
 * multiply-adds for each bin its basis reads cost less than an FFT of the
 * frame, and the hop is a multiple of 4 (the kernel takes the terms four at a
 * time). Measured on the CQT's 1024-point octaves (in-process CPU, 60 s of
 * music, medians of 14): against float64 transforms sliding wins up to hop 32;
 * against the float32 pair transforms (`pairs`: a float32 plan) only at hop 8
 * (hop 32: 2.01 ms sliding vs 1.00 transformed at 12 bins an octave, 6.07 vs
 * 4.12 at 36; hop 16: 1.27 vs 1.00 and 4.56 vs 4.1; hop 8: 0.97 vs 1.0 and
 * 3.27 vs 4.1).
 */
export const slidesOctave = (oct: CqtOctave, pairs: boolean): boolean => {
  const { hopLength } = oct;
  return hopLength <= (pairs ? SLIDE_MAX_HOP_PAIRS : SLIDE_MAX_HOP) && hopLength % 4 === 0 && 2 * hopLength <= oct.stft.nFft;
};
const SLIDE_MAX_HOP = 32;
const SLIDE_MAX_HOP_PAIRS = 8;

/** This thread's stretch of FFT kernel memory for runs of frames (grown, never freed: at most the largest run). */
let staging: { kernels: object | undefined; at: number; capacity: number } | null = null;
onClearCaches(() => {
  staging = null;
});

type Area = { kernels: object | undefined; at: number; capacity: number } | null;

/** An area of at least `length` float64 values in `memory` (an even index), reserved anew only when `area` is too small or of another memory. */
const grown = (memory: FftMemory, area: Area, length: number): NonNullable<Area> => {
  // Every FftMemory of a thread is a view of the same kernels' memory.
  if (area !== null && area.kernels === memory.memory && area.capacity >= length) return area;
  const capacity = Math.max(length, 2 * (area?.capacity ?? 0));
  return { kernels: memory.memory, at: memory.reserve(capacity + 2, "cqt"), capacity };
};

/** Index in `memory.heap()` of at least `length` staging values (an even index). */
const stagingArea = (memory: FftMemory, length: number): number => {
  staging = grown(memory, staging, length);
  return staging.at;
};

/**
 * The thread's last ResponseEngine, released: optimised code of the engine's
 * methods checks its hidden class, which the constructor's field stores build and
 * V8 holds only through the instances that have it; engines are made per chunk,
 * so a full collection between calls freed it and threw that code away (the next
 * ~10 chroma_cqt calls on a 5 s clip ran up to 2x slower). As yin's BlockAcf.
 */
const keptEngine: { last?: ResponseEngine } = {};
// It still holds its plan (the filter bases): clear_caches lets that go too.
onClearCaches(() => {
  keptEngine.last = undefined;
});

/**
 * The complex responses of a plan's octaves, for one thread. Ranges of frames
 * of one octave and channel are cheapest in increasing order (a sliding
 * octave then moves on from where it stopped); any order gives the same values.
 */
export class ResponseEngine {
  private readonly plan: CqtPlan;
  // Emptied by release.
  private signals: FloatArray[];
  private readonly ffts: RealFft[];
  private products: BandProduct[];
  private sliding: SlidingBand[][];
  private memory: FftMemory | null;
  private readonly frame: Float64Array;
  private readonly spectrum: Float64Array;
  /** Per octave and channel: the frame the sliding state holds (-1: none). */
  private readonly current: Int32Array;
  /** Whether interior frames of transformed octaves go through float32 pair transforms (float32 input, as numpy's float32 rfft). */
  private readonly pairs32: boolean;

  /** Values per frame of each octave (see {@link BandOutput}). */
  readonly frameValues: number[];

  /** `output`: what each row gives (complex or magnitude), its row scale (`oct.rowScale`) applied. */
  constructor(plan: CqtPlan, signals: FloatArray[], channels: number, output: BandOutput) {
    this.plan = plan;
    this.signals = signals;
    let nFft = 2;
    for (const o of plan.octaves) nFft = Math.max(nFft, o.stft.nFft);
    this.frame = new Float64Array(nFft);
    this.spectrum = new Float64Array(nFft + 2);
    this.ffts = plan.octaves.map((o) => getRealFft(o.stft.nFft));
    this.memory = fftMemory();
    // A float32 plan's transformed octaves go through the pair transform and the pair product (both WebAssembly SIMD).
    const pairs = plan.single && this.memory?.spectrumPairs32 !== undefined;
    const kernels = createBandKernels(
      plan.octaves.map((o) => {
        const hop = slidesOctave(o, pairs) ? o.hopLength : 0;
        return { basis: o.basis, rowScale: o.rowScale, hop, nFft: o.stft.nFft, maxFrames: ANCHOR_INTERVAL, pairs: pairs && hop === 0 };
      }),
      channels,
      output,
    );
    this.frameValues = plan.octaves.map((o) => valuesPerRow(output) * o.basis.rows);
    this.products = kernels.products;
    this.sliding = kernels.sliding;
    this.current = new Int32Array(plan.octaves.length * channels).fill(-1);
    this.pairs32 = pairs && this.products.every((p, o) => this.sliding[o]!.length > 0 || p.applyPair !== undefined);
  }

  /** Where frame t of octave o starts in its signal (channel base included), or -1 if it needs padding. */
  private start(o: number, c: number, t: number): number {
    const oct = this.plan.octaves[o]!;
    return interiorFrameStart(oct.stft, c * this.plan.signalLengths[oct.signal]!, t);
  }

  /**
   * Whether frame t is slid to from frame t - 1 (see ANCHOR_INTERVAL). A
   * frame of digital silence is not: its FFT is exactly zero, as librosa's is
   * (a slid state would keep round-off of the sound before it, which a
   * chroma's normalisation would blow up to full scale).
   */
  private follows(o: number, c: number, t: number): boolean {
    if (t % ANCHOR_INTERVAL === 0) return false;
    const oct = this.plan.octaves[o]!;
    const previous = this.start(o, c, t - 1);
    const start = this.start(o, c, t);
    if (previous < 0 || start !== previous + oct.hopLength) return false;
    const signal = this.signals[oct.signal]!;
    // Newest samples first: in sound the first test settles it.
    for (let i = start + oct.stft.nFft - 1; i >= start; i--) if (signal[i] !== 0) return true;
    return false;
  }

  /**
   * The FFT of frame t of octave o, channel c; returns the offset of its
   * interleaved bins in the array `this.spectrumOf()` returns.
   */
  private transform(o: number, c: number, t: number): number {
    const oct = this.plan.octaves[o]!;
    const n = oct.stft.nFft;
    const signal = this.signals[oct.signal]!;
    const base = c * this.plan.signalLengths[oct.signal]!;
    const start = interiorFrameStart(oct.stft, base, t);
    const memory = this.memory;
    if (memory !== null) {
      const at = memory.input(n);
      if (start >= 0) {
        memory.heap().set(signal.subarray(start, start + n), at);
      } else {
        loadFrame(oct.stft, signal, base, t, this.frame);
        memory.heap().set(this.frame.subarray(0, n), at);
      }
      return memory.forward(n);
    }
    // The TypeScript FFT reads float64: a float32 signal's frame goes through `frame`.
    if (start >= 0 && signal instanceof Float64Array) {
      this.ffts[o]!.forward(signal, start, this.spectrum);
    } else {
      loadFrame(oct.stft, signal, base, t, this.frame);
      this.ffts[o]!.forward(this.frame, 0, this.spectrum);
    }
    return 0;
  }

  /**
   * Frames [t0, t1) of a transformed (not sliding) octave to `dest`. Runs of
   * interior frames are copied into kernel memory as one stretch of signal
   * (frames overlap when hop < n_fft) and transformed where they lie.
   */
  private transformRange(o: number, c: number, t0: number, t1: number, dest: RowDest): void {
    const product = this.products[o]!;
    const memory = this.memory;
    const oct = this.plan.octaves[o]!;
    const n = oct.stft.nFft;
    const hop = oct.hopLength;
    const signal = this.signals[oct.signal]!;
    for (let t = t0; t < t1; ) {
      const first = this.start(o, c, t);
      if (memory === null || first < 0) {
        applyTo(product, this.spectrumOf(), this.transform(o, c, t), dest, t - t0);
        t++;
        continue;
      }
      const end = interiorRunEnd(oct.stft, c * this.plan.signalLengths[oct.signal]!, t, t1);
      const length = (end - t - 1) * hop + n;
      const at = stagingArea(memory, length);
      if (this.pairs32) {
        this.transformPairs32(o, memory, at, signal.subarray(first, first + length), end - t, dest, t - t0);
      } else {
        memory.heap().set(signal.subarray(first, first + length), at);
        for (let u = t; u < end; u++) applyTo(product, memory.heap(), memory.forwardFrom(n, at + (u - t) * hop), dest, u - t0);
      }
      t = end;
    }
  }

  /**
   * `frames` overlapping frames of octave o, the first at the start of
   * `stretch`, transformed two at a time in float32 (the last one, if odd,
   * paired with itself: a frame's values never depend on its partner, so
   * they do not depend on how frames are split among threads); row values to
   * `dest` from its frame `first`, by the float32 pair product straight from the pair
   * spectrum.
   */
  private transformPairs32(o: number, memory: FftMemory, at: number, stretch: FloatArray, frames: number, dest: RowDest, first: number): void {
    const oct = this.plan.octaves[o]!;
    const n = oct.stft.nFft;
    const hop = oct.hopLength;
    const product = this.products[o]!;
    // A float32 stretch is staged as float32 (frames then start at float64 indices: an even hop and n / 2),
    // not widened to float64 for the pair kernel to round back.
    const staged32 = stretch instanceof Float32Array && hop % 2 === 0 && n % 4 === 0;
    if (staged32) new Float32Array(memory.heap().buffer, 8 * at, stretch.length).set(stretch);
    else memory.heap().set(stretch, at);
    const frameStep = staged32 ? hop / 2 : hop;
    const { out, at: start, step } = dest;
    for (let i = 0; i < frames; i += 2) {
      const second = Math.min(i + 1, frames - 1);
      const pair = memory.spectrumPairs32!(n, at + i * frameStep, at + second * frameStep, staged32);
      const a = start + step * (first + i);
      const b = second !== i ? start + step * (first + second) : -1;
      if (out === null) product.applyPairAt!(pair, a, b);
      else product.applyPair!(pair, out, a, b);
    }
  }

  /**
   * Lets go of the signals, the band kernels and the kernel memory, and keeps this
   * engine as the thread's last (see {@link keptEngine}); the engine is spent.
   */
  release(): void {
    this.signals = [];
    this.products = [];
    this.sliding = [];
    this.memory = null;
    keptEngine.last = this;
  }

  /** Where {@link transform} leaves its result. */
  private spectrumOf(): Float64Array {
    return this.memory !== null ? this.memory.heap() : this.spectrum;
  }

  /**
   * Frames [t0, t1) of octave o, channel c: the row values of frame t0 + i
   * from `out[i * frameValues[o]]` (row k at 2 k, 2 k + 1 if complex, at k if magnitudes).
   */
  responses(o: number, c: number, t0: number, t1: number, out: Float64Array): void {
    this.respond(o, c, t0, t1, { out, at: 0, step: this.frameValues[o]! });
  }

  /**
   * As {@link responses}, frame t0 + i's row values written straight to kernel-memory byte address
   * `address + i * frameBytes` (WebAssembly kernels only: see {@link directMemory}).
   */
  responsesAt(o: number, c: number, t0: number, t1: number, address: number, frameBytes: number): void {
    this.respond(o, c, t0, t1, { out: null, at: address, step: frameBytes });
  }

  /** The kernel memory {@link responsesAt} writes to, or null where it cannot serve (no WebAssembly kernels). */
  directMemory(): FftMemory | null {
    const direct = this.products.every((p) => p.applyAt !== undefined) && this.sliding.every((bands) => bands.every((b) => b.runAt !== undefined));
    return direct ? this.memory : null;
  }

  private respond(o: number, c: number, t0: number, t1: number, dest: RowDest): void {
    const channelSlides = this.sliding[o]!;
    if (channelSlides.length === 0) {
      this.transformRange(o, c, t0, t1, dest);
      return;
    }
    const band = channelSlides[c]!;
    const slot = o * channelSlides.length + c;
    const signal = this.signals[this.plan.octaves[o]!.signal]!;
    for (let t = t0; t < t1; ) {
      let at = this.current[slot]!;
      if (at === t - 1 && this.follows(o, c, t)) {
        band.slide(signal, this.start(o, c, at));
      } else {
        // Anchor at the last frame from which t is reached by sliding.
        at = t;
        while (this.follows(o, c, at)) at--;
        band.anchor(this.spectrumOf(), this.transform(o, c, at));
        for (; at < t; at++) band.slide(signal, this.start(o, c, at));
      }
      let end = t + 1;
      while (end < t1 && this.follows(o, c, end)) end++;
      const first = dest.at + dest.step * (t - t0);
      if (dest.out === null) band.runAt!(signal, this.start(o, c, t), end - t, first, dest.step);
      else band.run(signal, this.start(o, c, t), end - t, dest.out, first);
      this.current[slot] = end - 1;
      t = end;
    }
  }
}

/**
 * Where a range's row values go: frame i's from `out[at + i * step]`, or with `out` null
 * to kernel-memory byte address `at + i * step`.
 */
interface RowDest {
  out: Float64Array | null;
  at: number;
  step: number;
}

/** The product of one frame's spectrum (interleaved from `spectrum[offset]`) to frame i of `dest`. */
const applyTo = (product: BandProduct, spectrum: Float64Array, offset: number, dest: RowDest, i: number): void => {
  const at = dest.at + dest.step * i;
  if (dest.out === null) product.applyAt!(spectrum, offset, at);
  else product.apply(spectrum, dest.out, offset, at);
};

/**
 * Frames [t0, t1) of the transform, every octave and channel: complex values
 * into `out` (interleaved, at `2 * (t * frameStride + bin * binStride + c * channelStride)`).
 */
export const cqtFrames = (
  plan: CqtPlan,
  signals: FloatArray[],
  channels: number,
  out: FloatArray,
  layout: SpectrumLayout,
  t0: number,
  t1: number,
): void => {
  const engine = new ResponseEngine(plan, signals, channels, "complex");
  try {
    responseFrames(engine, plan, channels, out, layout, t0, t1);
  } finally {
    engine.release();
  }
};

const responseFrames = (engine: ResponseEngine, plan: CqtPlan, channels: number, out: FloatArray, layout: SpectrumLayout, t0: number, t1: number): void => {
  const { frameStride, binStride, channelStride } = layout;
  const memory = engine.directMemory();
  if (memory !== null && channels === 1 && binStride === 1 && frameStride === plan.nBins) {
    directFrames(engine, memory, plan, out, t0, t1);
    return;
  }
  const response = new Float64Array(Math.max(...engine.frameValues) * ANCHOR_INTERVAL);
  for (let b0 = t0; b0 < t1; b0 += ANCHOR_INTERVAL) {
    const b1 = Math.min(t1, b0 + ANCHOR_INTERVAL);
    for (let c = 0; c < channels; c++) {
      for (let o = 0; o < plan.octaves.length; o++) {
        const oct = plan.octaves[o]!;
        const rows = oct.basis.rows;
        engine.responses(o, c, b0, b1, response);
        for (let t = b0, r = 0; t < b1; t++) {
          const base = t * frameStride + c * channelStride + oct.binStart * binStride;
          for (let k = 0; k < rows; k++, r += 2) {
            const p = 2 * (base + k * binStride);
            out[p] = response[r]!;
            out[p + 1] = response[r + 1]!;
          }
        }
      }
    }
  }
};

/**
 * {@link responseFrames} of one channel into a frame-major `out` whose frames are the
 * bins one after the other: every octave's products written straight into a block of
 * frames in kernel memory, in `out`'s layout, then the block copied out in one `set`
 * (instead of each frame's rows copied out of kernel memory and then into place); a
 * float32 `out` gets the block rounded to float32 in place first, so the copy is a
 * float32 one (a float64 -> float32 `set` converts element by element).
 * 180 s of music, one thread, 40 interleaved rounds: 25.0 -> 21.6 ms (median).
 */
const directFrames = (engine: ResponseEngine, memory: FftMemory, plan: CqtPlan, out: FloatArray, t0: number, t1: number): void => {
  const frameValues = 2 * plan.nBins;
  const block = memory.area("cqt", "frames", frameValues * ANCHOR_INTERVAL);
  const kernels = memory.memory;
  const demote = out instanceof Float32Array && kernels !== undefined ? stftKernels(kernels) : null;
  for (let b0 = t0; b0 < t1; b0 += ANCHOR_INTERVAL) {
    const b1 = Math.min(t1, b0 + ANCHOR_INTERVAL);
    for (let o = 0; o < plan.octaves.length; o++) {
      engine.responsesAt(o, 0, b0, b1, 8 * (block + 2 * plan.octaves[o]!.binStart), 8 * frameValues);
    }
    const count = frameValues * (b1 - b0);
    // Views after the products: a first transform of a size may have grown the memory.
    if (demote !== null) {
      demote.demotePacked(8 * block, 8 * block, count / 2);
      out.set(kernels.f32.subarray(2 * block, 2 * block + count), frameValues * b0);
    } else {
      out.set(memory.heap().subarray(block, block + count), frameValues * b0);
    }
  }
};
