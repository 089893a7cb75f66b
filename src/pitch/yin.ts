/**
 * YIN fundamental frequency estimation, step for step as librosa 0.11.0's
 * `librosa.yin` computes it, one frame at a time.
 *
 * Per frame (length `frameLength`, read straight from the unpadded signal):
 * 1. autocorrelation `r(k)` for lags 0 .. maxPeriod only, by FFT: per frame
 *    (`directAcf`), or from spectra of blocks that overlapping frames share
 *    (`blockAcf`, chosen when cheaper; e.g. frameLength 2048, hop 512);
 * 2. librosa's difference function `d(k) = 2 (r(0) - r(k)) - Σ_{m<k} y(m)²`
 *    (the energy term is librosa's, not the paper's two-sided one; and librosa
 *    zeroes the energy cumsum's first element before using it, so `d(1)` has
 *    no energy term at all);
 * 3. cumulative mean normalisation `d'(k) = d(k) / (Σ_{j=1..k} d(j) / k + tiny)`
 *    for k in [minPeriod, maxPeriod] only;
 * 4. the first trough (librosa's `localmin`, with its first-bin rule) below
 *    `troughThreshold`, else the first global minimum;
 * 5. parabolic refinement and `f0 = sr / period`.
 *
 * Precision: float64 throughout, with librosa's order of operations wherever it
 * decides which bin wins (the `tiny` guard, the threshold and neighbour
 * comparisons, argmin's first-minimum rule). For float32 input librosa rounds
 * frames, squares, its float32 FFT, `d` and the cumulative sum to float32
 * (dividing in float64). We tried emulating every one of those roundings except
 * the FFT (which cannot be reproduced): on 30 s of each of 30 real tracks that
 * matched librosa's float32 answer on fewer frames than plain float64 did, since
 * the frames where librosa's float32 answer differs are decided by its FFT
 * rounding, which emulating the other steps does not reproduce. So float32
 * input is computed exactly like float64 input.
 *
 * @see {@link https://doi.org/10.1121/1.1458024 | de Cheveigné & Kawahara 2002, "YIN, a fundamental frequency estimator for speech and music"}
 */
import { unitRoot } from "../fft/unitRoot.js";
import { readPadded, type PadMode } from "../spectrum/pad.js";
import { isTrough, spectralMemory, spectralScratch, type SpectralMemory } from "./spectralMemory.js";

/** numpy's `finfo(float64).tiny`, librosa's `util.tiny` guard in the denominator. */
const TINY64 = 2.2250738585072014e-308;

/** Geometry and parameters of one yin call, resolved as librosa resolves them. */
export interface YinPlan {
  /** Samples per channel of the unpadded signal. */
  length: number;
  frameLength: number;
  hopLength: number;
  /** Padded position of frame 0's first sample relative to the signal: -floor(frameLength/2) when centred, else 0. */
  offset: number;
  padMode: PadMode;
  nFrames: number;
  /** floor(sr / fmax). */
  minPeriod: number;
  /** min(ceil(sr / fmin), frameLength - 1). */
  maxPeriod: number;
  sr: number;
  troughThreshold: number;
}

export interface YinOptions {
  sr: number;
  fmin: number;
  fmax: number;
  frameLength: number;
  hopLength: number;
  troughThreshold: number;
  center: boolean;
  padMode: PadMode;
}

const nextPowerOfTwo = (n: number): number => {
  let p = 1;
  while (p < n) p *= 2;
  return p;
};

/**
 * Resolves librosa's frame count and period range. The caller has checked the
 * parameters (librosa's `__check_yin_params`) and that the padded signal holds
 * at least one frame.
 */
export const planYin = (length: number, o: YinOptions): YinPlan => {
  const half = Math.floor(o.frameLength / 2);
  const padded = o.center ? length + 2 * half : length;
  const maxPeriod = Math.min(Math.ceil(o.sr / o.fmin), o.frameLength - 1);
  return {
    length,
    frameLength: o.frameLength,
    hopLength: o.hopLength,
    offset: o.center ? -half : 0,
    padMode: o.center ? o.padMode : "constant",
    nFrames: 1 + Math.floor((padded - o.frameLength) / o.hopLength),
    minPeriod: Math.floor(o.sr / o.fmax),
    maxPeriod,
    sr: o.sr,
    troughThreshold: o.troughThreshold,
  };
};

/**
 * `readPadded` into `out[at ..]`; inside the signal by `TypedArray.set`, which
 * converts float32 to float64 several times faster than an element loop.
 */
const readSamples = (
  signal: Float32Array | Float64Array,
  offset: number,
  length: number,
  mode: PadMode,
  start: number,
  count: number,
  out: Float64Array,
  at: number,
): void => {
  if (start >= 0 && start + count <= length) out.set(signal.subarray(offset + start, offset + start + count), at);
  else readPadded(signal, offset, length, mode, start, count, out.subarray(at, at + count));
};

/**
 * The autocorrelation of one frame: `frame` returns where `r(0 .. maxPeriod)` lie
 * in `memory.heap()`, and `head()` where the frame's first maxPeriod samples lie
 * (both valid until the next call).
 */
interface AcfSource {
  frame(channel: number, t: number): number;
  head(): number;
}

/** float64 values of `directAcf`'s scratch: the frame's head. */
const directScratch = (plan: YinPlan): number => plan.maxPeriod + 1;

/**
 * One real FFT of size >= frameLength + maxPeriod per frame: `r = irfft(|rfft(frame)|²)`.
 */
const directAcf = (plan: YinPlan, signal: Float32Array | Float64Array, memory: SpectralMemory, head: number): AcfSource => {
  const { frameLength, hopLength, offset, padMode, length, maxPeriod } = plan;
  const n = nextPowerOfTwo(frameLength + maxPeriod);
  memory.input(n); // makes the transform's tables now, so no frame grows the memory
  return {
    head: () => head,
    frame(channel, t) {
      const input = memory.input(n);
      const heap = memory.heap();
      readSamples(signal, channel * length, length, padMode, t * hopLength + offset, frameLength, heap, input);
      heap.fill(0, input + frameLength, input + n);
      heap.copyWithin(head, input, input + maxPeriod);
      memory.powerSpectrum(memory.forward(n), input, n / 2 + 1);
      return memory.inverse(n);
    },
  };
};

/** How frames split into blocks for `blockAcf`, or null where that costs more than `directAcf`. */
interface BlockLayout {
  /** Block length: gcd(frameLength, hopLength). */
  size: number;
  /** Blocks per frame. */
  perFrame: number;
  /** Blocks per hop. */
  perHop: number;
  /** Largest block distance whose pairs reach a lag <= maxPeriod. */
  reach: number;
  /** FFT size of the block spectra, >= 2 size. */
  fftSize: number;
  /** Block distances per inverse FFT, floor(fftSize / size) - 1: each yields that many bands of `size` lags. */
  span: number;
  /** Inverse FFTs per frame. */
  groups: number;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * Relative costs per frame, fitted to CPU-time measurements of both paths (Node 20,
 * 2-core EPYC; frame/hop/fmin/sr 2048/512/50/22050 (W1): blocks 3.1x faster,
 * 2048/512/50/44100 (W2): 1.3x with one 2048-point inverse FFT, 4096/1024/50/44100:
 * 2.3x, 2048/128/50/22050: 1.5x, 3000/128/50/22050: one FFT per frame 24x faster):
 * an FFT of size n costs n log2 n, a complex product per bin (cross spectrum or |X|²)
 * ~6, a complex add per bin ~1.6 (all in WebAssembly SIMD; the TypeScript fallback
 * keeps the same choice).
 */
const fftCost = (n: number): number => n * Math.log2(n);
const COMPLEX_PRODUCT = 6;
const COMPLEX_ADD = 1.6;

/** Block spectra of size fftSize: which distances each inverse FFT takes, and the cost per frame. */
const blockPlan = (size: number, perFrame: number, perHop: number, maxPeriod: number, fftSize: number): { layout: BlockLayout; cost: number } => {
  const reach = Math.min(Math.ceil(maxPeriod / size), perFrame - 1);
  const span = Math.floor(fftSize / size) - 1;
  const groups = Math.ceil((maxPeriod + 1) / (span * size));
  const bins = fftSize / 2 + 1;
  let products = 0;
  let adds = 0;
  for (let g = 0; g < groups; g++) {
    const low = g * span;
    products += Math.min(reach, low + span) - low + 1;
    adds += Math.min(perFrame, perFrame - low);
  }
  const cost = Math.min(perHop, perFrame) * (fftCost(fftSize) + products * bins * COMPLEX_PRODUCT) + groups * fftCost(fftSize) + adds * bins * COMPLEX_ADD;
  return { layout: { size, perFrame, perHop, reach, fftSize, span, groups }, cost };
};

export const blockLayout = (frameLength: number, hopLength: number, maxPeriod: number): BlockLayout | null => {
  const size = gcd(frameLength, hopLength);
  const perFrame = frameLength / size;
  const perHop = hopLength / size;
  const directSize = nextPowerOfTwo(frameLength + maxPeriod);
  let best: { layout: BlockLayout; cost: number } | null = null;
  // From the smallest block FFT (two blocks, one band of lags per inverse) up to one inverse per frame.
  for (let fftSize = nextPowerOfTwo(2 * size); ; fftSize *= 2) {
    const candidate = blockPlan(size, perFrame, perHop, maxPeriod, fftSize);
    if (best === null || candidate.cost < best.cost) best = candidate;
    if (candidate.layout.groups === 1) break;
  }
  const direct = 2 * fftCost(directSize) + (directSize / 2 + 1) * COMPLEX_PRODUCT;
  return best.cost < 0.9 * direct ? best.layout : null;
};

/**
 * float64 values of `blockAcf`'s scratch: phases as (wr, wr, -wi, wi) per bin and
 * relative distance, the spectra ring, the partial sums, the blocks' samples
 * (each twice, so that a frame's samples are contiguous), and the joined autocorrelation.
 */
const blockScratch = ({ size, perFrame, fftSize, span, groups }: BlockLayout): number =>
  (span + 1) * 2 * (fftSize + 2) +
  perFrame * (fftSize + 2) +
  perFrame * groups * (span + 1) * (fftSize + 2) +
  2 * perFrame * size +
  groups * span * size;

/**
 * BlockAcf's phases from `heap[phases]`: per relative distance r = 0 .. span and bin f,
 * e^{-2πi f r size / fftSize} as (wr, wr, -wi, wi). A function of its own, as the frame loop
 * of {@link differenceOver}: a loop in the constructor made it hot (and compiled by TurboFan,
 * 9-17 ms) only around a fresh pool's fifth call.
 */
const writePhases = (heap: Float64Array, phases: number, { size, fftSize, span }: BlockLayout): void => {
  const bins = fftSize / 2 + 1;
  const root = new Float64Array(2);
  for (let r = 0; r <= span; r++) {
    for (let f = 0, at = phases + r * 4 * bins; f < bins; f++, at += 4) {
      unitRoot(-((f * r * size) % fftSize), fftSize, root, 0);
      heap[at] = root[0]!;
      heap[at + 1] = root[0]!;
      heap[at + 2] = -root[1]!;
      heap[at + 3] = root[1]!;
    }
  }
};

/**
 * Frames share blocks of `gcd(frameLength, hopLength)` samples. A lag-k product
 * `y(j) y(j+k)` of a frame pairs block a (holding j) with block a + d, d >= 0; the
 * pair's cross-correlation `conj(X_a) X_{a+d}` (spectra of size M >= 2 size) holds
 * lags ((d-1) size, (d+1) size). Lags go in bands of `size`; inverse FFT g takes
 * the distances d = g span .. (g+1) span, turned by `e^{-2πi f (d - g span) size / M}`,
 * and yields, unwrapped, the `span` bands from lag g span size (M >= (span+1) size
 * keeps everything else off them). Per block and inverse we keep the partial sums
 * over d, `Q_{a,g}^(r) = Σ_{d <= g span + r} ...`, in a fixed order; a frame adds, for
 * its block at position p, the one that stops at the frame's end, and runs one
 * inverse FFT per g. Each value depends only on the block's samples, so any split
 * of frames over threads gives the same bits; and no running sum carries rounding
 * from one frame to the next.
 *
 * A class whose last instance the thread keeps (released: without the signal and
 * the kernel memory), not closures made per chunk: optimised code that checks an
 * object's map is thrown away when a full collection frees that map, and a map
 * built by the constructor's field stores is
 * held only by the objects that have it (V8 keeps such transitions weakly). With no
 * instance alive, each collection the server forces to give memory back sent the
 * next ~18 calls of yin on a 5 s clip on two workers to 2-7 ms instead of 1.4; with
 * the last one kept, 2.1 ms for the first run after it, then 1.4-1.5.
 */
/** An empty array the released instance's heap view points to. */
const NO_VALUES = new Float64Array(0);
/** The thread's last BlockAcf, released (see the class comment). */
const kept: { block?: BlockAcf } = {};

class BlockAcf implements AcfSource {
  // Null once released (see release).
  private signal: Float32Array | Float64Array | null;
  private memory: SpectralMemory | null;
  private readonly plan: YinPlan;
  private readonly layout: BlockLayout;
  /** Values per spectrum (fftSize / 2 + 1 complex bins) and between spectra (fftSize + 2). */
  private readonly bins: number;
  private readonly stride: number;
  /** Where the scratch areas start: phases, spectra ring, partial sums, block samples, joined ACF. */
  private readonly phases: number;
  private readonly spectra: number;
  private readonly partial: number;
  private readonly samples: number;
  private readonly joined: number;
  private heap: Float64Array;
  /** The current frame's first samples (see AcfSource.head). */
  private first: number;
  // A ring of the last perFrame blocks of the current channel: which block each slot
  // holds, and per inverse how many partial sums Q^(0 .. done-1) it has.
  private readonly held: Float64Array;
  private readonly done: Int32Array;
  private currentChannel = -1;

  constructor(plan: YinPlan, signal: Float32Array | Float64Array, layout: BlockLayout, memory: SpectralMemory, phases: number) {
    this.signal = signal;
    this.memory = memory;
    this.plan = plan;
    this.layout = layout;
    const { size, perFrame, fftSize, span, groups } = layout;
    const bins = (this.bins = fftSize / 2 + 1);
    const stride = (this.stride = fftSize + 2);
    this.phases = phases;
    this.spectra = phases + (span + 1) * 4 * bins;
    this.partial = this.spectra + perFrame * stride;
    this.samples = this.partial + perFrame * groups * (span + 1) * stride;
    this.joined = this.samples + 2 * perFrame * size;
    this.first = this.samples;
    this.held = new Float64Array(perFrame).fill(-1);
    this.done = new Int32Array(perFrame * groups);
    memory.input(fftSize); // makes the transform's tables now, so no frame grows the memory
    writePhases((this.heap = memory.heap()), phases, layout);
  }

  head(): number {
    return this.first;
  }

  /** Lets go of the signal and the kernel memory, so a collection may free them while the instance is kept. */
  release(): void {
    this.signal = null;
    this.memory = null;
    this.heap = NO_VALUES;
  }

  frame(channel: number, t: number): number {
    const { perFrame, perHop, groups, span, reach, fftSize, size } = this.layout;
    const { stride, bins, joined } = this;
    const memory = this.memory!;
    const heap = (this.heap = memory.heap());
    if (channel !== this.currentChannel) {
      this.held.fill(-1);
      this.currentChannel = channel;
    }
    const first = t * perHop;
    for (let p = 0; p < perFrame; p++) this.loadSpectrum(channel, first + p);
    this.first = this.samples + (first % perFrame) * size;
    let at = 0;
    for (let g = 0; g < groups; g++) {
      const low = g * span;
      const last = Math.min(reach, low + span);
      // Left to right: ((Q_0 + Q_1) + Q_2) + ..., summed in the inverse transform's input.
      const sum = memory.input(fftSize);
      const blocks = perFrame - low;
      const at0 = this.term(first, 0, g, last, low);
      heap.copyWithin(sum, at0, at0 + stride);
      let p = 1;
      for (; p + 1 < blocks; p += 2) memory.accumulatePair(sum, this.term(first, p, g, last, low), this.term(first, p + 1, g, last, low), bins);
      if (p < blocks) memory.accumulate(sum, this.term(first, p, g, last, low), bins);
      at = memory.inverse(fftSize);
      if (groups > 1) heap.copyWithin(joined + low * size, at, at + Math.min(span * size, this.plan.maxPeriod + 1 - low * size));
    }
    return groups > 1 ? joined : at;
  }

  /** Block a's samples and spectrum into its ring slot, unless there already. */
  private loadSpectrum(channel: number, a: number): void {
    const { perFrame, size, fftSize, groups } = this.layout;
    const { offset, padMode, length } = this.plan;
    const { heap, held, samples, stride } = this;
    const memory = this.memory!;
    const slot = a % perFrame;
    if (held[slot] === a) return;
    const input = memory.input(fftSize);
    readSamples(this.signal!, channel * length, length, padMode, a * size + offset, size, heap, input);
    heap.copyWithin(samples + slot * size, input, input + size);
    heap.copyWithin(samples + (slot + perFrame) * size, input, input + size);
    heap.fill(0, input + size, input + fftSize);
    const at = memory.forward(fftSize);
    heap.copyWithin(this.spectra + slot * stride, at, at + stride);
    held[slot] = a;
    this.done.fill(0, slot * groups, (slot + 1) * groups);
  }

  /** Index of Q_{a,g}^(r); the blocks a .. a + g span + r must be loaded. */
  private partialSum(a: number, g: number, r: number): number {
    const { perFrame, groups, span } = this.layout;
    const { stride, bins, spectra, done } = this;
    const memory = this.memory!;
    const slot = a % perFrame;
    const base = this.partial + (slot * groups + g) * (span + 1) * stride;
    const x = spectra + slot * stride;
    for (let q = done[slot * groups + g]!; q <= r; q++) {
      const d = g * span + q;
      const out = base + q * stride;
      if (d === 0) memory.powerSpectrum(x, out, bins);
      else if (q === 0) memory.crossProduct(x, spectra + ((a + d) % perFrame) * stride, out, bins);
      // conj(X_a) X_{a+d}, turned by the phase of block a + d's offset, added to Q^(q-1)
      else memory.crossAccumulate(x, spectra + ((a + d) % perFrame) * stride, this.phases + q * 4 * bins, out - stride, out, bins);
      done[slot * groups + g] = q + 1;
    }
    return base + r * stride;
  }

  /** Partial sum of block `first + p` for inverse g, lags from band `low`, distances up to `last` (the frame starts at block `first`). */
  private term(first: number, p: number, g: number, last: number, low: number): number {
    return this.partialSum(first + p, g, Math.min(last, this.layout.perFrame - 1 - p) - low);
  }
}

/**
 * The cumulative mean normalised difference d'(k), k = minPeriod .. maxPeriod,
 * from the frame's autocorrelation at `acf` and first samples at `head`, into
 * `out`; `work` and `sums` (count + 1 values each) take d and its running sums.
 */
const normalizedDifference = (plan: YinPlan, memory: SpectralMemory, acf: number, head: number, work: number, sums: number, out: number): void => {
  const { minPeriod, maxPeriod } = plan;
  memory.differenceSums(acf, head, work, sums, minPeriod, maxPeriod);
  memory.normalizeByMean(work, sums, out, minPeriod, maxPeriod - minPeriod + 1, TINY64);
};

/**
 * librosa's choice of bin in d' (length >= 2): the first local minimum below
 * `threshold` (`localmin`: `x[i] < x[i-1] && x[i] <= x[i+1]`; the first bin is a
 * trough when `x[0] < x[1]`, the last when `x[n-1] < x[n-2]`), else `argmin`
 * (the first minimum; the first NaN if any, as numpy).
 */
export const pickTrough = (x: Float64Array, threshold: number): number => {
  const last = x.length - 1;
  // One pass: the trough search, and argmin's answer in case it finds none.
  let best = 0;
  let lowest = x[0]!;
  let firstNaN = -1;
  for (let i = 0; i <= last; i++) {
    const v = x[i]!;
    if (v < threshold) {
      if (isTrough(x, 0, i, last)) return i;
    }
    if (v < lowest) {
      lowest = v;
      best = i;
    } else if (v !== v && firstNaN < 0) firstNaN = i;
  }
  return firstNaN >= 0 ? firstNaN : best;
};

/**
 * librosa's `_parabolic_interpolation` shift at bin `i` of d': 0 at both ends
 * and where the vertex lies more than one bin away, else `-b / a`.
 */
export const parabolicShift = (x: Float64Array, i: number): number => {
  if (i === 0 || i === x.length - 1) return 0;
  const next = x[i + 1]!;
  const previous = x[i - 1]!;
  const a = next + previous - 2 * x[i]!;
  const b = (next - previous) / 2;
  return Math.abs(b) >= Math.abs(a) ? 0 : -b / a;
};

/**
 * Called with frame `unit`'s d' (k = minPeriod .. maxPeriod): `normalized` views it
 * in `memory.heap()` at `at`, valid until the callback returns; `spare` is the index of
 * count + 1 float64 values of the heap the callback may use meanwhile.
 */
export type NormalizedFrameVisitor = (unit: number, normalized: Float64Array, at: number, memory: SpectralMemory, spare: number) => void;

/**
 * Ranges of units handed out one at a time: the next [u0, u1) into `range[0]`,
 * `range[1]`, or false once none is left (e.g. blocks that threads take in turn).
 */
export type UnitRanges = (range: Int32Array) => boolean;

/**
 * The cumulative mean normalised difference d' of units [u0, u1), unit
 * `c * nFrames + t` being frame t of channel c of the (channels, length) `signal`,
 * handed to `visit` in order. Each unit is computed on its own, so any cut of the
 * range gives identical results; `memory` (this thread's WebAssembly kernels by
 * default) gives the same bits either way.
 */
export const normalizedDifferenceUnits = (
  plan: YinPlan,
  signal: Float32Array | Float64Array,
  u0: number,
  u1: number,
  visit: NormalizedFrameVisitor,
  memory: SpectralMemory = spectralMemory(),
): void => differenceOver(plan, signal, Int32Array.of(u0, u1), null, visit, memory);

/** As {@link normalizedDifferenceUnits}, over each range `ranges` hands out, in turn (one setup for all of them). */
export const normalizedDifferenceRanges = (
  plan: YinPlan,
  signal: Float32Array | Float64Array,
  ranges: UnitRanges,
  visit: NormalizedFrameVisitor,
  memory: SpectralMemory = spectralMemory(),
): void => {
  const range = new Int32Array(2);
  if (ranges(range)) differenceOver(plan, signal, range, ranges, visit, memory);
};

/** Units [range[0], range[1]), then each range `more` hands out into `range`. */
const differenceOver = (
  plan: YinPlan,
  signal: Float32Array | Float64Array,
  range: Int32Array,
  more: UnitRanges | null,
  visit: NormalizedFrameVisitor,
  memory: SpectralMemory,
): void => {
  const { nFrames, minPeriod, maxPeriod } = plan;
  const layout = blockLayout(plan.frameLength, plan.hopLength, maxPeriod);
  // Scratch: d and its running sums, d', then the block path's buffers.
  const count = maxPeriod - minPeriod + 1;
  const lagDoubles = count + 1 + (count & 1);
  const scratch = spectralScratch(memory, 3 * lagDoubles + (layout ? blockScratch(layout) : directScratch(plan)));
  const source = layout ? new BlockAcf(plan, signal, layout, memory, scratch + 3 * lagDoubles) : directAcf(plan, signal, memory, scratch + 3 * lagDoubles);
  const at = scratch + 2 * lagDoubles;
  let heap = memory.heap();
  let normalized = heap.subarray(at, at + count);
  // One unit, its own function so that V8 optimises it during a pool's first call (called once a frame);
  // the same loop in differenceOver made that hot, and compiled it with everything inlined (~10 ms of
  // TurboFan a worker), only around the fifth.
  const unit = (u: number): void => {
    const channel = Math.floor(u / nFrames);
    const t = u - channel * nFrames;
    const acf = source.frame(channel, t);
    normalizedDifference(plan, memory, acf, source.head(), scratch, scratch + lagDoubles, at);
    if (memory.heap() !== heap) {
      heap = memory.heap();
      normalized = heap.subarray(at, at + count);
    }
    // d and its sums are spent: their area is the visitor's.
    visit(u, normalized, at, memory, scratch);
  };
  try {
    do {
      for (let u = range[0]!, end = range[1]!; u < end; u++) unit(u);
    } while (more !== null && more(range));
  } finally {
    if (source instanceof BlockAcf) {
      source.release();
      kept.block = source;
    }
  }
};

/** f0 of units [u0, u1) (as `normalizedDifferenceUnits` numbers them) into `out[unit]`. */
export const yinUnits = (
  plan: YinPlan,
  signal: Float32Array | Float64Array,
  out: Float64Array,
  u0: number,
  u1: number,
  memory: SpectralMemory = spectralMemory(),
): void => {
  const { minPeriod, maxPeriod, sr, troughThreshold } = plan;
  const count = maxPeriod - minPeriod + 1;
  normalizedDifferenceUnits(
    plan,
    signal,
    u0,
    u1,
    (u, normalized, at, frameMemory) => {
      // Music rarely dips below the threshold: then the answer is argmin, found in the kernel.
      const lowest = frameMemory.firstMinimum(at, count, troughThreshold);
      const bin = lowest >= 0 ? lowest : pickTrough(normalized, troughThreshold);
      out[u] = sr / (minPeriod + bin + parabolicShift(normalized, bin));
    },
    memory,
  );
};

/**
 * librosa.yin of every channel of a (channels, length) signal, on this thread:
 * a (channels, nFrames) array of f0 in Hz, float64 as librosa returns.
 *
 * @example
 * ```ts
 * const f0 = yin(samples, 1, samples.length, { sr: 22050, fmin: 65, fmax: 2093, frameLength: 2048,
 *   hopLength: 512, troughThreshold: 0.1, center: true, padMode: "constant" });
 * ```
 */
export const yin = (signal: Float32Array | Float64Array, channels: number, length: number, options: YinOptions): Float64Array => {
  const plan = planYin(length, options);
  const out = new Float64Array(channels * plan.nFrames);
  yinUnits(plan, signal, out, 0, out.length);
  return out;
};
