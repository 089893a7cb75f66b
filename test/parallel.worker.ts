/**
 * Tasks for test/parallel.test.ts and bridge-pool.test.ts: the kernel table
 * plus two test tasks. The tests import `testTasks` (running them inline or as
 * the caller's chunks) and bundle this module as the pool's worker entry.
 */
import { threadId } from "node:worker_threads";
import { kernelTasks } from "../src/schedule/tasks.js";
import { serveTasksIfWorker } from "../src/schedule/workerPool.js";
import { ParameterError } from "../src/util/errors.js";

export interface WaveArgs {
  x: Float64Array;
  out: Float64Array;
  owner: Int32Array;
}

const argsIds = new Map<object, number>();

export const testTasks = {
  // The spectrum tasks too, for the stft/istft thread-count tests.
  ...kernelTasks,
  /** out[i] = a value that depends only on i and x[i]; owner[i] = the thread that computed it. */
  "test.wave": (start: number, end: number, a: WaveArgs): void => {
    for (let i = start; i < end; i++) {
      a.out[i] = Math.sin(0.001 * i) * Math.exp(-a.x[i]! / 7) + Math.sqrt(i);
      a.owner[i] = threadId;
    }
  },
  /** seen[i] = an id of the arguments object chunk [start, end) got on its thread (the same id: the same object). */
  "test.argsIdentity": (start: number, end: number, a: { seen: Int32Array }): void => {
    let id = argsIds.get(a);
    if (id === undefined) argsIds.set(a, (id = threadId * 1000 + argsIds.size));
    for (let i = start; i < end; i++) a.seen[i] = id;
  },
  /**
   * owner[i] = this thread for the block's units; then the block waits (up to 10 s) until `want`
   * blocks have started, so `want` blocks run at once, each on its own thread.
   */
  "test.rendezvous": (start: number, end: number, a: { owner: Int32Array; started: Int32Array; want: number }): void => {
    a.owner.fill(threadId, start, end);
    Atomics.add(a.started, 0, 1);
    Atomics.notify(a.started, 0);
    const deadline = Date.now() + 10_000;
    for (let seen = Atomics.load(a.started, 0); seen < a.want && Date.now() < deadline; seen = Atomics.load(a.started, 0)) {
      Atomics.wait(a.started, 0, seen, 50);
    }
  },
  /** owner[i] = this thread; the first block to start holds its thread `holdMs` first, the others run at once. */
  "test.slowFirst": (start: number, end: number, a: { owner: Int32Array; first: Int32Array; holdMs: number }): void => {
    if (Atomics.compareExchange(a.first, 0, 0, 1) === 0) Atomics.wait(a.first, 1, 0, a.holdMs);
    a.owner.fill(threadId, start, end);
  },
  "test.failAt": (start: number, end: number, a: { failIndex: number; parameterError: boolean }): void => {
    if (a.failIndex >= start && a.failIndex < end) {
      throw a.parameterError ? new ParameterError(`bad index ${a.failIndex}`) : new Error(`task failed at ${a.failIndex}`);
    }
  },
};

serveTasksIfWorker(testTasks);
