/**
 * The scheduling layer's contracts, with no imports: what a task, a task table,
 * a flow and a runner are. Kernel pipelines import these types only; each domain
 * declares the table of its own tasks and takes a `Runner` over the tables it uses,
 * and src/schedule/tasks.ts joins them into the one table the runners are given.
 * So no kernel file depends on the table that depends on it (no import cycle).
 */

/** A task over [start, end) with its argument record. */
export type TaskFn<Args> = (start: number, end: number, args: Args) => void;

/** Any table of tasks (tests add their own). */
export type TaskTable = Readonly<Record<string, TaskFn<never>>>;

/** The argument record of task `K` of `Table`. */
export type TaskArgsOf<Table, K extends keyof Table> = Table[K] extends TaskFn<infer Args> ? Args : never;

/** What a flow yields: nothing (the work is done) or work in progress. */
export type Wait = PromiseLike<unknown> | undefined;

/** A pipeline returning `T`: `yield runner.run(...)` for each parallel run, `yield* other(...)` for sub-pipelines. */
export type Flow<T> = Generator<Wait, T, unknown>;

/** A flow started ahead of the caller (see {@link Runner.start}); `yield* started.join()` waits for its value. */
export interface Started<T> {
  join(): Flow<T>;
}

export interface Runner<Table extends TaskTable> {
  /** Outputs that tasks write must live in SharedArrayBuffers (worker threads may write them). */
  readonly shared: boolean;
  /** Threads that take work (1 in-process). */
  readonly threads: number;
  /**
   * Runs task `task` over [0, count). `grain`: the fewest units worth a chunk of
   * their own (a chunk costs a message to a worker and a copy of `args`).
   * Yield the returned value.
   */
  run<K extends keyof Table & string>(task: K, count: number, args: TaskArgsOf<Table, K>, grain?: number): Wait;
  /**
   * Starts `flow` now, alongside the caller's next runs; a failure is held
   * until `join` (a flow never joined fails silently).
   */
  start<T>(flow: Flow<T>): Started<T>;
  /** Asks every worker to drop its caches before its next chunk (the server's pool). */
  clearWorkerCaches?(): void;
}
