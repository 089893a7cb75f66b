/**
 * `stft` and `istft`: librosa.stft and librosa.istft.
 */
import type { NdArray } from "ndarray";
import { signalFromWire, spectrumFromWire, spectrumToWire, type ArrayInput, type FloatData } from "./arrays.js";
import { callOp, ParameterError, type NamedArray } from "./call.js";
import { pyRepr, pyShape } from "./format.js";
import {
  checkBool,
  complexDtype,
  isPositiveInt,
  librosaVersion,
  realDtype,
  stftRequest,
  windowRequest,
  withDefaults,
  type LibrosaOption,
  type WindowSpec,
} from "./options.js";

/** Options of {@link stft}: librosa.stft's keyword arguments in camelCase, same defaults. */
export interface StftOptions extends LibrosaOption {
  /** Length of the windowed signal after zero padding (default 2048). */
  nFft?: number;
  /** Samples between frames (default `winLength / 4`, rounded down). */
  hopLength?: number | null;
  /** Window length, at most `nFft` (default `nFft`); the window is centre-padded to `nFft`. */
  winLength?: number | null;
  /** The window (default `"hann"`): a name, `["kaiser", beta]`, a Kaiser beta, an array of `winLength` values or a function of the length. */
  window?: WindowSpec;
  /** Pad the signal so that frame `t` is centred at `y[t * hopLength]` (default true). */
  center?: boolean;
  /** `"complex64"` or `"complex128"` (default: complex64 for Float32 input, complex128 for Float64). */
  dtype?: "complex64" | "complex128" | null;
  /** Padding when centring: `"constant"` (default, zeros), `"edge"`, `"reflect"` or `"symmetric"`. */
  padMode?: string;
}

const STFT_DEFAULTS: Required<StftOptions> = {
  nFft: 2048,
  hopLength: null,
  winLength: null,
  window: "hann",
  center: true,
  dtype: null,
  padMode: "constant",
  librosa: "1.0",
};

/**
 * Short-time Fourier transform, as `librosa.stft`.
 *
 * @param y - Audio, shape `(..., n)`: a Float32Array/Float64Array or an ndarray (leading axes are channels; any strides).
 * @param options - librosa's keyword arguments in camelCase ({@link StftOptions}).
 * @returns The complex STFT, shape `(..., 1 + nFft / 2, frames, 2)`: interleaved (re, im) pairs in
 *   the last axis, Float32Array data for complex64, Float64Array for complex128. It is a strided
 *   view (numpy's F order, as librosa returns it); {@link istft} takes it back without a copy.
 * @throws ParameterError with librosa's message for non-floating or non-finite audio, bad lengths or hop,
 *   an unsupported `padMode`, or `nFft` longer than an uncentred signal.
 *
 * @example
 * import { stft } from "auralis-dsp";
 * const y = Float32Array.from({ length: 22050 }, (_, i) => Math.sin(2 * Math.PI * 440 * i / 22050));
 * const D = await stft(y, { nFft: 2048, hopLength: 512 });
 * console.log(D.shape);               // [1025, 44, 2]
 * const re = D.get(20, 10, 0), im = D.get(20, 10, 1);
 */
export const stft = async (y: ArrayInput, options?: StftOptions): Promise<NdArray<FloatData>> => {
  const o = withDefaults("stft", options, STFT_DEFAULTS);
  const { params, arrays, signal } = stftRequest(y, o);
  params.dtype = complexDtype(o.dtype, signal.double);
  params.librosa = librosaVersion(o.librosa);
  const { arrays: out } = await callOp("stft", params, arrays);
  const D = out[0]!;
  const [frames, bins] = D.shape as [number, number, number];
  return spectrumFromWire(D.data as FloatData, signal.lead, bins, frames, true);
};

/** Options of {@link istft}: librosa.istft's keyword arguments in camelCase, same defaults. */
export interface IstftOptions extends LibrosaOption {
  /** Samples between frames (default `winLength / 4`, rounded down). */
  hopLength?: number | null;
  /** Window length (default `nFft`). */
  winLength?: number | null;
  /** Frame length (default `2 * (bins - 1)`). */
  nFft?: number | null;
  /** The window the STFT used (default `"hann"`). */
  window?: WindowSpec;
  /** Whether the STFT's frames were centred (default true). */
  center?: boolean;
  /** `"float32"` or `"float64"` (default: float32 for Float32Array data, float64 for Float64Array). */
  dtype?: "float32" | "float64" | null;
  /** Zero-pad or clip the output to exactly this many samples (default: as many as the frames reach). */
  length?: number | null;
}

const ISTFT_DEFAULTS: Required<IstftOptions> = {
  hopLength: null,
  winLength: null,
  nFft: null,
  window: "hann",
  center: true,
  dtype: null,
  length: null,
  librosa: "1.0",
};

/**
 * Inverse short-time Fourier transform, as `librosa.istft`: windowed inverse FFTs
 * overlap-added and divided by the window's sum-square envelope.
 *
 * @param stftMatrix - A complex STFT, shape `(..., bins, frames, 2)` (interleaved pairs, as {@link stft} returns), any strides.
 * @param options - librosa's keyword arguments in camelCase ({@link IstftOptions}).
 * @returns The signal, shape `(..., n)`, Float32Array data for complex64 input (float32), else Float64Array.
 * @throws ParameterError with librosa's message for bad lengths or hop, or a matrix without frames.
 *
 * @example
 * import { istft, stft } from "auralis-dsp";
 * const y = Float64Array.from({ length: 4096 }, (_, i) => Math.sin(i / 10));
 * const back = await istft(await stft(y), { length: y.length });
 * console.log(Math.abs(back.get(1000) - y[1000]) < 1e-9); // true
 */
export const istft = async (stftMatrix: NdArray<FloatData>, options?: IstftOptions): Promise<NdArray<FloatData>> => {
  const o = withDefaults("istft", options, ISTFT_DEFAULTS);
  const librosa = librosaVersion(o.librosa);
  const S = spectrumToWire(stftMatrix, true, "frames-bins-channels", "stft_matrix");
  const nFft = o.nFft ?? 2 * (S.bins - 1);
  if (!isPositiveInt(nFft)) throw new ParameterError(`n_fft=${pyRepr(nFft)} must be a positive integer (stft_matrix has ${S.bins} bins)`);
  const winLength = o.winLength ?? nFft;
  if (!isPositiveInt(winLength)) throw new ParameterError(`win_length=${pyRepr(winLength)} must be a positive integer`);
  if (winLength > nFft) throw new ParameterError(`Target size (${nFft}) must be at least input size (${winLength})`);
  const hopLength = o.hopLength ?? Math.floor(winLength / 4);
  if (!isPositiveInt(hopLength)) throw new ParameterError(`hop_length=${pyRepr(hopLength)} must be a positive integer`);
  const length = o.length;
  if (length !== null && !(typeof length === "number" && Number.isInteger(length) && length >= 0)) {
    throw new ParameterError(`length=${pyRepr(length)} must be a non-negative integer`);
  }
  if (S.frames === 0) throw new ParameterError(`stft_matrix has no frames (shape=${pyShape([...S.lead, S.bins, S.frames])})`);
  const dtype = realDtype(o.dtype, S.double);
  const params: Record<string, unknown> = {
    n_fft: nFft,
    hop_length: hopLength,
    win_length: winLength,
    center: checkBool("center", o.center),
    length: length ? length : null, // as the shim: length=0 means "not given"
    dtype,
    librosa,
  };
  const arrays: NamedArray[] = [];
  windowRequest(o.window, winLength, params, arrays);
  arrays.push({ name: "stft_matrix", dtype: S.double ? "complex128" : "complex64", shape: [S.frames, S.bins, S.channels], data: S.data });
  const { arrays: out } = await callOp("istft", params, arrays);
  const y = out[0]!;
  return signalFromWire(y.data as FloatData, S.lead, y.shape[1]!);
};
