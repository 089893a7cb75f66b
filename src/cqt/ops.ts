/**
 * Bridge ops `estimate_tuning`, `cqt`, `chroma_cqt` and `chroma_stft`, and the
 * worker tasks behind them. `chroma_cqt` is one request: tuning estimate,
 * multirate CQT, fold, threshold and normalisation.
 *
 * Wire layouts: signals (channels, n) row-major; spectrograms S for
 * estimate_tuning / chroma_stft and C for chroma_cqt (channels, bins, frames)
 * row-major; the complex CQT (frames, bins, channels) as the stft op returns
 * it; chroma (frames, nChroma, channels).
 */
import { findArray, floatData, requireArray } from "../bridge/arrays.js";
import { registerOp, type NamedArray, type OpContext } from "../bridge/registry.js";
import { ignoreRejection } from "../bridge/syncAsync.js";
import { allocFloat, allocFloat64, type FloatArray } from "../parallel/alloc.js";
import { runTask, type WorkerPool } from "../parallel/pool.js";
import { registerTask, type TaskArgs } from "../parallel/tasks.js";
import { requestWindow } from "../spectrum/ops.js";
import { checkPadMode } from "../spectrum/pad.js";
import { frameMajorLayout, planStft, type SpectrumLayout } from "../spectrum/stft.js";
import { fftWindow, type WindowName } from "../spectrum/window.js";
import { ParameterError } from "../util/errors.js";
import { boolParam, intParam, librosaParam, numberParam, optionalIntParam, stringParam, type LibrosaSemantics, type Params } from "../util/params.js";
import { chromaCqtFrames, foldChromaFrames, sparseFold, type ChromaFoldParams, type SparseFold } from "../feature/chroma.js";
import { chromaStftSimd } from "../feature/chromaStft.js";
import { C1_HZ, chromaFilterbank, cqToChroma } from "./filters.js";
import { checkNorm } from "../util/normalize.js";
import type { PiptrackParams, TuningEstimate } from "../pitch/tuning.js";
import { estimateTuningFrom, type ColumnSource } from "../pitch/tuningColumns.js";
import { octaveSignals } from "./octaveSignals.js";
import { automaticBinCount, cqtFrames, planCqt, sameSignals, signalsBeforeTuning, type CqtParams, type CqtPlan } from "./vqt.js";

/** Frames per worker chunk at least for the CQT (~15 µs a frame over 7 octaves) and for a fold alone (~1-10 µs). */
const CQT_FRAME_GRAIN = 32;
const FOLD_GRAIN = 256;

const optionalNumber = (params: Params, name: string): number | null => (params[name] === null || params[name] === undefined ? null : numberParam(params, name));

const normParam = (params: Params, name: string): number | null => {
  const norm = optionalNumber(params, name);
  checkNorm(norm);
  return norm;
};

/** A (channels, n) float signal from `y`, as float64 (kernels read it many times; one element type keeps them monomorphic). */
const signalArray = (arrays: NamedArray[], shared: boolean): { data: Float64Array; channels: number; length: number; single: boolean } => {
  const y = requireArray(arrays, "y", ["float32", "float64"], 2);
  const [channels, length] = y.shape as [number, number];
  if (length === 0) throw new ParameterError("Audio data must be non-empty");
  const raw = floatData(y);
  let data: Float64Array;
  if (raw instanceof Float64Array) {
    data = raw;
  } else {
    data = allocFloat64(raw.length, shared, { zero: false });
    data.set(raw);
  }
  return { data, channels, length, single: y.dtype === "float32" };
};

/** The STFT column source of estimate_tuning's defaults (or the request's piptrack parameters). */
const stftSource = (
  signal: Float64Array,
  channels: number,
  length: number,
  nFft: number,
  hopLength: number,
  window: Float64Array,
  center: boolean,
  padMode: ReturnType<typeof checkPadMode>,
  power: number,
): ColumnSource => {
  const plan = planStft(length, nFft, hopLength, center, padMode);
  return { plan, signal, length, window, nFrames: plan.nFrames, nBins: plan.nBins, channels, power };
};

/** `estimate_tuning(y=y, sr=sr, bins_per_octave=bpo)` with every other argument at its default. */
const defaultTuning = (
  signal: Float64Array,
  channels: number,
  length: number,
  sr: number,
  binsPerOctave: number,
  single: boolean,
  semantics: LibrosaSemantics,
  pool: WorkerPool | undefined,
): Promise<TuningEstimate> =>
  estimateTuningFrom(
    stftSource(signal, channels, length, 2048, 512, fftWindow("hann", 2048, 2048), true, "constant", 1),
    { sr, nFft: 2048, fmin: 150.0, fmax: 4000.0, threshold: 0.1, ref: null, single, roundCurvature: semantics === "1.0" },
    0.01,
    binsPerOctave,
    null,
    pool,
  );

/**
 * The spectrogram a request gives or implies: its `S` array (magnitudes as
 * given, `n_fft` taken from the request when it matches the bin count), or
 * the STFT of its `y` raised to `stftPower` (librosa's `_spectrogram`).
 */
const requestSpectrogram = (
  params: Params,
  arrays: NamedArray[],
  ctx: OpContext,
  stftPower: number,
): { source: ColumnSource; nFft: number; single: boolean } => {
  if (findArray(arrays, "S")) {
    const s = requireArray(arrays, "S", ["float32", "float64"], 3);
    const [channels, nBins, nFrames] = s.shape as [number, number, number];
    const requested = optionalIntParam(params, "n_fft");
    const nFft = requested !== null && Math.floor(requested / 2) + 1 === nBins ? requested : 2 * (nBins - 1);
    return { source: { spectrogram: floatData(s), nFrames, nBins, channels, power: 1 }, nFft, single: s.dtype === "float32" };
  }
  const y = signalArray(arrays, ctx.pool !== undefined);
  const nFft = intParam(params, "n_fft", 1);
  const winLength = optionalIntParam(params, "win_length", 1) ?? nFft;
  const hopLength = optionalIntParam(params, "hop_length", 1) ?? Math.floor(winLength / 4);
  const window = requestWindow(params, arrays, winLength, nFft);
  const center = boolParam(params, "center");
  const source = stftSource(y.data, y.channels, y.length, nFft, hopLength, window, center, checkPadMode(params.pad_mode), stftPower);
  return { source, nFft, single: y.single };
};

registerOp("estimate_tuning", async (params, arrays, ctx: OpContext) => {
  const sr = numberParam(params, "sr");
  const resolution = numberParam(params, "resolution");
  const binsPerOctave = intParam(params, "bins_per_octave", 1);
  const piptrack = {
    fmin: numberParam(params, "fmin"),
    fmax: numberParam(params, "fmax"),
    threshold: numberParam(params, "threshold"),
    ref: optionalNumber(params, "ref"),
  };
  const { source, nFft, single } = requestSpectrogram(params, arrays, ctx, 1);
  const roundCurvature = librosaParam(params) === "1.0";
  const estimate = await estimateTuningFrom(source, { sr, nFft, ...piptrack, single, roundCurvature }, resolution, binsPerOctave, null, ctx.pool);
  return { arrays: [], meta: { ...estimate } };
});

interface CqtTaskArgs {
  plan: CqtPlan;
  signals: Float64Array[];
  channels: number;
  out: FloatArray;
  layout: SpectrumLayout;
}

registerTask("cqt.response", (t0, t1, args: TaskArgs) => {
  const a = args as unknown as CqtTaskArgs;
  cqtFrames(a.plan, a.signals, a.channels, a.out, a.layout, t0, t1);
});

/**
 * The cqt parameters of a request but the tuning, and the tuning when given.
 * `nBins` is null for librosa 1.0's `n_bins=None` (see automaticBinCount).
 */
const cqtParams = (params: Params): { base: Omit<CqtParams, "tuning" | "nBins">; nBins: number | null; given: number | null } => {
  const resType = params.res_type ?? "soxr_hq";
  if (resType !== "soxr_hq") throw new ParameterError(`res_type=${JSON.stringify(resType)} is not supported; supported: soxr_hq`);
  const window = params.window ?? "hann";
  if (typeof window !== "string" && !Array.isArray(window)) throw new ParameterError(`Invalid window specification: ${JSON.stringify(window)}`);
  const semantics = librosaParam(params);
  const nBins = semantics === "1.0" ? optionalIntParam(params, "n_bins", 1) : intParam(params, "n_bins", 1);
  return {
    nBins,
    base: {
      sr: numberParam(params, "sr"),
      hopLength: intParam(params, "hop_length", 1),
      fmin: optionalNumber(params, "fmin") ?? C1_HZ,
      binsPerOctave: intParam(params, "bins_per_octave", 1),
      filterScale: numberParam(params, "filter_scale"),
      norm: normParam(params, "norm"),
      sparsity: numberParam(params, "sparsity"),
      window: window as WindowName,
      scale: boolParam(params, "scale"),
      padMode: checkPadMode(params.pad_mode),
      semantics,
    },
    given: optionalNumber(params, "tuning"),
  };
};

/**
 * The planned transform of a request and its octave signals, the tuning
 * estimated first when not given. The resampling does not depend on the
 * tuning in almost every case (see signalsBeforeTuning): then it runs on the
 * pool alongside the tuning estimate.
 */
const prepareCqt = async (
  params: Params,
  y: ReturnType<typeof signalArray>,
  pool: WorkerPool | undefined,
): Promise<{ plan: CqtPlan; signals: Float64Array[]; tuning: TuningEstimate; scale: boolean }> => {
  const { base, nBins, given } = cqtParams(params);
  // With n_bins=None the bins, and so the signals, depend on the tuning: nothing runs ahead of it.
  const ahead = given === null && nBins !== null ? signalsBeforeTuning({ ...base, nBins }, y.length) : null;
  const aheadSignals = ahead ? octaveSignals(ahead, y.data, y.channels, y.length, base.scale, y.single, pool) : null;
  // A failure there is the plan's to report (planCqt below checks the same conditions).
  if (aheadSignals) ignoreRejection(aheadSignals);
  const tuning = given === null ? await defaultTuning(y.data, y.channels, y.length, base.sr, base.binsPerOctave, y.single, base.semantics, pool) : { tuning: given, empty: false };
  const plan = planCqt({ ...base, nBins: nBins ?? automaticBinCount(base, tuning.tuning), tuning: tuning.tuning }, y.length, y.single);
  const signals =
    aheadSignals && sameSignals(ahead!, plan)
      ? await aheadSignals
      : await octaveSignals(plan, y.data, y.channels, y.length, base.scale, y.single, pool);
  return { plan, signals, tuning, scale: base.scale };
};

registerOp("cqt", async (params, arrays, ctx: OpContext) => {
  const y = signalArray(arrays, ctx.pool !== undefined);
  const dtype = stringParam(params, "dtype", ["complex64", "complex128"] as const);
  const { plan, signals, tuning } = await prepareCqt(params, y, ctx.pool);
  const out = allocFloat(2 * plan.nFrames * plan.nBins * y.channels, dtype === "complex128", ctx.pool !== undefined, { zero: false });
  const args: CqtTaskArgs = { plan, signals, channels: y.channels, out, layout: frameMajorLayout(plan.nBins, y.channels) };
  await runTask(ctx.pool, "cqt.response", plan.nFrames, args as unknown as TaskArgs, CQT_FRAME_GRAIN);
  // `resampled`: whether any octave read a resampled signal (librosa 1.0 fails then for res_type=None).
  const resampled = plan.earlyDownsample > 0 || plan.signalLengths.length > 1;
  return { arrays: [{ name: "C", dtype, shape: [plan.nFrames, plan.nBins, y.channels], data: out }], meta: { tuning: tuning.tuning, tuning_empty: tuning.empty, resampled } };
});

interface FoldTaskArgs {
  spectrogram: FloatArray;
  fold: SparseFold;
  p: ChromaFoldParams;
  out: FloatArray;
}

registerTask("cqt.fold", (t0, t1, args: TaskArgs) => {
  const a = args as unknown as FoldTaskArgs;
  foldChromaFrames(a.spectrogram, a.fold, a.p, a.out, t0, t1);
});

interface ChromaCqtTaskArgs {
  plan: CqtPlan;
  signals: Float64Array[];
  fold: SparseFold;
  p: ChromaFoldParams;
  out: FloatArray;
}

registerTask("cqt.chroma", (t0, t1, args: TaskArgs) => {
  const a = args as unknown as ChromaCqtTaskArgs;
  chromaCqtFrames(a.plan, a.signals, a.fold, a.p, a.out, t0, t1);
});

/** Fold + threshold + normalise a (frames, bins, channels) magnitude spectrogram into (frames, nChroma, channels). */
const foldChroma = async (
  spectrogram: FloatArray,
  fold: SparseFold,
  p: ChromaFoldParams,
  nFrames: number,
  double: boolean,
  pool: WorkerPool | undefined,
): Promise<FloatArray> => {
  const out = allocFloat(nFrames * p.nChroma * p.channels, double, pool !== undefined, { zero: false });
  const args: FoldTaskArgs = { spectrogram, fold, p, out };
  await runTask(pool, "cqt.fold", nFrames, args as unknown as TaskArgs, FOLD_GRAIN);
  return out;
};

/** (channels, bins, frames) -> (frames, bins, channels). */
const framesFirst = (data: FloatArray, channels: number, nBins: number, nFrames: number, shared: boolean): Float64Array => {
  const out = allocFloat64(channels * nBins * nFrames, shared, { zero: false });
  for (let c = 0; c < channels; c++) {
    for (let f = 0; f < nBins; f++) {
      const base = (c * nBins + f) * nFrames;
      for (let t = 0; t < nFrames; t++) out[(t * nBins + f) * channels + c] = data[base + t]!;
    }
  }
  return out;
};

const windowArray = (arrays: NamedArray[]): Float64Array | null => {
  const w = findArray(arrays, "window");
  if (!w) return null;
  const data = floatData(w);
  return data instanceof Float64Array ? data : Float64Array.from(data);
};

registerOp("chroma_cqt", async (params, arrays, ctx: OpContext) => {
  const nChroma = intParam(params, "n_chroma", 1);
  const binsPerOctave = intParam(params, "bins_per_octave", 1);
  if (binsPerOctave % nChroma !== 0) {
    throw new ParameterError(`bins_per_octave=${binsPerOctave} must be an integer multiple of n_chroma=${nChroma}`);
  }
  const dtype = stringParam(params, "dtype", ["float32", "float64"] as const);
  const double = dtype === "float64";
  const fmin = optionalNumber(params, "fmin");
  const threshold = optionalNumber(params, "threshold");
  const norm = normParam(params, "norm");
  const window = windowArray(arrays);
  const C = findArray(arrays, "C");
  if (C) {
    const c = requireArray(arrays, "C", ["float32", "float64"], 3);
    const [channels, nBins, nFrames] = c.shape as [number, number, number];
    const spectrogram = framesFirst(floatData(c), channels, nBins, nFrames, ctx.pool !== undefined);
    const fold = sparseFold(cqToChroma(nBins, binsPerOctave, nChroma, fmin ?? C1_HZ, window), nChroma, nBins);
    const out = await foldChroma(spectrogram, fold, { nChroma, nBins, channels, threshold, norm, single: !double }, nFrames, double, ctx.pool);
    return { arrays: [{ name: "chroma", dtype, shape: [nFrames, nChroma, channels], data: out }], meta: {} };
  }
  const y = signalArray(arrays, ctx.pool !== undefined);
  const nBins = intParam(params, "n_octaves", 1) * binsPerOctave;
  const { plan, signals, tuning } = await prepareCqt(
    { ...params, n_bins: nBins, filter_scale: 1, norm: 1, sparsity: 0.01, window: "hann", scale: true, pad_mode: "constant", res_type: "soxr_hq" },
    y,
    ctx.pool,
  );
  const fold = sparseFold(cqToChroma(nBins, binsPerOctave, nChroma, fmin ?? C1_HZ, window), nChroma, nBins);
  const p: ChromaFoldParams = { nChroma, nBins, channels: y.channels, threshold, norm, single: !double };
  const out = allocFloat(plan.nFrames * nChroma * y.channels, double, ctx.pool !== undefined, { zero: false });
  const args: ChromaCqtTaskArgs = { plan, signals, fold, p, out };
  await runTask(ctx.pool, "cqt.chroma", plan.nFrames, args as unknown as TaskArgs, CQT_FRAME_GRAIN);
  return {
    arrays: [{ name: "chroma", dtype, shape: [plan.nFrames, nChroma, y.channels], data: out }],
    meta: { tuning: tuning.tuning, tuning_empty: tuning.empty },
  };
});

registerOp("chroma_stft", async (params, arrays, ctx: OpContext) => {
  const sr = numberParam(params, "sr");
  const nChroma = intParam(params, "n_chroma", 1);
  const dtype = stringParam(params, "dtype", ["float32", "float64"] as const);
  const fbSingle = stringParam(params, "fb_dtype", ["float32", "float64"] as const) === "float32";
  const given = optionalNumber(params, "tuning");
  const { source, nFft, single } = requestSpectrogram(params, arrays, ctx, 2);
  // estimate_tuning(S=S, n_fft=2048 default): piptrack re-derives n_fft from the bins unless 2048 fits.
  const tuningFft = Math.floor(2048 / 2) + 1 === source.nBins ? 2048 : 2 * (source.nBins - 1);
  const pp: PiptrackParams = { sr, nFft: tuningFft, fmin: 150.0, fmax: 4000.0, threshold: 0.1, ref: null, single, roundCurvature: librosaParam(params) === "1.0" };
  const ctroct = numberParam(params, "ctroct");
  const octwidth = optionalNumber(params, "octwidth");
  const baseC = boolParam(params, "base_c");
  const filterbank = (tuning: number): Float64Array => chromaFilterbank({ sr, nFft, nChroma, tuning, ctroct, octwidth, norm: 2, baseC, single: fbSingle });
  const p: ChromaFoldParams = { nChroma, nBins: source.nBins, channels: source.channels, threshold: null, norm: normParam(params, "norm"), single: dtype === "float32" };
  const shape = [source.nFrames, nChroma, source.channels];
  const simd = await chromaStftSimd({ source, pp, tuning: given, filterbank, p, double: dtype === "float64" }, ctx.pool);
  if (simd) {
    return { arrays: [{ name: "chroma", dtype, shape, data: simd.out }], meta: { tuning: simd.estimate.tuning, tuning_empty: simd.estimate.empty } };
  }
  // Without WebAssembly SIMD or for an n_fft that is not a power of two: keep the whole spectrogram, fold it with the scalar loop.
  const keep = allocFloat64(source.nFrames * source.nBins * source.channels, ctx.pool !== undefined, { zero: false });
  let estimate: TuningEstimate = { tuning: given ?? 0, empty: false };
  if (given === null) {
    estimate = await estimateTuningFrom(source, pp, 0.01, nChroma, keep, ctx.pool);
  } else {
    await runTask(ctx.pool, "cqt.tuningPeaks", source.nFrames, { source, pp: { ...pp, fmin: 0, fmax: 0 }, lo: 0, hi: 0, stride: 1, pitch: new Float64Array(source.nFrames * source.channels), mag: new Float64Array(source.nFrames * source.channels), counts: new Int32Array(source.nFrames * source.channels), keep });
  }
  const out = await foldChroma(keep, sparseFold(filterbank(estimate.tuning), nChroma, source.nBins), p, source.nFrames, dtype === "float64", ctx.pool);
  return {
    arrays: [{ name: "chroma", dtype, shape, data: out }],
    meta: { tuning: estimate.tuning, tuning_empty: estimate.empty },
  };
});
