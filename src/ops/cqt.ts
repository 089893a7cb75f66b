/**
 * Ops `estimate_tuning`, `cqt`, `chroma_cqt` and `chroma_stft`: request
 * parameters and arrays in, the pipelines of cqt/, pitch/ and feature/, arrays
 * out. `chroma_cqt` is one request: tuning estimate, multirate CQT, fold,
 * threshold and normalisation.
 *
 * Wire layouts: signals (channels, n) row-major; spectrograms S for
 * estimate_tuning / chroma_stft and C for chroma_cqt (channels, bins, frames)
 * row-major; the complex CQT (frames, bins, channels) as the stft op returns
 * it; chroma (frames, nChroma, channels).
 */
import { C1_HZ, chromaFilterbank, cqToChroma } from "../cqt/filters.js";
import { prepareCqt, stftSource, type CqtRequest, type CqtSignal } from "../cqt/pipeline.js";
import type { CqtParams } from "../cqt/vqt.js";
import { sparseFold, type ChromaFoldParams } from "../feature/chroma.js";
import { chromaStftSimd } from "../feature/chromaStft.js";
import { foldChromaFlow } from "../feature/chromaTasks.js";
import type { PiptrackParams, TuningEstimate } from "../pitch/tuning.js";
import { estimateTuningFrom, type ColumnSource } from "../pitch/tuningColumns.js";
import type { Flow, Runner } from "../schedule/runner.js";
import { checkPadMode } from "../spectrum/pad.js";
import { requestWindow } from "../spectrum/request.js";
import { frameMajorLayout } from "../spectrum/stft.js";
import { claimFrameSink } from "../spectrum/transforms.js";
import type { WindowName } from "../spectrum/window.js";
import { allocFloat, allocFloat64, type FloatArray } from "../util/alloc.js";
import { ParameterError } from "../util/errors.js";
import { checkNorm } from "../util/normalize.js";
import { boolParam, intParam, librosaParam, numberParam, optionalIntParam, stringParam, type Params } from "../util/params.js";
import { explicitWindow, findArray, floatData, requireArray } from "./arrays.js";
import type { NamedArray, OpTable } from "./types.js";

/** Frames per worker chunk at least for the CQT (~15 µs a frame over 7 octaves). */
const CQT_FRAME_GRAIN = 32;

const optionalNumber = (params: Params, name: string): number | null => (params[name] === null || params[name] === undefined ? null : numberParam(params, name));

const normParam = (params: Params, name: string): number | null => {
  const norm = optionalNumber(params, name);
  checkNorm(norm);
  return norm;
};

/** The (channels, n) samples of `y` as the request gave them (the STFT frames read float32 ones exactly as float64). */
const signalInput = (arrays: NamedArray[]): CqtSignal => {
  const y = requireArray(arrays, "y", ["float32", "float64"], 2);
  const [channels, length] = y.shape as [number, number];
  if (length === 0) throw new ParameterError("Audio data must be non-empty");
  return { data: floatData(y), channels, length, single: y.dtype === "float32" };
};

/**
 * The spectrogram a request gives or implies: its `S` array (magnitudes as
 * given, `n_fft` taken from the request when it matches the bin count), or
 * the STFT of its `y` raised to `stftPower` (librosa's `_spectrogram`).
 */
const requestSpectrogram = (
  params: Params,
  arrays: NamedArray[],
  stftPower: number,
): { source: ColumnSource; nFft: number; single: boolean } => {
  if (findArray(arrays, "S")) {
    const s = requireArray(arrays, "S", ["float32", "float64"], 3);
    const [channels, nBins, nFrames] = s.shape as [number, number, number];
    const requested = optionalIntParam(params, "n_fft");
    const nFft = requested !== null && Math.floor(requested / 2) + 1 === nBins ? requested : 2 * (nBins - 1);
    return { source: { spectrogram: floatData(s), nFrames, nBins, channels, power: 1 }, nFft, single: s.dtype === "float32" };
  }
  const y = signalInput(arrays);
  const nFft = intParam(params, "n_fft", 1);
  const winLength = optionalIntParam(params, "win_length", 1) ?? nFft;
  const hopLength = optionalIntParam(params, "hop_length", 1) ?? Math.floor(winLength / 4);
  const window = requestWindow(params, explicitWindow(arrays), winLength, nFft);
  const center = boolParam(params, "center");
  const source = stftSource({ signal: y.data, channels: y.channels, length: y.length, nFft, hopLength, window, center, padMode: checkPadMode(params.pad_mode), power: stftPower });
  return { source, nFft, single: y.single };
};

/**
 * The cqt parameters of a request but the tuning, and the tuning when given.
 * `nBins` is null for librosa 1.0's `n_bins=None` (see automaticBinCount).
 */
const cqtParams = (params: Params): CqtRequest => {
  const resType = params.res_type ?? "soxr_hq";
  if (resType !== "soxr_hq") throw new ParameterError(`res_type=${JSON.stringify(resType)} is not supported; supported: soxr_hq`);
  const window = params.window ?? "hann";
  if (typeof window !== "string" && !Array.isArray(window)) throw new ParameterError(`Invalid window specification: ${JSON.stringify(window)}`);
  const semantics = librosaParam(params);
  const nBins = semantics === "1.0" ? optionalIntParam(params, "n_bins", 1) : intParam(params, "n_bins", 1);
  const base: Omit<CqtParams, "tuning" | "nBins"> = {
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
  };
  return { nBins, base, given: optionalNumber(params, "tuning") };
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

/** chroma_stft without the SIMD kernels (or an n_fft that is not a power of two): keep the whole spectrogram, fold it with the scalar loop. */
function* chromaStftScalar(
  runner: Runner,
  source: ColumnSource,
  pp: PiptrackParams,
  given: number | null,
  filterbank: (tuning: number) => Float64Array,
  p: ChromaFoldParams,
  double: boolean,
): Flow<{ out: FloatArray; estimate: TuningEstimate }> {
  const keep = allocFloat64(source.nFrames * source.nBins * source.channels, runner.shared, { zero: false });
  let estimate: TuningEstimate = { tuning: given ?? 0, empty: false };
  if (given === null) {
    estimate = yield* estimateTuningFrom(runner, source, pp, 0.01, p.nChroma, keep);
  } else {
    const columns = source.nFrames * source.channels;
    yield runner.run("cqt.tuningPeaks", source.nFrames, {
      source, pp: { ...pp, fmin: 0, fmax: 0 }, lo: 0, hi: 0, stride: 1,
      pitch: new Float64Array(columns), mag: new Float64Array(columns), counts: new Int32Array(columns), keep,
    });
  }
  const out = yield* foldChromaFlow(runner, keep, sparseFold(filterbank(estimate.tuning), p.nChroma, source.nBins), p, source.nFrames, double);
  return { out, estimate };
}

export const cqtOps = {
  *estimate_tuning(params, arrays, ctx) {
    const sr = numberParam(params, "sr");
    const resolution = numberParam(params, "resolution");
    const binsPerOctave = intParam(params, "bins_per_octave", 1);
    const piptrack = {
      fmin: numberParam(params, "fmin"),
      fmax: numberParam(params, "fmax"),
      threshold: numberParam(params, "threshold"),
      ref: optionalNumber(params, "ref"),
    };
    const { source, nFft, single } = requestSpectrogram(params, arrays, 1);
    const roundCurvature = librosaParam(params) === "1.0";
    const estimate = yield* estimateTuningFrom(ctx.runner, source, { sr, nFft, ...piptrack, single, roundCurvature }, resolution, binsPerOctave, null);
    return { arrays: [], meta: { ...estimate } };
  },

  *cqt(params, arrays, ctx) {
    const { runner } = ctx;
    const y = signalInput(arrays);
    const dtype = stringParam(params, "dtype", ["complex64", "complex128"] as const);
    const { plan, signals, tuning } = yield* prepareCqt(runner, cqtParams(params), y);
    const out = allocFloat(2 * plan.nFrames * plan.nBins * y.channels, dtype === "complex128", runner.shared, { zero: false });
    // Each chunk's frames go to the reply segment as they are made, not all at the end on this thread.
    const sink = claimFrameSink(ctx.replySegment, plan.nFrames, 2 * plan.nBins * y.channels * out.BYTES_PER_ELEMENT);
    yield runner.run("cqt.response", plan.nFrames, { plan, signals, channels: y.channels, out, layout: frameMajorLayout(plan.nBins, y.channels), sink }, CQT_FRAME_GRAIN);
    // After a failed write `out` still holds every frame: the reply places it as any other array.
    const segmentOffset = sink && sink.failed[0] === 0 ? sink.offset : undefined;
    // `resampled`: whether any octave read a resampled signal (librosa 1.0 fails then for res_type=None).
    const resampled = plan.earlyDownsample > 0 || plan.signalLengths.length > 1;
    return {
      arrays: [{ name: "C", dtype, shape: [plan.nFrames, plan.nBins, y.channels], data: out, segmentOffset }],
      meta: { tuning: tuning.tuning, tuning_empty: tuning.empty, resampled },
    };
  },

  *chroma_cqt(params, arrays, ctx) {
    const { runner } = ctx;
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
      const spectrogram = framesFirst(floatData(c), channels, nBins, nFrames, runner.shared);
      const fold = sparseFold(cqToChroma(nBins, binsPerOctave, nChroma, fmin ?? C1_HZ, window), nChroma, nBins);
      const out = yield* foldChromaFlow(runner, spectrogram, fold, { nChroma, nBins, channels, threshold, norm, single: !double }, nFrames, double);
      return { arrays: [{ name: "chroma", dtype, shape: [nFrames, nChroma, channels], data: out }], meta: {} };
    }
    const y = signalInput(arrays);
    const nBins = intParam(params, "n_octaves", 1) * binsPerOctave;
    const { plan, signals, tuning } = yield* prepareCqt(
      runner,
      cqtParams({ ...params, n_bins: nBins, filter_scale: 1, norm: 1, sparsity: 0.01, window: "hann", scale: true, pad_mode: "constant", res_type: "soxr_hq" }),
      y,
    );
    const fold = sparseFold(cqToChroma(nBins, binsPerOctave, nChroma, fmin ?? C1_HZ, window), nChroma, nBins);
    const p: ChromaFoldParams = { nChroma, nBins, channels: y.channels, threshold, norm, single: !double };
    const out = allocFloat(plan.nFrames * nChroma * y.channels, double, runner.shared, { zero: false });
    yield runner.run("cqt.chroma", plan.nFrames, { plan, signals, fold, p, out }, CQT_FRAME_GRAIN);
    return {
      arrays: [{ name: "chroma", dtype, shape: [plan.nFrames, nChroma, y.channels], data: out }],
      meta: { tuning: tuning.tuning, tuning_empty: tuning.empty },
    };
  },

  *chroma_stft(params, arrays, ctx) {
    const { runner } = ctx;
    const sr = numberParam(params, "sr");
    const nChroma = intParam(params, "n_chroma", 1);
    const dtype = stringParam(params, "dtype", ["float32", "float64"] as const);
    const fbSingle = stringParam(params, "fb_dtype", ["float32", "float64"] as const) === "float32";
    const given = optionalNumber(params, "tuning");
    const { source, nFft, single } = requestSpectrogram(params, arrays, 2);
    // estimate_tuning(S=S, n_fft=2048 default): piptrack re-derives n_fft from the bins unless 2048 fits.
    const tuningFft = Math.floor(2048 / 2) + 1 === source.nBins ? 2048 : 2 * (source.nBins - 1);
    const pp: PiptrackParams = { sr, nFft: tuningFft, fmin: 150.0, fmax: 4000.0, threshold: 0.1, ref: null, single, roundCurvature: librosaParam(params) === "1.0" };
    const ctroct = numberParam(params, "ctroct");
    const octwidth = optionalNumber(params, "octwidth");
    const baseC = boolParam(params, "base_c");
    const filterbank = (tuning: number): Float64Array => chromaFilterbank({ sr, nFft, nChroma, tuning, ctroct, octwidth, norm: 2, baseC, single: fbSingle });
    const p: ChromaFoldParams = { nChroma, nBins: source.nBins, channels: source.channels, threshold: null, norm: normParam(params, "norm"), single: dtype === "float32" };
    const shape = [source.nFrames, nChroma, source.channels];
    const double = dtype === "float64";
    const result = (yield* chromaStftSimd(runner, { source, pp, tuning: given, filterbank, p, double })) ?? (yield* chromaStftScalar(runner, source, pp, given, filterbank, p, double));
    return { arrays: [{ name: "chroma", dtype, shape, data: result.out }], meta: { tuning: result.estimate.tuning, tuning_empty: result.estimate.empty } };
  },
} satisfies OpTable;
