/**
 * The multirate CQT of a request: the tuning estimated first when not given
 * (librosa's estimate_tuning defaults), the octave signals, and the transform
 * of every frame as a task (`cqt.response`).
 */
import { estimateTuningFrom, type ColumnSource } from "../pitch/tuningColumns.js";
import type { TuningEstimate } from "../pitch/tuning.js";
import type { Flow, Runner, TaskTable } from "../schedule/types.js";
import type { octaveTasks } from "./octaveSignals.js";
import type { tuningTasks } from "../pitch/tuningColumns.js";
import { planStft, type FrameSink, type SpectrumLayout } from "../spectrum/stft.js";
import { sinkFrames, type FramingRequest } from "../spectrum/transforms.js";
import { fftWindow } from "../spectrum/window.js";
import type { FloatArray } from "../util/alloc.js";
import type { LibrosaSemantics } from "../util/params.js";
import { octaveSignals } from "./octaveSignals.js";
import { automaticBinCount, cqtFrames, planCqt, sameSignals, signalsBeforeTuning, type CqtParams, type CqtPlan, type SignalPlan } from "./vqt.js";

export interface CqtTaskArgs {
  plan: CqtPlan;
  signals: FloatArray[];
  channels: number;
  /** Frame-major when `sink` is given. */
  out: FloatArray;
  layout: SpectrumLayout;
  /** The reply segment's place for `out`, each chunk's frames written there once computed. */
  sink?: FrameSink;
}

/** Task `cqt.response`: the CQT of frames [t0, t1), to the reply segment too where there is one. */
const cqtTask = (t0: number, t1: number, a: CqtTaskArgs): void => {
  cqtFrames(a.plan, a.signals, a.channels, a.out, a.layout, t0, t1);
  if (a.sink) sinkFrames(a.sink, a.out, t0, t1);
};

/** This domain's tasks (joined into the runners' table by src/schedule/tasks.ts). */
export const cqtTasks = {
  "cqt.response": cqtTask,
} satisfies TaskTable;

/** The runner this file's pipelines hand their work to. */
type CqtRunner = Runner<typeof cqtTasks & typeof octaveTasks & typeof tuningTasks>;

/** A request's (channels, length) signal, float32 or float64 as given; `single`: it came as float32. */
export interface CqtSignal {
  data: FloatArray;
  channels: number;
  length: number;
  single: boolean;
}

interface StftSourceRequest extends FramingRequest {
  signal: FloatArray;
  /** Magnitude exponent of the columns. */
  power: number;
}

/** The STFT column source of a signal (piptrack's and chroma_stft's input). */
export const stftSource = (r: StftSourceRequest): ColumnSource => {
  const plan = planStft(r.length, r.nFft, r.hopLength, r.center, r.padMode);
  return { plan, signal: r.signal, length: r.length, window: r.window, nFrames: plan.nFrames, nBins: plan.nBins, channels: r.channels, power: r.power };
};

/** `estimate_tuning(y=y, sr=sr, bins_per_octave=bpo)` with every other argument at its default. */
const defaultTuning = (runner: CqtRunner, y: CqtSignal, sr: number, binsPerOctave: number, semantics: LibrosaSemantics): Flow<TuningEstimate> =>
  estimateTuningFrom(
    runner,
    stftSource({ signal: y.data, channels: y.channels, length: y.length, nFft: 2048, hopLength: 512, window: fftWindow("hann", 2048, 2048), center: true, padMode: "constant", power: 1 }),
    { sr, nFft: 2048, fmin: 150.0, fmax: 4000.0, threshold: 0.1, ref: null, single: y.single, roundCurvature: semantics === "1.0" },
    0.01,
    binsPerOctave,
    null,
  );

export interface CqtRequest {
  /** Every parameter but the tuning and the bin count. */
  base: Omit<CqtParams, "tuning" | "nBins">;
  /** null for librosa 1.0's `n_bins=None` (see automaticBinCount). */
  nBins: number | null;
  /** The tuning when given. */
  given: number | null;
}

/**
 * The planned transform of a request and its octave signals, the tuning
 * estimated first when not given. The resampling does not depend on the
 * tuning in almost every case (see signalsBeforeTuning): then it is started
 * alongside the tuning estimate (on the pool, both run at once).
 */
export function* prepareCqt(runner: CqtRunner, r: CqtRequest, y: CqtSignal): Flow<{ plan: CqtPlan; signals: FloatArray[]; tuning: TuningEstimate }> {
  const { base, nBins, given } = r;
  // With n_bins=None the bins, and so the signals, depend on the tuning: nothing runs ahead of it.
  const ahead = given === null && nBins !== null ? signalsBeforeTuning({ ...base, nBins }, y.length) : null;
  // The octave kernels read the samples as given (float32 signals stay float32: see octaveSignals).
  const signalsOf = (sp: SignalPlan): Flow<FloatArray[]> => octaveSignals(runner, sp, y.data, y.channels, y.length, base.scale, y.single);
  // A failure there is the plan's to report (planCqt below checks the same conditions).
  const aheadSignals = ahead ? runner.start(signalsOf(ahead)) : null;
  const tuning = given === null ? yield* defaultTuning(runner, y, base.sr, base.binsPerOctave, base.semantics) : { tuning: given, empty: false };
  const plan = planCqt({ ...base, nBins: nBins ?? automaticBinCount(base, tuning.tuning), tuning: tuning.tuning }, y.length, y.single);
  const signals = aheadSignals && sameSignals(ahead!, plan) ? yield* aheadSignals.join() : yield* signalsOf(plan);
  return { plan, signals, tuning };
}
