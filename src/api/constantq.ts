/**
 * Constant-Q analysis and chroma: `cqt`, `estimateTuning`, `chromaCqt` and
 * `chromaStft` (librosa.cqt, librosa.estimate_tuning, librosa.feature.chroma_cqt
 * and librosa.feature.chroma_stft).
 */
import type { NdArray } from "ndarray";
import { audioToWire, spectrumFromWire, spectrumToWire, type ArrayInput, type FloatData } from "./arrays.js";
import { callOp, ParameterError, type NamedArray } from "./call.js";
import { UnsupportedParameter, warn } from "./errors.js";
import { pyNumber, pyRepr } from "./format.js";
import {
  checkBool,
  checkNumber,
  complexDtype,
  isPositiveInt,
  librosaVersion,
  normOption,
  optionalNumber,
  signalArray,
  windowRequest,
  withDefaults,
  type LibrosaOption,
  type WindowSpec,
} from "./options.js";

const CQT_PAD_MODES = ["constant", "edge", "reflect", "symmetric"];

const warnIfEmpty = (meta: Record<string, unknown> | undefined): void => {
  if (meta?.tuning_empty || meta?.empty) warn("Trying to estimate tuning from empty frequency set.");
};

/** Options of {@link cqt}: librosa.cqt's keyword arguments in camelCase, same defaults. */
export interface CqtOptions extends LibrosaOption {
  /** Sampling rate in Hz (default 22050). */
  sr?: number;
  /** Samples between columns (default 512). */
  hopLength?: number;
  /** Lowest frequency in Hz (default C1, about 32.70 Hz). */
  fmin?: number | null;
  /** Number of bins (default 84); `null` with librosa 1.0: every bin below Nyquist. */
  nBins?: number | null;
  /** Bins per octave (default 12). */
  binsPerOctave?: number;
  /** Tuning offset in fractions of a bin (default 0); `null` estimates it from `y`. */
  tuning?: number | null;
  /** Filter scale factor (default 1). */
  filterScale?: number;
  /** Normalisation of each basis filter: a number (`Infinity` for max) or null (default 1). */
  norm?: number | null;
  /** Fraction of each filter's energy that may be dropped to sparsify the basis (default 0.01). */
  sparsity?: number;
  /** Window of the basis filters: a name or `[name, parameter]` (default `"hann"`). */
  window?: string | readonly [string, number];
  /** Divide each bin by the square root of its filter length (default true). */
  scale?: boolean;
  /** Padding of the centred frames (default `"constant"`). */
  padMode?: string;
  /** Resampler of the octave halvings: `"soxr_hq"` (default, the only one built). */
  resType?: string | null;
  /** `"complex64"` or `"complex128"` (default: complex64 for Float32 input, complex128 for Float64). */
  dtype?: "complex64" | "complex128" | null;
}

const CQT_DEFAULTS: Required<CqtOptions> = {
  sr: 22050,
  hopLength: 512,
  fmin: null,
  nBins: 84,
  binsPerOctave: 12,
  tuning: 0,
  filterScale: 1,
  norm: 1,
  sparsity: 0.01,
  window: "hann",
  scale: true,
  padMode: "constant",
  resType: "soxr_hq",
  dtype: null,
  librosa: "1.0",
};

/**
 * Constant-Q transform, as `librosa.cqt` (the multirate algorithm of Schörkhuber and Klapuri 2010).
 *
 * @param y - Audio, shape `(..., n)` (Float32Array, Float64Array or an ndarray).
 * @param options - librosa's keyword arguments in camelCase ({@link CqtOptions}).
 * @returns The complex CQT, shape `(..., nBins, frames, 2)` (interleaved pairs; Float32Array data
 *   for complex64, Float64Array for complex128), a strided view as {@link stft}'s.
 * @throws ParameterError with librosa's message for bad audio or parameters, or filters past Nyquist.
 *
 * @example
 * import { cqt } from "auralis-dsp";
 * const sr = 22050;
 * const y = Float32Array.from({ length: sr }, (_, i) => Math.sin(2 * Math.PI * 440 * i / sr));
 * const C = await cqt(y, { sr, nBins: 72 });
 * console.log(C.shape); // [72, 44, 2]
 */
export const cqt = async (y: ArrayInput, options?: CqtOptions): Promise<NdArray<FloatData>> => {
  const o = withDefaults("cqt", options, CQT_DEFAULTS);
  const librosa = librosaVersion(o.librosa);
  const signal = audioToWire(y);
  let resType = o.resType;
  if (resType === null) {
    // 0.11 warns and uses soxr_hq; 1.0 dropped that and fails wherever it resamples (checked below).
    if (librosa === "0.11") {
      warn("Support for VQT with res_type=None is deprecated in librosa 0.10\nand will be removed in version 1.0.", "FutureWarning");
    }
    resType = "soxr_hq";
  }
  if (resType !== "soxr_hq") throw new UnsupportedParameter(`res_type=${pyRepr(resType)} is not supported; supported: soxr_hq`);
  if (!isPositiveInt(o.hopLength)) throw new ParameterError(`hop_length=${pyRepr(o.hopLength)} must be a positive integer`);
  if (o.nBins === null && librosa === "0.11") throw new TypeError("float() argument must be a string or a real number, not 'NoneType'");
  if (o.nBins !== null && !isPositiveInt(o.nBins)) throw new ParameterError(`n_bins=${pyRepr(o.nBins)} must be a positive integer`);
  if (!isPositiveInt(o.binsPerOctave)) throw new ParameterError(`bins_per_octave=${pyRepr(o.binsPerOctave)} must be a positive integer`);
  if (!(checkNumber("filter_scale", o.filterScale) > 0)) throw new ParameterError(`filter_scale=${pyNumber(o.filterScale)} must be positive`);
  const sparsity = checkNumber("sparsity", o.sparsity);
  if (!(sparsity >= 0 && sparsity < 1)) throw new ParameterError(`Invalid quantile ${sparsity.toFixed(2)}`);
  if (!CQT_PAD_MODES.includes(o.padMode)) {
    throw new ParameterError(`pad_mode=${pyRepr(o.padMode)} is not supported; use one of constant, edge, reflect, symmetric`);
  }
  const window = o.window;
  if (!(typeof window === "string" || (Array.isArray(window) && window.length === 2 && typeof window[0] === "string" && typeof window[1] === "number"))) {
    throw new UnsupportedParameter(`window=${pyRepr(window)}: the CQT supports windows given by name (e.g. 'hann') or (name, parameter)`);
  }
  const params = {
    sr: checkNumber("sr", o.sr),
    hop_length: o.hopLength,
    fmin: optionalNumber("fmin", o.fmin),
    n_bins: o.nBins,
    bins_per_octave: o.binsPerOctave,
    tuning: optionalNumber("tuning", o.tuning),
    filter_scale: o.filterScale,
    norm: normOption(o.norm),
    sparsity,
    window: typeof window === "string" ? window : [window[0], window[1]],
    scale: checkBool("scale", o.scale),
    pad_mode: o.padMode,
    res_type: resType,
    dtype: complexDtype(o.dtype, signal.double),
    librosa,
  };
  const { arrays, meta } = await callOp("cqt", params, [signalArray(signal)]);
  if (o.resType === null && librosa === "1.0" && meta?.resampled) {
    throw new TypeError("resType=null cannot resample: librosa 1.0 fails here (AttributeError: 'NoneType' object has no attribute 'startswith')");
  }
  warnIfEmpty(meta);
  const C = arrays[0]!;
  const [frames, bins] = C.shape as [number, number, number];
  return spectrumFromWire(C.data as FloatData, signal.lead, bins, frames, true);
};

/** Options of {@link estimateTuning}: librosa.estimate_tuning's keyword arguments (with piptrack's) in camelCase. */
export interface EstimateTuningOptions extends LibrosaOption {
  /** Audio `(..., n)`; all channels vote. One of `y` and `S` is needed. */
  y?: ArrayInput | null;
  /** Sampling rate in Hz (default 22050). */
  sr?: number;
  /** A magnitude or power spectrogram `(..., bins, frames)`, real, used instead of `y`. */
  S?: NdArray<FloatData> | null;
  /** FFT length for `y` (default 2048); with `S`, derived from its bins when it does not fit. */
  nFft?: number | null;
  /** Resolution of the estimate in fractions of a bin (default 0.01). */
  resolution?: number;
  /** Bins per octave (default 12). */
  binsPerOctave?: number;
  /** piptrack: samples between frames (default `winLength / 4`). */
  hopLength?: number | null;
  /** piptrack: lowest frequency in Hz (default 150). */
  fmin?: number;
  /** piptrack: highest frequency in Hz (default 4000, at most `sr / 2`). */
  fmax?: number;
  /** piptrack: peaks below `threshold * max` of their frame are ignored (default 0.1). */
  threshold?: number;
  /** piptrack: window length (default `nFft`). */
  winLength?: number | null;
  /** piptrack: window (default `"hann"`). */
  window?: WindowSpec;
  /** piptrack: centred frames (default true). */
  center?: boolean;
  /** piptrack: padding when centring (default `"constant"`). */
  padMode?: string;
  /** piptrack: reference magnitude; null (default) is each frame's maximum, as librosa's `np.max`. */
  ref?: number | null;
}

const TUNING_DEFAULTS: Required<EstimateTuningOptions> = {
  y: null,
  sr: 22050,
  S: null,
  nFft: 2048,
  resolution: 0.01,
  binsPerOctave: 12,
  hopLength: null,
  fmin: 150,
  fmax: 4000,
  threshold: 0.1,
  winLength: null,
  window: "hann",
  center: true,
  padMode: "constant",
  ref: null,
  librosa: "1.0",
};

/**
 * Tuning of a signal or spectrogram, as `librosa.estimate_tuning`: piptrack's peaks at least as
 * strong as the median vote in a histogram of deviations from the equal-tempered grid.
 *
 * @param options - librosa's keyword arguments in camelCase, `y` or `S` among them ({@link EstimateTuningOptions}).
 * @returns The deviation in fractions of a bin, in [-0.5, 0.5).
 * @throws ParameterError with librosa's message when neither `y` nor `S` is given, or for bad audio or parameters.
 *
 * @example
 * import { estimateTuning } from "auralis-dsp";
 * const sr = 22050, f = 440 * 2 ** (0.25 / 12); // a quarter of a semitone sharp
 * const y = Float64Array.from({ length: sr }, (_, i) => Math.sin(2 * Math.PI * f * i / sr));
 * console.log(await estimateTuning({ y, sr })); // 0.24 -- librosa.estimate_tuning says 0.24 too
 */
export const estimateTuning = async (options: EstimateTuningOptions): Promise<number> => {
  const o = withDefaults("estimate_tuning", options, TUNING_DEFAULTS);
  const sr = checkNumber("sr", o.sr);
  const params: Record<string, unknown> = {
    sr,
    resolution: checkNumber("resolution", o.resolution),
    bins_per_octave: o.binsPerOctave,
    fmin: Math.max(checkNumber("fmin", o.fmin), 0),
    fmax: Math.min(checkNumber("fmax", o.fmax), sr / 2),
    threshold: checkNumber("threshold", o.threshold),
    ref: o.ref === null ? null : Math.abs(checkNumber("ref", o.ref)),
    n_fft: o.nFft,
    librosa: librosaVersion(o.librosa),
  };
  const { arrays } = spectrogramOrSignal("estimate_tuning", o, params);
  const { meta } = await callOp("estimate_tuning", params, arrays);
  warnIfEmpty(meta);
  return meta!.tuning as number;
};

/**
 * The arrays of a request that takes `S` (a real spectrogram, as (channels, bins, frames)) or `y`
 * with STFT options (estimate_tuning, chroma_stft); the STFT parameters go into `params`.
 */
const spectrogramOrSignal = (
  fn: string,
  o: { y: ArrayInput | null; S: NdArray<FloatData> | null; nFft: number | null; hopLength: number | null; winLength: number | null; window: WindowSpec; center: boolean; padMode: string },
  params: Record<string, unknown>,
): { arrays: NamedArray[]; lead: number[]; double: boolean } => {
  if (o.S !== null) {
    const S = spectrumToWire(o.S, false, "channels-bins-frames", "S");
    return { arrays: [{ name: "S", dtype: S.double ? "float64" : "float32", shape: [S.channels, S.bins, S.frames], data: S.data }], lead: S.lead, double: S.double };
  }
  if (o.nFft === null) throw new ParameterError("Unable to compute spectrogram with n_fft=None");
  if (o.y === null) throw new ParameterError("Input signal must be provided to compute a spectrogram");
  const signal = audioToWire(o.y);
  if (!isPositiveInt(o.nFft)) throw new ParameterError(`n_fft=${pyRepr(o.nFft)} must be a positive integer`);
  const winLength = o.winLength ?? o.nFft;
  const hopLength = o.hopLength ?? Math.floor(winLength / 4);
  if (!isPositiveInt(hopLength)) throw new ParameterError(`hop_length=${pyRepr(hopLength)} must be a positive integer`);
  if (!CQT_PAD_MODES.includes(o.padMode)) throw new ParameterError(`pad_mode=${pyRepr(o.padMode)} is not supported by ${fn}; use one of constant, edge, reflect, symmetric`);
  Object.assign(params, { hop_length: hopLength, win_length: winLength, center: checkBool("center", o.center), pad_mode: o.padMode });
  const arrays: NamedArray[] = [];
  windowRequest(o.window, winLength, params, arrays);
  arrays.push(signalArray(signal));
  return { arrays, lead: signal.lead, double: signal.double };
};

/** Options of {@link chromaCqt}: librosa.feature.chroma_cqt's keyword arguments in camelCase, same defaults. */
export interface ChromaCqtOptions extends LibrosaOption {
  /** Audio `(..., n)`; one of `y` and `C` is needed. */
  y?: ArrayInput | null;
  /** Sampling rate in Hz (default 22050). */
  sr?: number;
  /** A precomputed magnitude CQT `(..., bins, frames)`, real, used instead of `y`. */
  C?: NdArray<FloatData> | null;
  /** Samples between frames (default 512). */
  hopLength?: number;
  /** Lowest CQT frequency in Hz (default C1, about 32.70 Hz). */
  fmin?: number | null;
  /** Normalisation of each frame: a number (`Infinity`: max, the default) or null. */
  norm?: number | null;
  /** Values below it become 0 before normalising (default 0). */
  threshold?: number | null;
  /** Tuning in fractions of a CQT bin (default null: estimated from `y`). */
  tuning?: number | null;
  /** Number of chroma bins (default 12). */
  nChroma?: number;
  /** Octaves above `fmin` (default 7). */
  nOctaves?: number;
  /** Window convolved with the CQT-to-chroma map along the CQT axis (default none). */
  window?: ArrayLike<number> | null;
  /** CQT bins per octave, a multiple of `nChroma` (default 36; null: `nChroma`). */
  binsPerOctave?: number | null;
  /** `"full"` (default; `"hybrid"` is not built: UnsupportedParameter). */
  cqtMode?: string;
}

const CHROMA_CQT_DEFAULTS: Required<ChromaCqtOptions> = {
  y: null,
  sr: 22050,
  C: null,
  hopLength: 512,
  fmin: null,
  norm: Infinity,
  threshold: 0,
  tuning: null,
  nChroma: 12,
  nOctaves: 7,
  window: null,
  binsPerOctave: 36,
  cqtMode: "full",
  librosa: "1.0",
};

/** A (frames, nChroma, channels) chroma result as (..., nChroma, frames). */
const chromaResult = (arrays: NamedArray[], lead: readonly number[]): NdArray<FloatData> => {
  const chroma = arrays[0]!;
  const [frames, nChroma] = chroma.shape as [number, number, number];
  return spectrumFromWire(chroma.data as FloatData, lead, nChroma, frames, false);
};

/**
 * Constant-Q chromagram, as `librosa.feature.chroma_cqt`: the CQT's magnitudes over
 * `nOctaves * binsPerOctave` bins folded onto `nChroma` pitch classes, thresholded and normalised.
 *
 * @param options - librosa's keyword arguments in camelCase, `y` or `C` among them ({@link ChromaCqtOptions}).
 * @returns The chromagram, shape `(..., nChroma, frames)`, Float32Array data for float32 input, else Float64Array.
 * @throws ParameterError with librosa's message for missing input, `binsPerOctave` not a multiple of
 *   `nChroma`, or bad audio or parameters.
 *
 * @example
 * import { chromaCqt } from "auralis-dsp";
 * const sr = 22050;
 * const y = Float32Array.from({ length: sr }, (_, i) => Math.sin(2 * Math.PI * 261.63 * i / sr));
 * const chroma = await chromaCqt({ y, sr });
 * console.log(chroma.shape, chroma.get(0, 20)); // [12, 44] 1 -- C is the strongest pitch class
 */
export const chromaCqt = async (options: ChromaCqtOptions): Promise<NdArray<FloatData>> => {
  const o = withDefaults("chroma_cqt", options, CHROMA_CQT_DEFAULTS);
  const binsPerOctave = o.binsPerOctave ?? o.nChroma;
  if (typeof binsPerOctave !== "number" || typeof o.nChroma !== "number" || binsPerOctave % o.nChroma !== 0) {
    throw new ParameterError(`bins_per_octave=${pyRepr(binsPerOctave)} must be an integer multiple of n_chroma=${pyRepr(o.nChroma)}`);
  }
  if (o.cqtMode === "hybrid") throw new UnsupportedParameter("cqt_mode='hybrid' is not implemented yet in auralis_dsp; use cqt_mode='full'");
  if (o.cqtMode !== "full") throw new ParameterError(`cqt_mode=${pyRepr(o.cqtMode)} must be 'full' or 'hybrid'`);
  if (!isPositiveInt(o.nChroma)) throw new ParameterError(`n_chroma=${pyRepr(o.nChroma)} must be a positive integer`);
  const params: Record<string, unknown> = {
    sr: checkNumber("sr", o.sr),
    hop_length: o.hopLength,
    fmin: optionalNumber("fmin", o.fmin),
    norm: normOption(o.norm),
    threshold: optionalNumber("threshold", o.threshold),
    tuning: optionalNumber("tuning", o.tuning),
    n_chroma: o.nChroma,
    n_octaves: o.nOctaves,
    bins_per_octave: binsPerOctave,
    librosa: librosaVersion(o.librosa),
  };
  const arrays: NamedArray[] = [];
  if (o.window !== null) arrays.push({ name: "window", dtype: "float64", shape: [o.window.length], data: Float64Array.from(o.window) });
  let lead: number[];
  if (o.C === null) {
    if (o.y === null) throw new ParameterError("At least one of C or y must be provided to compute chroma");
    const signal = audioToWire(o.y);
    if (!isPositiveInt(o.hopLength)) throw new ParameterError(`hop_length=${pyRepr(o.hopLength)} must be a positive integer`);
    if (!isPositiveInt(o.nOctaves)) throw new ParameterError(`n_octaves=${pyRepr(o.nOctaves)} must be a positive integer`);
    arrays.push(signalArray(signal));
    params.dtype = signal.double ? "float64" : "float32";
    lead = signal.lead;
  } else {
    const C = spectrumToWire(o.C, false, "channels-bins-frames", "C");
    arrays.push({ name: "C", dtype: C.double ? "float64" : "float32", shape: [C.channels, C.bins, C.frames], data: C.data });
    params.dtype = C.double ? "float64" : "float32";
    lead = C.lead;
  }
  const { arrays: out, meta } = await callOp("chroma_cqt", params, arrays);
  warnIfEmpty(meta);
  return chromaResult(out, lead);
};

/** Options of {@link chromaStft}: librosa.feature.chroma_stft's keyword arguments (with filters.chroma's) in camelCase. */
export interface ChromaStftOptions extends LibrosaOption {
  /** Audio `(..., n)`; one of `y` and `S` is needed. */
  y?: ArrayInput | null;
  /** Sampling rate in Hz (default 22050). */
  sr?: number;
  /** A power spectrogram `(..., 1 + nFft / 2, frames)`, real, used instead of `y`. */
  S?: NdArray<FloatData> | null;
  /** Normalisation of each frame: a number (`Infinity`: max, the default) or null. */
  norm?: number | null;
  /** FFT length (default 2048). */
  nFft?: number | null;
  /** Samples between frames (default 512). */
  hopLength?: number | null;
  /** Window length (default `nFft`). */
  winLength?: number | null;
  /** STFT window (default `"hann"`). */
  window?: WindowSpec;
  /** Centred frames (default true). */
  center?: boolean;
  /** Padding when centring (default `"constant"`). */
  padMode?: string;
  /** Tuning in fractions of a chroma bin (default null: estimated from the spectrogram). */
  tuning?: number | null;
  /** Number of chroma bins (default 12). */
  nChroma?: number;
  /** filters.chroma: centre of the octave weighting, in octaves above C0 (default 5). */
  ctroct?: number;
  /** filters.chroma: width of the Gaussian octave weighting, in octaves (default 2; null: flat). */
  octwidth?: number | null;
  /** filters.chroma: start the filter bank at C (default true) or A. */
  baseC?: boolean;
  /** filters.chroma: the filter bank's precision, `"float32"` (default) or `"float64"`. */
  dtype?: "float32" | "float64";
}

const CHROMA_STFT_DEFAULTS: Required<ChromaStftOptions> = {
  y: null,
  sr: 22050,
  S: null,
  norm: Infinity,
  nFft: 2048,
  hopLength: 512,
  winLength: null,
  window: "hann",
  center: true,
  padMode: "constant",
  tuning: null,
  nChroma: 12,
  ctroct: 5,
  octwidth: 2,
  baseC: true,
  dtype: "float32",
  librosa: "1.0",
};

/**
 * STFT chromagram, as `librosa.feature.chroma_stft`: Ellis' chroma filter bank over the power spectrogram.
 *
 * @param options - librosa's keyword arguments in camelCase, `y` or `S` among them ({@link ChromaStftOptions}).
 * @returns The chromagram, shape `(..., nChroma, frames)`; Float64Array data when the filter bank or
 *   the input is float64, else Float32Array (numpy's result type).
 * @throws ParameterError with librosa's message for missing input or bad audio or parameters.
 *
 * @example
 * import { chromaStft } from "auralis-dsp";
 * const sr = 22050;
 * const y = Float32Array.from({ length: sr }, (_, i) => Math.sin(2 * Math.PI * 392 * i / sr));
 * const chroma = await chromaStft({ y, sr });
 * console.log(chroma.shape, chroma.get(7, 20)); // [12, 44] 1 -- G is the strongest
 */
export const chromaStft = async (options: ChromaStftOptions): Promise<NdArray<FloatData>> => {
  const o = withDefaults("chroma_stft", options, CHROMA_STFT_DEFAULTS);
  if (o.dtype !== "float32" && o.dtype !== "float64") {
    throw new UnsupportedParameter(`dtype=${pyRepr(o.dtype)} is not supported for the chroma filter bank; use float32 or float64`);
  }
  if (!isPositiveInt(o.nChroma)) throw new ParameterError(`n_chroma=${pyRepr(o.nChroma)} must be a positive integer`);
  const params: Record<string, unknown> = {
    sr: checkNumber("sr", o.sr),
    norm: normOption(o.norm),
    tuning: optionalNumber("tuning", o.tuning),
    n_chroma: o.nChroma,
    ctroct: checkNumber("ctroct", o.ctroct),
    octwidth: optionalNumber("octwidth", o.octwidth),
    base_c: checkBool("base_c", o.baseC),
    fb_dtype: o.dtype,
    n_fft: o.nFft,
    librosa: librosaVersion(o.librosa),
  };
  const { arrays, lead, double } = spectrogramOrSignal("chroma_stft", o, params);
  params.dtype = o.dtype === "float64" || double ? "float64" : "float32";
  const { arrays: out, meta } = await callOp("chroma_stft", params, arrays);
  if (o.tuning === null) warnIfEmpty(meta);
  return chromaResult(out, lead);
};
