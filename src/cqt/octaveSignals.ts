/**
 * The octave signals of the multirate CQT: early downsampling
 * (`resample(y, 2^c, 1, scale=True)`, times sqrt(2^c) when not scaling), then
 * successive halvings (`resample(y, 2, 1, scale=True)`), each
 * `(channels, signalLengths[i])` row-major. Float32 input is rounded to
 * float32 after each resampling, as librosa casts back, and its signals are
 * Float32Arrays (the input itself, then the halvings): the same values as
 * float64 copies would hold, in half the memory, and no widening pass.
 *
 * A 2:1 resampling is soxr's final stage alone, whose overlap-save blocks
 * depend only on the input: the blocks of every channel are the units of one
 * parallel run, so each halving uses every worker and the result does not
 * depend on how the blocks are split.
 */
import type { Flow, Runner, TaskTable } from "../schedule/types.js";

import { allocFloat, type FloatArray } from "../util/alloc.js";
import { dftStage, dftStageBlockCount, dftStageDecimateBlocks, resample, soxrOutputLength, type DftStageOutputMap } from "../resample/index.js";
import type { SignalPlan } from "./vqt.js";

/** soxr blocks per worker chunk at least (a block is a 2048- and a 1024-point FFT, ~7 µs). */
const HALVE_GRAIN = 64;

export interface HalveArgs {
  /** Float32 exactly when `single`, as `target`. */
  source: FloatArray;
  sourceLength: number;
  target: FloatArray;
  /** ceil(sourceLength / 2). */
  targetLength: number;
  /** Blocks per channel. */
  blocks: number;
  /** librosa's `scale=True`: the output is divided by sqrt(1/2). */
  divisor: number;
  /** Applied after the division and rounding (early downsampling without `scale`), or 1. */
  multiplier: number;
  single: boolean;
}

/** Task `cqt.halve`: soxr blocks [u0, u1) of the channels' halvings, block u of channel floor(u / blocks). */
const halveTask = (u0: number, u1: number, a: HalveArgs): void => {
  const stage = dftStage(1);
  // soxr's floor(len/2 + 1/2) outputs are already librosa's fix=True length ceil(len/2).
  const soxrLength = soxrOutputLength(a.sourceLength, 2);
  const map: DftStageOutputMap = { divisor: a.divisor, multiplier: a.multiplier, single: a.single };
  for (let u = u0; u < u1; ) {
    const c = Math.floor(u / a.blocks);
    const b0 = u - c * a.blocks;
    const b1 = Math.min(a.blocks, b0 + (u1 - u));
    const x = a.source.subarray(c * a.sourceLength, (c + 1) * a.sourceLength);
    dftStageDecimateBlocks(x, stage, soxrLength, a.target, c * a.targetLength, b0, b1, map);
    u += b1 - b0;
  }
};

/** This domain's tasks (joined into the runners' table by src/schedule/tasks.ts). */
export const octaveTasks = {
  "cqt.halve": halveTask,
} satisfies TaskTable;

/** The runner this file's pipelines hand their work to. */
type OctaveRunner = Runner<typeof octaveTasks>;

/** `resample(source, 2, 1, scale=True)` of every channel (times `multiplier`), in parallel over blocks. */
function* halve(
  runner: OctaveRunner,
  source: FloatArray,
  sourceLength: number,
  targetLength: number,
  channels: number,
  multiplier: number,
  single: boolean,
): Flow<FloatArray> {
  const target = allocFloat(channels * targetLength, !single, runner.shared, { zero: false });
  const blocks = dftStageBlockCount(dftStage(1), soxrOutputLength(sourceLength, 2));
  const args: HalveArgs = { source, sourceLength, target, targetLength, blocks, divisor: Math.sqrt(1 / 2), multiplier, single };
  yield runner.run("cqt.halve", channels * blocks, args, HALVE_GRAIN);
  return target;
}

const roundInPlace = (x: Float64Array): Float64Array => {
  for (let i = 0; i < x.length; i++) x[i] = Math.fround(x[i]!);
  return x;
};

/** Early downsampling by 2^c, c >= 2 (half-band stages first; rare: sample rates of 4x the filters' need). */
const downsampleSerially = (sp: SignalPlan, y: FloatArray, channels: number, length: number, scale: boolean, single: boolean, shared: boolean): FloatArray => {
  const factor = 2 ** sp.earlyDownsample;
  const len = sp.signalLengths[0]!;
  const first = allocFloat(channels * len, !single, shared, { zero: false });
  for (let c = 0; c < channels; c++) {
    const row = y.subarray(c * length, (c + 1) * length);
    let out = resample(row instanceof Float64Array ? row : Float64Array.from(row), factor, 1, { scale: true });
    if (single) out = roundInPlace(out);
    if (!scale) {
      const s = Math.sqrt(factor);
      for (let i = 0; i < out.length; i++) out[i] = out[i]! * s;
      if (single) roundInPlace(out);
    }
    first.set(out, c * len);
  }
  return first;
};

/**
 * The octave signals of a plan for (channels, length) input `y`. Without
 * early downsampling the first signal is `y` itself (not copied).
 */
export function* octaveSignals(
  runner: OctaveRunner,
  sp: SignalPlan,
  y: FloatArray,
  channels: number,
  length: number,
  scale: boolean,
  single: boolean,
): Flow<FloatArray[]> {
  const lengths = sp.signalLengths;
  let first = y;
  if (sp.earlyDownsample === 1) first = yield* halve(runner, y, length, lengths[0]!, channels, scale ? 1 : Math.sqrt(2), single);
  else if (sp.earlyDownsample > 1) first = downsampleSerially(sp, y, channels, length, scale, single, runner.shared);
  const signals = [first];
  for (let s = 1; s < lengths.length; s++) {
    signals.push(yield* halve(runner, signals[s - 1]!, lengths[s - 1]!, lengths[s]!, channels, 1, single));
  }
  return signals;
}
