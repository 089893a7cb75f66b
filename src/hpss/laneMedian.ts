/**
 * Running medians of several lines at once, one line per SIMD lane: four
 * float32 lines in f32x4 vectors, or two float64 lines in f64x2 vectors, in
 * WebAssembly SIMD. The lines are interleaved (value `k` of lane `l` at
 * `k * lanes + l`), already reflected at their ends, as in medianFilter.ts.
 *
 * Each lane keeps its window sorted. A step removes the outgoing value `a` and
 * inserts the incoming value `b` without branches, for all lanes together:
 * with `s` the sorted window, `s[size] = +inf`, `r[-1] = -inf`,
 *
 *     r[j]  = s[j] < a ? s[j] : s[j + 1]       (s without one copy of a)
 *     s'[j] = r[j] < b ? r[j] : max(r[j - 1], b)   (b inserted into r)
 *
 * Equal values are interchangeable, so which copy of `a` goes does not matter,
 * and the median (`s'[size >> 1]`) is one of the inputs: the results are
 * exact, equal to the scalar filter's for any NaN-free data. The window starts
 * as `size` copies of +inf, which the first `size` steps remove (the outgoing
 * values read from a run of +inf placed before the line), so no initial sort
 * is needed. O(size) vector operations per step, no mispredicted branches:
 * about four times faster than the scalar sorted-window update per value.
 *
 * Without WebAssembly SIMD, {@link createLaneMedian} returns `null` and
 * callers use the scalar filters.
 */

import type { FloatArray } from "../util/alloc.js";
import { kernelMemory, type KernelMemory } from "../util/kernelMemory.js";
import {
  BLOCK, BR_IF, END, F32X4_DEMOTE_F64X2_ZERO, F32X4_DIV, F32X4_EQ, F32X4_GT, F32X4_LT, F32X4_MUL, F32X4_ADD, F32X4_PMAX, F32X4_SQRT, F32X4_SUB, F64X2_ABS,
  F64X2_ADD, F64X2_DIV, F64X2_EQ, F64X2_GT, F64X2_LT, F64X2_MUL, F64X2_PMAX, F64X2_PMIN, F64X2_PROMOTE_LOW_F32X4, F64X2_SPLAT, F64X2_SQRT, F64X2_SUB, I32, I32_ADD,
  I32_EQZ, I32_LT_U, I32_SHL, I32_SUB, I8X16_SHUFFLE, LOOP, ROUND32, V128, V128_AND, V128_BITSELECT, V128_CONST, V128_LOAD, V128_STORE, V128_STORE64_LANE, V128_ZERO,
  addConst, countedLoop, f64, get, i32, locals, set, tee, type WasmFunction,
} from "../util/wasm.js";
import { kernelModule } from "../util/kernelModules.js";

interface LaneKernels {
  /** `count` (even) complex64 values at `src` to their float32 magnitudes at `dst`: {@link magnitudeBody}. */
  magnitude32(src: number, count: number, dst: number): void;
  /**
   * `steps` window updates: step q removes the vector at `leaving + 16 q`,
   * inserts the one at `leaving + 16 (q + size)` into the window at `window`
   * (`size + 1` vectors, the last +inf), and stores the window's vector
   * `rank` at `out + 16 q`.
   */
  median32(leaving: number, steps: number, size: number, window: number, out: number, rank: number): void;
  median64(leaving: number, steps: number, size: number, window: number, out: number, rank: number): void;
  /** See {@link MaskKernel}; one function per lane type and power, named e.g. `masks32_2`. */
  [masks: `masks${32 | 64}_${string}`]: (count: number, h: number, p: number, m: number, pmStride: number, s: number, sStride: number, o: number, oStride: number, constants: number) => void;
}

/** `copies` copies of a lane's bytes as one v128 constant. */
const constant = (bytes: number[], copies: number): number[] => V128_CONST(new Array<number[]>(copies).fill(bytes).flat());
const addTo = (local: number, value: number[]): number[] => [...get(local), ...value, ...I32_ADD, ...set(local)];
const load = V128_LOAD;
const store = V128_STORE;

/** The kernel body for one lane type: `lt` and `pmax` opcodes, -inf as one lane's bytes. */
const medianBody = (lt: number[], pmax: number[], minusInf: number[], copies: number): number[] => {
  const [leaving, steps, size, window, out, rank] = [0, 1, 2, 3, 4, 5];
  const [entering, p, windowEnd, median] = [6, 7, 8, 9];
  const [a, b, prevR, sj, sj1, r] = [10, 11, 12, 13, 14, 15];
  const update = [
    ...constant(minusInf, copies), ...set(prevR),
    ...get(window), ...set(p),
    ...get(p), ...load(0), ...set(sj),
    ...LOOP, // over the window
    ...get(p), ...load(16), ...set(sj1),
    // r = s[j] < a ? s[j] : s[j + 1]
    ...get(sj), ...get(sj1), ...get(sj), ...get(a), ...lt, ...V128_BITSELECT, ...set(r),
    // s'[j] = r < b ? r : pmax(prevR, b)
    ...get(p), ...get(r), ...get(prevR), ...get(b), ...pmax, ...get(r), ...get(b), ...lt, ...V128_BITSELECT, ...store(0),
    ...get(r), ...set(prevR),
    ...get(sj1), ...set(sj),
    ...addTo(p, i32(16)),
    ...get(p), ...get(windowEnd), ...I32_LT_U, ...BR_IF(0),
    ...END,
  ];
  return [
    ...locals([4, I32], [6, V128]),
    ...get(size), ...i32(4), ...I32_SHL, ...get(leaving), ...I32_ADD, ...set(entering), // entering = leaving + 16 size
    ...get(size), ...i32(4), ...I32_SHL, ...get(window), ...I32_ADD, ...set(windowEnd), // windowEnd = window + 16 size
    ...get(rank), ...i32(4), ...I32_SHL, ...get(window), ...I32_ADD, ...set(median), // median = window + 16 rank
    ...BLOCK,
    ...get(steps), ...I32_EQZ, ...BR_IF(0),
    ...LOOP, // over the steps
    ...get(leaving), ...load(0), ...set(a),
    ...get(entering), ...load(0), ...set(b),
    ...update,
    ...get(out), ...get(median), ...load(0), ...store(0),
    ...addTo(leaving, i32(16)),
    ...addTo(entering, i32(16)),
    ...addTo(out, i32(16)),
    ...get(steps), ...i32(1), ...I32_SUB, ...set(steps),
    ...get(steps), ...BR_IF(0),
    ...END,
    ...END,
    ...END,
  ];
};

const F32_MINUS_INF = [0x00, 0x00, 0x80, 0xff];
const F64_MINUS_INF = [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0xff];
const BODY32 = medianBody(F32X4_LT, F32X4_PMAX, F32_MINUS_INF, 4);
const BODY64 = medianBody(F64X2_LT, F64X2_PMAX, F64_MINUS_INF, 2);

/** Where the mask kernels read their constants (splats of marginHarm, marginPerc, the empty-bin value, tiny), from the address they are given. */
const MASK_CONSTANTS = { marginHarm: 0, marginPerc: 16, empty: 32, tiny: 48, bytes: 64 } as const;

/** Powers with a mask kernel: numpy special-cases 1, 2 and 0.5; infinity is the hard mask. */
const MASK_KERNEL_POWERS = [1, 2, 0.5, Infinity] as const;

/** A lane type's instructions and constants (one lane's bytes). */
interface LaneOps {
  bytes: number;
  lt: number[];
  gt: number[];
  eq: number[];
  add: number[];
  sub: number[];
  mul: number[];
  div: number[];
  sqrt: number[];
  one: number[];
  zero: number[];
}
const F32: LaneOps = { bytes: 4, lt: F32X4_LT, gt: F32X4_GT, eq: F32X4_EQ, add: F32X4_ADD, sub: F32X4_SUB, mul: F32X4_MUL, div: F32X4_DIV, sqrt: F32X4_SQRT, one: [0, 0, 0x80, 0x3f], zero: [0, 0, 0, 0] };
const F64: LaneOps = { bytes: 8, lt: F64X2_LT, gt: F64X2_GT, eq: F64X2_EQ, add: F64X2_ADD, sub: F64X2_SUB, mul: F64X2_MUL, div: F64X2_DIV, sqrt: F64X2_SQRT, one: [0, 0, 0, 0, 0, 0, 0xf0, 0x3f], zero: [0, 0, 0, 0, 0, 0, 0, 0] };

/** i8x16.shuffle picking, for each output lane, lane `lanes[i]` of the pair (a, b) (b's lanes numbered on from a's). */
const shuffle = (ops: LaneOps, lanes: number[]): number[] =>
  I8X16_SHUFFLE(lanes.flatMap((lane) => Array.from({ length: ops.bytes }, (_, k) => lane * ops.bytes + k)));

/**
 * The masks and masked spectra of one group of bins (one vector) over `count`
 * frames: per frame, harmonic medians at `h` (stride 16), percussive medians
 * and magnitudes at `p`, `m` (stride `pmStride`), the spectrum at `s` (the
 * group's bins as interleaved pairs, stride `sStride`), the output at `o`
 * (per bin: harmonic pair, percussive pair; stride `oStride`). Every operation
 * is one IEEE operation in the lane type, in softmask.ts's and hpss.ts's order.
 */
const masksBody = (ops: LaneOps, power: number, complement: boolean): number[] => {
  const [count, h, p, m, pmStride, s, sStride, o, oStride, constants] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const [hv, pv, mv, maskH, maskP, mask, ref, z, ph0, ph1, scaled, a, b] = [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22];
  const splat = (bytes: number[]): number[] => constant(bytes, 16 / ops.bytes);
  const softmask = (x: number): number[] => {
    if (power === Infinity) return [...get(x), ...get(ref), ...ops.gt, ...splat(ops.one), ...V128_AND];
    const pow = power === 2 ? [...get(mask), ...get(mask), ...ops.mul, ...set(mask), ...get(ref), ...get(ref), ...ops.mul, ...set(ref)]
      : power === 0.5 ? [...get(mask), ...ops.sqrt, ...set(mask), ...get(ref), ...ops.sqrt, ...set(ref)] : [];
    return [
      ...get(x), ...get(ref), ...get(x), ...get(ref), ...ops.gt, ...V128_BITSELECT, ...set(z),
      ...get(x), ...get(z), ...ops.div, ...set(mask),
      ...get(ref), ...get(z), ...ops.div, ...set(ref),
      ...pow,
      ...get(constants), ...load(MASK_CONSTANTS.empty),
      ...get(mask), ...get(mask), ...get(ref), ...ops.add, ...ops.div,
      ...get(z), ...get(constants), ...load(MASK_CONSTANTS.tiny), ...ops.lt,
      ...V128_BITSELECT,
    ];
  };
  const single = ops.bytes === 4;
  const pairOf = (lane: number): number[] => (single ? [lane, lane, lane + 1, lane + 1] : [lane, lane]);
  const unitPhase = constant([...ops.one, ...ops.zero], 16 / (2 * ops.bytes));
  // phase of the pairs at s + offset, whose magnitudes are the lanes pairOf(lane) of mv
  const phase = (offset: number, lane: number, into: number): number[] => [
    ...unitPhase,
    ...get(s), ...load(offset), ...get(mv), ...get(mv), ...shuffle(ops, pairOf(lane)), ...ops.div,
    ...get(mv), ...get(mv), ...shuffle(ops, pairOf(lane)), ...splat(ops.zero), ...ops.eq,
    ...V128_BITSELECT, ...set(into),
  ];
  // scaled pairs (lanes pairOf(lane) of `scaled`) times the phase
  const part = (lane: number, ph: number): number[] => [...get(scaled), ...get(scaled), ...shuffle(ops, pairOf(lane)), ...get(ph), ...ops.mul];
  const outputs = single
    ? [
        ...get(mv), ...get(maskH), ...ops.mul, ...set(scaled), ...part(0, ph0), ...set(a), ...part(2, ph1), ...set(b),
        ...get(mv), ...get(maskP), ...ops.mul, ...set(scaled), ...part(0, ph0), ...set(mask), ...part(2, ph1), ...set(ref),
        ...get(o), ...get(a), ...get(mask), ...shuffle(ops, [0, 1, 4, 5]), ...store(0),
        ...get(o), ...get(a), ...get(mask), ...shuffle(ops, [2, 3, 6, 7]), ...store(16),
        ...get(o), ...get(b), ...get(ref), ...shuffle(ops, [0, 1, 4, 5]), ...store(32),
        ...get(o), ...get(b), ...get(ref), ...shuffle(ops, [2, 3, 6, 7]), ...store(48),
      ]
    : [
        ...get(mv), ...get(maskH), ...ops.mul, ...set(scaled),
        ...get(o), ...part(0, ph0), ...store(0),
        ...get(o), ...part(1, ph1), ...store(32),
        ...get(mv), ...get(maskP), ...ops.mul, ...set(scaled),
        ...get(o), ...part(0, ph0), ...store(16),
        ...get(o), ...part(1, ph1), ...store(48),
      ];
  return [
    ...locals([13, V128]),
    ...BLOCK,
    ...get(count), ...I32_EQZ, ...BR_IF(0),
    ...LOOP,
    ...get(h), ...load(0), ...set(hv),
    ...get(p), ...load(0), ...set(pv),
    ...get(m), ...load(0), ...set(mv),
    ...get(pv), ...get(constants), ...load(MASK_CONSTANTS.marginHarm), ...ops.mul, ...set(ref),
    ...softmask(hv), ...set(maskH),
    ...(complement
      ? [...splat(ops.one), ...get(maskH), ...ops.sub, ...set(maskP)]
      : [...get(hv), ...get(constants), ...load(MASK_CONSTANTS.marginPerc), ...ops.mul, ...set(ref), ...softmask(pv), ...set(maskP)]),
    ...phase(0, 0, ph0),
    ...phase(16, single ? 2 : 1, ph1),
    ...outputs,
    ...addTo(h, i32(16)),
    ...addTo(p, get(pmStride)),
    ...addTo(m, get(pmStride)),
    ...addTo(s, get(sStride)),
    ...addTo(o, get(oStride)),
    ...get(count), ...i32(1), ...I32_SUB, ...set(count),
    ...get(count), ...BR_IF(0),
    ...END,
    ...END,
    ...END,
  ];
};

const maskName = (single: boolean, power: number, complement: boolean): string =>
  `masks${single ? 32 : 64}_${power === Infinity ? "inf" : String(power).replace(".", "")}${complement ? "c" : ""}`;
// The complement variants (percussive mask = 1 - harmonic mask, librosa 1.0) exist for the finite powers only.
const MASK_FUNCTIONS = [true, false].flatMap((single) =>
  [false, true].flatMap((complement) =>
    MASK_KERNEL_POWERS.filter((power) => !complement || Number.isFinite(power)).map((power) => ({
      name: maskName(single, power, complement),
      body: masksBody(single ? F32 : F64, power, complement),
    })),
  ),
);

/**
 * magnitude32: hpss.ts's `complexMagnitude` on float32 (numpy's complex64 abs), two values a step, each
 * operation the scalar loop's in float64 with the same float32 roundings (ROUND32 where it calls Math.fround):
 * larger = re > im ? re : im = pmax(im, re), smaller = pmin(re, im) of |re|, |im|; 0 where larger is 0, else
 * fround(larger * fround(sqrt(fround(r * r + 1)))) with r = fround(smaller / larger).
 * Params: 0 src, 1 count, 2 dst. Locals: 3 v, 4 re, 5 im, 6 larger, 7 value, 8 one (v128).
 */
const DEINTERLEAVE_RE = I8X16_SHUFFLE([0, 1, 2, 3, 8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11]);
const DEINTERLEAVE_IM = I8X16_SHUFFLE([4, 5, 6, 7, 12, 13, 14, 15, 4, 5, 6, 7, 12, 13, 14, 15]);
const magnitudeBody: number[] = [
  ...locals([6, V128]),
  ...f64(1), ...F64X2_SPLAT, ...set(8),
  ...countedLoop(1, 2, [
    ...get(0), ...V128_LOAD(0), ...tee(3), ...get(3), ...DEINTERLEAVE_RE, ...F64X2_PROMOTE_LOW_F32X4, ...F64X2_ABS, ...set(4),
    ...get(3), ...get(3), ...DEINTERLEAVE_IM, ...F64X2_PROMOTE_LOW_F32X4, ...F64X2_ABS, ...set(5),
    ...get(5), ...get(4), ...F64X2_PMAX, ...set(6),
    ...get(4), ...get(5), ...F64X2_PMIN, ...get(6), ...F64X2_DIV, ...ROUND32, ...tee(7),
    ...get(7), ...F64X2_MUL, ...get(8), ...F64X2_ADD, ...ROUND32, ...F64X2_SQRT, ...ROUND32, ...set(7),
    ...get(2),
    ...V128_ZERO, ...get(6), ...get(7), ...F64X2_MUL, ...get(6), ...V128_ZERO, ...F64X2_EQ, ...V128_BITSELECT,
    ...F32X4_DEMOTE_F64X2_ZERO, ...V128_STORE64_LANE(0, 0),
    ...addConst(0, 16),
    ...addConst(2, 8),
  ]),
  ...END,
];

const SIGNATURE_MEDIAN = { params: new Array<number>(6).fill(I32), results: [] };
const SIGNATURE_MASKS = { params: new Array<number>(10).fill(I32), results: [] };
const FUNCTIONS: WasmFunction[] = [
  { name: "median32", ...SIGNATURE_MEDIAN, body: BODY32 },
  { name: "median64", ...SIGNATURE_MEDIAN, body: BODY64 },
  ...MASK_FUNCTIONS.map(({ name, body }) => ({ name, ...SIGNATURE_MASKS, body })),
  { name: "magnitude32", params: [I32, I32, I32], results: [], body: magnitudeBody },
];
const MODULE = kernelModule("laneMedian", FUNCTIONS);

/** This thread's kernel memory and the kernels over it, or null without WebAssembly SIMD. */
const loadKernels = (): { km: KernelMemory; wasm: LaneKernels } | null => {
  const km = kernelMemory();
  const wasm = km?.instance<LaneKernels>(MODULE) ?? null;
  return km === null || wasm === null ? null : { km, wasm };
};

/** Running medians of `lanes` interleaved lines at once, for several groups of lanes (see the module notes). */
export interface LaneMedian {
  /** 4 (float32) or 2 (float64). */
  readonly lanes: number;
  /**
   * Makes room for `groups` groups of lines of `n` outputs with a window of
   * `size`, and returns the views to fill and read: `inputs[g]` takes
   * `(n + size - 1) * lanes` interleaved values (each line already extended by
   * `size - 1`), `outputs[g]` gets `n * lanes`. The views are valid until the
   * next `prepare` on this thread or until its kernel memory grows (any other
   * kernel's reservation, e.g. a first FFT of a size): call no other kernel
   * between `prepare` and reading the outputs.
   */
  prepare(n: number, size: number, groups: number): { inputs: FloatArray[]; outputs: FloatArray[] };
  /** Filters what `inputs[group]` holds into `outputs[group]`: output `i` of a lane is the median of its inputs `i .. i + size - 1`. */
  run(group: number): void;
}

/**
 * This thread's lane median for float32 (`single`) or float64 lines, or `null`
 * where WebAssembly SIMD is missing. In the "hpss" region's area "medians" of
 * the kernel memory (as large as the largest call's lines), from its start
 * `base`: `size` vectors of +inf,
 * then per group its input followed by `size` vectors of +inf (the next
 * group's run of outgoing +inf), the window (`size + 1` vectors), then per
 * group `size - 1` vectors of scratch for the steps that fill the window and
 * its output.
 */
export const createLaneMedian = (single: boolean): LaneMedian | null => {
  const kernels = loadKernels();
  if (kernels === null) return null;
  const { km, wasm } = kernels;
  const lanes = single ? 4 : 2;
  const View = single ? Float32Array : Float64Array;
  const bytes = single ? 4 : 8;
  let n = 0;
  let size = 1;
  let base = 0;
  let stride = 0;
  let windowAt = 0;
  let outAt = 0;
  const fill = (value: number, from: number, to: number): void => {
    (single ? km.f32 : km.f64).fill(value, from / bytes, to / bytes);
  };
  return {
    lanes,
    prepare(lineLength: number, windowSize: number, groups: number) {
      n = lineLength;
      size = windowSize;
      stride = 16 * (n + 2 * size - 1);
      const windowOffset = 16 * size + groups * stride;
      const outOffset = windowOffset + 16 * (size + 1);
      base = km.area("hpss", "medians", outOffset + groups * 16 * (n + size - 1));
      windowAt = base + windowOffset;
      outAt = base + outOffset;
      const view = (at: number, length: number): FloatArray => new View(km.memory.buffer, at, length);
      const inputs: FloatArray[] = [];
      const outputs: FloatArray[] = [];
      fill(Infinity, base, base + 16 * size);
      for (let g = 0; g < groups; g++) {
        const inputAt = base + 16 * size + g * stride;
        inputs.push(view(inputAt, (n + size - 1) * lanes));
        fill(Infinity, inputAt + 16 * (n + size - 1), inputAt + 16 * (n + 2 * size - 1));
        outputs.push(view(outAt + g * 16 * (n + size - 1) + 16 * (size - 1), n * lanes));
      }
      return { inputs, outputs };
    },
    run(group: number) {
      fill(Infinity, windowAt, windowAt + 16 * (size + 1));
      // Steps before the window is full store into the scratch before the group's output.
      const out = outAt + group * 16 * (n + size - 1);
      (single ? wasm.median32 : wasm.median64).call(wasm, base + group * stride, n + size - 1, size, windowAt, out, size >> 1);
    },
  };
};

/** Views of a mask kernel's elements in WebAssembly memory (see {@link MaskKernel}). */
interface MaskViews {
  /** Splats of marginHarm, marginPerc, the empty-bin mask value, tiny (see {@link MASK_CONSTANTS}). */
  constants: FloatArray;
  harm: FloatArray;
  perc: FloatArray;
  mag: FloatArray;
  /** Interleaved complex. */
  spectrum: FloatArray;
  /** Per element: the harmonic pair, then the percussive pair. */
  out: FloatArray;
}

/**
 * Masks and both masked spectra (`hpssMasks` then `applyMask` for each part)
 * of a run of elements, in WebAssembly SIMD.
 */
interface MaskKernel {
  /** Makes room for `count` elements and returns the views to fill and read; valid until the next `prepare` on this thread or until its kernel memory grows. */
  prepare(count: number): MaskViews;
  /** Computes `out` from the other views for the `count` elements of the last `prepare`. */
  run(): void;
  /**
   * For float32: `mag` from `spectrum` (complexMagnitude, as {@link MagnitudeKernel}) for the
   * `count` elements of the last `prepare`, in place, and true; false for float64 (no kernel).
   */
  magnitudes(): boolean;
}

/**
 * This thread's mask kernel for float32 (`single`) or float64, `power` and the
 * percussive rule (`complement`: `1 - maskHarm`, see percussiveIsComplement), or
 * `null` where WebAssembly SIMD is missing or the power has no kernel (see
 * {@link MASK_KERNEL_POWERS}).
 */
export const createMaskKernel = (single: boolean, power: number, complement = false): MaskKernel | null => {
  const kernels = loadKernels();
  if (kernels === null || !(MASK_KERNEL_POWERS as readonly number[]).includes(power)) return null;
  if (complement && !Number.isFinite(power)) return null;
  const { km, wasm } = kernels;
  const kernel = wasm[maskName(single, power, complement) as "masks32_1"];
  if (kernel === undefined) throw new Error(`mask kernel ${maskName(single, power, complement)} is missing from the module`);
  const View = single ? Float32Array : Float64Array;
  const bytes = single ? 4 : 8;
  let vectors = 0;
  let elements = 0;
  let at = { constants: 0, harm: 0, perc: 0, mag: 0, spectrum: 0, out: 0 };
  return {
    prepare(count: number) {
      elements = count;
      // Whole vectors: the lanes past `count` compute garbage that nobody reads.
      vectors = Math.ceil((count * bytes) / 16);
      const plane = 16 * vectors;
      // In the "hpss" region's area "masks", as large as the largest run so far.
      const constants = km.area("hpss", "masks", MASK_CONSTANTS.bytes + 9 * plane);
      const harm = constants + MASK_CONSTANTS.bytes;
      at = { constants, harm, perc: harm + plane, mag: harm + 2 * plane, spectrum: harm + 3 * plane, out: harm + 5 * plane };
      const view = (from: number, length: number): FloatArray => new View(km.memory.buffer, from, length);
      return {
        constants: view(constants, MASK_CONSTANTS.bytes / bytes),
        harm: view(at.harm, count),
        perc: view(at.perc, count),
        mag: view(at.mag, count),
        spectrum: view(at.spectrum, 2 * count),
        out: view(at.out, 4 * count),
      };
    },
    run() {
      kernel.call(wasm, vectors, at.harm, at.perc, at.mag, 16, at.spectrum, 32, at.out, 64, at.constants);
    },
    magnitudes() {
      if (!single) return false;
      // Whole pairs (the planes hold whole vectors of four): a last odd value's partner is garbage nobody reads.
      wasm.magnitude32(at.spectrum, elements + (elements & 1), at.mag);
      return true;
    },
  };
};

/** Float32 magnitudes of complex64 values in WebAssembly SIMD (see {@link magnitudeBody}). */
export interface MagnitudeKernel {
  /** `mag[i0 .. i1)` = complexMagnitude of `spectrum` values `i0 .. i1` (interleaved complex), as hpss.ts computes them in float32. */
  run(spectrum: Float32Array, mag: Float32Array, i0: number, i1: number): void;
}

/** This thread's magnitude kernel, or null where WebAssembly SIMD is missing. */
export const createMagnitudeKernel = (): MagnitudeKernel | null => {
  const kernels = loadKernels();
  if (kernels === null) return null;
  const { km, wasm } = kernels;
  return {
    run(spectrum, mag, i0, i1) {
      const count = i1 - i0;
      // Whole pairs: a last odd value's partner is garbage nobody reads.
      const even = count + (count & 1);
      const src = km.area("hpss", "magnitudes", 12 * even);
      const dst = src + 8 * even;
      new Float32Array(km.memory.buffer, src, 2 * count).set(spectrum.subarray(2 * i0, 2 * i1));
      wasm.magnitude32(src, even, dst);
      mag.set(new Float32Array(km.memory.buffer, dst, count), i0);
    },
  };
};
