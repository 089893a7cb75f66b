/**
 * The task table: every function a runner may cut across threads, by name.
 * A task is a pure function over an index range [start, end) whose inputs and
 * outputs live in SharedArrayBuffers (or plain buffers when run inline);
 * every index is computed independently of how the range is cut, which is
 * what makes results bit-identical for any thread count. The main thread and
 * every pool worker (which load the same bundle) are given this one table;
 * `Runner.run` checks a task's argument record against it at compile time.
 */
import { cqtTasks } from "../cqt/pipeline.js";
import { octaveTasks } from "../cqt/octaveSignals.js";
import { chromaTasks } from "../feature/chromaTasks.js";
import { chromaStftTasks } from "../feature/chromaStft.js";
import { hpssTasks } from "../hpss/pipeline.js";
import { pitchTasks } from "../pitch/pipelines.js";
import { tuningTasks } from "../pitch/tuningColumns.js";
import { spectrumTasks } from "../spectrum/transforms.js";
import type { TaskTable } from "./types.js";

/** `debug.scale` {x, out, factor}: out = x * factor (the `scale` debug op's work). */
const scaleTask = (start: number, end: number, a: { x: Float64Array; out: Float64Array; factor: number }): void => {
  for (let i = start; i < end; i++) a.out[i] = a.x[i]! * a.factor;
};

export const kernelTasks = {
  ...spectrumTasks,
  ...hpssTasks,
  ...pitchTasks,
  ...tuningTasks,
  ...octaveTasks,
  ...cqtTasks,
  ...chromaTasks,
  ...chromaStftTasks,
  "debug.scale": scaleTask,
} satisfies TaskTable;

export type KernelTasks = typeof kernelTasks;
