/**
 * yin and pyin over whole multichannel requests: the task bodies (pure
 * functions over frame or channel ranges) and the pipelines that hand them to
 * a runner. Signals are (channels, n) row-major; a unit is one frame of one
 * channel.
 */
import type { Flow, Runner, TaskTable } from "../schedule/types.js";
import { grainPerThread } from "../util/grain.js";

import { allocFloat64, allocInt32 } from "../util/alloc.js";
import type { FrameObservations } from "./pyinObservations.js";
import { allocObservations, checkObservations, decodeChannels, observeRanges, observeUnits, planPyin, planTransitions, type PyinOptions, type PyinPlan } from "./pyin.js";
import type { FrameWait } from "./viterbi.js";
import { planYin, yinUnits, type UnitRanges, type YinOptions, type YinPlan } from "./yin.js";

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
  /** One flag per unit (set once its observations are written), the abandoned flag, the next block (see pipelineCells). */
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

/**
 * Frames per block of the pipelined observation. Both threads take blocks in
 * turn: the observing one all along, the decoding one whenever it has caught up
 * with the frames observed. A block costs its first frame the spectra of the
 * blocks before it (3 forward FFTs of 1024 points at 2048 / 512 samples) and a
 * setup; 64 frames are 0.4 (22050 Hz) to 1.1 ms (44100 Hz) of observing.
 */
const PIPELINE_BLOCK = 64;

/** The pipelined decoding stopped waiting for a frame. */
class NotObserved extends Error {}

/**
 * `ready` of the pipelined task over `units` frames: a flag per unit (set once its
 * observations are written), then the abandoned flag, then the next block to observe.
 */
export const pipelineCells = (units: number): number => units + 2;
/** The units of a `ready` array made by {@link pipelineCells}, which is also the index of its abandoned flag. */
const unitsOf = (ready: Int32Array): number => ready.length - 2;

/** The next untaken block of frames into `range`; false once every block is taken. */
const takeBlock = (ready: Int32Array, range: Int32Array): boolean => {
  const units = unitsOf(ready);
  const u0 = Atomics.add(ready, units + 1, 1) * PIPELINE_BLOCK;
  if (u0 >= units) return false;
  range[0] = u0;
  range[1] = Math.min(units, u0 + PIPELINE_BLOCK);
  return true;
};

/**
 * Returns once unit u's flag in `ready` is set; meanwhile observes the next untaken
 * block itself (`observeBlock`) while there is one, except for the first frame the
 * decoding waits for (the observing thread is just starting; a block taken then held
 * up the decoding, the longer part at 22050 Hz, by ~0.7 ms) unless a wait slice passes
 * without it. Throws NotObserved once the abandoned flag is set, or after PATIENCE_MS
 * without a block to observe.
 */
const waitObserved = (ready: Int32Array, observeBlock: () => boolean): FrameWait => {
  const abandoned = unitsOf(ready);
  let first = true;
  return (u) => {
    for (let waited = 0; Atomics.load(ready, u) === 0; ) {
      if (Atomics.load(ready, abandoned) !== 0) throw new NotObserved();
      if ((!first || waited > 0) && observeBlock()) continue;
      if (Atomics.wait(ready, u, 0, WAIT_SLICE_MS) !== "timed-out") continue;
      waited += WAIT_SLICE_MS;
      if (waited >= PATIENCE_MS) throw new NotObserved();
    }
    first = false;
  };
};

/**
 * Task `pitch.pyin.pipeline` over [0, 2) of a one-channel request: unit 0
 * observes blocks of frames in turn, flagging each frame in `ready`; unit 1 decodes
 * the frames as they come, and observes the next block itself whenever it would
 * wait (at 44100 Hz observing a frame costs more than decoding it, at 22050 Hz
 * less). Two chunks on two workers overlap; on one thread, unit 0 runs first. A
 * failed observation sets `ready`'s abandoned cell, and a decoding that stops
 * waiting sets it too (the flow then decodes again once the run is over).
 */
const pipelineTask = (u0: number, u1: number, a: PipelineArgs): void => {
  const { plan, signal, observations, ready } = a;
  const abandoned = unitsOf(ready);
  const observing = (ranges: UnitRanges): void => {
    try {
      observeRanges(plan, signal, observations, ranges, ready);
    } catch (error) {
      Atomics.store(ready, abandoned, 1);
      throw error;
    }
  };
  if (u0 <= 0 && u1 > 0) observing((range) => takeBlock(ready, range));
  if (u0 <= 1 && u1 > 1) {
    // One block at a time: the decoding goes back to its frames after each.
    const observeBlock = (): boolean => {
      let taken = false;
      observing((range) => !taken && (taken = takeBlock(ready, range)));
      return taken;
    };
    try {
      decodeChannels(plan, planTransitions(plan), observations, a.states, 0, 1, waitObserved(ready, observeBlock));
    } catch (error) {
      if (!(error instanceof NotObserved)) throw error;
      Atomics.store(ready, abandoned, 1);
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
 * on 2 workers in 8 chunks (grain 1), 1.4 ms in 4. Runs go one chunk per thread up to
 * YIN_CHUNK_MOST frames a chunk (grainPerThread): with librosa's own call between two
 * of ours, 5 s 3.9 ms in two chunks against 4.3 in four, 30 s 15.1 against 15.7 in
 * eight; but 180 s 76.8 in two against 68.0 in eight (a late thread then idles the other).
 */
const YIN_GRAIN = 48;
const YIN_CHUNK_MOST = 512;
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
  yield runner.run("pitch.yin", units, { plan, signal, out }, grainPerThread(units, runner.threads, YIN_GRAIN, YIN_CHUNK_MOST));
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
    const ready = allocInt32(pipelineCells(units), true);
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
