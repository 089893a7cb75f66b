/**
 * Short-time Fourier transform with librosa 0.11.0's semantics
 * (`librosa.stft`): centred frames padded by `padMode`, periodic analysis
 * window centre-padded to `nFft`, numpy rfft per frame.
 *
 * librosa pads a centred signal in two pieces (a head segment and a tail
 * segment, each padded on one side) rather than padding the whole signal; with
 * `reflect`/`symmetric` and a hop longer than half the frame the tail segment
 * can be shorter than the pad, and numpy then reflects inside that segment.
 * The frame plan below reproduces those segments exactly.
 *
 * @see https://librosa.org/doc/0.11.0/generated/librosa.stft.html
 */
import { getRealFft } from "../fft/index.js";
import { fftMemory, type FftMemory } from "../fft/wasmRealFft.js";
import { ParameterError } from "../util/errors.js";
import type { FloatArray } from "../util/alloc.js";
import { readPadded, type PadMode } from "./pad.js";
import { stftKernels, type StftKernels } from "./stftKernels.js";
import { onClearCaches } from "../util/clearCaches.js";
import { writeToSegment } from "../util/segmentWriter.js";

/** Where the samples of frames [frameStart, frameEnd) come from. */
interface FrameSegment {
  frameStart: number;
  frameEnd: number;
  /** First sample of the segment in the signal, and its length. */
  segmentOffset: number;
  segmentLength: number;
  /** Position, relative to the segment start, of frame `frameStart`'s first sample. */
  firstPosition: number;
}

export interface StftPlan {
  nFft: number;
  hopLength: number;
  nFrames: number;
  nBins: number;
  padMode: PadMode;
  segments: FrameSegment[];
}

/**
 * Plans the frames of a signal of `length` samples the way librosa.stft does.
 *
 * @throws ParameterError for librosa's conditions (signal shorter than a frame
 *   when not centred, or too short to frame at all; empty signal with a
 *   non-constant pad mode).
 */
export const planStft = (length: number, nFft: number, hopLength: number, center: boolean, padMode: PadMode): StftPlan => {
  const nBins = Math.floor(nFft / 2) + 1;
  const half = Math.floor(nFft / 2);
  const segments: FrameSegment[] = [];
  let nFrames: number;
  if (!center) {
    if (nFft > length) {
      throw new ParameterError(`n_fft=${nFft} is too large for uncentered analysis of input signal of length=${length}`);
    }
    nFrames = 1 + Math.floor((length - nFft) / hopLength);
    segments.push({ frameStart: 0, frameEnd: nFrames, segmentOffset: 0, segmentLength: length, firstPosition: 0 });
    return { nFft, hopLength, nFrames, nBins, padMode, segments };
  }
  if (length === 0 && padMode !== "constant") {
    throw new ParameterError(`cannot pad an empty signal with pad_mode='${padMode}'; only 'constant' pads an empty signal`);
  }
  const startK = Math.ceil(half / hopLength);
  const tailK = Math.floor((length + half - nFft) / hopLength) + 1;
  if (tailK <= startK) {
    const paddedLength = length + 2 * half;
    if (paddedLength < nFft) {
      throw new ParameterError(`Input is too short (n=${paddedLength}) for frame_length=${nFft}`);
    }
    nFrames = 1 + Math.floor((paddedLength - nFft) / hopLength);
    segments.push({ frameStart: 0, frameEnd: nFrames, segmentOffset: 0, segmentLength: length, firstPosition: -half });
    return { nFft, hopLength, nFrames, nBins, padMode, segments };
  }
  const start = startK * hopLength - half;
  // Head: the signal's first samples padded on the left only.
  const headLength = Math.min(length, (startK - 1) * hopLength - half + nFft + 1);
  segments.push({ frameStart: 0, frameEnd: startK, segmentOffset: 0, segmentLength: headLength, firstPosition: -half });
  // Middle: frames wholly inside the signal.
  segments.push({ frameStart: startK, frameEnd: tailK, segmentOffset: start, segmentLength: length - start, firstPosition: 0 });
  nFrames = tailK;
  // Tail: the signal's last samples padded on the right only, if a frame fits.
  const tailOffset = tailK * hopLength - half;
  if (tailOffset + nFft <= length + half) {
    const tailLength = length - tailOffset;
    const tailFrames = 1 + Math.floor((tailLength + half - nFft) / hopLength);
    nFrames = tailK + tailFrames;
    segments.push({ frameStart: tailK, frameEnd: nFrames, segmentOffset: tailOffset, segmentLength: tailLength, firstPosition: 0 });
  }
  return { nFft, hopLength, nFrames, nBins, padMode, segments };
};

/**
 * Output layout of a spectrogram buffer: element (frame t, bin f, channel c)
 * is the complex pair at `2 * (t * frameStride + f * binStride + c * channelStride)`.
 */
export interface SpectrumLayout {
  frameStride: number;
  binStride: number;
  channelStride: number;
}

/** The wire layout: frame-major, then bin, then channel (numpy's F order for (channels..., bins, frames)). */
export const frameMajorLayout = (nBins: number, channels: number): SpectrumLayout => ({
  frameStride: nBins * channels,
  binStride: channels,
  channelStride: 1,
});

/** One STFT's inputs and output: `channels` rows of `length` samples, the window padded to n_fft, and where the frames go. */
export interface StftJob {
  plan: StftPlan;
  signal: FloatArray;
  channels: number;
  length: number;
  window: Float64Array;
  out: FloatArray;
  layout: SpectrumLayout;
  /**
   * float32 samples into complex64 frames: transform two frames at once in
   * float32 where the kernels can (the pair transform, ~2x a float64 one), as
   * librosa's float32 results allow (errors ~1e-7 of the largest value, against
   * the 1e-4 of a float32 input's tolerance). Off: float64 transforms, the same
   * bits as the TypeScript path (what HPSS's masks are compared against).
   */
  float32Pairs?: boolean;
  /**
   * The reply segment the frames go to, frame t at `offset + t * frameBytes`:
   * {@link stftFramesInMemory} writes each staged block there instead of into
   * `out` (one copy less); a failed write sets `failed[0]` to 1 (the frames
   * from then on go to `out`, and the caller makes `out` whole again).
   */
  sink?: FrameSink;
}

/** Where an stft's frames are written as they are made (a reply segment: docs/protocol.md). */
export interface FrameSink {
  fd: number;
  /** Byte offset of frame 0. */
  offset: number;
  frameBytes: number;
  failed: Int32Array;
}

/**
 * Computes frames [t0, t1) of the STFT of every channel of `signal`
 * (`channels` rows of `length` samples, row-major) into `out`, or into
 * `job.sink` where the frames are staged in the FFT memory (then returns true).
 *
 * Windowing and the FFT run in float64 (as numpy does for float32 audio times
 * librosa's float64 window); `out` may be float32 (complex64) or float64.
 *
 * Power-of-two n_fft with WebAssembly SIMD: the frames are windowed,
 * transformed and converted inside the FFT kernels' memory (see
 * {@link stftFramesInMemory}); otherwise TypeScript loops. Both give the same bits.
 */
export const stftFrames = (job: StftJob, t0: number, t1: number): boolean => {
  const { plan, channels } = job;
  if (t1 <= t0 || channels < 1) return false;
  const memory = inMemoryEngine(plan.nFft);
  if (memory !== null) return stftFramesInMemory(memory, job, t0, t1);
  stftFramesScalar(job, t0, t1);
  return false;
};

/** The FFT memory and this module's kernels over it, when n is a power of two the WebAssembly FFT serves. */
export const inMemoryEngine = (n: number): { memory: FftMemory; kernels: StftKernels } | null => {
  if (n < 4 || (n & (n - 1)) !== 0 || n > 2 ** 26) return null;
  const memory = fftMemory();
  if (memory === null || memory.memory === undefined) return null;
  const kernels = stftKernels(memory.memory);
  return kernels === null ? null : { memory, kernels };
};

/** Frames staged per channel at most at once (signal stretches of (FRAME_BATCH - 1) * hop + nFft samples). */
const FRAME_BATCH = 64;
/** Output frames staged at most before one copy out. */
const OUT_FRAMES = 8;
/** Signal samples staged per channel at most (a long hop gets fewer frames per batch). */
const STAGED_SAMPLES = 1 << 16;

/** One never-freed area of the FFT memory per thread, grown (by reserving a larger one) when a call needs more. */
let area: { kernels: object; at: number; capacity: number } | null = null;
onClearCaches(() => {
  area = null;
});

/** `doubles` float64 values of this thread's scratch area in the FFT memory (16-byte aligned): their index. */
export const scratchArea = (memory: FftMemory, doubles: number): number => {
  if (area === null || area.kernels !== memory.memory || area.capacity < doubles) {
    const capacity = Math.max(doubles, 2 * (area?.capacity ?? 0));
    area = { kernels: memory.memory!, at: memory.reserve(capacity, "stft"), capacity };
  }
  return area.at;
};

const even = (n: number): number => n + (n & 1);

/**
 * Whether the elements (bin f, channel c) of one frame fill a contiguous run
 * of `nBins * channels` complex values exactly, so a frame staged in that
 * layout is copied out (or in) with one `set`.
 */
const denseFrame = (layout: SpectrumLayout, nBins: number, channels: number): boolean =>
  (layout.binStride === channels && layout.channelStride === 1) ||
  (layout.binStride === 1 && layout.channelStride === nBins) ||
  (channels === 1 && layout.binStride === 1);

/**
 * {@link stftFrames} inside the FFT kernels' memory: per batch of frames
 * and channel, the stretch of signal the batch's frames cover is copied in
 * once (in its own element type); each frame is windowed from it straight
 * into the transform's input, and its spectrum converted to the output's
 * element type and layout in a staging area that one `set` copies out.
 * Frames that reach into the padding are read as in the TypeScript path.
 */
const stftFramesInMemory = (engine: { memory: FftMemory; kernels: StftKernels }, job: StftJob, t0: number, t1: number): boolean => {
  const { memory, kernels } = engine;
  const { plan, signal, channels, length, window, out, layout } = job;
  const { nFft, hopLength, nBins, padMode } = plan;
  const single = signal instanceof Float32Array;
  const outSingle = out instanceof Float32Array;
  const dense = denseFrame(layout, nBins, channels);
  const batch = Math.max(1, Math.min(FRAME_BATCH, Math.floor((STAGED_SAMPLES - nFft) / hopLength) + 1));
  const stretch = (batch - 1) * hopLength + nFft;
  const stretchDoubles = even(single ? Math.ceil(stretch / 2) : stretch);
  const frameValues = 2 * nBins * channels;
  // Creates the size-n plan (it may grow the memory) before the scratch area is placed and the views taken.
  const input = memory.input(nFft);
  // Consecutive frames adjacent in `out` are staged together and copied out with one `set`.
  const outFrames = dense && layout.frameStride === nBins * channels ? OUT_FRAMES : 1;
  const outValues = outFrames * frameValues;
  // Frames t, t + 1 (t - s even) of a batch starting at s share a staging block when its frames are adjacent in `out`.
  const pairs = job.float32Pairs === true && single && outSingle && outFrames % 2 === 0 && memory.forwardStagedPairs32 !== undefined;
  // Staged blocks straight to the sink where they are the frames' bytes in order (the wire layout).
  const sink = outFrames > 1 ? job.sink : undefined;
  if (pairs) memory.planPairs32!(nFft);
  const stagingDoubles = even(outSingle ? outValues / 2 : outValues);
  const winAt = scratchArea(memory, nFft + 2 + channels * stretchDoubles + stagingDoubles + 2 + nFft);
  const sigAt = winAt + nFft + 2;
  const outAt = sigAt + channels * stretchDoubles;
  // A frame reaching into the padding, unwindowed.
  const edgeAt = outAt + stagingDoubles + 2;
  const heap = memory.heap();
  const heap32 = new Float32Array(heap.buffer);
  const heapBytes = new Uint8Array(heap.buffer);
  heap.set(window, winAt);
  const staged: FloatArray = outSingle ? heap32 : heap;
  const stagedAt = outSingle ? 2 * outAt : outAt;
  const pairBytes = outSingle ? 8 : 16;
  const convert = outSingle ? kernels.demote : kernels.copyPairs;
  const packed = layout.binStride === 1;
  const edge = heap.subarray(edgeAt, edgeAt + nFft);
  const step = 2 * layout.binStride;
  for (const seg of plan.segments) {
    const a = Math.max(t0, seg.frameStart);
    const b = Math.min(t1, seg.frameEnd);
    const positionOf = (t: number): number => seg.firstPosition + (t - seg.frameStart) * hopLength;
    for (let s = a; s < b; s += batch) {
      const e = Math.min(b, s + batch);
      // Frames wholly inside the segment: a contiguous run [ia, ib) of the batch.
      let ia = s;
      while (ia < e && positionOf(ia) < 0) ia++;
      let ib = ia;
      while (ib < e && positionOf(ib) + nFft <= seg.segmentLength) ib++;
      const first = positionOf(ia);
      if (ib > ia) {
        const count = positionOf(ib - 1) + nFft - first;
        for (let c = 0; c < channels; c++) {
          const from = c * length + seg.segmentOffset + first;
          if (single) heap32.set(signal.subarray(from, from + count), 2 * (sigAt + c * stretchDoubles));
          else heap.set(signal.subarray(from, from + count), sigAt + c * stretchDoubles);
        }
      }
      /** Copies the staging block that frame t ends (if it ends one) to `out`. */
      const flush = (t: number): void => {
        if (dense && ((t - s) % outFrames === outFrames - 1 || t === e - 1)) {
          const head = t - ((t - s) % outFrames);
          if (sink && sink.failed[0] === 0) {
            const bytes = (t + 1 - head) * sink.frameBytes;
            try {
              writeToSegment(sink.fd, heapBytes.subarray(stagedAt * staged.BYTES_PER_ELEMENT, stagedAt * staged.BYTES_PER_ELEMENT + bytes), sink.offset + head * sink.frameBytes);
              return;
            } catch {
              Atomics.store(sink.failed, 0, 1);
            }
          }
          out.set(staged.subarray(stagedAt, stagedAt + (t + 1 - head) * frameValues), 2 * head * layout.frameStride);
        }
      };
      for (let t = s; t < e; t++) {
        if (pairs && t >= ia && t < ib) {
          // Every frame inside the signal goes through a pair transform (with t + 1 when it can, else with itself),
          // so its values do not depend on how the frames were cut into chunks.
          const both = (t - s) % 2 === 0 && t + 1 < ib;
          const slot = (t - s) % outFrames;
          for (let c = 0; c < channels; c++) {
            const src = 8 * (sigAt + c * stretchDoubles) + 4 * (positionOf(t) - first);
            kernels.windowPairs32(src, both ? src + 4 * hopLength : src, 8 * winAt, 8 * input, nFft / 2);
            const spectrum = memory.forwardStagedPairs32!(nFft);
            const to = 8 * outAt + pairBytes * (slot * nBins * channels + layout.channelStride * c);
            kernels.splitPairs32(8 * spectrum, to, both ? to + pairBytes * nBins * channels : to, pairBytes * layout.binStride, nBins);
          }
          if (both) t++;
          flush(t);
          continue;
        }
        const position = positionOf(t);
        for (let c = 0; c < channels; c++) {
          if (t >= ia && t < ib) {
            const offset = position - first;
            const src = single ? 8 * (sigAt + c * stretchDoubles) + 4 * offset : 8 * (sigAt + c * stretchDoubles + offset);
            (single ? kernels.window32 : kernels.window64)(src, 8 * winAt, 8 * input, nFft / 2);
          } else {
            readPadded(signal, c * length + seg.segmentOffset, seg.segmentLength, padMode, position, nFft, edge);
            kernels.window64(8 * edgeAt, 8 * winAt, 8 * input, nFft / 2);
          }
          const result = memory.forward(nFft);
          if (dense) {
            const slot = (t - s) % outFrames;
            const to = 8 * outAt + pairBytes * (slot * nBins * channels + layout.channelStride * c);
            if (packed && outSingle) kernels.demotePacked(8 * result, to, nBins);
            else if (packed) heap.copyWithin(to / 8, result, result + 2 * nBins);
            else convert(8 * result, 16, to, pairBytes * layout.binStride, nBins);
          } else {
            for (let f = 0, p = 2 * (t * layout.frameStride + c * layout.channelStride); f < nBins; f++, p += step) {
              out[p] = heap[result + 2 * f]!;
              out[p + 1] = heap[result + 2 * f + 1]!;
            }
          }
        }
        flush(t);
      }
    }
  }
  return sink !== undefined;
};

/**
 * {@link stftFrames} in TypeScript loops around `getRealFft`: any n_fft, any
 * layout, no WebAssembly needed. Exported for tests (the in-memory path must match it bit for bit).
 */
export const stftFramesScalar = (job: StftJob, t0: number, t1: number): void => {
  const { plan, signal, channels, length, window, out, layout } = job;
  const { nFft, hopLength, nBins, padMode } = plan;
  const fft = getRealFft(nFft);
  const frame = new Float64Array(nFft);
  const spectrum = new Float64Array(2 * nBins);
  const step = 2 * layout.binStride;
  for (const seg of plan.segments) {
    const a = Math.max(t0, seg.frameStart);
    const b = Math.min(t1, seg.frameEnd);
    for (let t = a; t < b; t++) {
      const position = seg.firstPosition + (t - seg.frameStart) * hopLength;
      const inside = position >= 0 && position + nFft <= seg.segmentLength;
      for (let c = 0; c < channels; c++) {
        const base = c * length + seg.segmentOffset;
        if (inside) {
          const s0 = base + position;
          for (let k = 0; k < nFft; k++) frame[k] = signal[s0 + k]! * window[k]!;
        } else {
          readPadded(signal, base, seg.segmentLength, padMode, position, nFft, frame);
          for (let k = 0; k < nFft; k++) frame[k] = frame[k]! * window[k]!;
        }
        fft.forward(frame, 0, spectrum);
        // An explicit loop: TypedArray.set converting float64 to float32 is several times slower.
        for (let f = 0, p = 2 * (t * layout.frameStride + c * layout.channelStride); f < nBins; f++, p += step) {
          out[p] = spectrum[2 * f]!;
          out[p + 1] = spectrum[2 * f + 1]!;
        }
      }
    }
  }
};
