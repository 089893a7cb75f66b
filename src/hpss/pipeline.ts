/**
 * The HPSS pipelines of whole multichannel requests, channel after channel,
 * each pass a task over an index range that a runner may cut across threads:
 * - {@link hpssSpectrogramFlow}: `decompose.hpss` on a given spectrogram
 *   (wire layout (frames, bins, channels)): the same three passes, the first
 *   reading the given frames, then the parts scattered into the layout;
 * - {@link separateSignalFlow}: `effects.hpss` / `harmonic` / `percussive` on
 *   a signal: the three passes of separate.ts (by frame, by bin, by element),
 *   then one inverse STFT of both parts.
 * Both ops run one pipeline (separate.ts: SIMD medians and masks where
 * WebAssembly SIMD exists). The per-channel work buffers are allocated once
 * and reused.
 */
import type { Flow, Runner, TaskTable } from "../schedule/types.js";
import type { spectrumTasks } from "../spectrum/transforms.js";
import { istftFlow } from "../spectrum/transforms.js";
import { frameMajorLayout, type StftPlan } from "../spectrum/stft.js";
import { allocFloat, type FloatArray } from "../util/alloc.js";
import { ParameterError } from "../util/errors.js";
import type { HpssParams } from "./hpss.js";
import { analyseFrames, harmonicBins, loadGivenFrames, separateElements, type GivenSpectrogram, type SeparationBuffers } from "./separate.js";

export interface GivenArgs {
  S: GivenSpectrogram;
  nFrames: number;
  buffers: SeparationBuffers;
  params: HpssParams;
}

/** Task `hpss.givenFrames`: pass 1 of separate.ts on frames [t0, t1) of a given spectrogram. */
const givenFramesTask = (t0: number, t1: number, a: GivenArgs): void => {
  loadGivenFrames(a.S, a.buffers, a.params, t0, t1);
};

/** Task `hpss.givenBins`: pass 2 over bins [f0, f1). */
const givenBinsTask = (f0: number, f1: number, a: GivenArgs): void => {
  harmonicBins(a.buffers, a.S.nBins, a.nFrames, a.params, f0, f1);
};

/** Task `hpss.givenElements`: pass 3 over elements [e0, e1). */
const givenElementsTask = (e0: number, e1: number, a: GivenArgs): void => {
  separateElements(a.buffers, a.params, e0, e1);
};

export interface ScatterArgs {
  buffers: SeparationBuffers;
  /** What pass 3 wrote: the masked spectra, or the masks (for masks requested, or a real S to multiply). */
  mode: "spectra" | "masks" | "real";
  channels: number;
  channel: number;
  float32: boolean;
  outHarm: FloatArray;
  outPerc: FloatArray;
}

/**
 * Task `hpss.scatter`: elements [e0, e1) of pass 3's output (harmonic and
 * percussive side by side) into the two (frames, bins, channels) outputs:
 * the masked spectra, the masks, or for a real S `S * mask` (rounded to
 * float32 for float32, as numpy's product of float32 S and float64 mask cast back).
 */
const scatterTask = (e0: number, e1: number, a: ScatterArgs): void => {
  const { out, mag } = a.buffers;
  const { channels, channel, outHarm, outPerc } = a;
  if (a.mode === "spectra") {
    for (let i = e0, at = 2 * (e0 * channels + channel); i < e1; i++, at += 2 * channels) {
      outHarm[at] = out[4 * i]!;
      outHarm[at + 1] = out[4 * i + 1]!;
      outPerc[at] = out[4 * i + 2]!;
      outPerc[at + 1] = out[4 * i + 3]!;
    }
  } else if (a.mode === "masks") {
    for (let i = e0, at = e0 * channels + channel; i < e1; i++, at += channels) {
      outHarm[at] = out[4 * i]!;
      outPerc[at] = out[4 * i + 2]!;
    }
  } else {
    for (let i = e0, at = e0 * channels + channel; i < e1; i++, at += channels) {
      const h = mag[i]! * out[4 * i]!;
      const p = mag[i]! * out[4 * i + 2]!;
      outHarm[at] = a.float32 ? Math.fround(h) : h;
      outPerc[at] = a.float32 ? Math.fround(p) : p;
    }
  }
};

interface SpectrogramHpssRequest {
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

/**
 * `decompose.hpss`: the harmonic and percussive parts (or masks) of a
 * spectrogram, in its layout. The passes of separate.ts (the SIMD medians and
 * masks of effects.hpss), pass 1 reading the given frames instead of an STFT.
 */
export function* hpssSpectrogramFlow(runner: HpssRunner, r: SpectrogramHpssRequest): Flow<{ harmonic: FloatArray; percussive: FloatArray }> {
  const { spectrum, isComplex, nTime, nFreq, channels, params, returnMasks } = r;
  const float32 = params.precision === "float32";
  const shared = runner.shared;
  const count = nFreq * nTime;
  // Masks: float32/float64 (frames, bins, channels); spectra: the input's layout and type.
  const outLength = returnMasks ? count * channels : spectrum.length;
  const outHarm = allocFloat(outLength, !float32, shared, { zero: false });
  const outPerc = allocFloat(outLength, !float32, shared, { zero: false });
  if (count === 0) return { harmonic: outHarm, percussive: outPerc };
  const mode = returnMasks ? "masks" : isComplex ? "spectra" : "real";
  // Every element of these is written before it is read: no zero-fill.
  const uninitialised = { zero: false };
  const buffers: SeparationBuffers = {
    spectrum: allocFloat(isComplex ? 2 * count : 0, !float32, shared, uninitialised),
    mag: allocFloat(count, !float32, shared, uninitialised),
    harm: allocFloat(count, !float32, shared, uninitialised),
    perc: allocFloat(count, !float32, shared, uninitialised),
    // Both parts side by side; the masks themselves (float64) unless the spectra are asked.
    out: allocFloat(4 * count, !float32 || mode !== "spectra", shared, uninitialised),
    parts: ["harmonic", "percussive"],
    returnMasks: mode !== "spectra",
  };
  for (let c = 0; c < channels; c++) {
    const args: GivenArgs = { S: { data: spectrum, isComplex, nBins: nFreq, channels, channel: c }, nFrames: nTime, buffers, params };
    yield runner.run("hpss.givenFrames", nTime, args);
    yield runner.run("hpss.givenBins", nFreq, args);
    if (!isComplex) {
      // librosa's softmask rejects negative input; with a real S it shows in the medians.
      for (let i = 0; i < count; i++) {
        if (buffers.harm[i]! < 0 || buffers.perc[i]! < 0) throw new ParameterError("X and X_ref must be non-negative");
      }
    }
    yield runner.run("hpss.givenElements", count, args);
    yield runner.run("hpss.scatter", count, { buffers, mode, channels, channel: c, float32, outHarm, outPerc });
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
const analyseFramesTask = (t0: number, t1: number, a: SeparationArgs): void => {
  analyseFrames(a, a.buffers, a.params, t0, t1);
};

/** Task `hpss.harmonicBins`: pass 2 over bins [f0, f1). */
const harmonicBinsTask = (f0: number, f1: number, a: SeparationArgs): void => {
  harmonicBins(a.buffers, a.plan.nBins, a.plan.nFrames, a.params, f0, f1);
};

/** Task `hpss.separateElements`: pass 3 over elements [outFirst + e0, outFirst + e1), `buffers.out` holding them from its start. */
const separateElementsTask = (e0: number, e1: number, a: SeparationArgs & { outFirst: number }): void => {
  separateElements(a.buffers, a.params, a.outFirst + e0, a.outFirst + e1, a.outFirst);
};

/** This domain's tasks (joined into the runners' table by src/schedule/tasks.ts). */
export const hpssTasks = {
  "hpss.givenFrames": givenFramesTask,
  "hpss.givenBins": givenBinsTask,
  "hpss.givenElements": givenElementsTask,
  "hpss.scatter": scatterTask,
  "hpss.analyseFrames": analyseFramesTask,
  "hpss.harmonicBins": harmonicBinsTask,
  "hpss.separateElements": separateElementsTask,
} satisfies TaskTable;

/** The runner this file's pipelines hand their work to. */
type HpssRunner = Runner<typeof hpssTasks & typeof spectrumTasks>;

type HpssPart = "harmonic" | "percussive";

interface SignalHpssRequest {
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

/**
 * Frames of the masked parts made per inverse-STFT chunk: pass 3 writes a window of
 * this many frames (plus the few each chunk shares with the last) instead of both
 * parts of the whole signal, which were the largest buffer of a long call (127 MB of
 * 254 MB for 180 s at 22050 Hz in float32, issue 13's peak memory). Each chunk is two
 * pool runs with a barrier after each: 2048 frames (4 chunks for W1, a 34 MB window)
 * instead of 512 (16 chunks, 8.5 MB) measured 611 -> 551 ms for W1 effects.hpss, the
 * peak 337 -> 360 MB (librosa's: 758 MB).
 */
export const PART_FRAMES_PER_CHUNK = 2048;

/** `effects.hpss`: the parts, each (channels, length), one after another in one array. */
export function* separateSignalFlow(runner: HpssRunner, r: SignalHpssRequest): Flow<FloatArray> {
  const { plan, channels, length, parts, double, window } = r;
  const shared = runner.shared;
  const { nBins, nFrames } = plan;
  const count = nBins * nFrames;
  // The frames one chunk of units reads: its units' frames and those reaching into them.
  const windowFrames = Math.min(nFrames, PART_FRAMES_PER_CHUNK + Math.ceil(plan.nFft / plan.hopLength) + 1);
  // Every element of these is written before it is read: no zero-fill.
  const uninitialised = { zero: false };
  const mag = allocFloat(count, double, shared, uninitialised);
  const buffers: SeparationBuffers = {
    spectrum: allocFloat(2 * count, double, shared, uninitialised),
    // The harmonic medians over the magnitudes (see SeparationBuffers.harm): 32 MB less for 180 s at 22050 Hz in float32.
    mag,
    harm: mag,
    perc: allocFloat(count, double, shared, uninitialised),
    // masks are real: istft reads them from an interleaved buffer in float64, as numpy's irfft of a real array.
    out: allocFloat(2 * nBins * windowFrames * parts.length, double || r.returnMasks, shared, uninitialised),
    parts,
    returnMasks: r.returnMasks,
  };
  const output = allocFloat(parts.length * channels * length, double, shared, uninitialised);
  // One channel's parts are the rows of `output` itself; with more channels, rows copied into it.
  const channelParts = channels === 1 ? output : allocFloat(parts.length * length, double, shared, uninitialised);
  for (let c = 0; c < channels; c++) {
    const args: SeparationArgs = { plan, signal: r.signal.subarray(c * length, (c + 1) * length), length, window, buffers, params: r.params };
    yield runner.run("hpss.analyseFrames", nFrames, args);
    yield runner.run("hpss.harmonicBins", nBins, args);
    // The parts are the channels of one spectrogram: one inverse STFT, one envelope, its frames made chunk by chunk.
    function* partFrames(f0: number, f1: number): Flow<void> {
      if ((f1 - f0) > windowFrames) throw new Error(`hpss: ${f1 - f0} frames for a window of ${windowFrames}`);
      yield runner.run("hpss.separateElements", (f1 - f0) * nBins, { ...args, outFirst: f0 * nBins });
    }
    yield* istftFlow(runner, {
      spectrum: buffers.out, layout: frameMajorLayout(nBins, parts.length), nBins, nFrames, channels: parts.length,
      nFft: plan.nFft, hopLength: plan.hopLength, window, center: r.center, length, double, out: channelParts,
      frames: { chunkUnits: PART_FRAMES_PER_CHUNK, make: partFrames },
    });
    if (channels > 1) {
      for (let k = 0; k < parts.length; k++) output.set(channelParts.subarray(k * length, (k + 1) * length), (k * channels + c) * length);
    }
  }
  return output;
}
