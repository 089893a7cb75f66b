/**
 * Interface of the worker pool the Node server hands to ops (implementation:
 * see createWorkerPool). Without a pool, ops call `runTask` inline.
 */
import { getTask, type TaskArgs } from "./tasks.js";

export interface WorkerPool {
  /** Number of worker threads. */
  readonly size: number;
  /**
   * Runs task `name` over [0, count), cut into contiguous chunks spread over the
   * workers. `args` is structured-cloned: SharedArrayBuffers are shared, typed
   * arrays over them arrive as views of the same memory.
   */
  run(name: string, count: number, args: TaskArgs): Promise<void>;
}

/** Runs `name` over [0, count) on `pool` if there is one, else inline on this thread. */
export const runTask = async (pool: WorkerPool | undefined, name: string, count: number, args: TaskArgs): Promise<void> => {
  if (pool && pool.size > 1 && count > 1) {
    await pool.run(name, count, args);
  } else {
    getTask(name)(0, count, args);
  }
};
