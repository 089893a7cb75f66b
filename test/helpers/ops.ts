/**
 * Running one public op as the server would, with the runner of a test's
 * choosing: inline (this thread, as in-process callers) or a worker pool.
 */
import { opResult } from "../../src/bridge/inProcess.js";
import { publicOps } from "../../src/ops/index.js";
import type { NamedArray, OpResult } from "../../src/ops/types.js";
import type { WorkerPool } from "../../src/schedule/pool.js";
import { inlineRunner, poolRunner, runFlow } from "../../src/schedule/runner.js";
import { kernelTasks } from "../../src/schedule/tasks.js";

/** Public op `name` on `params` and `arrays`, its tasks on `pool` when given (a rejection for whatever the op throws). */
export const runOp = async (name: string, params: Record<string, unknown>, arrays: NamedArray[], pool?: WorkerPool): Promise<OpResult> => {
  const handler = publicOps[name];
  if (!handler) throw new Error(`unknown op ${name}`);
  const runner = pool ? poolRunner(pool, kernelTasks) : inlineRunner(kernelTasks);
  return opResult(handler(params, arrays, { runner }), runFlow);
};
