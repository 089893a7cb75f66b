/**
 * Bridge ops `stft` and `istft`, and the worker tasks behind them.
 *
 * Wire layout: signals are (channels, n) row-major; spectrograms are
 * (frames, bins, channels) complex, i.e. numpy's F order for
 * (channels, bins, frames), which is what librosa.stft returns.
 */
import { floatData, findArray, requireArray } from "../bridge/arrays.js";
import { registerOp, type OpContext } from "../bridge/registry.js";
import { writeToSegment } from "../bridge/segmentWriter.js";
import { allocFloat, type FloatArray } from "../parallel/alloc.js";
import { runTask, type WorkerPool } from "../parallel/pool.js";
import { registerTask, type TaskArgs } from "../parallel/tasks.js";
import { ParameterError } from "../util/errors.js";
import { boolParam, intParam, optionalIntParam, stringParam, type Params } from "../util/params.js";
import { istftUnitCount, istftUnits, planIstft, type IstftPlan } from "./istft.js";
import { checkPadMode } from "./pad.js";
import { frameMajorLayout, planStft, stftFrames, type SpectrumLayout, type StftPlan } from "./stft.js";
import { fftWindow, type WindowName } from "./window.js";
import type { NamedArray } from "../bridge/registry.js";

/** STFT frames per worker chunk at least (~5 µs a 2048-point frame). */
const STFT_FRAME_GRAIN = 64;

interface StftTaskArgs {
  plan: StftPlan;
  signal: FloatArray;
  channels: number;
  length: number;
  window: Float64Array;
  out: FloatArray;
  layout: SpectrumLayout;
  /** Also write each chunk's frames into the reply segment (fd, byte offset of frame 0, bytes per frame, failure flag). */
  sink?: FrameSink;
}

/** Where the stft tasks copy their frames as soon as they are computed (the reply segment). */
interface FrameSink {
  fd: number;
  offset: number;
  frameBytes: number;
  /** Set to 1 by a task whose write failed; the op then leaves the array to the normal reply path. */
  failed: Int32Array;
}

interface IstftTaskArgs {
  plan: IstftPlan;
  spectrum: FloatArray;
  layout: SpectrumLayout;
  channels: number;
  window: Float64Array;
  out: FloatArray;
}

registerTask("spectrum.stft", (t0, t1, args: TaskArgs) => {
  const a = args as unknown as StftTaskArgs;
  stftFrames(a.plan, a.signal, a.channels, a.length, a.window, a.out, a.layout, t0, t1);
  const sink = a.sink;
  if (sink && t1 > t0 && Atomics.load(sink.failed, 0) === 0) {
    // Frame-major output: frames [t0, t1) are one contiguous run of bytes; copy them out while the other chunks compute.
    const bytes = new Uint8Array(a.out.buffer, a.out.byteOffset + t0 * sink.frameBytes, (t1 - t0) * sink.frameBytes);
    try {
      writeToSegment(sink.fd, bytes, sink.offset + t0 * sink.frameBytes);
    } catch {
      Atomics.store(sink.failed, 0, 1);
    }
  }
});

registerTask("spectrum.istft", (u0, u1, args: TaskArgs) => {
  const a = args as unknown as IstftTaskArgs;
  istftUnits(a.plan, a.spectrum, a.layout, a.channels, a.window, a.out, u0, u1);
});

/** The window of a request: an explicit `window` array, else the `window` parameter's name. */
export const requestWindow = (params: Params, arrays: NamedArray[], winLength: number, nFft: number): Float64Array => {
  const explicit = findArray(arrays, "window");
  if (explicit) {
    const data = floatData(explicit);
    return fftWindow(data instanceof Float64Array ? data : Float64Array.from(data), winLength, nFft);
  }
  const spec = params.window;
  if (typeof spec !== "string" && !Array.isArray(spec)) throw new ParameterError(`Invalid window specification: ${JSON.stringify(spec)}`);
  return fftWindow(spec as WindowName, winLength, nFft);
};

/** Frame geometry shared by stft and istft requests (librosa's defaults resolved by the caller). */
export const frameParams = (params: Params): { nFft: number; hopLength: number; winLength: number } => {
  const nFft = intParam(params, "n_fft", 1);
  const winLength = optionalIntParam(params, "win_length", 1) ?? nFft;
  const hop = optionalIntParam(params, "hop_length");
  if (hop !== null && hop <= 0) throw new ParameterError(`hop_length=${hop} must be a positive integer`);
  const hopLength = hop ?? Math.floor(winLength / 4);
  if (hopLength <= 0) throw new ParameterError(`hop_length=${hopLength} must be a positive integer`);
  return { nFft, hopLength, winLength };
};

export interface StftResult {
  plan: StftPlan;
  out: FloatArray;
  layout: SpectrumLayout;
  /** Where the output already sits in the reply segment, when one was given and every write succeeded. */
  segmentOffset?: number;
}

/** STFT of every channel of a (channels, length) signal, in the wire layout. */
export const computeStft = async (
  signal: FloatArray,
  channels: number,
  length: number,
  nFft: number,
  hopLength: number,
  window: Float64Array,
  center: boolean,
  padMode: ReturnType<typeof checkPadMode>,
  double: boolean,
  pool: WorkerPool | undefined,
  segment?: OpContext["replySegment"],
): Promise<StftResult> => {
  const plan = planStft(length, nFft, hopLength, center, padMode);
  const layout = frameMajorLayout(plan.nBins, channels);
  // stftFrames writes every (frame, bin, channel) element: no zero-fill needed.
  const out = allocFloat(2 * plan.nFrames * plan.nBins * channels, double, pool !== undefined, { zero: false });
  const frameBytes = 2 * plan.nBins * channels * out.BYTES_PER_ELEMENT;
  const offset = segment?.claim(plan.nFrames * frameBytes);
  const sink = segment && offset !== undefined ? { fd: segment.fd, offset, frameBytes, failed: new Int32Array(new SharedArrayBuffer(4)) } : undefined;
  await runTask(pool, "spectrum.stft", plan.nFrames, { plan, signal, channels, length, window, out, layout, sink }, STFT_FRAME_GRAIN);
  return { plan, out, layout, segmentOffset: sink && sink.failed[0] === 0 ? sink.offset : undefined };
};

/** Inverse STFT of a spectrogram in `layout` into (channels, outLength). */
export const computeIstft = async (
  spectrum: FloatArray,
  layout: SpectrumLayout,
  nBinsIn: number,
  nFramesIn: number,
  channels: number,
  nFft: number,
  hopLength: number,
  window: Float64Array,
  center: boolean,
  length: number | null,
  double: boolean,
  pool: WorkerPool | undefined,
): Promise<{ plan: IstftPlan; out: FloatArray }> => {
  const plan = planIstft(nBinsIn, nFramesIn, nFft, hopLength, center, length, !double);
  // istftUnits writes every sample up to the last frame's reach; only a `length` beyond it needs zeros.
  const out = allocFloat(channels * plan.outLength, double, pool !== undefined, { zero: false });
  const reached = Math.min(plan.outLength, plan.nFft + plan.hopLength * (plan.nFrames - 1) - plan.offset);
  if (reached < plan.outLength) {
    for (let c = 0; c < channels; c++) out.fill(0, c * plan.outLength + reached, (c + 1) * plan.outLength);
  }
  await runTask(pool, "spectrum.istft", istftUnitCount(plan), { plan, spectrum, layout, channels, window, out });
  return { plan, out };
};

registerOp("stft", async (params, arrays, ctx: OpContext) => {
  const y = requireArray(arrays, "y", ["float32", "float64"], 2);
  const [channels, length] = y.shape as [number, number];
  const { nFft, hopLength, winLength } = frameParams(params);
  const window = requestWindow(params, arrays, winLength, nFft);
  const center = boolParam(params, "center");
  const padMode = checkPadMode(params.pad_mode);
  const dtype = stringParam(params, "dtype", ["complex64", "complex128"] as const);
  const { plan, out, segmentOffset } = await computeStft(
    floatData(y), channels, length, nFft, hopLength, window, center, padMode, dtype === "complex128", ctx.pool, ctx.replySegment,
  );
  return { arrays: [{ name: "stft", dtype, shape: [plan.nFrames, plan.nBins, channels], data: out, segmentOffset }] };
});

registerOp("istft", async (params, arrays, ctx: OpContext) => {
  const s = requireArray(arrays, "stft_matrix", ["complex64", "complex128"], 3);
  const [nFrames, nBins, channels] = s.shape as [number, number, number];
  const nFft = optionalIntParam(params, "n_fft", 1) ?? 2 * (nBins - 1);
  if (nFft < 1) throw new ParameterError(`n_fft=${nFft} must be a positive integer (inferred from ${nBins} frequency bins)`);
  const { hopLength, winLength } = frameParams({ ...params, n_fft: nFft });
  const window = requestWindow(params, arrays, winLength, nFft);
  const center = boolParam(params, "center");
  const length = optionalIntParam(params, "length", 0);
  const dtype = stringParam(params, "dtype", ["float32", "float64"] as const);
  const { plan, out } = await computeIstft(
    floatData(s), frameMajorLayout(nBins, channels), nBins, nFrames, channels,
    nFft, hopLength, window, center, length === 0 ? null : length, dtype === "float64", ctx.pool,
  );
  return { arrays: [{ name: "y", dtype, shape: [channels, plan.outLength], data: out }] };
});
