/**
 * `librosa.feature.chroma_stft` with the WebAssembly SIMD kernels of
 * src/cqt/foldKernels.ts (the `chroma_stft` op in src/cqt/ops.ts calls
 * {@link chromaStftSimd}; it falls back to the generic tuning pass and the
 * scalar fold where this answers null).
 *
 * From a signal (STFT with a power-of-two n_fft):
 * - tuning to estimate: one pass over the frames computes each power column
 *   in place in the FFT memory, its piptrack peaks (as `cqt.tuningPeaks`
 *   does, with the vector peak test) and keeps the column, float32 when the
 *   values are float32 (half the memory), frames x channels x bins; the
 *   estimate then builds the filter bank and a second pass folds the kept
 *   columns;
 * - tuning given: one pass, each power column folded where it was computed
 *   (no spectrogram kept).
 * From a given spectrogram S: the tuning from `cqt.tuningPeaks` without a
 * kept copy, then the fold reads |S| straight from S, a block of frames at a time.
 *
 * Values: the power columns, the peaks and the tuning are those of
 * `cqt.tuningPeaks` bit for bit (a float32 signal's frames inside it from the
 * float32 pair transform, as the stft op makes its complex64 frames: see
 * `frameSpectra` in src/pitch/tuningColumns.ts), and each chroma value is the scalar sparse
 * fold's `sum += w * x` over the non-zero weights in bin order: the dense
 * kernel adds the same products in the same order plus `0 * x = +0` for the
 * zero weights, which leaves a sum that starts at +0 unchanged, unless x is
 * infinite or NaN (then 0 * x is NaN): a NaN sum is recomputed by the sparse loop.
 */
import { fftMemory, type FftMemory } from "../fft/wasmRealFft.js";
import type { Flow, Runner, TaskTable } from "../schedule/types.js";
import type { tuningTasks } from "../pitch/tuningColumns.js";
import type { chromaTasks } from "./chromaTasks.js";
import { allocFloat, allocFloat64, allocInt32, type FloatArray } from "../util/alloc.js";
import type { ChromaFoldParams } from "./chroma.js";
import { FOLD_ROWS, foldKernels, type FoldKernels } from "./foldKernels.js";
import { normalizeStrided, TINY_FLOAT32, TINY_FLOAT64 } from "../util/normalize.js";
import { isPeak, peakDouble, peakSingle, piptrackBinRange, piptrackRef, type PiptrackParams, type TuningEstimate } from "../pitch/tuning.js";
import type { ColumnSource } from "../pitch/tuningColumns.js";
import { estimateTuningFrom, frameSpectra, gatherPeaks, tuningOfPeaks } from "../pitch/tuningColumns.js";
import { tuningKernels, type TuningKernels } from "../pitch/tuningKernels.js";
import { onClearCaches } from "../util/clearCaches.js";

/**
 * Frames per worker chunk at least: a frame with its transform ~8 µs; a fold alone ~2 µs.
 * Runs of fewer than two grains stay on the server's thread: a 5 s clip (216 frames)
 * there took 3.40-3.67 ms a call against 3.94-4.23 ms in two chunks on the workers
 * (bench.py's W4, librosa's call between two of ours, 3 runs each; back to back the
 * workers win, 2.4-2.7 vs 3.1-3.2 ms): after the workers sleep, waking them and
 * folding on this thread the columns they wrote cost more than their half of the
 * transforms saves.
 */
const FRAME_GRAIN = 128;
const FOLD_GRAIN = 256;
/** Frames of a given spectrogram gathered (transposed) at a time. */
const GATHER_BLOCK = 16;

/** A (nChroma, nBins) filter bank for the dense kernel: (groups, nBins, 12) weights, rows past nChroma zero. */
interface DenseFold {
  nChroma: number;
  nBins: number;
  groups: number;
  weights: Float64Array;
}

/** Dense layouts of the (kept, read-only) filter banks, living as long as their bank. */
const denseLayouts = new WeakMap<Float64Array, { shared?: DenseFold; local?: DenseFold }>();

/** {@link denseFold} of `fold`, made once per bank and kind of memory (a bank's settings fix its shape). */
const denseFoldOf = (fold: Float64Array, nChroma: number, nBins: number, shared: boolean): DenseFold => {
  let layouts = denseLayouts.get(fold);
  if (layouts === undefined) denseLayouts.set(fold, (layouts = {}));
  const known = shared ? layouts.shared : layouts.local;
  if (known !== undefined) return known;
  const made = denseFold(fold, nChroma, nBins, shared);
  if (shared) layouts.shared = made;
  else layouts.local = made;
  return made;
};

/** The dense layout of a row-major (nChroma, nBins) fold matrix (in shared memory for a pool: not copied per chunk). */
const denseFold = (fold: Float64Array, nChroma: number, nBins: number, shared: boolean): DenseFold => {
  const groups = Math.ceil(nChroma / FOLD_ROWS);
  const size = groups * nBins * FOLD_ROWS;
  const weights = new Float64Array(shared ? new SharedArrayBuffer(8 * size) : new ArrayBuffer(8 * size));
  for (let k = 0; k < nChroma; k++) {
    const g = Math.floor(k / FOLD_ROWS);
    const j = k % FOLD_ROWS;
    for (let f = 0; f < nBins; f++) weights[(g * nBins + f) * FOLD_ROWS + j] = fold[k * nBins + f]!;
  }
  return { nChroma, nBins, groups, weights };
};

/** The kernels of this thread, or null without WebAssembly SIMD. */
interface Kernels {
  memory: FftMemory;
  fold: FoldKernels;
  tuning: TuningKernels;
}

const threadKernels = (): Kernels | null => {
  const memory = fftMemory();
  if (!memory?.memory) return null;
  const fold = foldKernels(memory.memory);
  const tuning = tuningKernels(memory.memory);
  return fold && tuning ? { memory, fold, tuning } : null;
};

/**
 * This thread's areas in the kernels' memory (float64 indices), reserved
 * once and grown only for larger sizes (reservations are never freed).
 */
const areas = new Map<string, { at: number; size: number }>();
let areasMemory: FftMemory | null = null;
onClearCaches(() => {
  areas.clear();
  areasMemory = null;
});

const area = (memory: FftMemory, name: string, doubles: number): number => {
  if (areasMemory !== memory) {
    areas.clear();
    areasMemory = memory;
  }
  const a = areas.get(name);
  if (a && a.size >= doubles) return a.at;
  const at = memory.reserve(doubles, "chroma");
  areas.set(name, { at, size: doubles });
  return at;
};

/** Where one thread folds: the weights, a column, its sums, the scratch of the fallback and normaliser. */
interface Folder {
  fold: DenseFold;
  p: ChromaFoldParams;
  out: FloatArray;
  kernels: FoldKernels;
  weights: number;
  sums: number;
  column: Float64Array;
  scratch: Float64Array;
  tiny: number;
}

/** Reserves the fold's areas and copies the weights in (call before taking the heap view). */
const folder = (memory: FftMemory, kernels: FoldKernels, fold: DenseFold, p: ChromaFoldParams, out: FloatArray): Folder => {
  const weights = area(memory, "weights", fold.weights.length);
  const sums = area(memory, "sums", fold.groups * FOLD_ROWS);
  memory.heap().set(fold.weights, weights);
  return { fold, p, out, kernels, weights, sums, column: new Float64Array(fold.nBins), scratch: new Float64Array(p.nChroma), tiny: p.single ? TINY_FLOAT32 : TINY_FLOAT64 };
};

/**
 * Folds the column of `nBins` values at heap index `x` (float64) or float32
 * index `x` of `heap32` (`f32`) into chroma column `out[outBase + k * channels]`
 * and normalises it: foldColumn of src/cqt/chroma.ts (no threshold) bit for bit.
 */
const foldAt = (d: Folder, heap: Float64Array, heap32: Float32Array, x: number, f32: boolean, outBase: number): void => {
  const { fold, p, out, kernels } = d;
  const { nBins, nChroma } = fold;
  for (let g = 0; g < fold.groups; g++) {
    const w = 8 * (d.weights + g * nBins * FOLD_ROWS);
    const s = 8 * (d.sums + g * FOLD_ROWS);
    if (f32) kernels.fold32(4 * x, w, nBins, s);
    else kernels.fold64(8 * x, w, nBins, s);
  }
  const stride = p.channels;
  for (let k = 0; k < nChroma; k++) {
    let sum = heap[d.sums + k]!;
    if (Number.isNaN(sum)) sum = sparseRow(d, heap, heap32, x, f32, k);
    out[outBase + k * stride] = p.single ? Math.fround(sum) : sum;
  }
  normalizeStrided(out, outBase, stride, nChroma, p.norm, d.tiny, d.scratch);
};

/** Row k of the fold over the column, zero weights skipped: the loop of foldColumn over sparseFold's entries (bin order). */
const sparseRow = (d: Folder, heap: Float64Array, heap32: Float32Array, x: number, f32: boolean, k: number): number => {
  const { nBins } = d.fold;
  const row = d.weights + Math.floor(k / FOLD_ROWS) * nBins * FOLD_ROWS + (k % FOLD_ROWS);
  let sum = 0;
  for (let f = 0; f < nBins; f++) {
    const w = heap[row + f * FOLD_ROWS]!;
    if (w !== 0) sum += w * (f32 ? heap32[x + f]! : heap[x + f]!);
  }
  return sum;
};

export interface StftColumnsArgs {
  source: ColumnSource;
  /** float32 power columns (float32 signal). */
  single: boolean;
  /** Peaks to find (tuning to estimate), as `cqt.tuningPeaks`; frames [t0, t1) write theirs from t0 channels stride on, `starts` saying where each column's begin. */
  pp: PiptrackParams | null;
  lo: number;
  hi: number;
  stride: number;
  pitch: Float64Array | null;
  mag: Float64Array | null;
  counts: Int32Array | null;
  starts: Int32Array | null;
  /** The power columns to keep, (frames, channels, bins), a column every {@link keptPitch} values; float32 when `single`. */
  keep: FloatArray | null;
  /** The fold to apply at once (tuning given). */
  fold: DenseFold | null;
  p: ChromaFoldParams;
  out: FloatArray | null;
}

/**
 * Power columns of frames [t0, t1): the frame windowed into the transform's
 * input (interior frames by the vector kernel from a staged stretch of the
 * signal), transformed in place, its power column and largest value by the
 * power kernel (the odd last bin by the scalar expression), then peaks, kept
 * copy and/or fold. The window product, the magnitudes and the peak test are
 * stftPeaksInPlace's (src/cqt/tuningColumns.ts), so the values are the same.
 */
const stftColumns = (a: StftColumnsArgs, t0: number, t1: number): void => {
  const k = threadKernels();
  if (!k) throw new Error("chroma_stft: WebAssembly SIMD kernels unavailable in a worker");
  const { memory } = k;
  const s = a.source;
  const { nBins, channels } = s;
  const plan = s.plan!;
  const signal = s.signal!;
  const window = s.window!;
  const channelLength = s.length!;
  const nFft = plan.nFft;
  const single = a.single;
  const input = memory.input(nFft);
  const stagingSize = Math.max(1 << 16, 4 * nFft);
  const staging = area(memory, "staging", stagingSize);
  const win = area(memory, "window", nFft);
  const x = area(memory, "x", nBins + 1);
  const x32d = area(memory, "x32", (nBins >> 1) + 1);
  const peaksAt = area(memory, "peaks", (nBins >> 1) + 1);
  const d = a.fold ? folder(memory, k.fold, a.fold, a.p, a.out!) : null;
  // float32 frames inside the signal two at a time through the float32 pair transform, as the stft op transforms them
  // (last of the reservations: its windowing keeps a view of the memory).
  const spectrumAt = frameSpectra(memory, k.tuning, plan, { signal, channels, channelLength }, { staging, stagingSize, window: win }, input, t1);
  const heap = memory.heap();
  const heap32 = new Float32Array(heap.buffer, 0, heap.length * 2);
  const peakBins = new Int32Array(heap.buffer, 8 * peaksAt, (nBins >> 1) + 1);
  heap.set(window.subarray(0, nFft), win);
  const x32 = 2 * x32d;
  const binPairs = nBins >> 1;
  const pp = a.pp;
  const { lo, hi, stride, pitch, mag, counts, starts, keep } = a;
  // The vector peak test covers bins [first, first + 2 testPairs) (never bin 0 nor the last), the scalar one the rest up to hi.
  const first = Math.max(lo, 1);
  const testPairs = Math.max(0, (Math.min(hi, nBins - 1) - first) >> 1);
  const rest = first + 2 * testPairs;
  let next = t0 * channels * stride;
  for (let t = t0; t < t1; t++) {
    for (let c = 0; c < channels; c++) {
      const sp = spectrumAt(t, c);
      const powers = sp.pair ? k.fold.powerPair : single ? k.fold.power32 : k.fold.power64;
      let max = powers(sp.address, binPairs, 8 * x, single ? 4 * x32 : 0);
      if (nBins % 2 === 1) {
        const f = nBins - 1;
        const { values, first, step } = sp;
        let power: number;
        if (single) {
          const re = Math.fround(values[first + step * f]!);
          const im = Math.fround(values[first + step * f + 1]!);
          const m = Math.fround(Math.sqrt(re * re + im * im));
          power = Math.fround(m * m);
          heap32[x32 + f] = power;
        } else {
          const re = values[first + step * f]!;
          const im = values[first + step * f + 1]!;
          const m = Math.sqrt(re * re + im * im);
          power = m * m;
        }
        heap[x + f] = power;
        if (power > max) max = power;
      }
      const column = t * channels + c;
      if (pp) {
        const offset = next;
        let count = 0;
        const ref = piptrackRef(pp, max);
        const found = k.tuning.localMaxima(8 * (x + first - 1), testPairs, ref, 8 * peaksAt);
        for (let j = 0; j < found; j++, count++) {
          const i = first + peakBins[j]!;
          if (pp.single) peakSingle(heap, x, i, nBins, pp.sr, pp.nFft, pp.roundCurvature, pitch!, mag!, offset + count);
          else peakDouble(heap, x, i, nBins, pp.sr, pp.nFft, pitch!, mag!, offset + count);
        }
        for (let i = rest; i < hi; i++) {
          if (!isPeak(heap, x, i, nBins, ref)) continue;
          if (pp.single) peakSingle(heap, x, i, nBins, pp.sr, pp.nFft, pp.roundCurvature, pitch!, mag!, offset + count);
          else peakDouble(heap, x, i, nBins, pp.sr, pp.nFft, pitch!, mag!, offset + count);
          count++;
        }
        counts![column] = count;
        starts![column] = offset;
        next += count;
      }
      if (keep) {
        const at = column * keptPitch(nBins, single);
        if (single) keep.set(heap32.subarray(x32, x32 + nBins), at);
        else keep.set(heap.subarray(x, x + nBins), at);
      }
      if (d) foldAt(d, heap, heap32, x, false, t * a.p.nChroma * channels + c);
    }
  }
};

/** Task `chroma.stftColumns`. */
const stftColumnsTask = (t0: number, t1: number, a: StftColumnsArgs): void => stftColumns(a, t0, t1);

/**
 * Values from one kept column to the next: float32 columns start on 8-byte boundaries, as the kernels'
 * areas do. V8 copies between a SharedArrayBuffer and another buffer with word moves only where both
 * addresses have the same alignment, else byte by byte (about 4x slower): an odd number of float32 bins
 * (1025) would make every other column's copy the slow one.
 */
const keptPitch = (nBins: number, single: boolean): number => (single ? nBins + (nBins & 1) : nBins);

export interface FoldKeptArgs {
  /** (frames, channels, bins) power columns; float32 or float64. */
  keep: FloatArray;
  fold: DenseFold;
  p: ChromaFoldParams;
  out: FloatArray;
}

/** Folds the kept columns of frames [t0, t1), GATHER_BLOCK frames copied into the kernels' memory at a time. */
const foldKept = (a: FoldKeptArgs, t0: number, t1: number): void => {
  const k = threadKernels();
  if (!k) throw new Error("chroma_stft: WebAssembly SIMD kernels unavailable in a worker");
  const { nBins } = a.fold;
  const { channels, nChroma } = a.p;
  const f32 = a.keep instanceof Float32Array;
  const pitch = keptPitch(nBins, f32);
  const block = area(k.memory, "block", GATHER_BLOCK * channels * nBins);
  const d = folder(k.memory, k.fold, a.fold, a.p, a.out);
  const heap = k.memory.heap();
  const heap32 = new Float32Array(heap.buffer, 0, heap.length * 2);
  const target = f32 ? heap32 : heap;
  const at = f32 ? 2 * block : block;
  for (let b0 = t0; b0 < t1; b0 += GATHER_BLOCK) {
    const b1 = Math.min(t1, b0 + GATHER_BLOCK);
    target.set(a.keep.subarray(b0 * channels * pitch, b1 * channels * pitch), at);
    for (let t = b0; t < b1; t++) {
      for (let c = 0; c < channels; c++) foldAt(d, heap, heap32, at + ((t - b0) * channels + c) * pitch, f32, t * nChroma * channels + c);
    }
  }
};

/** Task `chroma.foldKept`. */
const foldKeptTask = (t0: number, t1: number, a: FoldKeptArgs): void => foldKept(a, t0, t1);

export interface FoldGivenArgs {
  /** The request's (channels, bins, frames) spectrogram. */
  spectrogram: FloatArray;
  nFrames: number;
  fold: DenseFold;
  p: ChromaFoldParams;
  out: FloatArray;
}

/** Folds |S| of frames [t0, t1) of a given spectrogram, GATHER_BLOCK frames transposed into the kernels' memory at a time. */
const foldGiven = (a: FoldGivenArgs, t0: number, t1: number): void => {
  const k = threadKernels();
  if (!k) throw new Error("chroma_stft: WebAssembly SIMD kernels unavailable in a worker");
  const { nBins } = a.fold;
  const { channels, nChroma, single } = a.p;
  const { spectrogram: S, nFrames } = a;
  const block = area(k.memory, "block", GATHER_BLOCK * nBins);
  const d = folder(k.memory, k.fold, a.fold, a.p, a.out);
  const heap = k.memory.heap();
  const heap32 = new Float32Array(heap.buffer, 0, heap.length * 2);
  for (let b0 = t0; b0 < t1; b0 += GATHER_BLOCK) {
    const b1 = Math.min(t1, b0 + GATHER_BLOCK);
    for (let c = 0; c < channels; c++) {
      for (let f = 0; f < nBins; f++) {
        const from = (c * nBins + f) * nFrames;
        for (let t = b0; t < b1; t++) {
          // The kept column of cqt.tuningPeaks (|S|), rounded as foldChromaFrames reads it.
          const v = Math.abs(S[from + t]!);
          heap[block + (t - b0) * nBins + f] = single ? Math.fround(v) : v;
        }
      }
      for (let t = b0; t < b1; t++) foldAt(d, heap, heap32, block + (t - b0) * nBins, false, t * nChroma * channels + c);
    }
  }
};

/** Task `chroma.foldGiven`. */
const foldGivenTask = (t0: number, t1: number, a: FoldGivenArgs): void => foldGiven(a, t0, t1);

/** This domain's tasks (joined into the runners' table by src/schedule/tasks.ts). */
export const chromaStftTasks = {
  "chroma.stftColumns": stftColumnsTask,
  "chroma.foldKept": foldKeptTask,
  "chroma.foldGiven": foldGivenTask,
} satisfies TaskTable;

/** The runner this file's pipelines hand their work to. */
type ChromaStftRunner = Runner<typeof chromaStftTasks & typeof tuningTasks & typeof chromaTasks>;

interface ChromaStftRequest {
  source: ColumnSource;
  /** The tuning estimate's piptrack parameters (power spectrogram, librosa's defaults). */
  pp: PiptrackParams;
  /** The tuning when given, else null (estimated with resolution 0.01 and nChroma bins per octave). */
  tuning: number | null;
  /** The (nChroma, nBins) filter bank for a tuning. */
  filterbank: (tuning: number) => Float64Array;
  p: ChromaFoldParams;
  double: boolean;
}

/**
 * chroma_stft's tuning estimate, fold and normalisation with the SIMD
 * kernels: (frames, nChroma, channels) chroma and the tuning, or null where
 * they do not apply (no WebAssembly SIMD; an STFT whose n_fft is not a power of two).
 */
export function* chromaStftSimd(runner: ChromaStftRunner, r: ChromaStftRequest): Flow<{ out: FloatArray; estimate: TuningEstimate } | null> {
  const { source, pp, p } = r;
  const nFft = source.plan?.nFft ?? 0;
  if (!source.spectrogram && (nFft < 4 || (nFft & (nFft - 1)) !== 0 || nFft > 2 ** 26)) return null;
  if (!threadKernels()) return null;
  const shared = runner.shared;
  const { nFrames, nBins, channels } = source;
  const out = allocFloat(nFrames * p.nChroma * channels, r.double, shared, { zero: false });
  const dense = (tuning: number): DenseFold => denseFoldOf(r.filterbank(tuning), p.nChroma, nBins, shared);
  if (source.spectrogram) {
    const estimate = r.tuning === null ? yield* estimateTuningFrom(runner, source, pp, 0.01, p.nChroma, null) : { tuning: r.tuning, empty: false };
    const args: FoldGivenArgs = { spectrogram: source.spectrogram, nFrames, fold: dense(estimate.tuning), p, out };
    yield runner.run("chroma.foldGiven", nFrames, args, FOLD_GRAIN);
    return { out, estimate };
  }
  const single = pp.single;
  // A float32 output of float64 power columns (never asked by the Python side) rounds every value first: the generic path does.
  if (p.single && !single) return null;
  const base: StftColumnsArgs = { source, single, pp: null, lo: 0, hi: 0, stride: 0, pitch: null, mag: null, counts: null, starts: null, keep: null, fold: null, p, out: null };
  if (r.tuning !== null) {
    yield runner.run("chroma.stftColumns", nFrames, { ...base, fold: dense(r.tuning), out }, FRAME_GRAIN);
    return { out, estimate: { tuning: r.tuning, empty: false } };
  }
  const [lo, hi] = piptrackBinRange(pp, nBins);
  const stride = Math.max(1, Math.ceil((hi - lo) / 2) + 1);
  const columns = nFrames * channels;
  const pitch = allocFloat64(columns * stride, shared, { zero: false });
  const mag = allocFloat64(columns * stride, shared, { zero: false });
  const counts = allocInt32(columns, shared);
  const starts = allocInt32(columns, shared);
  const keep = allocFloat(columns * keptPitch(nBins, single), !single, shared, { zero: false });
  const args: StftColumnsArgs = { ...base, pp, lo, hi, stride, pitch, mag, counts, starts, keep };
  yield runner.run("chroma.stftColumns", nFrames, args, FRAME_GRAIN);
  // The peaks the task parts wrote from `starts`, gathered in column order, then the estimate as estimateTuningFrom makes it.
  const estimate = yield* tuningOfPeaks(runner, pitch, mag, gatherPeaks(pitch, mag, counts, starts, columns), 0.01, p.nChroma, pp.single);
  const foldArgs: FoldKeptArgs = { keep, fold: dense(estimate.tuning), p, out };
  yield runner.run("chroma.foldKept", nFrames, foldArgs, FOLD_GRAIN);
  return { out, estimate };
}
