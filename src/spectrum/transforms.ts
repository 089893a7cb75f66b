/**
 * The STFT and inverse STFT of whole multichannel requests: the task bodies
 * (pure functions over frame or unit ranges, run by any thread) and the
 * pipelines that size the outputs and hand the ranges to a runner.
 *
 * Wire layout: signals are (channels, n) row-major; spectrograms are
 * (frames, bins, channels) complex, i.e. numpy's F order for
 * (channels, bins, frames), which is what librosa.stft returns.
 */
import type { Flow, Runner, TaskTable } from "../schedule/types.js";
import { grainPerThread } from "../util/grain.js";

import { allocFloat, type FloatArray } from "../util/alloc.js";
import { writeToSegment } from "../util/segmentWriter.js";
import { istftFrameRange, istftUnitCount, istftUnitSamples, istftUnits, planIstft, type IstftJob, type IstftPlan } from "./istft.js";
import type { PadMode } from "./pad.js";
import { frameMajorLayout, planStft, stftFrames, type FrameSink, type SpectrumLayout, type StftJob, type StftPlan } from "./stft.js";

/**
 * STFT frames per worker chunk at least (~5 µs a 2048-point frame); a run goes one
 * chunk per thread (grainPerThread). Through the server with librosa's own call
 * between two of ours (bundles alternating, 100-150 rounds): stft 10 s 4.0 ms in
 * two chunks against 4.3 in six, 30 s 8.7 against 9.4 in eight; istft 5 s 3.5 in
 * two against 3.9 on the server's thread, 10 s 5.1 against 5.5 in six, 30 s 14.4
 * against 15.6 in eight; 180 s even (istft 64.9 / 65.6, stft 45.8 / 44.6 ms).
 */
const STFT_FRAME_GRAIN = 64;
/**
 * Frames (stft) or output units of one channel (istft) per chunk at most: longer runs
 * go in more blocks than threads, which the workers claim in turn, so the one on a
 * core the host is sharing takes fewer (180 s, librosa's call before each of ours, 30
 * rounds, op_ms medians, two runs: stft 31.5 -> 28.0 and 27.8 -> 25.5 ms, istft 35.5 ->
 * 31.1 and 39.1 -> 35.8 against one chunk a thread; 60 s within 2 %; session 19). A
 * 30 s clip (1292 frames) stays at one chunk a thread.
 */
const SPECTRUM_CHUNK_MOST = 512;

/**
 * Output units (hops) of one channel per worker chunk at least for an istft
 * (a unit of c channels counts c times). Each chunk transforms again the
 * n_fft / hop - 1 frames it shares with the one before: a mono 5 s clip (216
 * units) cut into 8 chunks cost more on two workers than on one thread (op 2.14
 * vs 1.66 ms), while HPSS's two-part istft of the same clip gains from them
 * (its runs over frames made on demand keep this grain).
 */
const ISTFT_UNIT_GRAIN = 128;
/** As ISTFT_UNIT_GRAIN for a whole istft cut one chunk per thread: a 3 s clip (129 units) in two took as long as on one thread. */
const ISTFT_CHUNK_UNITS = 64;

/** Where an istft's output rows go as they are made (a reply segment): row c at `offset + c * rowLength` elements. */
interface RowSink {
  fd: number;
  /** Byte offset of row 0. */
  offset: number;
  /** Set to 1 by a failed write (no more writes are tried; `out` still holds every sample). */
  failed: Int32Array;
}

export interface IstftTaskArgs extends IstftJob {
  /** The run's unit 0 (a run over a range of the units). */
  firstUnit?: number;
  /** The reply segment's place for the output, each chunk's samples written there once computed. */
  sink?: RowSink;
}

/** Samples [s0, s1) of each of the `channels` rows of `out` (rows of `rowLength`) to `sink`, unless a write failed before. */
const sinkRows = (sink: RowSink, out: FloatArray, rowLength: number, channels: number, s0: number, s1: number): void => {
  if (s1 <= s0 || Atomics.load(sink.failed, 0) !== 0) return;
  const bytes = out.BYTES_PER_ELEMENT;
  try {
    for (let c = 0; c < channels; c++) {
      const from = (c * rowLength + s0) * bytes;
      writeToSegment(sink.fd, new Uint8Array(out.buffer, out.byteOffset + from, (s1 - s0) * bytes), sink.offset + from);
    }
  } catch {
    Atomics.store(sink.failed, 0, 1);
  }
};

/**
 * Task `spectrum.stft`: frames [t0, t1) of every channel, into the reply segment
 * where there is one (straight from the FFT memory, or else from `out` once computed).
 * A failed write sets `sink.failed`: the flow then computes the frames into `out` again.
 */
const stftTask = (t0: number, t1: number, a: StftJob): void => {
  if (stftFrames(a, t0, t1)) return;
  if (a.sink) sinkFrames(a.sink, a.out, t0, t1);
};

/**
 * Frames [t0, t1) of the frame-major `out` (one contiguous run of bytes) to `sink`, unless a write failed
 * before: copied out while the other chunks compute. A failed write sets `sink.failed` (`out` keeps them).
 */
export const sinkFrames = (sink: FrameSink, out: FloatArray, t0: number, t1: number): void => {
  if (t1 <= t0 || Atomics.load(sink.failed, 0) !== 0) return;
  try {
    writeToSegment(sink.fd, new Uint8Array(out.buffer, out.byteOffset + t0 * sink.frameBytes, (t1 - t0) * sink.frameBytes), sink.offset + t0 * sink.frameBytes);
  } catch {
    Atomics.store(sink.failed, 0, 1);
  }
};

/** Task `spectrum.istft`: output units [firstUnit + u0, firstUnit + u1). */
const istftTask = (u0: number, u1: number, a: IstftTaskArgs): void => {
  const first = a.firstUnit ?? 0;
  istftUnits(a, first + u0, first + u1);
  if (a.sink === undefined) return;
  // This chunk's samples of each row, to the segment while the other chunks compute (`out` keeps them too).
  const [s0, s1] = istftUnitSamples(a.plan, first + u0, first + u1);
  sinkRows(a.sink, a.out, a.plan.outLength, a.channels, s0, s1);
};

/** This domain's tasks (joined into the runners' table by src/schedule/tasks.ts). */
export const spectrumTasks = {
  "spectrum.stft": stftTask,
  "spectrum.istft": istftTask,
} satisfies TaskTable;

/** The runner this file's pipelines hand their work to. */
type SpectrumRunner = Runner<typeof spectrumTasks>;

/** A reply segment an op may write a result into (docs/protocol.md). */
export interface SegmentClaim {
  fd: number;
  claim(nbytes: number): number | undefined;
}

/** Room for `bytes` in the reply segment, with the flag a failed write sets (RowSink's fields); undefined without either. */
const claimRows = (segment: SegmentClaim | undefined, bytes: number): RowSink | undefined => {
  const offset = segment?.claim(bytes);
  return segment && offset !== undefined ? { fd: segment.fd, offset, failed: new Int32Array(new SharedArrayBuffer(4)) } : undefined;
};

/** A FrameSink for `nFrames` frames of `frameBytes` bytes in the reply segment, or undefined (no segment, no room). */
export const claimFrameSink = (segment: SegmentClaim | undefined, nFrames: number, frameBytes: number): FrameSink | undefined => {
  const rows = claimRows(segment, nFrames * frameBytes);
  return rows && { ...rows, frameBytes };
};

/** How a (channels, length) row-major signal is cut into frames (the STFT's and its users' requests). */
export interface FramingRequest {
  channels: number;
  length: number;
  nFft: number;
  hopLength: number;
  /** The window, padded to nFft. */
  window: Float64Array;
  center: boolean;
  padMode: PadMode;
}

export interface StftRequest extends FramingRequest {
  /** (channels, length) row-major. */
  signal: FloatArray;
  /** complex128 output (else complex64). */
  double: boolean;
  /** The reply segment, where the frames go as soon as they are computed. */
  segment?: SegmentClaim;
}

interface StftResult {
  plan: StftPlan;
  out: FloatArray;
  layout: SpectrumLayout;
  /** Where the output already sits in the reply segment, when one was given and every write succeeded. */
  segmentOffset?: number;
}

/** STFT of every channel of a (channels, length) signal, in the wire layout. */
export function* stftFlow(runner: SpectrumRunner, r: StftRequest): Flow<StftResult> {
  const plan = planStft(r.length, r.nFft, r.hopLength, r.center, r.padMode);
  const layout = frameMajorLayout(plan.nBins, r.channels);
  // stftFrames writes every (frame, bin, channel) element: no zero-fill needed.
  const out = allocFloat(2 * plan.nFrames * plan.nBins * r.channels, r.double, runner.shared, { zero: false });
  const sink = claimFrameSink(r.segment, plan.nFrames, 2 * plan.nBins * r.channels * out.BYTES_PER_ELEMENT);
  const { signal, channels, length, window } = r;
  // librosa's float32 stft is complex64: float32 precision is all it promises (see StftJob.float32Pairs).
  const float32Pairs = !r.double;
  const args: StftJob = { plan, signal, channels, length, window, out, layout, sink, float32Pairs };
  const grain = grainPerThread(plan.nFrames, runner.threads, STFT_FRAME_GRAIN, SPECTRUM_CHUNK_MOST);
  yield runner.run("spectrum.stft", plan.nFrames, args, grain);
  if (sink && sink.failed[0] !== 0) {
    // Frames before the failure went only to the segment: all of them into `out`, for the reply's normal path.
    yield runner.run("spectrum.stft", plan.nFrames, { ...args, sink: undefined }, grain);
    return { plan, out, layout };
  }
  return { plan, out, layout, segmentOffset: sink?.offset };
}

interface IstftRequest {
  spectrum: FloatArray;
  layout: SpectrumLayout;
  nBins: number;
  nFrames: number;
  channels: number;
  nFft: number;
  hopLength: number;
  window: Float64Array;
  center: boolean;
  /** Output length, or null for the frames' own reach. */
  length: number | null;
  /** float64 output (else float32). */
  double: boolean;
  /** complex64 frames may go through float32 pair transforms (the istft op: see IstftJob.float32Pairs). */
  float32Pairs?: boolean;
  /** Write into these rows (channels x the plan's outLength) instead of a new array. */
  out?: FloatArray;
  /**
   * Frames made on demand, so no signal-long spectrum need exist (effects.hpss): the
   * units are inverted `chunkUnits` at a time, each chunk after `make(f0, f1)` has put
   * frames [f0, f1) at the start of `spectrum` (frame f at f - f0 in `layout`).
   */
  frames?: { chunkUnits: number; make: (f0: number, f1: number) => Flow<void> };
  /** The reply segment, where the output goes chunk by chunk as it is computed (not with `frames`). */
  segment?: SegmentClaim;
}

/** Inverse STFT of a spectrogram in `layout` into (channels, outLength). */
export function* istftFlow(runner: SpectrumRunner, r: IstftRequest): Flow<{ plan: IstftPlan; out: FloatArray; segmentOffset?: number }> {
  const plan = planIstft(r.nBins, r.nFrames, r.nFft, r.hopLength, r.center, r.length, !r.double);
  const { channels } = r;
  // istftUnits writes every sample up to the last frame's reach; only a `length` beyond it needs zeros.
  const out = r.out ?? allocFloat(channels * plan.outLength, r.double, runner.shared, { zero: false });
  const reached = Math.min(plan.outLength, plan.nFft + plan.hopLength * (plan.nFrames - 1) - plan.offset);
  if (reached < plan.outLength) {
    for (let c = 0; c < channels; c++) out.fill(0, c * plan.outLength + reached, (c + 1) * plan.outLength);
  }
  const job: IstftTaskArgs = { plan, spectrum: r.spectrum, layout: r.layout, channels, window: r.window, out, float32Pairs: r.float32Pairs };
  const grain = Math.ceil(ISTFT_UNIT_GRAIN / channels);
  const units = istftUnitCount(plan);
  if (r.frames === undefined) {
    job.sink = claimRows(r.segment, channels * plan.outLength * out.BYTES_PER_ELEMENT);
    yield runner.run("spectrum.istft", units, job, grainPerThread(units, runner.threads, Math.ceil(ISTFT_CHUNK_UNITS / channels), Math.ceil(SPECTRUM_CHUNK_MOST / channels)));
    const sink = job.sink;
    // The zeros past the frames' reach (a longer `length`), which no unit writes.
    if (sink) sinkRows(sink, out, plan.outLength, channels, reached, plan.outLength);
    // After a failed write `out` still holds every sample: the reply places it as any other array.
    return { plan, out, segmentOffset: sink && sink.failed[0] === 0 ? sink.offset : undefined };
  }
  for (let u0 = 0; u0 < units; u0 += r.frames.chunkUnits) {
    const u1 = Math.min(units, u0 + r.frames.chunkUnits);
    const [f0, f1] = istftFrameRange(plan, u0, u1);
    yield* r.frames.make(f0, f1);
    yield runner.run("spectrum.istft", u1 - u0, { ...job, firstFrame: f0, firstUnit: u0 }, grain);
  }
  return { plan, out };
}
