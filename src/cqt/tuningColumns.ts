/**
 * The spectrogram columns of a tuning estimate (STFT frames of a signal or a
 * given spectrogram), the worker task `cqt.tuningPeaks` that runs piptrack
 * over them, and the estimate over all their peaks. Used by the
 * `estimate_tuning`, `chroma_cqt` and `chroma_stft` ops (src/cqt/ops.ts).
 */
import { getRealFft } from "../fft/realFft.js";
import { allocFloat64, type FloatArray } from "../parallel/alloc.js";
import { runTask, type WorkerPool } from "../parallel/pool.js";
import { registerTask, type TaskArgs } from "../parallel/tasks.js";
import type { StftPlan } from "../spectrum/stft.js";
import { interiorFrameStart, loadFrame } from "./frames.js";
import { piptrackBinRange, piptrackColumn, tuningFromPeaks, type PiptrackParams, type TuningEstimate } from "./tuning.js";

/** Where the spectrogram columns of a tuning estimate come from. */
export interface ColumnSource {
  /** STFT of a signal ... */
  plan?: StftPlan;
  signal?: Float64Array;
  length?: number;
  window?: Float64Array;
  /** ... or a given (channels, bins, frames) spectrogram. */
  spectrogram?: FloatArray;
  nFrames: number;
  nBins: number;
  channels: number;
  /** Magnitude exponent applied to STFT columns (1: |X|, 2: |X|^2). */
  power: number;
}

export interface TuningTaskArgs {
  source: ColumnSource;
  pp: PiptrackParams;
  lo: number;
  hi: number;
  stride: number;
  pitch: Float64Array;
  mag: Float64Array;
  counts: Int32Array;
  /** Optional (frames, bins, channels) copy of the columns (chroma_stft folds it afterwards). */
  keep: FloatArray | null;
}

/** Column t of channel c of a given (channels, bins, frames) spectrogram, as magnitudes, into `x`; returns its largest value. */
export const spectrogramColumn = (s: ColumnSource, t: number, c: number, x: Float64Array): number => {
  const { nBins, nFrames } = s;
  const data = s.spectrogram!;
  const base = c * nBins * nFrames + t;
  let max = -Infinity;
  for (let f = 0; f < nBins; f++) {
    const v = Math.abs(data[base + f * nFrames]!);
    x[f] = v;
    if (v > max) max = v;
  }
  return max;
};

/** The windowed frame t of channel c, Fourier transformed into `spectrum`. */
export const stftFrame = (s: ColumnSource, t: number, c: number, frame: Float64Array, spectrum: Float64Array): void => {
  const plan = s.plan!;
  const window = s.window!;
  const signal = s.signal!;
  const nFft = plan.nFft;
  const start = interiorFrameStart(plan, c * s.length!, t);
  if (start >= 0) {
    for (let k = 0; k < nFft; k++) frame[k] = signal[start + k]! * window[k]!;
  } else {
    loadFrame(plan, signal, c * s.length!, t, frame);
    for (let k = 0; k < nFft; k++) frame[k] = frame[k]! * window[k]!;
  }
  getRealFft(nFft).forward(frame, 0, spectrum);
};

/**
 * Column t of channel c of `|stft|^power` into `x`; returns its largest
 * value. On the float32 path the complex64 values, their magnitude and its
 * square are rounded as numpy does.
 */
export const stftColumn = (s: ColumnSource, single: boolean, t: number, c: number, x: Float64Array, frame: Float64Array, spectrum: Float64Array): number => {
  stftFrame(s, t, c, frame, spectrum);
  const nBins = s.nBins;
  if (single) {
    for (let f = 0; f < nBins; f++) {
      const re = Math.fround(spectrum[2 * f]!);
      const im = Math.fround(spectrum[2 * f + 1]!);
      x[f] = Math.fround(Math.sqrt(re * re + im * im));
    }
    if (s.power === 2) for (let f = 0; f < nBins; f++) x[f] = Math.fround(x[f]! * x[f]!);
  } else {
    for (let f = 0; f < nBins; f++) {
      const re = spectrum[2 * f]!;
      const im = spectrum[2 * f + 1]!;
      x[f] = Math.sqrt(re * re + im * im);
    }
    if (s.power === 2) for (let f = 0; f < nBins; f++) x[f] = x[f]! * x[f]!;
  }
  let max = -Infinity;
  for (let f = 0; f < nBins; f++) if (x[f]! > max) max = x[f]!;
  return max;
};

/**
 * What piptrack reads of column t of `|stft|` (power 1): the magnitudes of
 * bins [from, to) into `x`, and the column's largest magnitude, returned.
 * The maximum is taken over squared magnitudes and only its square root is
 * rounded: sqrt and the float32 rounding are monotonic, so that is the
 * largest rounded magnitude exactly, without a square root per bin.
 */
export const stftPeakColumn = (
  s: ColumnSource,
  single: boolean,
  t: number,
  c: number,
  from: number,
  to: number,
  x: Float64Array,
  frame: Float64Array,
  spectrum: Float64Array,
): number => {
  stftFrame(s, t, c, frame, spectrum);
  const nBins = s.nBins;
  let maxSquare = -Infinity;
  if (single) {
    for (let f = 0; f < nBins; f++) {
      const re = Math.fround(spectrum[2 * f]!);
      const im = Math.fround(spectrum[2 * f + 1]!);
      const square = re * re + im * im;
      if (square > maxSquare) maxSquare = square;
    }
    for (let f = from; f < to; f++) {
      const re = Math.fround(spectrum[2 * f]!);
      const im = Math.fround(spectrum[2 * f + 1]!);
      x[f] = Math.fround(Math.sqrt(re * re + im * im));
    }
    return Math.fround(Math.sqrt(maxSquare));
  }
  for (let f = 0; f < nBins; f++) {
    const re = spectrum[2 * f]!;
    const im = spectrum[2 * f + 1]!;
    const square = re * re + im * im;
    if (square > maxSquare) maxSquare = square;
  }
  for (let f = from; f < to; f++) {
    const re = spectrum[2 * f]!;
    const im = spectrum[2 * f + 1]!;
    x[f] = Math.sqrt(re * re + im * im);
  }
  return Math.sqrt(maxSquare);
};

registerTask("cqt.tuningPeaks", (t0, t1, args: TaskArgs) => {
  const a = args as unknown as TuningTaskArgs;
  const s = a.source;
  const x = new Float64Array(s.nBins);
  const nFft = s.plan ? s.plan.nFft : 2;
  const frame = new Float64Array(nFft);
  const spectrum = new Float64Array(nFft + 2);
  // piptrack reads x[lo - 1 .. hi] (its neighbours test).
  const from = Math.max(0, a.lo - 1);
  const to = Math.min(s.nBins, a.hi + 1);
  const peaksOnly = a.keep === null && s.power === 1;
  for (let t = t0; t < t1; t++) {
    for (let c = 0; c < s.channels; c++) {
      let max: number;
      if (s.spectrogram) max = spectrogramColumn(s, t, c, x);
      else if (peaksOnly) max = stftPeakColumn(s, a.pp.single, t, c, from, to, x, frame, spectrum);
      else max = stftColumn(s, a.pp.single, t, c, x, frame, spectrum);
      if (a.keep) for (let f = 0; f < s.nBins; f++) a.keep[(t * s.nBins + f) * s.channels + c] = x[f]!;
      const slot = t * s.channels + c;
      a.counts[slot] = piptrackColumn(x, s.nBins, max, a.pp, a.lo, a.hi, a.pitch, a.mag, slot * a.stride);
    }
  }
});

/** piptrack over every column, then the median threshold and the histogram. */
export const estimateTuningFrom = async (
  source: ColumnSource,
  pp: PiptrackParams,
  resolution: number,
  binsPerOctave: number,
  keep: FloatArray | null,
  pool: WorkerPool | undefined,
): Promise<TuningEstimate> => {
  const [lo, hi] = piptrackBinRange(pp, source.nBins);
  const stride = Math.max(1, Math.ceil((hi - lo) / 2) + 1);
  const columns = source.nFrames * source.channels;
  const shared = pool !== undefined;
  const pitch = allocFloat64(columns * stride, shared, { zero: false });
  const mag = allocFloat64(columns * stride, shared, { zero: false });
  const counts = new Int32Array(shared ? new SharedArrayBuffer(4 * columns) : new ArrayBuffer(4 * columns));
  await runTask(pool, "cqt.tuningPeaks", source.nFrames, { source, pp, lo, hi, stride, pitch, mag, counts, keep });
  let n = 0;
  for (let col = 0; col < columns; col++) {
    const count = counts[col]!;
    pitch.copyWithin(n, col * stride, col * stride + count);
    mag.copyWithin(n, col * stride, col * stride + count);
    n += count;
  }
  return tuningFromPeaks(pitch, mag, n, resolution, binsPerOctave, pp.single);
};
