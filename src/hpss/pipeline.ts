/**
 * The HPSS pipelines of whole multichannel requests, channel after channel,
 * each pass a task over an index range that a runner may cut across threads:
 * - {@link hpssSpectrogramFlow}: `decompose.hpss` on a given spectrogram
 *   (wire layout (frames, bins, channels)): magnitudes and masks by element,
 *   the harmonic median by frequency bin, the percussive median by frame;
 * - {@link separateSignalFlow}: `effects.hpss` / `harmonic` / `percussive` on
 *   a signal: the three passes of separate.ts (by frame, by bin, by element),
 *   then one inverse STFT of both parts.
 * The per-channel work buffers are allocated once and reused.
 */
import type { Flow, Runner } from "../schedule/runner.js";
import { istftFlow } from "../spectrum/transforms.js";
import { frameMajorLayout, type StftPlan } from "../spectrum/stft.js";
import { allocFloat, allocFloat64, type FloatArray } from "../util/alloc.js";
import { ParameterError } from "../util/errors.js";
import { MEDIAN_COLUMN_BLOCK, createMedianWorkspace } from "./medianFilter.js";
import { applyMask, complexMagnitude, harmonicMedian, hpssMasks, percussiveMedian, type HpssGeometry, type HpssParams } from "./hpss.js";
import { analyseFrames, harmonicBins, separateElements, type SeparationBuffers } from "./separate.js";

export interface ChannelArgs {
  spectrum: FloatArray;
  offset: number;
  stride: number;
  isComplex: boolean;
  mag: Float64Array;
  harm: Float64Array;
  perc: Float64Array;
  geometry: HpssGeometry;
  params: HpssParams;
}

export interface ApplyArgs extends ChannelArgs {
  mask: Float64Array;
  out: FloatArray;
}

/** Task `hpss.magnitude`: |S| of elements [start, end) of one channel. */
export const magnitudeTask = (start: number, end: number, a: ChannelArgs): void => {
  if (a.isComplex) {
    complexMagnitude(a.spectrum, a.offset, a.stride, a.mag, a.params.precision, start, end);
  } else {
    for (let i = start; i < end; i++) a.mag[i] = a.spectrum[a.offset + i * a.stride]!;
  }
};

/** Task `hpss.harmonic`: the harmonic median of bins [start, end). */
export const harmonicTask = (start: number, end: number, a: ChannelArgs): void => {
  const lines = a.geometry.order === "frame-major" ? MEDIAN_COLUMN_BLOCK : 2;
  const work = createMedianWorkspace(a.geometry.nTime, a.params.winHarm, lines);
  harmonicMedian(a.mag, a.geometry, a.params.winHarm, a.harm, start, end, work);
};

/** Task `hpss.percussive`: the percussive median of frames [start, end). */
export const percussiveTask = (start: number, end: number, a: ChannelArgs): void => {
  const lines = a.geometry.order === "frame-major" ? 2 : MEDIAN_COLUMN_BLOCK;
  const work = createMedianWorkspace(a.geometry.nFreq, a.params.winPerc, lines);
  percussiveMedian(a.mag, a.geometry, a.params.winPerc, a.perc, start, end, work);
};

/** Task `hpss.masks`: the masks overwrite the medians in place (each element reads both before writing). */
export const masksTask = (start: number, end: number, a: ChannelArgs): void => {
  hpssMasks(a.harm, a.perc, a.params, a.harm, a.perc, start, end);
};

/** Task `hpss.apply`: the masked spectrum of elements [start, end), in the input's layout. */
export const applyTask = (start: number, end: number, a: ApplyArgs): void => {
  if (a.isComplex) {
    applyMask(a.spectrum, a.offset, a.stride, a.mag, a.mask, a.params.precision, a.out, start, end);
  } else {
    const float32 = a.params.precision === "float32";
    for (let i = start; i < end; i++) {
      const v = a.mag[i]! * a.mask[i]!;
      a.out[a.offset + i * a.stride] = float32 ? Math.fround(v) : v;
    }
  }
};

/**
 * Medians and masks of one channel: afterwards `harm` holds the harmonic mask
 * and `perc` the percussive one; `mag` still holds the magnitudes.
 */
function* channelMasks(runner: Runner, a: ChannelArgs): Flow<void> {
  const count = a.geometry.nFreq * a.geometry.nTime;
  yield runner.run("hpss.magnitude", count, a);
  yield runner.run("hpss.harmonic", a.geometry.nFreq, a);
  yield runner.run("hpss.percussive", a.geometry.nTime, a);
  if (!a.isComplex) {
    // librosa's softmask rejects negative input; with a real S it shows in the medians.
    for (let i = 0; i < count; i++) {
      if (a.harm[i]! < 0 || a.perc[i]! < 0) throw new ParameterError("X and X_ref must be non-negative");
    }
  }
  yield runner.run("hpss.masks", count, a);
}

export interface SpectrogramHpssRequest {
  /** (frames, bins, channels), interleaved complex when `isComplex`. */
  spectrum: FloatArray;
  isComplex: boolean;
  nTime: number;
  nFreq: number;
  channels: number;
  params: HpssParams;
  /** Return the masks (float, (frames, bins, channels)) instead of the masked spectra. */
  returnMasks: boolean;
}

/** `decompose.hpss`: the harmonic and percussive parts (or masks) of a spectrogram, in its layout. */
export function* hpssSpectrogramFlow(runner: Runner, r: SpectrogramHpssRequest): Flow<{ harmonic: FloatArray; percussive: FloatArray }> {
  const { spectrum, isComplex, nTime, nFreq, channels, params, returnMasks } = r;
  const single = params.precision === "float32";
  const shared = runner.shared;
  const count = nFreq * nTime;
  const geometry: HpssGeometry = { nFreq, nTime, order: "frame-major" };
  const mag = allocFloat64(count, shared);
  const harm = allocFloat64(count, shared);
  const perc = allocFloat64(count, shared);
  // Masks: float32/float64 planar per channel; spectra: the input's layout and type.
  const outLength = returnMasks ? count * channels : spectrum.length;
  const outHarm = allocFloat(outLength, !single, shared, { zero: false });
  const outPerc = allocFloat(outLength, !single, shared, { zero: false });
  for (let c = 0; c < channels; c++) {
    const channel: ChannelArgs = { spectrum, offset: c, stride: channels, isComplex, mag, harm, perc, geometry, params };
    yield* channelMasks(runner, channel);
    if (returnMasks) {
      for (let i = 0; i < count; i++) {
        outHarm[i * channels + c] = harm[i]!;
        outPerc[i * channels + c] = perc[i]!;
      }
      continue;
    }
    for (const [mask, out] of [[harm, outHarm], [perc, outPerc]] as const) {
      yield runner.run("hpss.apply", count, { ...channel, mask, out });
    }
  }
  return { harmonic: outHarm, percussive: outPerc };
}

export interface SeparationArgs {
  plan: StftPlan;
  signal: FloatArray;
  length: number;
  window: Float64Array;
  buffers: SeparationBuffers;
  params: HpssParams;
}

/** Task `hpss.analyseFrames`: pass 1 of separate.ts over frames [t0, t1). */
export const analyseFramesTask = (t0: number, t1: number, a: SeparationArgs): void => {
  analyseFrames(a.plan, a.signal, a.length, a.window, a.buffers, a.params, t0, t1);
};

/** Task `hpss.harmonicBins`: pass 2 over bins [f0, f1). */
export const harmonicBinsTask = (f0: number, f1: number, a: SeparationArgs): void => {
  harmonicBins(a.buffers, a.plan.nBins, a.plan.nFrames, a.params, f0, f1);
};

/** Task `hpss.separateElements`: pass 3 over elements [e0, e1). */
export const separateElementsTask = (e0: number, e1: number, a: SeparationArgs): void => {
  separateElements(a.buffers, a.params, e0, e1);
};

export type HpssPart = "harmonic" | "percussive";

export interface SignalHpssRequest {
  /** (channels, length) row-major. */
  signal: FloatArray;
  channels: number;
  length: number;
  plan: StftPlan;
  window: Float64Array;
  center: boolean;
  parts: readonly HpssPart[];
  returnMasks: boolean;
  params: HpssParams;
  /** float64 signal and output (else float32). */
  double: boolean;
}

/** `effects.hpss`: the parts, each (channels, length), one after another in one array. */
export function* separateSignalFlow(runner: Runner, r: SignalHpssRequest): Flow<FloatArray> {
  const { plan, channels, length, parts, double, window } = r;
  const shared = runner.shared;
  const count = plan.nBins * plan.nFrames;
  // Every element of these is written before it is read: no zero-fill.
  const uninitialised = { zero: false };
  const buffers: SeparationBuffers = {
    spectrum: allocFloat(2 * count, double, shared, uninitialised),
    mag: allocFloat(count, double, shared, uninitialised),
    harm: allocFloat(count, double, shared, uninitialised),
    perc: allocFloat(count, double, shared, uninitialised),
    // masks are real: istft reads them from an interleaved buffer in float64, as numpy's irfft of a real array.
    out: allocFloat(2 * count * parts.length, double || r.returnMasks, shared, uninitialised),
    parts,
    returnMasks: r.returnMasks,
  };
  const output = allocFloat(parts.length * channels * length, double, shared, uninitialised);
  for (let c = 0; c < channels; c++) {
    const args: SeparationArgs = { plan, signal: r.signal.subarray(c * length, (c + 1) * length), length, window, buffers, params: r.params };
    yield runner.run("hpss.analyseFrames", plan.nFrames, args);
    yield runner.run("hpss.harmonicBins", plan.nBins, args);
    yield runner.run("hpss.separateElements", count, args);
    // The parts are the channels of one spectrogram: one inverse STFT, one envelope.
    const { out } = yield* istftFlow(runner, {
      spectrum: buffers.out, layout: frameMajorLayout(plan.nBins, parts.length), nBins: plan.nBins, nFrames: plan.nFrames, channels: parts.length,
      nFft: plan.nFft, hopLength: plan.hopLength, window, center: r.center, length, double,
    });
    for (let k = 0; k < parts.length; k++) output.set(out.subarray(k * length, (k + 1) * length), (k * channels + c) * length);
  }
  return output;
}
