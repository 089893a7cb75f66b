/**
 * Fundamental frequency: `yin` and `pyin` (librosa.yin, librosa.pyin).
 */
import type { NdArray } from "ndarray";
import { audioToWire, signalFromWire, type ArrayInput, type WireSignal } from "./arrays.js";
import { callOp, ParameterError } from "./call.js";
import { UnsupportedParameter, warn } from "./errors.js";
import { pyFloat, pyNumber, pyRepr } from "./format.js";
import { checkBool, checkNumber, librosaVersion, signalArray, withDefaults, type LibrosaOption, type LibrosaVersion } from "./options.js";

/** The framing options yin and pyin share (librosa's names in camelCase). */
interface FramingOptions extends LibrosaOption {
  /** Minimum frequency in Hz; required, as in librosa. */
  fmin: number;
  /** Maximum frequency in Hz, at most `sr / 2`; required, as in librosa. */
  fmax: number;
  /** Sampling rate of `y` in Hz (default 22050). */
  sr?: number;
  /** Frame length in samples (default 2048). */
  frameLength?: number;
  /** Samples between frames (default `frameLength / 4`, rounded down). */
  hopLength?: number | null;
  /** Pad by `frameLength / 2` on both sides so that frame `t` is centred at `y[t * hopLength]` (default true). */
  center?: boolean;
  /** Padding when centring: `"constant"` (default, zeros), `"edge"`, `"reflect"` or `"symmetric"`. */
  padMode?: string;
  /** librosa 0.11 only: deprecated, warns and has no effect (librosa 1.0 removed it: a TypeError). */
  winLength?: number;
}

const KERNEL_PAD_MODES = ["constant", "edge", "reflect", "symmetric"];

const FRAMING_DEFAULTS = {
  fmin: undefined as unknown as number,
  fmax: undefined as unknown as number,
  sr: 22050,
  frameLength: 2048,
  hopLength: null as number | null,
  center: true,
  padMode: "constant",
  winLength: undefined as number | undefined,
  librosa: "1.0" as LibrosaVersion,
};

/** yin's and pyin's `win_length`: deprecated in librosa 0.11 (FutureWarning, no effect), removed in 1.0. */
const checkWinLength = (winLength: unknown, librosa: LibrosaVersion, fn: string): void => {
  if (winLength === undefined) return;
  if (librosa === "1.0") throw new TypeError(`${fn}() got an unexpected keyword argument 'win_length'`);
  warn("The win_length parameter has been deprecated in version 0.11.0 and has no effect. It will be removed in version 1.0.0.", "FutureWarning");
};

/** librosa's `__check_yin_params` (errors and the two-periods warning) and the shims' framing checks; the op's params. */
const framingRequest = (
  fn: string,
  y: ArrayInput,
  o: typeof FRAMING_DEFAULTS,
): { params: Record<string, unknown> & { fmin: number; fmax: number }; signal: WireSignal } => {
  if (o.fmin === undefined || o.fmin === null || o.fmax === undefined || o.fmax === null) {
    throw new ParameterError('both "fmin" and "fmax" must be provided');
  }
  const librosa = librosaVersion(o.librosa);
  checkWinLength(o.winLength, librosa, fn);
  const sr = checkNumber("sr", o.sr);
  const fmin = checkNumber("fmin", o.fmin);
  const fmax = checkNumber("fmax", o.fmax);
  const frameLength = o.frameLength;
  if (fmax > sr / 2) throw new ParameterError(`fmax=${fmax.toFixed(3)} cannot exceed Nyquist frequency ${pyFloat(sr / 2)}`);
  if (fmin >= fmax) throw new ParameterError(`fmin=${fmin.toFixed(3)} must be less than fmax=${fmax.toFixed(3)}`);
  if (fmin <= 0) throw new ParameterError(`fmin=${fmin.toFixed(3)} must be strictly positive`);
  if (sr / fmin >= frameLength - 1) {
    throw new ParameterError(
      `fmin=${fmin.toFixed(3)} is too small for frame_length=${frameLength} and sr=${pyNumber(sr)}. ` +
        `Either increase to fmin=${(sr / (frameLength - 1)).toFixed(3)} or frame_length=${Math.ceil(sr / fmin) + 1}`,
    );
  }
  if (sr / fmin >= Math.floor(frameLength / 2)) {
    warn(
      `With fmin=${fmin.toFixed(3)}, sr=${pyNumber(sr)} and frame_length=${frameLength}, less than two periods of fmin ` +
        `fit into the frame, which can cause inaccurate pitch detection. ` +
        `Consider increasing to fmin=${(sr / (frameLength / 2)).toFixed(3)} or frame_length=${Math.ceil(sr / fmin) * 2 + 1}.`,
    );
  }
  const hopLength = o.hopLength ?? Math.floor(frameLength / 4);
  let signal = audioToWire(y);
  if (!(typeof frameLength === "number" && Number.isInteger(frameLength) && frameLength > 0)) {
    throw new TypeError(`frame_length=${pyRepr(frameLength)} must be an integer`);
  }
  if (!(typeof hopLength === "number" && Number.isInteger(hopLength))) throw new TypeError(`hop_length=${pyRepr(hopLength)} must be an integer`);
  let center = checkBool("center", o.center);
  if (center && !KERNEL_PAD_MODES.includes(o.padMode)) {
    throw new UnsupportedParameter(`pad_mode=${pyRepr(o.padMode)} is not supported; use one of ${KERNEL_PAD_MODES.join(", ")}`);
  }
  if (center && signal.length === 0) {
    // The shim pads an empty signal with np.pad; only zeros can extend it.
    if (o.padMode !== "constant") throw new ParameterError(`pad_mode='${o.padMode}' cannot extend an empty signal`);
    const length = 2 * Math.floor(frameLength / 2);
    const data = signal.double ? new Float64Array(signal.channels * length) : new Float32Array(signal.channels * length);
    signal = { ...signal, data, length };
    center = false;
  }
  if (hopLength < 1) throw new ParameterError(`Invalid hop_length: ${hopLength}`);
  if (signal.length < frameLength && !center) throw new ParameterError(`Input is too short (n=${signal.length}) for frame_length=${frameLength}`);
  const params = { sr, fmin, fmax, frame_length: frameLength, hop_length: hopLength, center, pad_mode: center ? o.padMode : "constant", librosa };
  return { params, signal };
};

/** Options of {@link yin}: librosa.yin's keyword arguments in camelCase, same defaults. */
export interface YinOptions extends FramingOptions {
  /** Absolute threshold for the first trough (default 0.1). */
  troughThreshold?: number;
}

const YIN_DEFAULTS = { ...FRAMING_DEFAULTS, troughThreshold: 0.1 };

/**
 * Fundamental frequency by YIN (de Cheveigné and Kawahara 2002), as `librosa.yin`.
 *
 * @param y - Audio, shape `(..., n)` (Float32Array, Float64Array or an ndarray).
 * @param options - librosa's keyword arguments in camelCase; `fmin` and `fmax` are required ({@link YinOptions}).
 * @returns f0 in Hz, shape `(..., frames)`, Float64Array data for either input precision (as librosa).
 * @throws ParameterError with librosa's message when `fmin`/`fmax` are missing or out of range, the frame
 *   cannot hold a period of `fmin`, the hop is below 1 or the audio is not valid.
 *
 * @example
 * import { yin } from "auralis-dsp";
 * const sr = 22050;
 * const y = Float64Array.from({ length: sr }, (_, i) => Math.sin(2 * Math.PI * 220 * i / sr));
 * const f0 = await yin(y, { fmin: 65, fmax: 2093, sr });
 * console.log(f0.shape, Math.round(f0.get(20))); // [44] 220
 */
export const yin = async (y: ArrayInput, options: YinOptions): Promise<NdArray<Float64Array>> => {
  const o = withDefaults("yin", options, YIN_DEFAULTS);
  const { params, signal } = framingRequest("yin", y, o);
  const { arrays } = await callOp("yin", { ...params, trough_threshold: checkNumber("trough_threshold", o.troughThreshold) }, [signalArray(signal)]);
  const f0 = arrays[0]!;
  return signalFromWire(f0.data as Float64Array, signal.lead, f0.shape[1]!);
};

/** Options of {@link pyin}: librosa.pyin's keyword arguments in camelCase, same defaults. */
export interface PyinOptions extends FramingOptions {
  /** Number of thresholds for peak estimation (default 100). */
  nThresholds?: number;
  /** Shape parameters `[a, b]` of the beta prior over thresholds (default `[2, 18]`). */
  betaParameters?: readonly [number, number];
  /** Boltzmann parameter of the prior over troughs (default 2). */
  boltzmannParameter?: number;
  /** Pitch bin resolution in semitones (default 0.1). */
  resolution?: number;
  /** Maximum pitch transition rate in octaves per second (default 35.92). */
  maxTransitionRate?: number;
  /** Probability of switching between voiced and unvoiced (default 0.01). */
  switchProb?: number;
  /** Maximum probability added to the global minimum when no trough is below threshold (default 0.01). */
  noTroughProb?: number;
  /** Value of unvoiced frames of f0 (default NaN); `null` keeps the best guess. */
  fillNa?: number | null;
  /** librosa 1.0 only (default 1e-4): smallest transition probability the decoding considers; null or 0: all. */
  transitionMinProb?: number | null;
}

const PYIN_DEFAULTS = {
  ...FRAMING_DEFAULTS,
  nThresholds: 100,
  betaParameters: [2, 18] as readonly [number, number],
  boltzmannParameter: 2,
  resolution: 0.1,
  maxTransitionRate: 35.92,
  switchProb: 0.01,
  noTroughProb: 0.01,
  fillNa: NaN as number | null,
  transitionMinProb: undefined as number | null | undefined,
};

/**
 * Fundamental frequency by probabilistic YIN (Mauch and Dixon 2014), as `librosa.pyin`:
 * YIN's candidates over a distribution of thresholds, then Viterbi decoding of pitch and voicing.
 *
 * @param y - Audio, shape `(..., n)` (Float32Array, Float64Array or an ndarray).
 * @param options - librosa's keyword arguments in camelCase; `fmin` and `fmax` are required ({@link PyinOptions}).
 * @returns `[f0, voicedFlag, voicedProb]`, each of shape `(..., frames)`: f0 in Hz (Float64Array,
 *   `fillNa` where unvoiced), voicedFlag as Uint8Array (0/1, librosa's booleans), voicedProb as Float64Array.
 * @throws ParameterError with librosa's message for the conditions of {@link yin} and bad probabilities.
 *
 * @example
 * import { pyin } from "auralis-dsp";
 * const sr = 22050;
 * const y = Float32Array.from({ length: sr }, (_, i) => 0.5 * Math.sin(2 * Math.PI * 330 * i / sr));
 * const [f0, voicedFlag, voicedProb] = await pyin(y, { fmin: 65.4, fmax: 2093, sr });
 * console.log(Math.round(f0.get(20)), voicedFlag.get(20), voicedProb.get(20) > 0.5); // 330 1 true
 */
export const pyin = async (y: ArrayInput, options: PyinOptions): Promise<[NdArray<Float64Array>, NdArray<Uint8Array>, NdArray<Float64Array>]> => {
  const o = withDefaults("pyin", options, PYIN_DEFAULTS);
  const librosa = librosaVersion(o.librosa);
  let transitionMinProb: number | null;
  if (librosa === "1.0") {
    transitionMinProb = o.transitionMinProb === undefined ? 1e-4 : o.transitionMinProb;
  } else {
    if (o.transitionMinProb !== undefined) throw new TypeError("pyin() got an unexpected keyword argument 'transition_min_prob'");
    transitionMinProb = null;
  }
  const { params, signal } = framingRequest("pyin", y, o);
  const nThresholds = o.nThresholds;
  if (!Number.isInteger(nThresholds)) {
    throw new TypeError(`'${typeof nThresholds === "number" ? "float" : typeof nThresholds}' object cannot be interpreted as an integer`);
  }
  const resolution = checkNumber("resolution", o.resolution);
  if (!(resolution > 0)) throw new ParameterError(`resolution=${pyNumber(resolution)} must be positive`);
  const [betaA, betaB] = o.betaParameters;
  if (!(typeof betaA === "number" && typeof betaB === "number" && betaA > 0 && betaB > 0)) {
    throw new UnsupportedParameter(`beta_parameters=(${pyRepr(betaA)}, ${pyRepr(betaB)}) must be positive (librosa returns NaN probabilities)`);
  }
  const boltzmann = checkNumber("boltzmann_parameter", o.boltzmannParameter);
  if (!(boltzmann > 0)) throw new UnsupportedParameter(`boltzmann_parameter=${pyNumber(boltzmann)} must be positive (librosa returns NaN probabilities)`);
  const stay = 1 - checkNumber("switch_prob", o.switchProb);
  if (!(stay >= 0 && stay <= 1)) throw new ParameterError(`prob=[${pyNumber(stay)} ${pyNumber(stay)}] must have values in the range [0, 1]`);
  if (transitionMinProb !== null && !(checkNumber("transition_min_prob", transitionMinProb) >= 0)) {
    throw new ParameterError(`Invalid transition_min_prob=${pyNumber(transitionMinProb)}, must be None or non-negative.`);
  }
  Object.assign(params, {
    n_thresholds: nThresholds,
    beta_parameters: [betaA, betaB],
    boltzmann_parameter: boltzmann,
    resolution,
    max_transition_rate: checkNumber("max_transition_rate", o.maxTransitionRate),
    switch_prob: o.switchProb,
    no_trough_prob: checkNumber("no_trough_prob", o.noTroughProb),
    transition_min_prob: transitionMinProb,
  });
  const { arrays } = await callOp("pyin", params, [signalArray(signal)]);
  const statesArray = arrays.find((a) => a.name === "states")!;
  const states = statesArray.data as Int32Array;
  const voicedProb = arrays.find((a) => a.name === "voiced_prob")!.data as Float64Array;
  // librosa's pitch grid (the op returns states, not Hz): fmin * 2 ** (k / (12 * bins per semitone)).
  const binsPerSemitone = Math.ceil(1 / resolution);
  const nPitch = Math.floor(12 * binsPerSemitone * Math.log2(params.fmax / params.fmin)) + 1;
  const f0 = new Float64Array(states.length);
  const voiced = new Uint8Array(states.length);
  for (let i = 0; i < states.length; i++) {
    const state = states[i]!;
    voiced[i] = state < nPitch ? 1 : 0;
    f0[i] = voiced[i] || o.fillNa === null ? params.fmin * 2 ** ((state % nPitch) / (12 * binsPerSemitone)) : o.fillNa;
  }
  const frames = statesArray.shape[1]!;
  return [signalFromWire(f0, signal.lead, frames), signalFromWire(voiced, signal.lead, frames), signalFromWire(voicedProb, signal.lead, frames)];
};
