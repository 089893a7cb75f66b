/**
 * Tasks for test/parallel.test.ts. The test imports this module (registering the
 * tasks on its own thread) and bundles it as the pool's worker entry.
 */
import { threadId } from "node:worker_threads";
import { registerTask } from "../src/parallel/tasks.js";
import { serveTasksIfWorker } from "../src/parallel/workerPool.js";
import { ParameterError } from "../src/util/errors.js";
// The spectrum tasks too, for the stft/istft thread-count tests.
import "../src/spectrum/ops.js";

/** out[i] = a value that depends only on i and x[i]; owner[i] = the thread that computed it. */
registerTask("test.wave", (start, end, args) => {
  const { x, out, owner } = args as { x: Float64Array; out: Float64Array; owner: Int32Array };
  for (let i = start; i < end; i++) {
    out[i] = Math.sin(0.001 * i) * Math.exp(-x[i]! / 7) + Math.sqrt(i);
    owner[i] = threadId;
  }
});

registerTask("test.failAt", (start, end, args) => {
  const { failIndex, parameterError } = args as { failIndex: number; parameterError: boolean };
  if (failIndex >= start && failIndex < end) {
    throw parameterError ? new ParameterError(`bad index ${failIndex}`) : new Error(`task failed at ${failIndex}`);
  }
});

serveTasksIfWorker();
