/**
 * The spectrogram columns of a tuning estimate (STFT frames of a signal or a
 * given spectrogram), the worker task `cqt.tuningPeaks` that runs piptrack
 * over them, and the estimate over all their peaks. Used by the
 * `estimate_tuning`, `chroma_cqt` and `chroma_stft` ops (src/cqt/ops.ts).
 */
import { getRealFft } from "../fft/index.js";
import { fftMemory, type FftMemory } from "../fft/wasmRealFft.js";
import type { Flow, Runner, TaskTable } from "../schedule/types.js";

import { allocFloat64, allocInt32, type FloatArray } from "../util/alloc.js";
import type { StftPlan } from "../spectrum/stft.js";
import { interiorFrameStart, loadFrame } from "../spectrum/frames.js";
import { tuningKernels, type TuningKernels } from "./tuningKernels.js";
import { stftKernels } from "../spectrum/stftKernels.js";
import {
  isPeak, peakDouble, peakSingle, piptrackBinRange, piptrackColumn, piptrackDouble, piptrackRef, piptrackSingle, tuningBin, tuningFromBins, tuningHistogram,
  type PiptrackParams, type TuningEstimate, type TuningHistogram,
} from "./tuning.js";
import { onClearCaches } from "../util/clearCaches.js";

/** Frames per worker chunk at least (a frame is a 2048-point FFT and its peaks, ~7 µs): short signals stay on one thread. */
const FRAME_GRAIN = 64;

/** Where the spectrogram columns of a tuning estimate come from. */
export interface ColumnSource {
  /** STFT of a signal ... */
  plan?: StftPlan;
  /** (channels, length) samples, float32 as the request gave them (frames read them exactly as float64). */
  signal?: FloatArray;
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
  /** Room for peaks per column; frames [t0, t1) of a task own pitch/mag [t0 channels stride, t1 channels stride). */
  stride: number;
  pitch: Float64Array;
  mag: Float64Array;
  counts: Int32Array;
  /**
   * Where each column's peaks start. With it, a task writes the peaks of its
   * columns one after another from the start of its own part of pitch/mag
   * (few pages touched: most columns have far fewer than `stride` peaks);
   * without it, column `slot` writes at `slot * stride`.
   */
  starts?: Int32Array;
  /** Optional (frames, bins, channels) copy of the columns (chroma_stft folds it afterwards). */
  keep: FloatArray | null;
}

/** Column t of channel c of a given (channels, bins, frames) spectrogram, as magnitudes, into `x`; returns its largest value. */
const spectrogramColumn = (s: ColumnSource, t: number, c: number, x: Float64Array): number => {
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

/** Frame t of channel c times the window into `frame`. */
const windowFrame = (s: ColumnSource, t: number, c: number, frame: Float64Array): void => {
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
};

/**
 * Magnitudes of bins [from, to) of the spectrum whose bin f is
 * `spectrum[at + step f]` (re) and the next value (im) into `x[base + f]`. On
 * the float32 path the complex64 values and the magnitude are rounded as numpy does.
 */
const magnitudes = (spectrum: FloatArray, at: number, step: number, from: number, to: number, single: boolean, x: Float64Array, base: number): void => {
  if (single) {
    for (let f = from; f < to; f++) {
      const re = Math.fround(spectrum[at + step * f]!);
      const im = Math.fround(spectrum[at + step * f + 1]!);
      x[base + f] = Math.fround(Math.sqrt(re * re + im * im));
    }
  } else {
    for (let f = from; f < to; f++) {
      const re = spectrum[at + step * f]!;
      const im = spectrum[at + step * f + 1]!;
      x[base + f] = Math.sqrt(re * re + im * im);
    }
  }
};

/**
 * The largest squared magnitude of bins [from, to) (-Infinity if none; NaN
 * ignored), re and im rounded to float32 first on the float32 path. sqrt and
 * the float32 rounding are monotonic, so the rounded square root of this is
 * the largest magnitude exactly, without a square root per bin.
 */
const maxSquare = (spectrum: FloatArray, at: number, step: number, from: number, to: number, single: boolean): number => {
  let max = -Infinity;
  if (single) {
    for (let f = from; f < to; f++) {
      const re = Math.fround(spectrum[at + step * f]!);
      const im = Math.fround(spectrum[at + step * f + 1]!);
      const square = re * re + im * im;
      if (square > max) max = square;
    }
  } else {
    for (let f = from; f < to; f++) {
      const re = spectrum[at + step * f]!;
      const im = spectrum[at + step * f + 1]!;
      const square = re * re + im * im;
      if (square > max) max = square;
    }
  }
  return max;
};

/** Raises the magnitudes `x` to `power` (1 or 2; squares rounded to float32 on that path); returns the largest value. */
const powerColumn = (x: Float64Array, nBins: number, power: number, single: boolean): number => {
  if (power === 2) {
    if (single) for (let f = 0; f < nBins; f++) x[f] = Math.fround(x[f]! * x[f]!);
    else for (let f = 0; f < nBins; f++) x[f] = x[f]! * x[f]!;
  }
  let max = -Infinity;
  for (let f = 0; f < nBins; f++) if (x[f]! > max) max = x[f]!;
  return max;
};

/** The kernels' memory and the vector kernels over it when frames of size n can be transformed in place there, else null. */
const inPlace = (n: number): { memory: FftMemory; kernels: TuningKernels } | null => {
  if (n < 4 || (n & (n - 1)) !== 0 || n > 2 ** 26) return null;
  const memory = fftMemory();
  const kernels = memory?.memory ? tuningKernels(memory.memory) : null;
  return memory && kernels ? { memory, kernels } : null;
};

/**
 * This thread's areas in the kernels' memory (float64 indices): a stretch of
 * the signal (`stagingSize` values) that the window product reads, the
 * window, a column of magnitudes, and its peak bins (int32). Reserved once
 * per thread and grown only for larger sizes (reservations are never freed).
 */
interface Workspace {
  staging: number;
  stagingSize: number;
  window: number;
  windowSize: number;
  x: number;
  xSize: number;
  peaks: number;
}

let workspace: Workspace | null = null;
let workspaceMemory: FftMemory | null = null;
onClearCaches(() => {
  workspace = workspaceMemory = null;
});

const STAGING = 1 << 16;

const workspaceFor = (memory: FftMemory, nFft: number, nBins: number): Workspace => {
  if (workspace === null || workspaceMemory !== memory) {
    workspace = { staging: 0, stagingSize: 0, window: 0, windowSize: 0, x: 0, xSize: 0, peaks: 0 };
    workspaceMemory = memory;
  }
  const w = workspace;
  if (w.stagingSize < Math.max(STAGING, 4 * nFft)) {
    w.stagingSize = Math.max(STAGING, 4 * nFft);
    w.staging = memory.reserve(w.stagingSize, "tuning");
  }
  if (w.windowSize < nFft) {
    w.windowSize = nFft;
    w.window = memory.reserve(nFft, "tuning");
  }
  if (w.xSize < nBins) {
    w.xSize = nBins;
    w.x = memory.reserve(nBins, "tuning");
    w.peaks = memory.reserve(Math.ceil(nBins / 2), "tuning");
  }
  return w;
};

/**
 * Interior frames of a signal times the window into the transform's input at
 * heap index `input`, by the vector kernels from stretches of the signal
 * staged in the kernels' memory (`stagingSize` float64 slots at `staging`,
 * one part per channel when each part holds two frames, so the frames of
 * channels taken in turn do not stage again each time): float64 samples
 * through the tuning kernels' window, float32 ones staged as they are and
 * promoted by stft's `window32` (the same products: promotion is exact), so
 * a float32 request needs no float64 copy of its signal. `nFft` a power of
 * two >= 4 (the in-place paths' sizes; window32 takes pairs of pairs).
 * `window` windows the frame of channel `c` that starts at sample `start`;
 * `staged` (float32 signals) stages samples [start, end) of channel `c`'s part
 * and gives the byte address of sample `start`, or -1 when the part cannot hold them.
 */
const frameWindower = (
  memory: FftMemory,
  kernels: TuningKernels,
  signal: FloatArray,
  channels: number,
  staging: number,
  stagingSize: number,
  win: number,
  input: number,
  nFft: number,
): { window: (start: number, c: number, into?: number) => void; staged: (start: number, end: number, c: number) => number } => {
  const heap = memory.heap();
  const parts = Math.floor(stagingSize / channels) >= 2 * nFft ? channels : 1;
  const partSize = Math.floor(stagingSize / parts);
  // Per part: the staged samples [from, to) and where they sit (float64 slots).
  const from = new Float64Array(parts);
  const to = new Float64Array(parts);
  const single = !(signal instanceof Float64Array);
  const skew = (signal.byteOffset >> 2) & 1;
  const heap32 = new Float32Array(heap.buffer, 0, 2 * heap.length);
  const vector = single ? stftKernels(memory.memory!) : null;
  /** Index of sample `start` in the heap's float64 (float32 for float32 signals) view, [start, end) staged. */
  const stage = (start: number, end: number, c: number): number => {
    const part = parts === 1 ? 0 : c;
    const at = staging + part * partSize;
    if (start < from[part]! || end > to[part]!) {
      // float32: from an 8-byte boundary of the signal's buffer, as the area is (see keptPitch in chromaStft.ts).
      const first = single && start > 0 ? start - ((skew + start) & 1) : start;
      from[part] = first;
      to[part] = Math.min(signal.length, first + partSize);
      if (single) heap32.set(signal.subarray(first, to[part]), 2 * at);
      else heap.set(signal.subarray(first, to[part]), at);
    }
    return (single ? 2 * at : at) + start - from[part]!;
  };
  return {
    window: (start, c, into = input) => {
      const x = stage(start, start + nFft, c);
      if (vector) vector.window32(4 * x, 8 * win, 8 * into, nFft / 2);
      else kernels.window(8 * x, 8 * win, 8 * into, 8 * nFft);
    },
    // One sample of room for the alignment of the stretch's first sample.
    staged: (start, end, c) => (end - start + 1 <= partSize ? 4 * stage(start, end, c) : -1),
  };
};

/**
 * Where {@link frameSpectra} left a frame's spectrum: bin f's re and im at
 * `values[first + step f]` and the next value, valid until the next call.
 */
export interface FrameSpectrum {
  /** The heap's float64 view, or its float32 view for a frame of a pair spectrum. */
  values: FloatArray;
  first: number;
  step: number;
  /** Byte address of bin 0's re for the kernels. */
  address: number;
  /** One frame of a float32 pair spectrum (16 bytes a bin, the kernels' `...Pair` variants), else float64 (re, im) pairs. */
  pair: boolean;
}

/** This thread's areas for {@link frameSpectra}: a pair transform's two windowed frames, a pair spectrum per channel, a padded frame. */
let spectraAreas: { memory: FftMemory; input: number; inputSize: number; out: number; outSize: number; edge: number; edgeSize: number } | null = null;
onClearCaches(() => {
  spectraAreas = null;
});

/**
 * A function giving where the spectrum of frame t of channel c is (the same
 * object every call, valid until the next), for frames taken in ascending
 * order within each channel, below `end`. float32 signals: frames inside the
 * signal go through the float32 pair transform two at a time (frame t with
 * t + 1 when that one is inside the signal and below `end`, else with itself;
 * a frame's values never depend on its partner), as the stft op transforms a
 * float32 signal into complex64, and are read where the transform leaves them
 * (one channel) or from a copy per channel (the channels' transforms take
 * turns); padded frames, and float64 signals, through the float64 transform at
 * `input`. Frames are windowed by the kernels with the window's copy in the
 * memory (`area.window`, which the caller writes before the first frame),
 * interior ones by {@link frameWindower} from its staging area, a pair
 * straight into the pair transform's input. Reserves its areas now and keeps
 * views of the memory: call it after the caller's other reservations, before
 * taking views.
 */
export const frameSpectra = (
  memory: FftMemory,
  kernels: TuningKernels,
  plan: StftPlan,
  source: { signal: FloatArray; channels: number; channelLength: number },
  area: { staging: number; stagingSize: number; window: number },
  input: number,
  end: number,
): ((t: number, c: number) => FrameSpectrum) => {
  const nFft = plan.nFft;
  const { signal, channels, channelLength } = source;
  const stft = signal instanceof Float32Array && memory.forwardStagedPairs32 !== undefined ? stftKernels(memory.memory!) : null;
  const pairs = stft !== null;
  // Per channel (several channels), the pair spectrum of its last pair: nFft / 2 + 1 points of 16 bytes.
  const stride = 2 * (nFft / 2 + 1);
  if (spectraAreas === null || spectraAreas.memory !== memory) spectraAreas = { memory, input: 0, inputSize: 0, out: 0, outSize: 0, edge: 0, edgeSize: 0 };
  const areas = spectraAreas;
  if (pairs) {
    memory.planPairs32!(nFft);
    if (areas.inputSize < 2 * nFft) areas.input = memory.reserve((areas.inputSize = 2 * nFft), "tuning");
    if (channels > 1 && areas.outSize < channels * stride) areas.out = memory.reserve((areas.outSize = channels * stride), "tuning");
  }
  // A frame reaching into the padding, unwindowed.
  if (areas.edgeSize < nFft) areas.edge = memory.reserve((areas.edgeSize = nFft), "tuning");
  const { input: pairIn, out: pairOut, edge: edgeAt } = areas;
  const windower = frameWindower(memory, kernels, signal, channels, area.staging, area.stagingSize, area.window, input, nFft);
  const heap = memory.heap();
  const heap32 = new Float32Array(heap.buffer, 0, 2 * heap.length);
  const spectrum: FrameSpectrum = { values: heap, first: 0, step: 2, address: 0, pair: false };
  /** Frame `lane` (0 or 1) of the pair spectrum at heap index `at`. */
  const pairFrame = (at: number, lane: number): FrameSpectrum => {
    spectrum.values = heap32;
    spectrum.first = 2 * at + 2 * lane;
    spectrum.step = 4;
    spectrum.address = 8 * at + 8 * lane;
    spectrum.pair = true;
    return spectrum;
  };
  // Per channel, where its last pair spectrum is when it holds frame t + 1 of its last frame t, else -1.
  const held = new Float64Array(channels).fill(-1);
  return (t, c) => {
    if (held[c]! >= 0) {
      const at = held[c]!;
      held[c] = -1;
      return pairFrame(at, 1);
    }
    const start = interiorFrameStart(plan, c * channelLength, t);
    if (pairs && start >= 0) {
      const partner = t + 1 < end ? interiorFrameStart(plan, c * channelLength, t + 1) : -1;
      const last = partner >= 0 ? partner : start;
      const staged = windower.staged(start, last + nFft, c);
      if (staged >= 0) {
        // Both frames windowed straight into the pair transform's input.
        stft!.windowPairs32(staged, staged + 4 * (last - start), 8 * area.window, 8 * input, nFft / 2);
      } else {
        windower.window(start, c, pairIn);
        if (partner >= 0) windower.window(partner, c, pairIn + nFft);
      }
      let at = staged >= 0 ? memory.forwardStagedPairs32!(nFft) : memory.spectrumPairs32!(nFft, pairIn, partner >= 0 ? pairIn + nFft : pairIn);
      if (channels > 1) {
        // The next channel's transform reuses the transform's buffers.
        heap.copyWithin(pairOut + c * stride, at, at + stride);
        at = pairOut + c * stride;
      }
      if (partner >= 0) held[c] = at;
      return pairFrame(at, 0);
    }
    if (start >= 0) {
      windower.window(start, c);
    } else {
      loadFrame(plan, signal, c * channelLength, t, heap.subarray(edgeAt, edgeAt + nFft));
      kernels.window(8 * edgeAt, 8 * area.window, 8 * input, 8 * nFft);
    }
    const at = memory.forward(nFft);
    spectrum.values = heap;
    spectrum.first = at;
    spectrum.step = 2;
    spectrum.address = 8 * at;
    spectrum.pair = false;
    return spectrum;
  };
};

/**
 * Peaks (and kept columns) of the STFT columns of frames [t0, t1) with the
 * transform done in place in the FFT kernels' memory: the frame's window
 * product is written straight into the transform's input (interior frames by
 * the vector kernel from a staged stretch of the signal, padded frames by
 * the scalar loop), the spectrum is read where the transform leaves it, and
 * for piptrack alone (no kept columns, power 1) the magnitudes stay there
 * and the vector peak test picks the bins to interpolate. Same values as
 * {@link stftPeaksCopied} for float64 signals; a float32 signal's frames inside
 * it come from the float32 pair transform ({@link frameSpectra}), so its columns
 * are those of the stft op's complex64 frames (~1e-7 from the float64
 * transform's, as librosa's float32 results allow).
 */
const stftPeaksInPlace = (a: TuningTaskArgs, t0: number, t1: number, memory: FftMemory, kernels: TuningKernels): void => {
  const s = a.source;
  const { nBins, channels, power } = s;
  const { pp, lo, hi, stride, pitch, mag, counts, keep } = a;
  const { sr, nFft: ppFft, single, roundCurvature } = pp;
  const plan = s.plan!;
  const signal = s.signal!;
  const window = s.window!;
  const channelLength = s.length!;
  const nFft = plan.nFft;
  const x = new Float64Array(nBins);
  // input() makes the size's tables, workspaceFor and frameSpectra reserve: nothing below grows the memory, so the views stay valid.
  const input = memory.input(nFft);
  const ws = workspaceFor(memory, nFft, nBins);
  const spectrumAt = frameSpectra(memory, kernels, plan, { signal, channels, channelLength }, ws, input, t1);
  const heap = memory.heap();
  const peakBins = new Int32Array(heap.buffer, 8 * ws.peaks, nBins);
  heap.set(window.subarray(0, nFft), ws.window);
  const peaksOnly = keep === null && power === 1;
  // piptrack reads x[lo - 1 .. hi] (its neighbours test).
  const from = peaksOnly ? Math.max(0, lo - 1) : 0;
  const to = peaksOnly ? Math.min(nBins, hi + 1) : nBins;
  // The column kernel takes bins in pairs: the maximum over pairs [0, nBins >> 1) (the
  // scalar loop adds an odd last bin), magnitudes over the pairs from the even bin
  // `even` <= from up to `to` (the scalar loop adds an odd last bin), bin f at heap[base + f].
  const even = from & ~1;
  const nPairs = nBins >> 1;
  const head = even >> 1;
  const body = Math.min(nPairs, (to + 1) >> 1) - head;
  const tail = nPairs - head - body;
  const covered = even + 2 * body;
  const base = ws.x - even;
  // The vector peak test covers bins [first, first + 2 testPairs) (never bin 0 nor the last), the scalar one the rest up to hi.
  const first = Math.max(lo, 1);
  const testPairs = Math.max(0, (Math.min(hi, nBins - 1) - first) >> 1);
  const rest = first + 2 * testPairs;
  const starts = a.starts ?? null;
  let next = t0 * channels * stride;
  for (let t = t0; t < t1; t++) {
    for (let c = 0; c < channels; c++) {
      const sp = spectrumAt(t, c);
      const column = sp.pair ? kernels.columnPair : single ? kernels.column32 : kernels.column64;
      let square = column(sp.address, head, body, tail, 8 * ws.x);
      if (covered < to) magnitudes(sp.values, sp.first, sp.step, covered, to, single, heap, base);
      const slot = t * channels + c;
      const offset = starts ? next : slot * stride;
      let count = 0;
      if (!peaksOnly) {
        x.set(heap.subarray(ws.x, ws.x + nBins));
        const max = powerColumn(x, nBins, power, single);
        if (keep) for (let f = 0; f < nBins; f++) keep[(t * nBins + f) * channels + c] = x[f]!;
        const ref = piptrackRef(pp, max);
        count = single
          ? piptrackSingle(x, nBins, ref, sr, ppFft, roundCurvature, lo, hi, pitch, mag, offset)
          : piptrackDouble(x, nBins, ref, sr, ppFft, lo, hi, pitch, mag, offset);
      } else {
        if (nBins % 2 === 1) {
          const last = maxSquare(sp.values, sp.first, sp.step, nBins - 1, nBins, single);
          if (last > square) square = last;
        }
        const ref = piptrackRef(pp, single ? Math.fround(Math.sqrt(square)) : Math.sqrt(square));
        const found = kernels.localMaxima(8 * (base + first - 1), testPairs, ref, 8 * ws.peaks);
        for (let k = 0; k < found; k++, count++) {
          const i = first + peakBins[k]!;
          if (single) peakSingle(heap, base, i, nBins, sr, ppFft, roundCurvature, pitch, mag, offset + count);
          else peakDouble(heap, base, i, nBins, sr, ppFft, pitch, mag, offset + count);
        }
        for (let i = rest; i < hi; i++) {
          if (!isPeak(heap, base, i, nBins, ref)) continue;
          if (single) peakSingle(heap, base, i, nBins, sr, ppFft, roundCurvature, pitch, mag, offset + count);
          else peakDouble(heap, base, i, nBins, sr, ppFft, pitch, mag, offset + count);
          count++;
        }
      }
      counts[slot] = count;
      if (starts) {
        starts[slot] = offset;
        next += count;
      }
    }
  }
};

/**
 * Peaks (and kept columns) of the STFT columns of frames [t0, t1) through
 * `getRealFft` (frame and spectrum copied in and out): sizes that are not
 * powers of two, runtimes without WebAssembly SIMD.
 */
const stftPeaksCopied = (a: TuningTaskArgs, t0: number, t1: number): void => {
  const s = a.source;
  const { nBins, channels, power } = s;
  const { pp, lo, hi, stride, pitch, mag, counts, keep } = a;
  const nFft = s.plan!.nFft;
  const single = pp.single;
  const x = new Float64Array(nBins);
  const frame = new Float64Array(nFft);
  const spectrum = new Float64Array(nFft + 2);
  const fft = getRealFft(nFft);
  // piptrack reads x[lo - 1 .. hi] (its neighbours test).
  const peaksOnly = keep === null && power === 1;
  const from = peaksOnly ? Math.max(0, lo - 1) : 0;
  const to = peaksOnly ? Math.min(nBins, hi + 1) : nBins;
  const starts = a.starts ?? null;
  let next = t0 * channels * stride;
  for (let t = t0; t < t1; t++) {
    for (let c = 0; c < channels; c++) {
      windowFrame(s, t, c, frame);
      fft.forward(frame, 0, spectrum);
      magnitudes(spectrum, 0, 2, from, to, single, x, 0);
      let max: number;
      if (peaksOnly) {
        const square = maxSquare(spectrum, 0, 2, 0, nBins, single);
        max = single ? Math.fround(Math.sqrt(square)) : Math.sqrt(square);
      } else {
        max = powerColumn(x, nBins, power, single);
        if (keep) for (let f = 0; f < nBins; f++) keep[(t * nBins + f) * channels + c] = x[f]!;
      }
      const slot = t * channels + c;
      const offset = starts ? next : slot * stride;
      const ref = piptrackRef(pp, max);
      const count = single
        ? piptrackSingle(x, nBins, ref, pp.sr, pp.nFft, pp.roundCurvature, lo, hi, pitch, mag, offset)
        : piptrackDouble(x, nBins, ref, pp.sr, pp.nFft, lo, hi, pitch, mag, offset);
      counts[slot] = count;
      if (starts) {
        starts[slot] = offset;
        next += count;
      }
    }
  }
};

/** Peaks (and kept columns) of the given spectrogram's columns of frames [t0, t1). */
const spectrogramPeaks = (a: TuningTaskArgs, t0: number, t1: number): void => {
  const s = a.source;
  const x = new Float64Array(s.nBins);
  const starts = a.starts ?? null;
  let next = t0 * s.channels * a.stride;
  for (let t = t0; t < t1; t++) {
    for (let c = 0; c < s.channels; c++) {
      const max = spectrogramColumn(s, t, c, x);
      if (a.keep) for (let f = 0; f < s.nBins; f++) a.keep[(t * s.nBins + f) * s.channels + c] = x[f]!;
      const slot = t * s.channels + c;
      const offset = starts ? next : slot * a.stride;
      const count = piptrackColumn(x, s.nBins, max, a.pp, a.lo, a.hi, a.pitch, a.mag, offset);
      a.counts[slot] = count;
      if (starts) {
        starts[slot] = offset;
        next += count;
      }
    }
  }
};

/** Task `cqt.tuningPeaks`: the piptrack peaks (and kept columns) of frames [t0, t1). */
const tuningPeaksTask = (t0: number, t1: number, a: TuningTaskArgs): void => {
  if (a.source.spectrogram) {
    spectrogramPeaks(a, t0, t1);
    return;
  }
  const fast = inPlace(a.source.plan!.nFft);
  if (fast) stftPeaksInPlace(a, t0, t1, fast.memory, fast.kernels);
  else stftPeaksCopied(a, t0, t1);
};

/** Peaks per worker chunk at least (a logarithm and a few roundings each, ~15 ns). */
const BIN_GRAIN = 16384;

export interface TuningBinsArgs {
  pitch: Float64Array;
  /** Out: the histogram bin of each peak, -1 for none. */
  bins: Int32Array;
  binsPerOctave: number;
  h: TuningHistogram;
  single: boolean;
}

/** Task `cqt.tuningBins`: {@link tuningBin} of peaks [i0, i1). */
const tuningBinsTask = (i0: number, i1: number, a: TuningBinsArgs): void => {
  const { pitch, bins, binsPerOctave, h, single } = a;
  for (let i = i0; i < i1; i++) {
    const f = pitch[i]!;
    bins[i] = f > 0 ? tuningBin(f, binsPerOctave, h, single) : -1;
  }
};

/** This domain's tasks (joined into the runners' table by src/schedule/tasks.ts). */
export const tuningTasks = {
  "cqt.tuningPeaks": tuningPeaksTask,
  "cqt.tuningBins": tuningBinsTask,
} satisfies TaskTable;

/** The runner this file's pipelines hand their work to. */
type TuningRunner = Runner<typeof tuningTasks>;

/** piptrack over every column, then the median threshold and the histogram. */
export function* estimateTuningFrom(
  runner: TuningRunner,
  source: ColumnSource,
  pp: PiptrackParams,
  resolution: number,
  binsPerOctave: number,
  keep: FloatArray | null,
): Flow<TuningEstimate> {
  const [lo, hi] = piptrackBinRange(pp, source.nBins);
  const stride = Math.max(1, Math.ceil((hi - lo) / 2) + 1);
  const columns = source.nFrames * source.channels;
  const shared = runner.shared;
  const pitch = allocFloat64(columns * stride, shared, { zero: false });
  const mag = allocFloat64(columns * stride, shared, { zero: false });
  const counts = allocInt32(columns, shared);
  const starts = allocInt32(columns, shared);
  yield runner.run("cqt.tuningPeaks", source.nFrames, { source, pp, lo, hi, stride, pitch, mag, counts, starts, keep }, FRAME_GRAIN);
  return yield* tuningOfPeaks(runner, pitch, mag, gatherPeaks(pitch, mag, counts, starts, columns), resolution, binsPerOctave, pp.single);
}

/**
 * estimate_tuning's last steps over the gathered peaks [0, n) (`tuningFromPeaks`'s answer): the
 * histogram bin of every peak in parallel (the logarithms), then the median magnitude and the count.
 */
export function* tuningOfPeaks(
  runner: TuningRunner,
  pitch: Float64Array,
  mag: Float64Array,
  n: number,
  resolution: number,
  binsPerOctave: number,
  single: boolean,
): Flow<TuningEstimate> {
  const h = tuningHistogram(resolution);
  const bins = allocInt32(n, runner.shared, { zero: false });
  yield runner.run("cqt.tuningBins", n, { pitch, bins, binsPerOctave, h, single }, BIN_GRAIN);
  return tuningFromBins(pitch, mag, bins, n, h, single);
}

/**
 * Moves the peaks that task parts wrote from `starts[col]` (`counts[col]` per
 * column) to the front of `pitch` and `mag`, in column order, one move per run
 * of columns stored back to back (a task part's columns); returns how many.
 */
export const gatherPeaks = (pitch: Float64Array, mag: Float64Array, counts: Int32Array, starts: Int32Array, columns: number): number => {
  let n = 0;
  let runFrom = 0;
  let runTo = 0;
  for (let col = 0; col <= columns; col++) {
    const start = col < columns ? starts[col]! : -1;
    if (start === runTo) {
      runTo += counts[col]!;
      continue;
    }
    pitch.copyWithin(n, runFrom, runTo);
    mag.copyWithin(n, runFrom, runTo);
    n += runTo - runFrom;
    if (col < columns) {
      runFrom = start;
      runTo = start + counts[col]!;
    }
  }
  return n;
};
