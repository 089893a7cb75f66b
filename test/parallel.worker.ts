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
  "test.failAt": (start: number, end: number, a: { failIndex: number; parameterError: boolean }): void => {
    if (a.failIndex >= start && a.failIndex < end) {
      throw a.parameterError ? new ParameterError(`bad index ${a.failIndex}`) : new Error(`task failed at ${a.failIndex}`);
    }
  },
};

serveTasksIfWorker(testTasks);
