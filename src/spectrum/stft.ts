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
import { getRealFft } from "../fft/realFft.js";
import { ParameterError } from "../util/errors.js";
import type { FloatArray } from "../parallel/alloc.js";
import { readPadded, type PadMode } from "./pad.js";

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

/**
 * Computes frames [t0, t1) of the STFT of every channel of `signal`
 * (`channels` rows of `length` samples, row-major) into `out`.
 *
 * Windowing and the FFT run in float64 (as numpy does for float32 audio times
 * librosa's float64 window); `out` may be float32 (complex64) or float64.
 */
export const stftFrames = (
  plan: StftPlan,
  signal: FloatArray,
  channels: number,
  length: number,
  window: Float64Array,
  out: FloatArray,
  layout: SpectrumLayout,
  t0: number,
  t1: number,
): void => {
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
