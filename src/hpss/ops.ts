/**
 * Bridge ops for HPSS, and the worker tasks behind them:
 * - `hpss`: `decompose.hpss` on a spectrogram (wire layout (frames, bins, channels));
 * - `effects.hpss`: `effects.hpss` / `harmonic` / `percussive` on a signal,
 *   stft -> decompose.hpss -> istft(length = n) in one request.
 *
 * Channels are processed one after another, each pass cut across the worker
 * pool. `hpss`: magnitudes and masks by element, the harmonic median by
 * frequency bin, the percussive median by frame. `effects.hpss`: the three
 * passes of separate.ts (by frame, by bin, by element), then one inverse STFT
 * of both parts. The per-channel work buffers are allocated once and reused.
 */
import { floatData, requireArray } from "../bridge/arrays.js";
import { registerOp, type NamedArray, type OpContext, type OpResult } from "../bridge/registry.js";
import { allocFloat, allocFloat64, type FloatArray } from "../parallel/alloc.js";
import { runTask, type WorkerPool } from "../parallel/pool.js";
import { registerTask, type TaskArgs } from "../parallel/tasks.js";
import { computeIstft, frameParams, requestWindow } from "../spectrum/ops.js";
import { checkPadMode } from "../spectrum/pad.js";
import { frameMajorLayout, planStft, type StftPlan } from "../spectrum/stft.js";
import { fftWindow } from "../spectrum/window.js";
import { ParameterError } from "../util/errors.js";
import { boolParam, intParam, librosaParam, numberParam, stringParam, type Params } from "../util/params.js";
import {
  MEDIAN_COLUMN_BLOCK,
  applyMask,
  complexMagnitude,
  createMedianWorkspace,
  harmonicMedian,
  hpssMasks,
  percussiveMedian,
  validateHpssParams,
  type HpssGeometry,
  type HpssParams,
} from "./index.js";
import { analyseFrames, harmonicBins, separateElements, type SeparationBuffers } from "./separate.js";

interface ChannelArgs {
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

registerTask("hpss.magnitude", (start, end, args: TaskArgs) => {
  const a = args as unknown as ChannelArgs;
  if (a.isComplex) {
    complexMagnitude(a.spectrum, a.offset, a.stride, a.mag, a.params.precision, start, end);
  } else {
    for (let i = start; i < end; i++) a.mag[i] = a.spectrum[a.offset + i * a.stride]!;
  }
});

registerTask("hpss.harmonic", (start, end, args: TaskArgs) => {
  const a = args as unknown as ChannelArgs;
  const lines = a.geometry.order === "frame-major" ? MEDIAN_COLUMN_BLOCK : 2;
  const work = createMedianWorkspace(a.geometry.nTime, a.params.winHarm, lines);
  harmonicMedian(a.mag, a.geometry, a.params.winHarm, a.harm, start, end, work);
});

registerTask("hpss.percussive", (start, end, args: TaskArgs) => {
  const a = args as unknown as ChannelArgs;
  const lines = a.geometry.order === "frame-major" ? 2 : MEDIAN_COLUMN_BLOCK;
  const work = createMedianWorkspace(a.geometry.nFreq, a.params.winPerc, lines);
  percussiveMedian(a.mag, a.geometry, a.params.winPerc, a.perc, start, end, work);
});

// Masks overwrite the medians in place (each element reads both before writing).
registerTask("hpss.masks", (start, end, args: TaskArgs) => {
  const a = args as unknown as ChannelArgs;
  hpssMasks(a.harm, a.perc, a.params, a.harm, a.perc, start, end);
});

interface ApplyArgs extends ChannelArgs {
  mask: Float64Array;
  out: FloatArray;
  /** Write the mask itself (as a real spectrum, imaginary part 0) instead of the masked spectrum. */
  maskOnly: boolean;
}

registerTask("hpss.apply", (start, end, args: TaskArgs) => {
  const a = args as unknown as ApplyArgs;
  if (a.maskOnly) {
    for (let i = start; i < end; i++) {
      a.out[2 * i] = a.mask[i]!;
      a.out[2 * i + 1] = 0;
    }
  } else if (a.isComplex) {
    applyMask(a.spectrum, a.offset, a.stride, a.mag, a.mask, a.params.precision, a.out, start, end);
  } else {
    const float32 = a.params.precision === "float32";
    for (let i = start; i < end; i++) {
      const v = a.mag[i]! * a.mask[i]!;
      a.out[a.offset + i * a.stride] = float32 ? Math.fround(v) : v;
    }
  }
});

/** The decompose.hpss parameters of a request (kernel sizes and margins already split, as the shim sends them). */
const hpssParams = (params: Params, precision: "float32" | "float64"): HpssParams => {
  const winHarm = intParam(params, "win_harm");
  const winPerc = intParam(params, "win_perc");
  if (winHarm < 1 || winPerc < 1) {
    throw new ParameterError(`kernel_size must be >= 1 in both dimensions, got (${winHarm}, ${winPerc})`);
  }
  const parsed: HpssParams = {
    winHarm,
    winPerc,
    power: numberParam(params, "power"),
    marginHarm: numberParam(params, "margin_harm"),
    marginPerc: numberParam(params, "margin_perc"),
    precision,
    complementPercussive: librosaParam(params) === "1.0",
  };
  validateHpssParams(parsed);
  return parsed;
};

/**
 * Medians and masks of one channel: afterwards `harm` holds the harmonic mask
 * and `perc` the percussive one; `mag` still holds the magnitudes.
 */
const channelMasks = async (a: ChannelArgs, pool: WorkerPool | undefined): Promise<void> => {
  const count = a.geometry.nFreq * a.geometry.nTime;
  const args = a as unknown as TaskArgs;
  await runTask(pool, "hpss.magnitude", count, args);
  await runTask(pool, "hpss.harmonic", a.geometry.nFreq, args);
  await runTask(pool, "hpss.percussive", a.geometry.nTime, args);
  if (!a.isComplex) {
    // librosa's softmask rejects negative input; with a real S it shows in the medians.
    for (let i = 0; i < count; i++) {
      if (a.harm[i]! < 0 || a.perc[i]! < 0) throw new ParameterError("X and X_ref must be non-negative");
    }
  }
  await runTask(pool, "hpss.masks", count, args);
};

const WHICH = ["both", "harmonic", "percussive"] as const;

registerOp("hpss", async (params, arrays, ctx: OpContext): Promise<OpResult> => {
  const s = requireArray(arrays, "S", ["complex64", "complex128", "float32", "float64"], 3);
  const [nTime, nFreq, channels] = s.shape as [number, number, number];
  const isComplex = s.dtype === "complex64" || s.dtype === "complex128";
  const single = s.dtype === "complex64" || s.dtype === "float32";
  const p = hpssParams(params, single ? "float32" : "float64");
  const returnMasks = boolParam(params, "mask");
  const shared = ctx.pool !== undefined;
  const count = nFreq * nTime;
  const spectrum = floatData(s);
  const geometry: HpssGeometry = { nFreq, nTime, order: "frame-major" };
  const mag = allocFloat64(count, shared);
  const harm = allocFloat64(count, shared);
  const perc = allocFloat64(count, shared);
  // Masks: float32/float64 planar per channel; spectra: the input's layout and type.
  const outLength = returnMasks ? count * channels : spectrum.length;
  const outHarm = allocFloat(outLength, !single, shared, { zero: false });
  const outPerc = allocFloat(outLength, !single, shared, { zero: false });
  for (let c = 0; c < channels; c++) {
    const channel: ChannelArgs = { spectrum, offset: c, stride: channels, isComplex, mag, harm, perc, geometry, params: p };
    await channelMasks(channel, ctx.pool);
    if (returnMasks) {
      for (let i = 0; i < count; i++) {
        outHarm[i * channels + c] = harm[i]!;
        outPerc[i * channels + c] = perc[i]!;
      }
      continue;
    }
    for (const [mask, out] of [[harm, outHarm], [perc, outPerc]] as const) {
      await runTask(ctx.pool, "hpss.apply", count, { ...channel, mask, out, maskOnly: false } as unknown as TaskArgs);
    }
  }
  const dtype = returnMasks ? (single ? "float32" : "float64") : s.dtype;
  return {
    arrays: [
      { name: "harmonic", dtype, shape: [nTime, nFreq, channels], data: outHarm },
      { name: "percussive", dtype, shape: [nTime, nFreq, channels], data: outPerc },
    ],
  };
});

interface SeparationArgs {
  plan: StftPlan;
  signal: FloatArray;
  length: number;
  window: Float64Array;
  buffers: SeparationBuffers;
  params: HpssParams;
}

registerTask("hpss.analyseFrames", (t0, t1, args: TaskArgs) => {
  const a = args as unknown as SeparationArgs;
  analyseFrames(a.plan, a.signal, a.length, a.window, a.buffers, a.params, t0, t1);
});

registerTask("hpss.harmonicBins", (f0, f1, args: TaskArgs) => {
  const a = args as unknown as SeparationArgs;
  harmonicBins(a.buffers, a.plan.nBins, a.plan.nFrames, a.params, f0, f1);
});

registerTask("hpss.separateElements", (e0, e1, args: TaskArgs) => {
  const a = args as unknown as SeparationArgs;
  separateElements(a.buffers, a.params, e0, e1);
});

registerOp("effects.hpss", async (params, arrays, ctx: OpContext): Promise<OpResult> => {
  const y = requireArray(arrays, "y", ["float32", "float64"], 2);
  const [channels, length] = y.shape as [number, number];
  const double = y.dtype === "float64";
  const { nFft, hopLength, winLength } = frameParams(params);
  // librosa 0.11's effects.hpss/harmonic/percussive do not pass `window` on (always Hann); 1.0's do.
  const window = librosaParam(params) === "1.0" ? requestWindow(params, arrays, winLength, nFft) : fftWindow("hann", winLength, nFft);
  const center = boolParam(params, "center");
  const padMode = checkPadMode(params.pad_mode);
  const which = stringParam(params, "which", WHICH);
  const returnMasks = boolParam(params, "mask");
  const p = hpssParams(params, double ? "float64" : "float32");
  const signal = floatData(y);
  const shared = ctx.pool !== undefined;
  const parts = which === "both" ? (["harmonic", "percussive"] as const) : ([which] as const);
  const plan = planStft(length, nFft, hopLength, center, padMode);
  const count = plan.nBins * plan.nFrames;
  // Every element of these is written before it is read: no zero-fill.
  const uninitialised = { zero: false };
  const buffers: SeparationBuffers = {
    spectrum: allocFloat(2 * count, double, shared, uninitialised),
    mag: allocFloat(count, double, shared, uninitialised),
    harm: allocFloat(count, double, shared, uninitialised),
    perc: allocFloat(count, double, shared, uninitialised),
    // masks are real: istft reads them from an interleaved buffer in float64, as numpy's irfft of a real array.
    out: allocFloat(2 * count * parts.length, double || returnMasks, shared, uninitialised),
    parts,
    returnMasks,
  };
  const output = allocFloat(parts.length * channels * length, double, shared, uninitialised);
  for (let c = 0; c < channels; c++) {
    const args = { plan, signal: signal.subarray(c * length, (c + 1) * length), length, window, buffers, params: p };
    await runTask(ctx.pool, "hpss.analyseFrames", plan.nFrames, args as unknown as TaskArgs);
    await runTask(ctx.pool, "hpss.harmonicBins", plan.nBins, args as unknown as TaskArgs);
    await runTask(ctx.pool, "hpss.separateElements", count, args as unknown as TaskArgs);
    // The parts are the channels of one spectrogram: one inverse STFT, one envelope.
    const { out } = await computeIstft(
      buffers.out, frameMajorLayout(plan.nBins, parts.length), plan.nBins, plan.nFrames, parts.length,
      nFft, hopLength, window, center, length, double, ctx.pool,
    );
    for (let k = 0; k < parts.length; k++) output.set(out.subarray(k * length, (k + 1) * length), (k * channels + c) * length);
  }
  const dtype = double ? "float64" : "float32";
  return {
    arrays: parts.map((name, k): NamedArray => ({
      name, dtype, shape: [channels, length], data: output.subarray(k * channels * length, (k + 1) * channels * length),
    })),
  };
});
