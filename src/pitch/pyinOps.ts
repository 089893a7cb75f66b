/**
 * Bridge op `pyin` and its worker tasks.
 *
 * Request: array `y` (channels, n), float32 or float64; parameters as `yin` (`sr`,
 * `fmin`, `fmax`, `frame_length`, `hop_length`, `center`, `pad_mode`) plus
 * `n_thresholds`, `beta_parameters` [a, b], `boltzmann_parameter`, `resolution`,
 * `max_transition_rate`, `switch_prob`, `no_trough_prob` and `transition_min_prob`
 * (a number, or null for the exact search of librosa 0.11).
 * Reply: `states` (channels, n_frames) int32, the decoded states (pitch bin if
 * voiced, n_pitch + pitch bin if not), and `voiced_prob` (channels, n_frames)
 * float64. The shim maps states to f0 with librosa's numpy expression.
 */
import { floatData, requireArray } from "../bridge/arrays.js";
import { registerOp, type OpContext } from "../bridge/registry.js";
import { runTask } from "../parallel/pool.js";
import { registerTask, type TaskArgs } from "../parallel/tasks.js";
import { ParameterError } from "../util/errors.js";
import { intParam, numberParam, type Params } from "../util/params.js";
import { yinOptions } from "./ops.js";
import type { FrameObservations } from "./pyinObservations.js";
import { allocObservations, checkObservations, decodeChannels, observeUnits, planPyin, planTransitions, type PyinOptions, type PyinPlan } from "./pyin.js";
import type { PitchTransitions } from "./pitchTransitions.js";

interface ObserveArgs {
  plan: PyinPlan;
  signal: Float32Array | Float64Array;
  observations: FrameObservations;
}

interface DecodeArgs {
  plan: PyinPlan;
  transitions: PitchTransitions;
  observations: FrameObservations;
  states: Int32Array;
}

registerTask("pitch.pyin.observe", (u0, u1, args: TaskArgs) => {
  const a = args as unknown as ObserveArgs;
  observeUnits(a.plan, a.signal, a.observations, u0, u1);
});

registerTask("pitch.pyin.decode", (c0, c1, args: TaskArgs) => {
  const a = args as unknown as DecodeArgs;
  decodeChannels(a.plan, a.transitions, a.observations, a.states, c0, c1);
});

/** Frames per chunk of the observation task: a chunk costs a message, a frame ~20 µs. */
const OBSERVE_GRAIN = 32;

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

registerOp("pyin", async (params, arrays, ctx: OpContext) => {
  const y = requireArray(arrays, "y", ["float32", "float64"], 2);
  const [channels, length] = y.shape as [number, number];
  const signal = floatData(y);
  const plan = planPyin(length, pyinOptions(params, length), signal instanceof Float32Array);
  const transitions = planTransitions(plan);
  const units = channels * plan.yin.nFrames;
  const shared = ctx.pool !== undefined;
  const observations = allocObservations(plan, units, shared);
  await runTask(ctx.pool, "pitch.pyin.observe", units, { plan, signal, observations }, OBSERVE_GRAIN);
  checkObservations(observations);
  const states = new Int32Array(shared ? new SharedArrayBuffer(4 * units) : new ArrayBuffer(4 * units));
  await runTask(ctx.pool, "pitch.pyin.decode", channels, { plan, transitions, observations, states });
  const shape = [channels, plan.yin.nFrames];
  return {
    arrays: [
      { name: "states", dtype: "int32", shape, data: states },
      { name: "voiced_prob", dtype: "float64", shape, data: observations.voicedProb },
    ],
  };
});
