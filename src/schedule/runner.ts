/**
 * The scheduling layer's contract with the kernels: a pipeline is a generator
 * function (a {@link Flow}) that hands its parallel work to a {@link Runner}
 * and yields what the runner returns; a driver runs the flow to its end.
 *
 * - In-process (plain JavaScript, Pyodide): {@link inlineRunner} runs each task
 *   over its whole range at once and returns undefined, and {@link runFlowSync}
 *   drives the flow synchronously: no Promise, no microtask, so Python inside
 *   Pyodide gets the result before it continues.
 * - In the stdio server: {@link poolRunner} cuts a run into chunks for the
 *   worker threads (or runs it inline when it is too small to be worth a
 *   message) and returns a Promise when the pool has it; {@link runFlow}
 *   awaits what the flow yields.
 *
 * The pipelines themselves are written once, in their domain, against this
 * interface (type imports only); docs/architecture.md says why generators.
 */
import type { KernelTasks } from "./tasks.js";
import type { WorkerPool } from "./pool.js";
import type { Flow, Runner as RunnerOf, Started, TaskFn, TaskTable, Wait } from "./types.js";

export type { Flow, Started, TaskArgsOf, TaskFn, TaskTable, Wait } from "./types.js";

/** Calls task `fn` on [start, end) with an argument record checked where it was made (Runner.run) or cloned from one. */
export const callTask = (fn: TaskFn<never>, start: number, end: number, args: unknown): void => (fn as TaskFn<unknown>)(start, end, args);

/**
 * A runner over `Table`: by default the whole kernel table (what the server, the
 * Pyodide entry and `callOp` hand to ops); pipelines name the tables they use.
 */
export type Runner<Table extends TaskTable = KernelTasks> = RunnerOf<Table>;

/** A flow run synchronously yielded work in progress, which a synchronous caller cannot wait for. */
export class AsyncWorkError extends Error {
  constructor() {
    super("waited for asynchronous work, which a synchronous call cannot wait for");
    this.name = "AsyncWorkError";
  }
}

const isPending = (value: Wait): value is PromiseLike<unknown> => value !== undefined;

/** Runs `flow` to its end on this thread; throws if it yields work in progress (only a server runner makes any). */
export const runFlowSync = <T>(flow: Flow<T>): T => {
  let step = flow.next();
  while (!step.done) {
    const value = step.value;
    if (isPending(value)) {
      // Its outcome is nobody's: keep a rejection from counting as unhandled.
      Promise.resolve(value).catch(() => undefined);
      flow.return(undefined as T);
      throw new AsyncWorkError();
    }
    step = flow.next();
  }
  return step.value;
};

/** Runs `flow` to its end, awaiting the work in progress it yields. */
export const runFlow = async <T>(flow: Flow<T>): Promise<T> => {
  let step = flow.next();
  while (!step.done) {
    const value = step.value;
    if (!isPending(value)) {
      step = flow.next();
      continue;
    }
    let settled: unknown;
    try {
      settled = await value;
    } catch (error) {
      step = flow.throw(error);
      continue;
    }
    step = flow.next(settled);
  }
  return step.value;
};

/** Whether `value` is a generator object (a flow) rather than a plain result. */
export const isFlow = (value: unknown): value is Flow<unknown> =>
  value !== null && typeof value === "object" && typeof (value as { next?: unknown }).next === "function" && typeof (value as { throw?: unknown }).throw === "function";

/** A flow that returns `value` at once (what a synchronous runner's `start` hands back). */
const settledFlow = <T>(outcome: { ok: true; value: T } | { ok: false; error: unknown }): Started<T> => ({
  // eslint-disable-next-line require-yield
  *join(): Flow<T> {
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  },
});

/** Runs every task on this thread, each over its whole range: plain JavaScript and Pyodide. */
export const inlineRunner = <Table extends TaskTable>(tasks: Table): Runner<Table> => ({
  shared: false,
  threads: 1,
  run(task, count, args) {
    callTask(tasks[task]!, 0, count, args);
    return undefined;
  },
  start<T>(flow: Flow<T>): Started<T> {
    try {
      return settledFlow({ ok: true, value: runFlowSync(flow) });
    } catch (error) {
      return settledFlow({ ok: false, error });
    }
  },
});

let grainOverride: number | null = null;

/**
 * Test hook: every pool run uses this grain instead of its own (1: as many
 * chunks as the pool takes, the hardest case for "same result on any thread
 * count"); null restores.
 */
export const setGrainOverride = (grain: number | null): void => {
  grainOverride = grain;
};

/**
 * Runs tasks on `pool`: runs of fewer than two grains, or while no worker has
 * booted (see WorkerPool.ready), stay on this thread; longer ones get at most
 * count / grain chunks.
 */
export const poolRunner = <Table extends TaskTable>(pool: WorkerPool, tasks: Table): Runner<Table> => ({
  shared: true,
  threads: pool.size,
  run(task, count, args, grain = 1) {
    const g = grainOverride ?? grain;
    if (pool.size > 1 && count > 1 && count >= 2 * g && (pool.ready?.() ?? true)) {
      return pool.run(task, count, args, Math.floor(count / g));
    }
    callTask(tasks[task]!, 0, count, args);
    return undefined;
  },
  start<T>(flow: Flow<T>): Started<T> {
    const done = runFlow(flow);
    // A failure is the joiner's to report; unjoined, it is dropped.
    done.catch(() => undefined);
    return {
      *join(): Flow<T> {
        return (yield done) as T;
      },
    };
  },
  clearWorkerCaches(): void {
    pool.clearCaches?.();
  },
});
