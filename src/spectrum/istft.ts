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
import { getRealFft } from "../fft/index.js";
import { ParameterError } from "../util/errors.js";
import type { FloatArray } from "../util/alloc.js";
import { inMemoryEngine, scratchArea, type SpectrumLayout } from "./stft.js";
import type { StftKernels } from "./stftKernels.js";
import type { FftMemory } from "../fft/wasmRealFft.js";
import { onClearCaches } from "../util/clearCaches.js";

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
const sumSquareEnvelope = (plan: IstftPlan, window: Float64Array, pA: number, pB: number, envelope: Float64Array, at = 0): void => {
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
  // [lo, hi): the interior part of [pA, pB), the period written once and doubled by copies.
  const lo = Math.max(pA, Math.min(pB, interiorStart));
  const hi = Math.max(lo, Math.min(pB, interiorEnd));
  for (let p = pA; p < lo; p++) envelope[at + p - pA] = direct(p);
  if (hi > lo) {
    const period = envelopePeriod(plan, window);
    const first = at + lo - pA;
    const n = hi - lo;
    const once = Math.min(hopLength, n);
    for (let i = 0; i < once; i++) envelope[first + i] = period[(lo + i) % hopLength]!;
    for (let filled = once; filled < n; filled *= 2) envelope.copyWithin(first + filled, first, first + Math.min(filled, n - filled));
  }
  for (let p = hi; p < pB; p++) envelope[at + p - pA] = direct(p);
};

/** The sum-square envelope at interior positions p, by p modulo the hop. */
const envelopePeriod = (plan: IstftPlan, window: Float64Array): Float64Array => {
  const { nFft, hopLength, single } = plan;
  const period = new Float64Array(hopLength);
  for (let r = 0; r < hopLength; r++) {
    let sum = 0;
    for (let k = r + Math.floor((nFft - 1 - r) / hopLength) * hopLength; k >= 0; k -= hopLength) {
      sum = single ? Math.fround(sum + window[k]! * window[k]!) : sum + window[k]! * window[k]!;
    }
    period[r] = sum;
  }
  return period;
};

/** Number of work units (hop-sized output slices) for `istftUnits`. */
export const istftUnitCount = (plan: IstftPlan): number => plan.nFrames;

/** One inverse STFT's inputs and output: the spectrum in `layout`, the analysis window padded to n_fft, `channels` output rows of `plan.outLength`. */
export interface IstftJob {
  plan: IstftPlan;
  spectrum: FloatArray;
  layout: SpectrumLayout;
  channels: number;
  window: Float64Array;
  out: FloatArray;
  /**
   * complex64 frames into float32 samples: inverse-transform two frames at once
   * in float32 where the kernels can, as numpy's irfft of complex64 values runs
   * in float32 too (see StftJob.float32Pairs). Off: float64 transforms, the same
   * bits as the TypeScript path.
   */
  float32Pairs?: boolean;
  /** The first frame `spectrum` holds (frame t at t - firstFrame in `layout`): a window of frames made for these units (see {@link istftFrameRange}). Default 0. */
  firstFrame?: number;
}

/** The frames [first, end) that reach padded positions [pA, pB) (pA < pB). */
const framesReaching = (plan: IstftPlan, pA: number, pB: number): [number, number] => [
  Math.max(0, Math.floor((pA - plan.nFft) / plan.hopLength) + 1),
  Math.min(plan.nFrames - 1, Math.floor((pB - 1) / plan.hopLength)) + 1,
];

/** The frames [first, end) that units [u0, u1) read. */
export const istftFrameRange = (plan: IstftPlan, u0: number, u1: number): [number, number] => {
  const [pA, pB] = unitPositions(plan, u0, u1);
  return pB <= pA ? [0, 0] : framesReaching(plan, pA, pB);
};

/**
 * Computes the output samples owned by units [u0, u1) of channel range
 * [0, channels): unit u owns padded positions [u * hop, (u + 1) * hop), the
 * last unit everything to the end.
 *
 * `spectrum` is interleaved complex in `layout`; `window` is the analysis
 * window padded to nFft; `out` holds `channels` rows of `plan.outLength`.
 */
export const istftUnits = (job: IstftJob, u0: number, u1: number): void => {
  const { plan, channels } = job;
  if (u1 <= u0 || channels < 1) return;
  const engine = inMemoryEngine(plan.nFft);
  if (engine !== null) istftUnitsInMemory(engine, job, u0, u1);
  else istftUnitsScalar(job, u0, u1);
};

/**
 * {@link istftUnits} in TypeScript loops around `getRealFft` (blocks of
 * {@link UNITS_PER_BLOCK} units that re-read the frames they share): any
 * n_fft, no WebAssembly needed. Exported for tests (the in-memory path must match it bit for bit).
 */
export const istftUnitsScalar = (job: IstftJob, u0: number, u1: number): void => {
  const { plan } = job;
  const nBinsFull = Math.floor(plan.nFft / 2) + 1;
  const scratch: IstftScratch = {
    spec: new Float64Array(2 * nBinsFull),
    frame: new Float64Array(plan.nFft),
    acc: new Float64Array(UNITS_PER_BLOCK * plan.hopLength + plan.nFft),
    envelope: new Float64Array(UNITS_PER_BLOCK * plan.hopLength + plan.nFft),
  };
  for (let b = u0; b < u1; b += UNITS_PER_BLOCK) {
    istftBlock(job, b, Math.min(b + UNITS_PER_BLOCK, u1), scratch);
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

/** The output positions [pA, pB) (in padded-signal coordinates) that units [u0, u1) own. */
const unitPositions = (plan: IstftPlan, u0: number, u1: number): [number, number] => {
  const { nFft, hopLength, nFrames, outLength, offset } = plan;
  const paddedEnd = nFft + hopLength * (nFrames - 1);
  return [Math.max(u0 * hopLength, offset), Math.min(u1 === nFrames ? paddedEnd : u1 * hopLength, offset + outLength)];
};

/** The output samples [s0, s1) of each channel row that units [u0, u1) write (empty when s1 <= s0). */
export const istftUnitSamples = (plan: IstftPlan, u0: number, u1: number): [number, number] => {
  const [pA, pB] = unitPositions(plan, u0, u1);
  return [pA - plan.offset, pB - plan.offset];
};

const istftBlock = (job: IstftJob, u0: number, u1: number, scratch: IstftScratch): void => {
  const { plan, spectrum, layout, channels, window, out } = job;
  const { nFft, hopLength, nBinsUsed, outLength, offset, single } = plan;
  const held = job.firstFrame ?? 0;
  const [pA, pB] = unitPositions(plan, u0, u1);
  if (pB <= pA) return;
  const width = pB - pA;
  const fft = getRealFft(nFft);
  const { spec, frame, acc, envelope } = scratch;
  const [firstFrame, endFrame] = framesReaching(plan, pA, pB);

  sumSquareEnvelope(plan, window, pA, pB, envelope);
  const tiny = single ? TINY_FLOAT32 : TINY_FLOAT64;
  const step = 2 * layout.binStride;

  for (let c = 0; c < channels; c++) {
    acc.fill(0, 0, width);
    for (let t = firstFrame; t < endFrame; t++) {
      let o = 2 * ((t - held) * layout.frameStride + c * layout.channelStride);
      for (let f = 0; f < nBinsUsed; f++, o += step) {
        spec[2 * f] = spectrum[o]!;
        spec[2 * f + 1] = spectrum[o + 1]!;
      }
      fft.inverse(spec, 0, frame, 0);
      const start = t * hopLength;
      const k0 = Math.max(0, pA - start);
      const k1 = Math.min(nFft, pB - start);
      for (let k = k0; k < k1; k++) acc[start + k - pA]! += window[k]! * frame[k]!;
    }
    const row = c * outLength + (pA - offset);
    for (let i = 0; i < width; i++) {
      const e = envelope[i]!;
      out[row + i] = e > tiny ? acc[i]! / e : acc[i]!;
    }
  }
};

/** Where the spectrum of frame t, channel c is read from and how it is staged in the FFT memory. */
type Staging = "frame" | "channel" | "scalar";

/** This thread's envelope period tiled over a block's reach, kept while the same window, hop and precision come back. */
let tile: { kernels: object; at: number; capacity: number; hop: number; single: boolean; window: Float64Array; length: number } | null = null;
onClearCaches(() => {
  tile = null;
});

/** Whether a and b hold the same values (Object.is per element), in a loop that allocates nothing (a callback boxes each value). */
const sameValues = (a: Float64Array, b: Float64Array): boolean => {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) {
    const x = a[k]!;
    const y = b[k]!;
    if (x === y ? x === 0 && 1 / x !== 1 / y : x === x || y === y) return false;
  }
  return true;
};

/**
 * The interior envelope tiled: index j holds period[j % hop] for j < length.
 * A block whose positions are all interior reads it from index pA % hop.
 */
const envelopeTile = (memory: FftMemory, plan: IstftPlan, window: Float64Array, length: number): number => {
  const { hopLength, single } = plan;
  if (
    tile !== null && tile.kernels === memory.memory && tile.hop === hopLength && tile.single === single && tile.length >= length &&
    sameValues(tile.window, window)
  ) {
    return tile.at;
  }
  const capacity = tile !== null && tile.kernels === memory.memory && tile.capacity >= length ? tile.capacity : Math.max(length, 2 * (tile?.capacity ?? 0));
  const at = capacity === tile?.capacity && tile.kernels === memory.memory ? tile.at : memory.reserve(capacity, "stft");
  tile = { kernels: memory.memory!, at, capacity, hop: hopLength, single, window: window.slice(), length };
  const heap = memory.heap();
  heap.set(envelopePeriod(plan, window), at);
  for (let filled = hopLength; filled < length; filled *= 2) heap.copyWithin(at + filled, at, at + Math.min(filled, length - filled));
  return at;
};

/** Input frames staged at most per copy in {@link istftUnitsInMemory}. */
const STAGED_FRAMES = 8;

/** Output samples per block of {@link istftUnitsInMemory} (whole hops; the accumulator stays in cache). */
const BLOCK_SAMPLES = 1 << 14;

/**
 * {@link istftUnits} inside the FFT kernels' memory. The units' positions are
 * cut into blocks of whole hops; each frame is inverse-transformed once: its
 * spectrum (all channels, when they are interleaved) is copied in in its own
 * element type and converted into the transform's input, the transformed
 * frame windowed and added into a per-channel accumulator that runs on past
 * the block (the next block starts from those partial sums). Each block is
 * then divided by the envelope into a staging area of the output's type that
 * one `set` copies out. Every position gets the same terms in the same
 * (frame) order as in {@link istftBlock}, its first term added to +0.
 */
const istftUnitsInMemory = (engine: { memory: FftMemory; kernels: StftKernels }, job: IstftJob, u0: number, u1: number): void => {
  const { memory, kernels } = engine;
  const { plan, spectrum, layout, channels, window, out } = job;
  const { nFft, hopLength, nFrames, nBinsUsed, outLength, offset, single } = plan;
  const held = job.firstFrame ?? 0;
  const [PA, PB] = unitPositions(plan, u0, u1);
  if (PB <= PA) return;
  const nBinsFull = Math.floor(nFft / 2) + 1;
  const inSingle = spectrum instanceof Float32Array;
  const outSingle = out instanceof Float32Array;
  const { frameStride, binStride, channelStride } = layout;
  const channelSpan = (nBinsUsed - 1) * binStride + 1;
  const frameSpan = channelSpan + (channels - 1) * channelStride;
  const staging: Staging = frameSpan <= 2 * nBinsUsed * channels ? "frame" : channelSpan <= 2 * nBinsUsed ? "channel" : "scalar";
  // Frames adjacent in `spectrum` are staged STAGED_FRAMES at a time (one longer copy streams better).
  const stageFrames = staging === "frame" && frameStride === frameSpan ? STAGED_FRAMES : 1;
  const specPairs = staging === "frame" ? stageFrames * frameSpan : staging === "channel" ? channelSpan : 0;
  const blockUnits = Math.max(1, Math.floor(BLOCK_SAMPLES / hopLength));
  // A block spans at most blockUnits hops, plus nFft - hop for a last unit; the accumulator reaches nFft further.
  const maxWidth = blockUnits * hopLength + nFft;
  const accLength = maxWidth + nFft + 2;
  const interiorStart = Math.max(0, nFft - hopLength);
  const interiorEnd = nFrames * hopLength;
  // Frames that reach a position outside the interior keep float64 transforms: where the window's sum-square
  // envelope is tiny (past the last full frame, before the first), dividing by it magnifies float32 rounding
  // beyond the float32 tolerance (librosa's float32 answer there is ~1e-4 from its float64 one; ours stays within 1e-6).
  const interiorFrame = (t: number): boolean => t * hopLength >= interiorStart && t * hopLength + nFft <= interiorEnd;

  // Frames t, t + 1 of a channel inverse-transformed together (both staged: frames adjacent in `spectrum`).
  const pairs = job.float32Pairs === true && inSingle && outSingle && stageFrames > 1 && memory.inverseStagedPairs32 !== undefined;
  // The size-n plans and tables first (they may grow the memory), then the scratch areas, then the views.
  const input = memory.input(nFft);
  if (pairs) memory.planPairs32!(nFft);
  const tileAt = envelopeTile(memory, plan, window, maxWidth + hopLength + 2);
  // With pairs: both frames of every channel (their pair spectrum is joined into the transform's input).
  const pairDoubles = pairs ? 2 * channels * nFft : 0;
  const winAt = scratchArea(memory, nFft + 2 + 2 * specPairs + channels * accLength + 2 * (maxWidth + 2) + pairDoubles);
  const specAt = winAt + nFft + 2;
  const accAt = specAt + 2 * specPairs;
  const envAt = accAt + channels * accLength;
  const stageAt = envAt + maxWidth + 2;
  const pairFramesAt = stageAt + maxWidth + 2;
  const heap = memory.heap();
  const heap32 = new Float32Array(heap.buffer);
  heap.set(window, winAt);
  const staged: FloatArray = inSingle ? heap32 : heap;
  const stagedAt = inSingle ? 2 * specAt : specAt;
  const inPair = inSingle ? 8 : 16;
  const toInput = inSingle ? kernels.promote : kernels.copyPairs;
  const packed = inSingle && binStride === 1;
  // float64 bins side by side: copied straight into the transform's input.
  const direct = !inSingle && binStride === 1;
  const outStaged: FloatArray = outSingle ? heap32 : heap;
  const outStagedAt = outSingle ? 2 * stageAt : stageAt;
  const normalize = outSingle ? kernels.normalize32 : kernels.normalize64;
  const tiny = single ? TINY_FLOAT32 : TINY_FLOAT64;

  // Accumulator index 0 is position pA; positions [pA, reach) have a term (or are never reached and zeroed).
  const [firstNeeded, endNeeded] = framesReaching(plan, PA, PB);
  let t = firstNeeded;
  let reach = PA;
  // The frames [stagedFrom, stagedEnd) staged at specAt (within those these units read).
  let stagedFrom = t;
  let stagedEnd = t;
  for (let pA = PA; pA < PB; ) {
    // Blocks end on unit boundaries (the last unit, up to PB).
    const unitEnd = Math.floor(pA / hopLength) + blockUnits;
    const pB = unitEnd >= u1 ? PB : Math.min(PB, unitEnd * hopLength);
    const width = pB - pA;
    const lastFrame = framesReaching(plan, pA, pB)[1] - 1;
    /**
     * Adds frame t's windowed samples into the accumulators, channel by channel:
     * channel c's are at the heap index `frameOf(c)` returns (which may transform them just then).
     */
    const accumulate = (t: number, frameOf: (c: number) => number): void => {
      const start = t * hopLength;
      // This frame's positions in [pA, PB): add where an earlier frame reached, set beyond.
      const k0 = Math.max(0, pA - start);
      const k1 = Math.min(nFft, PB - start);
      const kSet = Math.min(k1, Math.max(k0, reach - start));
      if (start + k0 > reach) {
        for (let c = 0; c < channels; c++) heap.fill(0, accAt + c * accLength + reach - pA, accAt + c * accLength + start + k0 - pA);
      }
      for (let c = 0; c < channels; c++) {
        const frame = frameOf(c);
        const acc = accAt + c * accLength + start - pA;
        overlap(kernels.overlapAdd, heap, acc, winAt, frame, k0, kSet, false);
        overlap(kernels.overlapSet, heap, acc, winAt, frame, kSet, k1, true);
      }
      reach = Math.max(reach, start + k1);
    };
    for (; t <= lastFrame; t++) {
      const base = 2 * (t - held) * frameStride;
      // With pairs, frame t + 1 (when this block reads it) is staged with frame t.
      const paired = pairs && interiorFrame(t);
      const both = paired && t + 1 <= lastFrame && interiorFrame(t + 1);
      if (staging === "frame" && !direct && (t >= stagedEnd || (both && t + 1 >= stagedEnd))) {
        stagedFrom = t;
        stagedEnd = Math.min(t + stageFrames, endNeeded);
        staged.set(spectrum.subarray(base, base + 2 * frameSpan * (stagedEnd - t)), stagedAt);
      }
      const frameAt = 8 * specAt + inPair * frameSpan * (t - stagedFrom);
      if (paired) {
        // Every interior frame through a pair transform (with t + 1 when this block reads it, else with
        // itself), so its samples do not depend on how the units were cut into chunks.
        for (let c = 0; c < channels; c++) {
          const from = frameAt + inPair * c * channelStride;
          kernels.joinPairs32(from, both ? from + inPair * frameSpan : from, inPair * binStride, 8 * input, nBinsUsed);
          if (nBinsUsed < nBinsFull) heap.fill(0, input + 2 * nBinsUsed, input + 2 * nBinsFull);
          const frameA = pairFramesAt + 2 * c * nFft;
          memory.inverseStagedPairs32!(nFft, frameA, frameA + nFft);
        }
        accumulate(t, (c) => pairFramesAt + 2 * c * nFft);
        if (both) accumulate(++t, (c) => pairFramesAt + 2 * c * nFft + nFft);
        continue;
      }
      accumulate(t, (c) => {
        if (direct) {
          const from = base + 2 * c * channelStride;
          heap.set(spectrum.subarray(from, from + 2 * nBinsUsed), input);
        } else if (staging === "frame") {
          if (packed) kernels.promotePacked(frameAt + inPair * c * channelStride, 8 * input, nBinsUsed);
          else toInput(frameAt + inPair * c * channelStride, inPair * binStride, 8 * input, 16, nBinsUsed);
        } else if (staging === "channel") {
          const from = base + 2 * c * channelStride;
          staged.set(spectrum.subarray(from, from + 2 * channelSpan), stagedAt);
          if (packed) kernels.promotePacked(8 * specAt, 8 * input, nBinsUsed);
          else toInput(8 * specAt, inPair * binStride, 8 * input, 16, nBinsUsed);
        } else {
          for (let f = 0, o = base + 2 * c * channelStride; f < nBinsUsed; f++, o += 2 * binStride) {
            heap[input + 2 * f] = spectrum[o]!;
            heap[input + 2 * f + 1] = spectrum[o + 1]!;
          }
        }
        if (nBinsUsed < nBinsFull) heap.fill(0, input + 2 * nBinsUsed, input + 2 * nBinsFull);
        return memory.inverse(nFft);
      });
    }
    if (reach < pB) {
      for (let c = 0; c < channels; c++) heap.fill(0, accAt + c * accLength + reach - pA, accAt + c * accLength + width);
      reach = pB;
    }
    let env: number;
    if (pA >= interiorStart && pB <= interiorEnd) {
      env = tileAt + (pA % hopLength);
    } else {
      sumSquareEnvelope(plan, window, pA, pB, heap, envAt);
      env = envAt;
    }
    for (let c = 0; c < channels; c++) {
      const acc = accAt + c * accLength;
      normalize(8 * acc, 8 * env, 8 * stageAt, (width + 1) >> 1, tiny);
      out.set(outStaged.subarray(outStagedAt, outStagedAt + width), c * outLength + (pA - offset));
      // The partial sums past the block become the start of the next one.
      if (reach > pB) heap.copyWithin(acc, acc + width, acc + reach - pA);
    }
    pA = pB;
  }
};

/** acc[k] (+)= win[k] * frame[k] for k in [k0, k1): pairs in the kernel, an odd last value here (`first`: added to +0). */
const overlap = (
  kernel: (acc: number, win: number, frame: number, pairs: number) => void,
  heap: Float64Array,
  acc: number,
  win: number,
  frame: number,
  k0: number,
  k1: number,
  first: boolean,
): void => {
  if (k1 <= k0) return;
  kernel(8 * (acc + k0), 8 * (win + k0), 8 * (frame + k0), (k1 - k0) >> 1);
  if ((k1 - k0) & 1) {
    const k = k1 - 1;
    heap[acc + k] = (first ? 0 : heap[acc + k]!) + heap[win + k]! * heap[frame + k]!;
  }
};
