import { FFT_PAIRS_WASM_BASE64, FFT_WASM_BASE64 } from "./fftWasmModule.js";
import type { RealFft } from "./types.js";
import { unitRoot } from "./unitRoot.js";
import { onClearCaches } from "../util/clearCaches.js";
import { isCurrentKernelMemory, kernelMemory, type KernelMemory, type KernelRegion } from "../util/kernelMemory.js";

/** The exports of the module built by scripts/gen_fft_wasm.mjs (byte addresses, counts in complex points). */
interface FftKernels {
  pass4(src: number, dst: number, tw: number, m: number, s: number): void;
  /** pass4 with s = 1 (the first pass). */
  pass4First(src: number, dst: number, tw: number, m: number): void;
  pass8last(src: number, dst: number, s: number): void;
  pass4last(src: number, dst: number, s: number): void;
  pass2last(src: number, dst: number, s: number): void;
  realForward(buf: number, tw: number, m: number): void;
  realInverse(buf: number, tw: number, m: number): void;
  swapScale(buf: number, count: number, scale: number): void;
  crossProduct(x: number, y: number, out: number, count: number): void;
}

/** The float32 pair kernels (the generator's second module; see scripts/gen_fft_wasm.mjs). */
interface PairKernels {
  pass4Pairs32(src: number, dst: number, tw: number, m: number, s: number): void;
  pass4FirstPairs32(src: number, dst: number, tw: number, m: number): void;
  pass8lastPairs32(src: number, dst: number, s: number): void;
  pass4lastPairs32(src: number, dst: number, s: number): void;
  pass2lastPairs32(src: number, dst: number, s: number): void;
  realForwardPairs32(buf: number, tw: number, m: number): void;
  interleavePairs32(a: number, b: number, dst: number, count: number): void;
  interleavePairs32From32(a: number, b: number, dst: number, count: number): void;
  realInversePairs32(buf: number, tw: number, m: number): void;
  productPairs32(x: number, q: number, out: number, count: number): void;
  swapScaleUnpackPairs32(src: number, dstA: number, dstB: number, count: number, scale: number): void;
  swapScaleDividePairs32(src: number, dstA: number, dstB: number, count: number, scale: number, divisor: number): void;
}

/** The modules' bytes, decoded once (after the kernels are first wanted, so `atob` exists). */
let modules: { fft: Uint8Array; pairs: Uint8Array } | null | undefined;
const moduleBytes = (): { fft: Uint8Array; pairs: Uint8Array } | null => {
  if (modules === undefined) {
    const decode = (base64: string): Uint8Array => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    modules = typeof atob === "function" ? { fft: decode(FFT_WASM_BASE64), pairs: decode(FFT_PAIRS_WASM_BASE64) } : null;
  }
  return modules;
};

/**
 * The FFT's part of one kernel memory: its instances and its plans (one per
 * size, in the memory's "fft" region, kept as long as the memory). Objects
 * made over it (an {@link FftMemory}) keep working on it.
 */
interface Instance {
  /** Distinguishes the instances of successive memories (see WasmRealFft). */
  readonly id: number;
  readonly km: KernelMemory;
  readonly wasm: FftKernels;
  readonly plans: Map<number, Plan>;
  pairs?: PairKernels | null;
  view?: FftMemory;
}

const INSTANCE = Symbol("fft");
let instances = 0;

/**
 * The FFT's part of this thread's kernel memory, made on first use; `null`
 * when the runtime has no WebAssembly SIMD (the caller then uses the
 * TypeScript engine). The modules are under 4 KB each, so the synchronous
 * `new WebAssembly.Module` is allowed even on a browser's main thread.
 */
const loadKernels = (): Instance | null => {
  const km = kernelMemory();
  const bytes = km === null ? null : moduleBytes();
  if (km === null || bytes === null) return null;
  return km.memo(INSTANCE, () => {
    // null on runtimes without SIMD (e.g. Safari before 16.4): the TypeScript engine serves.
    const wasm = km.instance<FftKernels>(bytes.fft);
    return wasm === null ? null : { id: ++instances, km, wasm, plans: new Map<number, Plan>() };
  });
};

/** The instance in this thread's current kernel memory, looked up again once that memory is released or retired. */
let latest: Instance | null = null;
onClearCaches(() => {
  latest = null;
});
const currentInstance = (): Instance | null => {
  if (latest === null || !isCurrentKernelMemory(latest.km)) latest = loadKernels();
  return latest;
};

const pairKernelsOf = (k: Instance): PairKernels | null => (k.pairs ??= k.km.instance<PairKernels>(moduleBytes()!.pairs));

/** Reserves `bytes` (rounded up to 16) of the FFT's region, growing the memory if needed; returns the byte address. */
const allocate = (k: Instance, bytes: number): number => k.km.reserve("fft", bytes);

/**
 * Tables and buffers for one size n = 2m in kernel memory: radix-4 passes and
 * a last twiddle-free pass of radix 2, 4 or 8. Per radix-4 pass the twiddles ω^{p}, ω^{2p}, ω^{3p} of each group p as pairs
 * (wr, wr), (-wi, wi) (96 bytes per p, in the order the pass reads them), the two
 * split tables (32 bytes per k), and two work buffers of m + 1 complex values
 * (the second placed 2112 bytes further modulo 4 KiB, so that a pass's loads and
 * stores, whose strides are multiples of 4 KiB for large m, fall in different cache sets).
 * Shared by every RealFft of that size: calls are synchronous, so they never overlap.
 */
interface Plan {
  readonly m: number;
  /** Byte addresses of the pass twiddles, one per general radix-4 pass. */
  readonly passTwiddles: Int32Array;
  /** Points per group s of each pass (general passes, then the last one). */
  readonly strides: Int32Array;
  /** Radix of the last, twiddle-free pass: 2, 4 or 8. */
  readonly lastRadix: number;
  readonly forwardSplit: number;
  readonly inverseSplit: number;
  readonly bufferA: number;
  readonly bufferB: number;
  /** The float32 pair transform's pass twiddles and forward split table (same layout, float32 quads), made on first use. */
  pairs32?: PairTables;
}

const writePair = (heap: Float64Array, at: number, re: number, im: number): void => {
  const i = at / 8;
  heap[i] = re;
  heap[i + 1] = re;
  heap[i + 2] = -im;
  heap[i + 3] = im;
};

/** A float64 twiddle pair (wr, wr), (-wi, wi) at byte `at` rewritten as float32 quads (wr, wr, wr, wr), (-wi, wi, -wi, wi) at byte `to`. */
const pairAsQuads = (k: Instance, at: number, to: number): void => {
  const re = k.km.f64[at / 8]!;
  const im = k.km.f64[at / 8 + 3]!;
  new Float32Array(k.km.memory.buffer, to, 8).set([re, re, re, re, -im, im, -im, im]);
};

interface PairTables {
  passTwiddles: Int32Array;
  forwardSplit: number;
  inverseSplit: number;
}

/** The float32 pair tables of a plan: its float64 twiddles rounded to float32. */
const pairs32Of = (k: Instance, plan: Plan): PairTables => {
  if (plan.pairs32) return plan.pairs32;
  const passTwiddles = new Int32Array(plan.passTwiddles.length);
  let groups = plan.m;
  for (let pass = 0; pass < passTwiddles.length; pass++) {
    groups /= 4;
    const bytes = 96 * groups;
    const to = allocate(k, bytes);
    for (let b = 0; b < bytes; b += 32) pairAsQuads(k, plan.passTwiddles[pass]! + b, to + b);
    passTwiddles[pass] = to;
  }
  const splitBytes = 32 * Math.max(1, Math.floor(plan.m / 2));
  const forwardSplit = allocate(k, splitBytes);
  const inverseSplit = allocate(k, splitBytes);
  for (let b = 0; b < splitBytes; b += 32) {
    pairAsQuads(k, plan.forwardSplit + b, forwardSplit + b);
    pairAsQuads(k, plan.inverseSplit + b, inverseSplit + b);
  }
  plan.pairs32 = { passTwiddles, forwardSplit, inverseSplit };
  return plan.pairs32;
};

const makePlan = (k: Instance, n: number): Plan => {
  const m = n / 2;
  const root = new Float64Array(2);
  const radices: number[] = [];
  let rest = m;
  // A last radix-8 pass saves a pass, but its 8 + 8 streams 2m bytes apart share
  // an L1 set once 2m reaches 4 KiB: then radix 4 and 2 are faster.
  for (; rest > (m <= 512 ? 8 : 4); rest /= 4) radices.push(4);
  radices.push(rest);
  const general = radices.length - 1;
  const passTwiddles = new Int32Array(general);
  const strides = new Int32Array(radices.length);
  let len = m;
  let stride = 1;
  for (let pass = 0; pass < radices.length; pass++) {
    strides[pass] = stride;
    const groups = len / radices[pass]!;
    if (pass < general) {
      let at = allocate(k, 96 * groups);
      passTwiddles[pass] = at;
      for (let p = 0; p < groups; p++) {
        for (let q = 1; q < 4; q++, at += 32) {
          unitRoot(-p * q, len, root, 0);
          writePair(k.km.f64, at, root[0]!, root[1]!);
        }
      }
    }
    len = groups;
    stride *= radices[pass]!;
  }
  const splitBytes = 32 * Math.max(1, Math.floor(m / 2));
  const forwardSplit = allocate(k, splitBytes);
  const inverseSplit = allocate(k, splitBytes);
  for (let q = 1; 2 * q <= m; q++) {
    unitRoot(-q, n, root, 0);
    const wr = root[0]!;
    const wi = root[1]!;
    // V = -i W / 2 and U = i conj(W): exact rescalings of W (see the kernels).
    writePair(k.km.f64, forwardSplit + 32 * (q - 1), 0.5 * wi, -0.5 * wr);
    writePair(k.km.f64, inverseSplit + 32 * (q - 1), wi, wr);
  }
  const bufferA = allocate(k, 16 * (m + 1));
  // Reservations are consecutive: buffer B would start right after buffer A.
  const pad = (((2112 - 16 * (m + 1)) % 4096) + 4096) % 4096;
  const bufferB = allocate(k, 16 * (m + 1) + pad) + pad;
  return { m, passTwiddles, strides, lastRadix: radices[radices.length - 1]!, forwardSplit, inverseSplit, bufferA, bufferB };
};

/** The plan of size n, made on first use (at most one per power of two: bounded without eviction). */
const planOf = (k: Instance, n: number): Plan => {
  let plan = k.plans.get(n);
  if (plan === undefined) {
    plan = makePlan(k, n);
    k.plans.set(n, plan);
  }
  return plan;
};

/**
 * Runs the complex FFT of the m values at byte address `input` (default: the
 * plan's buffer A; any other address is only read); returns the byte address
 * of the result (buffer A or B).
 */
const complexForward = (wasm: FftKernels, plan: Plan, input: number = plan.bufferA): number => {
  let src = input;
  let dst = plan.bufferB;
  const general = plan.passTwiddles.length;
  let groups = plan.m;
  for (let pass = 0; pass < general; pass++) {
    groups /= 4;
    // The first pass has s = 1 (strides start at 1).
    if (pass === 0) wasm.pass4First(src, dst, plan.passTwiddles[0]!, groups);
    else wasm.pass4(src, dst, plan.passTwiddles[pass]!, groups, plan.strides[pass]!);
    src = dst;
    dst = dst === plan.bufferB ? plan.bufferA : plan.bufferB;
  }
  const stride = plan.strides[general]!;
  if (plan.lastRadix === 8) wasm.pass8last(src, dst, stride);
  else if (plan.lastRadix === 4) wasm.pass4last(src, dst, stride);
  else wasm.pass2last(src, dst, stride);
  return dst;
};

/** {@link complexForward} of two transforms at once in float32 (the pair layout of scripts/gen_fft_wasm.mjs), from buffer A. */
const complexForwardPairs32 = (wasm: PairKernels, plan: Plan, tables: PairTables): number => {
  let src = plan.bufferA;
  let dst = plan.bufferB;
  const general = tables.passTwiddles.length;
  let groups = plan.m;
  for (let pass = 0; pass < general; pass++) {
    groups /= 4;
    if (pass === 0) wasm.pass4FirstPairs32(src, dst, tables.passTwiddles[0]!, groups);
    else wasm.pass4Pairs32(src, dst, tables.passTwiddles[pass]!, groups, plan.strides[pass]!);
    src = dst;
    dst = dst === plan.bufferB ? plan.bufferA : plan.bufferB;
  }
  const stride = plan.strides[general]!;
  if (plan.lastRadix === 8) wasm.pass8lastPairs32(src, dst, stride);
  else if (plan.lastRadix === 4) wasm.pass4lastPairs32(src, dst, stride);
  else wasm.pass2lastPairs32(src, dst, stride);
  return dst;
};

/**
 * The real FFT of a power-of-two n >= 4 in WebAssembly SIMD (two float64 lanes,
 * one complex value per vector): the algorithm of the TypeScript EvenRealFft
 * (n/2-point complex Stockham FFT, radix 4 with a final radix 2, 4 or 8, plus the real
 * split step) with the same twiddles and the same rounding per operation.
 * The frame is copied into kernel memory and the result copied out. Works in
 * this thread's current kernel memory, which it does not hold (its plan holds
 * only addresses): a cached transform never keeps a released memory alive,
 * and after a release its next call makes its plan in the new memory.
 */
class WasmRealFft implements RealFft {
  readonly size: number;
  private plan: Plan;
  /** The id of the instance whose memory the plan is in. */
  private owner: number;

  constructor(k: Instance, n: number) {
    this.size = n;
    this.plan = planOf(k, n);
    this.owner = k.id;
  }

  /** The current instance, the plan made in it if it is new. */
  private current(): Instance {
    const k = currentInstance();
    if (k === null) throw new Error("the WebAssembly FFT kernels are gone");
    if (k.id !== this.owner) {
      this.plan = planOf(k, this.size);
      this.owner = k.id;
    }
    return k;
  }

  forward(input: Float64Array, inOffset: number, out: Float64Array): void {
    const k = this.current();
    const { plan } = this;
    const n = this.size;
    const heap = k.km.f64;
    heap.set(input.subarray(inOffset, inOffset + n), plan.bufferA / 8);
    const result = complexForward(k.wasm, plan);
    k.wasm.realForward(result, plan.forwardSplit, plan.m);
    const at = result / 8;
    out.set(heap.subarray(at, at + n + 2));
  }

  inverse(spectrum: Float64Array, specOffset: number, out: Float64Array, outOffset: number): void {
    const k = this.current();
    const { plan } = this;
    const n = this.size;
    const heap = k.km.f64;
    heap.set(spectrum.subarray(specOffset, specOffset + n + 2), plan.bufferA / 8);
    k.wasm.realInverse(plan.bufferA, plan.inverseSplit, plan.m);
    const result = complexForward(k.wasm, plan);
    k.wasm.swapScale(result, plan.m, 1 / n);
    const at = result / 8;
    out.set(heap.subarray(at, at + n), outOffset);
  }
}

/** Whether `fft` is one of these (its tables are in the kernels' memory, not on the JavaScript heap). */
export const isWasmRealFft = (fft: RealFft): boolean => fft instanceof WasmRealFft;

/**
 * A WebAssembly-SIMD {@link RealFft} when n is a power of two >= 4 and the
 * runtime supports WebAssembly SIMD; otherwise `null`.
 */
export const createWasmRealFft = (n: number): RealFft | null => {
  if (n < 4 || (n & (n - 1)) !== 0 || n > 2 ** 26) return null;
  const k = loadKernels();
  return k === null ? null : new WasmRealFft(k, n);
};

/**
 * Transforms over buffers inside this thread's kernel memory, for kernels that
 * chain them with their own without copying frames in and out (stft, the CQT,
 * chroma, tuning, resampling; yin adds its kernels in src/pitch/spectralMemory.ts).
 * Positions are float64 indices into `heap()`; counts are complex values.
 * Calls are synchronous, so one caller at a time uses a size's buffers.
 */
export interface FftMemory {
  /** The kernel memory these transforms work in, for other modules to be instantiated over (they then work on the same buffers). */
  readonly memory: KernelMemory;
  /** The memory as float64; a new view after the memory grows (any reservation, or a first transform of a new size). */
  heap(): Float64Array;
  /** Reserves `doubles` float64 values (16-byte aligned) for `region`, kept as long as the memory; returns their index. */
  reserve(doubles: number, region: KernelRegion): number;
  /** The index of `region`'s reusable area `name` of at least `doubles` values (see KernelMemory.area). */
  area(region: KernelRegion, name: string, doubles: number): number;
  /** Where the size-n transforms read: n samples for `forward`, n + 2 spectrum values for `inverse`. */
  input(n: number): number;
  /** numpy's rfft of the n samples at `input(n)`; returns where its n + 2 values are (valid until the next size-n transform). */
  forward(n: number): number;
  /**
   * As `forward`, of the n samples at index `at` (any even index outside the
   * size-n buffers, e.g. in a `reserve`d region holding many overlapping frames: they are only read).
   */
  forwardFrom(n: number, at: number): number;
  /** numpy's irfft of the n + 2 values at `input(n)`; returns where its n samples are (valid until the next size-n transform). */
  inverse(n: number): number;
  /**
   * The rfft of two frames of n samples at `heap()` indices `a` and `b` (even,
   * anywhere outside the size-n buffers; float32 values, or rounded to
   * float32), computed in float32: the algorithm of `forward` with every
   * operation rounded to float32, one frame's values never depending on the
   * other's. Returns the `heap()` index of the pair spectrum, n/2 + 1 points (16
   * bytes each: re_a, im_a, re_b, im_b as float32), valid until the next size-n
   * transform. Absent where the pair module is rejected. With
   * `float32`, the frames at `heap()` indices a and b hold n float32 samples
   * each (in the bytes of n / 2 float64s) instead of n float64s.
   */
  spectrumPairs32?(n: number, a: number, b: number, float32?: boolean): number;
  /**
   * As `spectrumPairs32`, for two frames already at `input(n)` in the pair transform's input layout
   * (point j: a[2j], a[2j+1], b[2j], b[2j+1] as float32; what stft's `windowPairs32` writes): returns
   * the `heap()` index of their pair spectrum.
   */
  forwardStagedPairs32?(n: number): number;
  /** Makes the size-n pair transform's tables now (it may grow the memory: call it before taking views). */
  planPairs32?(n: number): void;
  /** `count` complex values (interleaved float64) as the float32 table {@link inversePairs32} multiplies by; reserved for `region`, returns its index. */
  quadsPairs32?(values: Float64Array, count: number, region: KernelRegion): number;
  /**
   * The irfft of size n of two spectra at once, in float32: the n/2 + 1 pair
   * points at index `x` (as `spectrumPairs32` leaves them) times the table at `q`
   * (from `quadsPairs32`); the n samples of each, as float64, to `heap()` indices
   * `outA` and `outB` (even). Like irfft, the imaginary parts of bins 0 and n/2 are ignored.
   */
  inversePairs32?(n: number, x: number, q: number, outA: number, outB: number): void;
  /**
   * As `inversePairs32`, each sample then divided by `divisor` and rounded to float32 (the
   * same bits as dividing `inversePairs32`'s float64 samples and `Math.fround`): the n float32
   * samples of each from the bytes of `heap()` indices `outA` and `outB` on (n / 2 float64 slots each).
   */
  inverseDividedPairs32?(n: number, x: number, q: number, outA: number, outB: number, divisor: number): void;
  /**
   * As `inversePairs32`, unfiltered, of the pair spectrum already at `input(n)` (n/2 + 1 points in
   * `spectrumPairs32`'s layout; what istft's `joinPairs32` writes there): no table, no product.
   */
  inverseStagedPairs32?(n: number, outA: number, outB: number): void;
  /** out = conj(x) y per value. */
  crossProduct(x: number, y: number, out: number, count: number): void;
}

/**
 * {@link FftMemory} over this thread's kernel memory, the same object until
 * the memory is released (callers may key their reservations by it); `null`
 * without WebAssembly SIMD. Sizes are powers of two >= 4.
 */
export const fftMemory = (): FftMemory | null => {
  const k = loadKernels();
  if (k === null) return null;
  return (k.view ??= fftMemoryOver(k));
};

const fftMemoryOver = (k: Instance): FftMemory => {
  const { wasm, km } = k;
  const pairs = pairKernelsOf(k);
  /** The pair transform's complex input from two frames at heap indices a and b (float64 or, with `float32`, float32 samples). */
  const interleave = (plan: Plan, a: number, b: number, float32: boolean): void => {
    if (float32 && plan.m % 2 !== 0) throw new RangeError(`float32 pair frames need an even n / 2, got n = ${2 * plan.m}`);
    if (float32) pairs!.interleavePairs32From32(8 * a, 8 * b, plan.bufferA, plan.m);
    else pairs!.interleavePairs32(8 * a, 8 * b, plan.bufferA, plan.m);
  };
  /**
   * The size-n pair irfft of the pair spectrum in `plan.bufferA`, frames to heap indices outA and outB:
   * float64 samples, or with a `divisor` each divided by it and rounded to float32 (float32 samples).
   */
  const inverseInPlace = (plan: Plan, tables: ReturnType<typeof pairs32Of>, outA: number, outB: number, divisor?: number): void => {
    pairs!.realInversePairs32(plan.bufferA, tables.inverseSplit, plan.m);
    const result = complexForwardPairs32(pairs!, plan, tables);
    if (divisor === undefined) pairs!.swapScaleUnpackPairs32(result, 8 * outA, 8 * outB, plan.m, 1 / (2 * plan.m));
    else pairs!.swapScaleDividePairs32(result, 8 * outA, 8 * outB, plan.m, 1 / (2 * plan.m), divisor);
  };
  /** The pair irfft of size n of the pair spectrum at `x` times the table at `q` (see inversePairs32 and inverseDividedPairs32). */
  const filteredInverse = (n: number, x: number, q: number, outA: number, outB: number, divisor?: number): void => {
    const plan = planOf(k, n);
    const tables = pairs32Of(k, plan);
    pairs!.productPairs32(8 * x, 8 * q, plan.bufferA, plan.m + 1);
    inverseInPlace(plan, tables, outA, outB, divisor);
  };
  return {
    memory: km,
    heap: () => km.f64,
    reserve: (doubles, region) => km.reserve(region, 8 * doubles) / 8,
    area: (region, name, doubles) => km.area(region, name, 8 * doubles) / 8,
    input: (n) => planOf(k, n).bufferA / 8,
    forward(n) {
      const plan = planOf(k, n);
      const result = complexForward(wasm, plan);
      wasm.realForward(result, plan.forwardSplit, plan.m);
      return result / 8;
    },
    forwardFrom(n, at) {
      const plan = planOf(k, n);
      const result = complexForward(wasm, plan, 8 * at);
      wasm.realForward(result, plan.forwardSplit, plan.m);
      return result / 8;
    },
    ...(pairs === null ? {} : {
      planPairs32(n: number): void {
        pairs32Of(k, planOf(k, n));
      },
      forwardStagedPairs32(n: number): number {
        const plan = planOf(k, n);
        const tables = pairs32Of(k, plan);
        const result = complexForwardPairs32(pairs, plan, tables);
        pairs.realForwardPairs32(result, tables.forwardSplit, plan.m);
        return result / 8;
      },
      spectrumPairs32(n: number, a: number, b: number, float32 = false): number {
        const plan = planOf(k, n);
        const tables = pairs32Of(k, plan);
        interleave(plan, a, b, float32);
        const result = complexForwardPairs32(pairs, plan, tables);
        pairs.realForwardPairs32(result, tables.forwardSplit, plan.m);
        return result / 8;
      },
      quadsPairs32(values: Float64Array, count: number, region: KernelRegion): number {
        const at = km.reserve(region, 32 * count);
        const quads = new Float32Array(km.memory.buffer, at, 8 * count);
        for (let i = 0; i < count; i++) {
          const re = values[2 * i]!;
          const im = values[2 * i + 1]!;
          quads.set([re, re, re, re, -im, im, -im, im], 8 * i);
        }
        return at / 8;
      },
      inversePairs32(n: number, x: number, q: number, outA: number, outB: number): void {
        filteredInverse(n, x, q, outA, outB);
      },
      inverseDividedPairs32: filteredInverse,
      inverseStagedPairs32(n: number, outA: number, outB: number): void {
        const plan = planOf(k, n);
        inverseInPlace(plan, pairs32Of(k, plan), outA, outB);
      },
    }),
    inverse(n) {
      const plan = planOf(k, n);
      wasm.realInverse(plan.bufferA, plan.inverseSplit, plan.m);
      const result = complexForward(wasm, plan);
      wasm.swapScale(result, plan.m, 1 / n);
      return result / 8;
    },
    crossProduct: (x, y, out, count) => wasm.crossProduct(8 * x, 8 * y, 8 * out, count),
  };
};
