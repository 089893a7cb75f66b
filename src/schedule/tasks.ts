/**
 * The task table: every function a runner may cut across threads, by name.
 * A task is a pure function over an index range [start, end) whose inputs and
 * outputs live in SharedArrayBuffers (or plain buffers when run inline);
 * every index is computed independently of how the range is cut, which is
 * what makes results bit-identical for any thread count. The main thread and
 * every pool worker (which load the same bundle) are given this one table;
 * `Runner.run` checks a task's argument record against it at compile time.
 */
import { cqtTask } from "../cqt/pipeline.js";
import { halveTask } from "../cqt/octaveSignals.js";
import { chromaCqtTask, foldTask } from "../feature/chromaTasks.js";
import { foldGivenTask, foldKeptTask, stftColumnsTask } from "../feature/chromaStft.js";
import {
  analyseFramesTask,
  givenBinsTask,
  givenElementsTask,
  givenFramesTask,
  harmonicBinsTask,
  scatterTask,
  separateElementsTask,
} from "../hpss/pipeline.js";
import { decodeTask, observeTask, yinTask } from "../pitch/pipelines.js";
import { tuningPeaksTask } from "../pitch/tuningColumns.js";
import { istftTask, stftTask } from "../spectrum/transforms.js";
import type { TaskTable } from "./runner.js";

/** `debug.scale` {x, out, factor}: out = x * factor (the `scale` debug op's work). */
const scaleTask = (start: number, end: number, a: { x: Float64Array; out: Float64Array; factor: number }): void => {
  for (let i = start; i < end; i++) a.out[i] = a.x[i]! * a.factor;
};

export const kernelTasks = {
  "spectrum.stft": stftTask,
  "spectrum.istft": istftTask,
  "hpss.givenFrames": givenFramesTask,
  "hpss.givenBins": givenBinsTask,
  "hpss.givenElements": givenElementsTask,
  "hpss.scatter": scatterTask,
  "hpss.analyseFrames": analyseFramesTask,
  "hpss.harmonicBins": harmonicBinsTask,
  "hpss.separateElements": separateElementsTask,
  "pitch.yin": yinTask,
  "pitch.pyin.observe": observeTask,
  "pitch.pyin.decode": decodeTask,
  "cqt.tuningPeaks": tuningPeaksTask,
  "cqt.halve": halveTask,
  "cqt.response": cqtTask,
  "cqt.fold": foldTask,
  "cqt.chroma": chromaCqtTask,
  "chroma.stftColumns": stftColumnsTask,
  "chroma.foldKept": foldKeptTask,
  "chroma.foldGiven": foldGivenTask,
  "debug.scale": scaleTask,
} satisfies TaskTable;

export type KernelTasks = typeof kernelTasks;
export type TaskName = keyof KernelTasks;
