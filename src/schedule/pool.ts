/**
 * Interface of the worker pool the Node server runs tasks on (implementation:
 * createWorkerPool; the typed face kernels see is the Runner of runner.ts).
 */

export interface WorkerPool {
  /** Number of worker threads. */
  readonly size: number;
  /**
   * Runs task `name` over [0, count), cut into contiguous chunks (blocks the workers
   * claim, or one unit per worker when count <= size) spread over the workers, at most
   * `maxChunks` of them. `args` is structured-cloned: SharedArrayBuffers are shared, typed
   * arrays over them arrive as views of the same memory.
   */
  run(name: string, count: number, args: unknown, maxChunks?: number): Promise<void>;
  /**
   * False while no worker has booted yet and the pool prefers the caller to
   * run the work itself meanwhile (a fresh server answers its first calls
   * without waiting ~0.1-0.3 s per worker boot). Absent: always true.
   */
  ready?(): boolean;
  /** Asks every worker to drop its caches and kernel memories (see util/clearCaches.ts) before its next chunk. */
  clearCaches?(): void;
}
