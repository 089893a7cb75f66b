/**
 * The chroma folds as tasks over frame ranges: a given CQT magnitude folded
 * (`cqt.fold`), and the CQT and fold of each frame at once (`cqt.chroma`),
 * with the pipeline that folds a whole spectrogram.
 */
import type { CqtPlan } from "../cqt/vqt.js";
import type { Flow, Runner, TaskTable } from "../schedule/types.js";

import { allocFloat, type FloatArray } from "../util/alloc.js";
import { chromaCqtFrames, foldChromaFrames, type ChromaFoldParams, type SparseFold } from "./chroma.js";

/** Frames per worker chunk at least for a fold alone (~1-10 µs a frame). */
const FOLD_GRAIN = 256;

export interface FoldTaskArgs {
  spectrogram: FloatArray;
  fold: SparseFold;
  p: ChromaFoldParams;
  out: FloatArray;
}

export interface ChromaCqtTaskArgs {
  plan: CqtPlan;
  signals: FloatArray[];
  fold: SparseFold;
  p: ChromaFoldParams;
  out: FloatArray;
}

/** Task `cqt.fold`: frames [t0, t1) of a (frames, bins, channels) magnitude spectrogram folded. */
const foldTask = (t0: number, t1: number, a: FoldTaskArgs): void => {
  foldChromaFrames(a.spectrogram, a.fold, a.p, a.out, t0, t1);
};

/** Task `cqt.chroma`: the CQT of frames [t0, t1) folded as it is computed. */
const chromaCqtTask = (t0: number, t1: number, a: ChromaCqtTaskArgs): void => {
  chromaCqtFrames(a.plan, a.signals, a.fold, a.p, a.out, t0, t1);
};

/** This domain's tasks (joined into the runners' table by src/schedule/tasks.ts). */
export const chromaTasks = {
  "cqt.fold": foldTask,
  "cqt.chroma": chromaCqtTask,
} satisfies TaskTable;

/** The runner this file's pipelines hand their work to. */
type ChromaRunner = Runner<typeof chromaTasks>;

/** Fold + threshold + normalise a (frames, bins, channels) magnitude spectrogram into (frames, nChroma, channels). */
export function* foldChromaFlow(runner: ChromaRunner, spectrogram: FloatArray, fold: SparseFold, p: ChromaFoldParams, nFrames: number, double: boolean): Flow<FloatArray> {
  const out = allocFloat(nFrames * p.nChroma * p.channels, double, runner.shared, { zero: false });
  yield runner.run("cqt.fold", nFrames, { spectrogram, fold, p, out }, FOLD_GRAIN);
  return out;
}
