/**
 * Harmonic-percussive source separation: `hpss`, `harmonic` and `percussive`
 * (librosa.effects, on a waveform) and `hpssSpectrogram` (librosa.decompose.hpss).
 */
import type { NdArray } from "ndarray";
import { signalFromWire, spectrumFromWire, spectrumToWire, type ArrayInput, type FloatData } from "./arrays.js";
import { callOp, ParameterError, type NamedArray } from "./call.js";
import { pyRepr } from "./format.js";
import { librosaVersion, stftRequest, withDefaults, type LibrosaOption, type WindowSpec } from "./options.js";

/** The median-filtering parameters shared by every HPSS function (librosa.decompose.hpss's). */
export interface HpssSpectrogramOptions extends LibrosaOption {
  /** Median filter length(s): one for both, or `[harmonic (along time), percussive (along frequency)]` (default 31). */
  kernelSize?: number | readonly [number, number];
  /** Exponent of the Wiener-like soft mask; `Infinity` gives hard (binary) masks (default 2). */
  power?: number;
  /** Return the masks instead of the masked parts (default false). */
  mask?: boolean;
  /** Margin(s) >= 1: one for both or `[harmonic, percussive]`; above 1 leaves a residual out of both parts (default 1). */
  margin?: number | readonly [number, number];
  /**
   * Whether `S` is complex, `(..., bins, frames, 2)` (interleaved pairs), or real magnitudes `(..., bins, frames)`.
   * Default: complex when `S` has at least 3 axes and the last has length 2; say it for a real `S` of that shape.
   */
  complex?: boolean | null;
}

const MEDIAN_DEFAULTS = { kernelSize: 31 as number | readonly [number, number], power: 2, mask: false, margin: 1 as number | readonly [number, number] };

const pair = <T>(value: T | readonly [T, T]): [T, T] => (Array.isArray(value) ? [value[0], value[1]] : [value as T, value as T]);

/** The shim's `hpss_params`: decompose.hpss's checks, as librosa and scipy's median filter make them. */
const hpssParams = (o: typeof MEDIAN_DEFAULTS): Record<string, unknown> => {
  const [winHarm, winPerc] = pair(o.kernelSize);
  const [marginHarm, marginPerc] = pair(o.margin);
  if (typeof marginHarm !== "number" || typeof marginPerc !== "number") throw new TypeError(`margin=${pyRepr(o.margin)} must be a number or two numbers`);
  if (marginHarm < 1 || marginPerc < 1) throw new ParameterError("Margins must be >= 1.0. A typical range is between 1 and 10.");
  for (const [name, win] of [["harmonic", winHarm], ["percussive", winPerc]] as const) {
    if (typeof win !== "number" || !Number.isInteger(win) || win < 1) {
      throw new ParameterError(`kernel_size for the ${name} median must be an integer >= 1, got ${pyRepr(win)}`);
    }
  }
  if (typeof o.power !== "number") throw new TypeError(`power=${pyRepr(o.power)} must be a number`);
  if (Number.isNaN(o.power) || o.power <= 0) throw new ParameterError("power must be strictly positive");
  if (typeof o.mask !== "boolean") throw new TypeError(`mask=${pyRepr(o.mask)} must be a boolean`);
  return { win_harm: winHarm, win_perc: winPerc, power: o.power, margin_harm: marginHarm, margin_perc: marginPerc, mask: o.mask };
};

const SPECTROGRAM_DEFAULTS: Required<HpssSpectrogramOptions> = { ...MEDIAN_DEFAULTS, complex: null, librosa: "1.0" };

/**
 * Median-filtering harmonic-percussive source separation of a spectrogram, as
 * `librosa.decompose.hpss` (Fitzgerald 2010; with margins, Driedger, Müller and Disch 2014).
 *
 * @param S - A spectrogram, complex `(..., bins, frames, 2)` (as {@link stft} returns) or real
 *   magnitudes `(..., bins, frames)`; Float32Array or Float64Array data; any strides.
 * @param options - librosa's keyword arguments in camelCase ({@link HpssSpectrogramOptions}).
 * @returns `[harmonic, percussive]`, each of `S`'s shape and type (complex stays complex); with
 *   `mask: true` the real masks `(..., bins, frames)`, as Uint8Array (0/1, librosa's booleans)
 *   when `power` is `Infinity`.
 * @throws ParameterError with librosa's message for margins below 1, kernel sizes below 1, a
 *   power that is not positive, or negative magnitudes.
 *
 * @example
 * import { hpssSpectrogram, stft } from "auralis-dsp";
 * const y = Float32Array.from({ length: 22050 }, (_, i) => Math.sin(i / 5) + (i % 2205 === 0 ? 1 : 0));
 * const [H, P] = await hpssSpectrogram(await stft(y), { kernelSize: [31, 17] });
 * console.log(H.shape, P.shape); // [1025, 44, 2] [1025, 44, 2]
 */
export const hpssSpectrogram = async (
  S: NdArray<FloatData>,
  options?: HpssSpectrogramOptions,
): Promise<[NdArray<FloatData | Uint8Array>, NdArray<FloatData | Uint8Array>]> => {
  const o = withDefaults("hpss", options, SPECTROGRAM_DEFAULTS);
  const params = hpssParams(o);
  params.librosa = librosaVersion(o.librosa);
  const shape = (S as { shape?: unknown }).shape;
  const complex = o.complex ?? (Array.isArray(shape) && shape.length >= 3 && shape[shape.length - 1] === 2);
  const wire = spectrumToWire(S, complex, "frames-bins-channels", "S");
  const dtype = complex ? (wire.double ? "complex128" : "complex64") : wire.double ? "float64" : "float32";
  const arrays: NamedArray[] = [{ name: "S", dtype, shape: [wire.frames, wire.bins, wire.channels], data: wire.data }];
  const { arrays: out } = await callOp("hpss", params, arrays);
  const hardMasks = o.mask && params.power === Infinity;
  const part = (name: string): NdArray<FloatData | Uint8Array> => {
    const a = out.find((x) => x.name === name)!;
    const data = hardMasks ? Uint8Array.from(a.data as FloatData) : (a.data as FloatData);
    return spectrumFromWire(data, wire.lead, wire.bins, wire.frames, complex && !o.mask);
  };
  return [part("harmonic"), part("percussive")];
};

/** Options of {@link hpss}, {@link harmonic} and {@link percussive}: librosa.effects.hpss's keyword arguments in camelCase. */
export interface HpssOptions extends LibrosaOption {
  /** As {@link HpssSpectrogramOptions.kernelSize} (default 31). */
  kernelSize?: number | readonly [number, number];
  /** As {@link HpssSpectrogramOptions.power} (default 2). */
  power?: number;
  /** As {@link HpssSpectrogramOptions.mask} (default false). */
  mask?: boolean;
  /** As {@link HpssSpectrogramOptions.margin} (default 1). */
  margin?: number | readonly [number, number];
  /** STFT frame length (default 2048). */
  nFft?: number;
  /** STFT hop (default `winLength / 4`). */
  hopLength?: number | null;
  /** STFT window length (default `nFft`). */
  winLength?: number | null;
  /** The STFT's window (default `"hann"`); with `librosa: "0.11"` accepted and not used (Hann), as librosa 0.11 does. */
  window?: WindowSpec;
  /** Centred frames (default true). */
  center?: boolean;
  /** Padding when centring (default `"constant"`). */
  padMode?: string;
}

const EFFECTS_DEFAULTS: Required<HpssOptions> = {
  ...MEDIAN_DEFAULTS,
  nFft: 2048,
  hopLength: null,
  winLength: null,
  window: "hann",
  center: true,
  padMode: "constant",
  librosa: "1.0",
};

/** stft -> decompose.hpss -> istft(length = n) in one op call; the named parts as (..., n) ndarrays. */
const effectsHpss = async (fn: string, which: "both" | "harmonic" | "percussive", y: ArrayInput, options: HpssOptions | undefined): Promise<NdArray<FloatData>[]> => {
  const o = withDefaults(fn, options, EFFECTS_DEFAULTS);
  const librosa = librosaVersion(o.librosa);
  // librosa 1.0 passes `window` to its stft and istft; 0.11 always uses Hann.
  const { params, arrays, signal } = stftRequest(y, { ...o, window: librosa === "1.0" ? o.window : "hann" });
  Object.assign(params, hpssParams(o), { which, librosa });
  const { arrays: out } = await callOp("effects.hpss", params, arrays);
  return out.map((a) => signalFromWire(a.data as FloatData, signal.lead, signal.length));
};

/**
 * Harmonic and percussive parts of a waveform, as `librosa.effects.hpss`:
 * `stft`, `decompose.hpss`, then `istft` of each part to the input's length.
 *
 * @param y - Audio, shape `(..., n)` (Float32Array, Float64Array or an ndarray).
 * @param options - librosa's keyword arguments in camelCase ({@link HpssOptions}).
 * @returns `[yHarmonic, yPercussive]`, each of `y`'s shape, in `y`'s precision.
 * @throws ParameterError with librosa's message for bad audio, margins, kernel sizes or STFT parameters.
 *
 * @example
 * import { hpss } from "auralis-dsp";
 * const y = Float32Array.from({ length: 22050 }, (_, i) => Math.sin(i / 5) + (i % 2205 === 0 ? 1 : 0));
 * const [yHarmonic, yPercussive] = await hpss(y);
 * console.log(yHarmonic.shape, yPercussive.data instanceof Float32Array); // [22050] true
 */
export const hpss = async (y: ArrayInput, options?: HpssOptions): Promise<[NdArray<FloatData>, NdArray<FloatData>]> => {
  const [h, p] = await effectsHpss("hpss", "both", y, options);
  return [h!, p!];
};

/**
 * The harmonic part of a waveform, as `librosa.effects.harmonic`.
 *
 * @param y - Audio, shape `(..., n)`.
 * @param options - as {@link hpss}.
 * @returns The harmonic part, of `y`'s shape and precision.
 *
 * @example
 * import { harmonic } from "auralis-dsp";
 * const yHarmonic = await harmonic(new Float32Array(8192), { margin: 3 });
 */
export const harmonic = async (y: ArrayInput, options?: HpssOptions): Promise<NdArray<FloatData>> => (await effectsHpss("harmonic", "harmonic", y, options))[0]!;

/**
 * The percussive part of a waveform, as `librosa.effects.percussive`.
 *
 * @param y - Audio, shape `(..., n)`.
 * @param options - as {@link hpss}.
 * @returns The percussive part, of `y`'s shape and precision.
 *
 * @example
 * import { percussive } from "auralis-dsp";
 * const yPercussive = await percussive(new Float32Array(8192), { margin: 3 });
 */
export const percussive = async (y: ArrayInput, options?: HpssOptions): Promise<NdArray<FloatData>> =>
  (await effectsHpss("percussive", "percussive", y, options))[0]!;
