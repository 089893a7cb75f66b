/**
 * Ops `yin` and `pyin` (the pipelines are in pitch/pipelines.ts).
 *
 * `yin` request: array `y` (channels, n), float32 or float64; parameters `sr`, `fmin`,
 * `fmax`, `frame_length`, `hop_length`, `trough_threshold`, `center`, `pad_mode`
 * (the shim resolves librosa's defaults, runs its checks and pads in numpy for
 * pad modes other than constant/edge/reflect/symmetric).
 * Reply: array `f0` (channels, n_frames), float64, as librosa returns for either input dtype.
 *
 * `pyin` request: as `yin` (without `trough_threshold`) plus `n_thresholds`,
 * `beta_parameters` [a, b], `boltzmann_parameter`, `resolution`,
 * `max_transition_rate`, `switch_prob`, `no_trough_prob` and `transition_min_prob`
 * (a number, or null for the exact search of librosa 0.11).
 * Reply: `states` (channels, n_frames) int32, the decoded states (pitch bin if
 * voiced, n_pitch + pitch bin if not), and `voiced_prob` (channels, n_frames)
 * float64. The shim maps states to f0 with librosa's numpy expression.
 */
import { pyinFlow, yinFlow } from "../pitch/pipelines.js";
import type { PyinOptions } from "../pitch/pyin.js";
import type { YinOptions } from "../pitch/yin.js";
import { checkPadMode } from "../spectrum/pad.js";
import { ParameterError } from "../util/errors.js";
import { boolParam, intParam, numberParam, type Params } from "../util/params.js";
import { floatData, requireArray } from "./arrays.js";
import type { OpTable } from "./types.js";

/**
 * librosa's `__check_yin_params` (messages included) plus the framing checks
 * of `util.frame`, so no caller can reach the kernel with a geometry it cannot handle.
 */
export const yinOptions = (params: Params, length: number): YinOptions => {
  const sr = numberParam(params, "sr");
  const fmin = numberParam(params, "fmin");
  const fmax = numberParam(params, "fmax");
  const frameLength = intParam(params, "frame_length");
  const hopLength = intParam(params, "hop_length");
  const troughThreshold = numberParam(params, "trough_threshold");
  const center = boolParam(params, "center");
  const padMode = checkPadMode(params.pad_mode);
  if (!(sr > 0) || !Number.isFinite(sr)) throw new ParameterError(`sr=${sr} must be a positive number`);
  if (fmax > sr / 2) throw new ParameterError(`fmax=${fmax.toFixed(3)} cannot exceed Nyquist frequency ${sr / 2}`);
  if (fmin >= fmax) throw new ParameterError(`fmin=${fmin.toFixed(3)} must be less than fmax=${fmax.toFixed(3)}`);
  if (fmin <= 0) throw new ParameterError(`fmin=${fmin.toFixed(3)} must be strictly positive`);
  if (sr / fmin >= frameLength - 1) {
    throw new ParameterError(
      `fmin=${fmin.toFixed(3)} is too small for frame_length=${frameLength} and sr=${sr}. ` +
        `Either increase to fmin=${(sr / (frameLength - 1)).toFixed(3)} or frame_length=${Math.ceil(sr / fmin) + 1}`,
    );
  }
  if (hopLength < 1) throw new ParameterError(`Invalid hop_length: ${hopLength}`);
  const padded = center ? length + 2 * Math.floor(frameLength / 2) : length;
  if (padded < frameLength) throw new ParameterError(`Input is too short (n=${padded}) for frame_length=${frameLength}`);
  if (center && length === 0 && padMode !== "constant") {
    throw new ParameterError(`pad_mode='${padMode}' cannot extend an empty signal`);
  }
  return { sr, fmin, fmax, frameLength, hopLength, troughThreshold, center, padMode };
};

const pyinOptions = (params: Params, length: number): PyinOptions => {
  const beta = params.beta_parameters;
  if (!Array.isArray(beta) || beta.length !== 2 || !beta.every((v) => typeof v === "number")) {
    throw new ParameterError(`beta_parameters=${JSON.stringify(beta)} must be two numbers`);
  }
  const minProb = params.transition_min_prob;
  if (minProb !== null && typeof minProb !== "number") throw new ParameterError(`transition_min_prob=${JSON.stringify(minProb)} must be a number or null`);
  return {
    ...yinOptions({ ...params, trough_threshold: 0 }, length),
    nThresholds: intParam(params, "n_thresholds"),
    betaParameters: [beta[0] as number, beta[1] as number],
    boltzmannParameter: numberParam(params, "boltzmann_parameter"),
    resolution: numberParam(params, "resolution"),
    maxTransitionRate: numberParam(params, "max_transition_rate"),
    switchProb: numberParam(params, "switch_prob"),
    noTroughProb: numberParam(params, "no_trough_prob"),
    transitionMinProb: minProb,
  };
};

export const pitchOps = {
  *yin(params, arrays, ctx) {
    const y = requireArray(arrays, "y", ["float32", "float64"], 2);
    const [channels, length] = y.shape as [number, number];
    const { f0, nFrames } = yield* yinFlow(ctx.runner, { signal: floatData(y), channels, length, options: yinOptions(params, length) });
    return { arrays: [{ name: "f0", dtype: "float64", shape: [channels, nFrames], data: f0 }] };
  },

  *pyin(params, arrays, ctx) {
    const y = requireArray(arrays, "y", ["float32", "float64"], 2);
    const [channels, length] = y.shape as [number, number];
    const { states, voicedProb, nFrames } = yield* pyinFlow(ctx.runner, { signal: floatData(y), channels, length, options: pyinOptions(params, length) });
    const shape = [channels, nFrames];
    return {
      arrays: [
        { name: "states", dtype: "int32", shape, data: states },
        { name: "voiced_prob", dtype: "float64", shape, data: voicedProb },
      ],
    };
  },
} satisfies OpTable;
