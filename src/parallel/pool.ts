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
  run(name: string, count: number, args: TaskArgs, maxChunks?: number): Promise<void>;
  /**
   * False while no worker has booted yet and the pool prefers the caller to
   * run the work itself meanwhile (a fresh server answers its first calls
   * without waiting ~0.1-0.3 s per worker boot). Absent: always true.
   */
  ready?(): boolean;
  /** Asks every worker to drop its caches and kernel memories (see util/clearCaches.ts) before its next chunk. */
  clearCaches?(): void;
}

/**
 * Runs `name` over [0, count) on `pool` if there is one, else inline on this
 * thread. `grain`: the fewest units worth a chunk of their own (a chunk costs
 * a message to a worker and a copy of `args`, ~0.1-0.3 ms): runs of fewer
 * than two grains stay inline, longer ones get at most count / grain chunks.
 */
export const runTask = async (pool: WorkerPool | undefined, name: string, count: number, args: TaskArgs, grain = 1): Promise<void> => {
  grain = grainOverride ?? grain;
  if (pool && pool.size > 1 && count > 1 && count >= 2 * grain && (pool.ready?.() ?? true)) {
    await pool.run(name, count, args, Math.floor(count / grain));
  } else {
    getTask(name)(0, count, args);
  }
};

let grainOverride: number | null = null;

/**
 * Test hook: every run uses this grain instead of its own (1: as many chunks
 * as the pool takes, the hardest case for "same result on any thread count"); null restores.
 */
export const setGrainOverride = (grain: number | null): void => {
  grainOverride = grain;
};
