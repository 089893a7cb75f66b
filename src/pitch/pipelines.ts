/**
 * yin and pyin over whole multichannel requests: the task bodies (pure
 * functions over frame or channel ranges) and the pipelines that hand them to
 * a runner. Signals are (channels, n) row-major; a unit is one frame of one
 * channel.
 */
import type { Flow, Runner, TaskTable } from "../schedule/types.js";

import { allocFloat64, allocInt32 } from "../util/alloc.js";
import type { FrameObservations } from "./pyinObservations.js";
import type { PitchTransitions } from "./pitchTransitions.js";
import { allocObservations, checkObservations, decodeChannels, observeUnits, planPyin, planTransitions, type PyinOptions, type PyinPlan } from "./pyin.js";
import { planYin, yinUnits, type YinOptions, type YinPlan } from "./yin.js";

export interface YinTaskArgs {
  plan: YinPlan;
  signal: Float32Array | Float64Array;
  out: Float64Array;
}

export interface ObserveArgs {
  plan: PyinPlan;
  signal: Float32Array | Float64Array;
  observations: FrameObservations;
}

export interface DecodeArgs {
  plan: PyinPlan;
  transitions: PitchTransitions;
  observations: FrameObservations;
  states: Int32Array;
}

/** Task `pitch.yin`: f0 of units [u0, u1). */
const yinTask = (u0: number, u1: number, a: YinTaskArgs): void => {
  yinUnits(a.plan, a.signal, a.out, u0, u1);
};

/** Task `pitch.pyin.observe`: the observation probabilities of units [u0, u1). */
const observeTask = (u0: number, u1: number, a: ObserveArgs): void => {
  observeUnits(a.plan, a.signal, a.observations, u0, u1);
};

/** Task `pitch.pyin.decode`: the Viterbi decoding of channels [c0, c1). */
const decodeTask = (c0: number, c1: number, a: DecodeArgs): void => {
  decodeChannels(a.plan, a.transitions, a.observations, a.states, c0, c1);
};

/** This domain's tasks (joined into the runners' table by src/schedule/tasks.ts). */
export const pitchTasks = {
  "pitch.yin": yinTask,
  "pitch.pyin.observe": observeTask,
  "pitch.pyin.decode": decodeTask,
} satisfies TaskTable;

/** The runner this file's pipelines hand their work to. */
type PitchRunner = Runner<typeof pitchTasks>;

/** Frames per chunk of the observation task: a chunk costs a message, a frame ~20 µs. */
const OBSERVE_GRAIN = 32;

/** A (channels, length) row-major signal and the estimator's options. */
interface PitchRequest<Options> {
  signal: Float32Array | Float64Array;
  channels: number;
  length: number;
  options: Options;
}

/** yin's f0, (channels, nFrames) float64. */
export function* yinFlow(runner: PitchRunner, r: PitchRequest<YinOptions>): Flow<{ f0: Float64Array; nFrames: number }> {
  const { signal, channels } = r;
  const plan = planYin(r.length, r.options);
  const units = channels * plan.nFrames;
  const out = allocFloat64(units, runner.shared, { zero: false });
  yield runner.run("pitch.yin", units, { plan, signal, out });
  return { f0: out, nFrames: plan.nFrames };
}

/** pyin's decoded states and voiced probabilities, each (channels, nFrames). */
export function* pyinFlow(runner: PitchRunner, r: PitchRequest<PyinOptions>): Flow<{ states: Int32Array; voicedProb: Float64Array; nFrames: number }> {
  const { signal, channels } = r;
  const plan = planPyin(r.length, r.options, signal instanceof Float32Array);
  const transitions = planTransitions(plan);
  const units = channels * plan.yin.nFrames;
  const shared = runner.shared;
  const observations = allocObservations(plan, units, shared);
  yield runner.run("pitch.pyin.observe", units, { plan, signal, observations }, OBSERVE_GRAIN);
  checkObservations(observations);
  const states = allocInt32(units, shared, { zero: false });
  yield runner.run("pitch.pyin.decode", channels, { plan, transitions, observations, states });
  return { states, voicedProb: observations.voicedProb, nFrames: plan.yin.nFrames };
}
