/**
 * Parallel tasks: a task is a pure function over an index range [start, end)
 * whose inputs and outputs live in SharedArrayBuffers (or plain buffers when
 * run inline). Every index is computed independently of how the range is cut,
 * which is what makes results bit-identical for any thread count.
 *
 * Tasks are registered at module load, so the main thread and every worker
 * (which load the same bundle) know the same names.
 */
export type TaskArgs = Record<string, unknown>;
export type TaskFn = (start: number, end: number, args: TaskArgs) => void;

const tasks = new Map<string, TaskFn>();

export const registerTask = (name: string, fn: TaskFn): void => {
  if (tasks.has(name)) throw new Error(`task ${name} registered twice`);
  tasks.set(name, fn);
};

export const getTask = (name: string): TaskFn => {
  const fn = tasks.get(name);
  if (!fn) throw new Error(`unknown task ${name}`);
  return fn;
};
