/**
 * yin and pyin over whole multichannel requests: the task bodies (pure
 * functions over frame or channel ranges) and the pipelines that hand them to
 * a runner. Signals are (channels, n) row-major; a unit is one frame of one
 * channel.
 */
import type { Flow, Runner, TaskTable } from "../schedule/types.js";

import { allocFloat64, allocInt32 } from "../util/alloc.js";
import type { FrameObservations } from "./pyinObservations.js";
import { allocObservations, checkObservations, decodeChannels, observeUnits, planPyin, planTransitions, type PyinOptions, type PyinPlan } from "./pyin.js";
import type { FrameWait } from "./viterbi.js";
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

/** The transitions are the worker's own (planTransitions' cache): no 1 MB table in every message. */
export interface PipelineArgs extends ObserveArgs {
  states: Int32Array;
  /** One flag per unit (set once its observations are written), then the abandoned flag (see pipelineTask). */
  ready: Int32Array;
}

/** As the pipeline's: the transitions from the worker's own cache. */
export interface DecodeArgs {
  plan: PyinPlan;
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
  decodeChannels(a.plan, planTransitions(a.plan), a.observations, a.states, c0, c1);
};

/**
 * How long the pipelined decoding waits for one frame before it gives up (the
 * flow then decodes after the run): a worker thread that died writes nothing more.
 */
const PATIENCE_MS = 2000;
const WAIT_SLICE_MS = 20;

/** The pipelined decoding stopped waiting for a frame. */
class NotObserved extends Error {}

/** Returns once unit u's flag in `ready` is set; throws NotObserved once its last cell (abandoned) is, or after PATIENCE_MS. */
const waitObserved =
  (ready: Int32Array): FrameWait =>
  (u) => {
    const abandoned = ready.length - 1;
    for (let waited = 0; Atomics.load(ready, u) === 0; ) {
      if (Atomics.load(ready, abandoned) !== 0) throw new NotObserved();
      if (Atomics.wait(ready, u, 0, WAIT_SLICE_MS) !== "timed-out") continue;
      waited += WAIT_SLICE_MS;
      if (waited >= PATIENCE_MS) throw new NotObserved();
    }
  };

/**
 * Task `pitch.pyin.pipeline` over [0, 2) of a one-channel request: unit 0
 * observes every frame, flagging each in `ready`; unit 1 decodes them as they
 * come. Two chunks on two workers overlap; on one thread, unit 0 runs first, so
 * the decoding never waits for work queued behind it. A failed observation sets
 * `ready`'s last cell, and a decoding that stops waiting sets it too (the flow
 * then decodes again once the run is over).
 */
const pipelineTask = (u0: number, u1: number, a: PipelineArgs): void => {
  const { plan, observations, ready } = a;
  const units = plan.yin.nFrames;
  if (u0 <= 0 && u1 > 0) {
    try {
      observeUnits(plan, a.signal, observations, 0, units, ready);
    } catch (error) {
      Atomics.store(ready, units, 1);
      throw error;
    }
  }
  if (u0 <= 1 && u1 > 1) {
    try {
      decodeChannels(plan, planTransitions(plan), observations, a.states, 0, 1, waitObserved(ready));
    } catch (error) {
      if (!(error instanceof NotObserved)) throw error;
      Atomics.store(ready, units, 1);
    }
  }
};

/** This domain's tasks (joined into the runners' table by src/schedule/tasks.ts). */
export const pitchTasks = {
  "pitch.yin": yinTask,
  "pitch.pyin.observe": observeTask,
  "pitch.pyin.decode": decodeTask,
  "pitch.pyin.pipeline": pipelineTask,
} satisfies TaskTable;

/** The runner this file's pipelines hand their work to. */
type PitchRunner = Runner<typeof pitchTasks>;

/**
 * Frames per chunk of yin at least: a chunk costs a message round trip (~0.1 ms), a
 * frame ~11 µs (2048 samples at 22050 Hz). A 5 s clip (216 frames) took 1.9-2.7 ms
 * on 2 workers in 8 chunks (grain 1), 1.4 ms in 4.
 */
const YIN_GRAIN = 48;
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
  yield runner.run("pitch.yin", units, { plan, signal, out }, YIN_GRAIN);
  return { f0: out, nFrames: plan.nFrames };
}

/**
 * pyin's decoded states and voiced probabilities, each (channels, nFrames). One
 * channel with worker threads: the decoding (sequential, the longer part) follows
 * a worker observing the frames (`pitch.pyin.pipeline`). Otherwise the frames over
 * every thread first, then one decoding per channel.
 */
export function* pyinFlow(runner: PitchRunner, r: PitchRequest<PyinOptions>): Flow<{ states: Int32Array; voicedProb: Float64Array; nFrames: number }> {
  const { signal, channels } = r;
  const plan = planPyin(r.length, r.options, signal instanceof Float32Array);
  planTransitions(plan); // librosa's checks of the transitions before any work (the tables stay in this thread's cache)
  const units = channels * plan.yin.nFrames;
  const shared = runner.shared;
  const observations = allocObservations(plan, units, shared);
  const states = allocInt32(units, shared, { zero: false });
  const result = { states, voicedProb: observations.voicedProb, nFrames: plan.yin.nFrames };
  if (shared && channels === 1 && runner.threads > 1) {
    const ready = allocInt32(units + 1, true);
    yield runner.run("pitch.pyin.pipeline", 2, { plan, signal, observations, states, ready });
    checkObservations(observations);
    if (ready[units] === 0) return result;
  } else {
    yield runner.run("pitch.pyin.observe", units, { plan, signal, observations }, OBSERVE_GRAIN);
    checkObservations(observations);
  }
  yield runner.run("pitch.pyin.decode", channels, { plan, observations, states });
  return result;
}
