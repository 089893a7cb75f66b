/**
 * Inverse STFT with librosa 0.11.0's semantics (`librosa.istft`): windowed
 * inverse rfft per frame, overlap-add, division by the window's sum-square
 * envelope where it exceeds `tiny`, optional exact output `length`.
 *
 * The output is computed by blocks of hop-sized output slices; each block
 * re-reads the few frames that overlap it and adds frames in increasing frame
 * order, so every sample is the same sum in the same order however the work is
 * cut (bit-identical results for any thread count).
 *
 * @see https://librosa.org/doc/0.11.0/generated/librosa.istft.html
 */
import { getRealFft } from "../fft/realFft.js";
import { ParameterError } from "../util/errors.js";
import type { FloatArray } from "../parallel/alloc.js";
import type { SpectrumLayout } from "./stft.js";

const TINY_FLOAT32 = 1.1754943508222875e-38;
const TINY_FLOAT64 = 2.2250738585072014e-308;

export interface IstftPlan {
  nFft: number;
  hopLength: number;
  /** Frames used (librosa trims trailing frames that cannot reach `length`). */
  nFrames: number;
  /** Bins read from the input (min of what it has and nFft // 2 + 1). */
  nBinsUsed: number;
  nBinsIn: number;
  /** Samples in the output signal. */
  outLength: number;
  /** Padded position of output sample 0 (nFft // 2 when centred). */
  offset: number;
  /** Whether the output is float32 (sum-square envelope accumulated in float32 as librosa does). */
  single: boolean;
}

export const planIstft = (
  nBinsIn: number,
  nFramesIn: number,
  nFft: number,
  hopLength: number,
  center: boolean,
  length: number | null,
  single: boolean,
): IstftPlan => {
  const half = Math.floor(nFft / 2);
  let nFrames = nFramesIn;
  if (length) {
    const paddedLength = center ? length + 2 * half : length;
    nFrames = Math.min(nFramesIn, Math.ceil(paddedLength / hopLength));
  }
  let outLength = nFft + hopLength * (nFrames - 1);
  if (length) outLength = length;
  else if (center) outLength -= 2 * half;
  if (outLength < 0 || nFrames < 1) {
    throw new ParameterError(
      `istft needs at least one frame that produces output: ${nFramesIn} frame(s) of n_fft=${nFft} ` +
        `give a signal of length ${Math.max(outLength, 0)}`,
    );
  }
  return {
    nFft,
    hopLength,
    nFrames,
    nBinsIn,
    nBinsUsed: Math.min(nBinsIn, half + 1),
    outLength,
    offset: center ? half : 0,
    single,
  };
};

/**
 * The window's sum-square envelope (librosa's `window_sumsquare`) over padded
 * positions [pA, pB), each position summed over its frames in increasing frame
 * order, in float32 when `plan.single` (librosa accumulates in the output dtype).
 *
 * Where every frame that could cover a position exists (all but the first and
 * last frame's span), the terms depend only on the position modulo the hop, so
 * those positions copy one precomputed period: the same sums in the same order.
 */
const sumSquareEnvelope = (plan: IstftPlan, window: Float64Array, pA: number, pB: number, envelope: Float64Array): void => {
  const { nFft, hopLength, nFrames, single } = plan;
  const add = (sum: number, w: number): number => (single ? Math.fround(sum + w * w) : sum + w * w);
  const direct = (p: number): number => {
    let sum = 0;
    const first = Math.max(0, Math.floor((p - nFft) / hopLength) + 1);
    const last = Math.min(nFrames - 1, Math.floor(p / hopLength));
    for (let t = first; t <= last; t++) sum = add(sum, window[p - t * hopLength]!);
    return sum;
  };
  // Positions whose frames t = floor((p - nFft) / hop) + 1 .. floor(p / hop) all exist.
  const interiorStart = Math.max(0, nFft - hopLength);
  const interiorEnd = nFrames * hopLength;
  const period = new Float64Array(hopLength);
  for (let r = 0; r < hopLength; r++) {
    let sum = 0;
    for (let k = r + Math.floor((nFft - 1 - r) / hopLength) * hopLength; k >= 0; k -= hopLength) sum = add(sum, window[k]!);
    period[r] = sum;
  }
  for (let p = pA; p < pB; p++) {
    envelope[p - pA] = p >= interiorStart && p < interiorEnd ? period[p % hopLength]! : direct(p);
  }
};

/** Number of work units (hop-sized output slices) for `istftUnits`. */
export const istftUnitCount = (plan: IstftPlan): number => plan.nFrames;

/**
 * Computes the output samples owned by units [u0, u1) of channel range
 * [0, channels): unit u owns padded positions [u * hop, (u + 1) * hop), the
 * last unit everything to the end.
 *
 * `spectrum` is interleaved complex in `layout`; `window` is the analysis
 * window padded to nFft; `out` holds `channels` rows of `plan.outLength`.
 */
export const istftUnits = (
  plan: IstftPlan,
  spectrum: FloatArray,
  layout: SpectrumLayout,
  channels: number,
  window: Float64Array,
  out: FloatArray,
  u0: number,
  u1: number,
): void => {
  const nBinsFull = Math.floor(plan.nFft / 2) + 1;
  const scratch: IstftScratch = {
    spec: new Float64Array(2 * nBinsFull),
    frame: new Float64Array(plan.nFft),
    acc: new Float64Array(UNITS_PER_BLOCK * plan.hopLength + plan.nFft),
    envelope: new Float64Array(UNITS_PER_BLOCK * plan.hopLength + plan.nFft),
  };
  for (let b = u0; b < u1; b += UNITS_PER_BLOCK) {
    istftBlock(plan, spectrum, layout, channels, window, out, b, Math.min(b + UNITS_PER_BLOCK, u1), scratch);
  }
};

/**
 * Units per block inside one call: small blocks keep the scratch in cache and
 * need no signal-sized temporaries; each block re-reads the (nFft / hop) - 1
 * frames it shares with the previous one, about 1% more inverse FFTs at 256.
 */
const UNITS_PER_BLOCK = 256;

interface IstftScratch {
  spec: Float64Array;
  frame: Float64Array;
  acc: Float64Array;
  envelope: Float64Array;
}

const istftBlock = (
  plan: IstftPlan,
  spectrum: FloatArray,
  layout: SpectrumLayout,
  channels: number,
  window: Float64Array,
  out: FloatArray,
  u0: number,
  u1: number,
  scratch: IstftScratch,
): void => {
  const { nFft, hopLength, nFrames, nBinsUsed, outLength, offset, single } = plan;
  const paddedEnd = nFft + hopLength * (nFrames - 1);
  const pA = Math.max(u0 * hopLength, offset);
  const pB = Math.min(u1 === nFrames ? paddedEnd : u1 * hopLength, offset + outLength);
  if (pB <= pA) return;
  const width = pB - pA;
  const fft = getRealFft(nFft);
  const { spec, frame, acc, envelope } = scratch;
  const firstFrame = Math.max(0, Math.floor((pA - nFft) / hopLength) + 1);
  const lastFrame = Math.min(nFrames - 1, Math.floor((pB - 1) / hopLength));

  sumSquareEnvelope(plan, window, pA, pB, envelope);
  const tiny = single ? TINY_FLOAT32 : TINY_FLOAT64;
  const step = 2 * layout.binStride;

  for (let c = 0; c < channels; c++) {
    acc.fill(0, 0, width);
    for (let t = firstFrame; t <= lastFrame; t++) {
      let o = 2 * (t * layout.frameStride + c * layout.channelStride);
      for (let f = 0; f < nBinsUsed; f++, o += step) {
        spec[2 * f] = spectrum[o]!;
        spec[2 * f + 1] = spectrum[o + 1]!;
      }
      fft.inverse(spec, 0, frame, 0);
      const start = t * hopLength;
      const k0 = Math.max(0, pA - start);
      const k1 = Math.min(nFft, pB - start);
      for (let k = k0; k < k1; k++) acc[start + k - pA] += window[k]! * frame[k]!;
    }
    const row = c * outLength + (pA - offset);
    for (let i = 0; i < width; i++) {
      const e = envelope[i]!;
      out[row + i] = e > tiny ? acc[i]! / e : acc[i]!;
    }
  }
};
