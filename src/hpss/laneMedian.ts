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
import { instantiateIfSupported, section, text, uleb } from "../util/wasm.js";
import { onClearCaches } from "../util/clearCaches.js";

interface LaneKernels {
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  /**
   * `steps` window updates: step q removes the vector at `leaving + 16 q`,
   * inserts the one at `leaving + 16 (q + size)` into the window at `window`
   * (`size + 1` vectors, the last +inf), and stores the window's vector
   * `rank` at `out + 16 q`.
   */
  median32(leaving: number, steps: number, size: number, window: number, out: number, rank: number): void;
  median64(leaving: number, steps: number, size: number, window: number, out: number, rank: number): void;
  /** See {@link MaskKernel}; one function per lane type and power, named e.g. `masks32_2`. */
  [masks: `masks${32 | 64}_${string}`]: (count: number, h: number, p: number, m: number, pmStride: number, s: number, sStride: number, o: number, oStride: number) => void;
}

const simd = (op: number): number[] => [0xfd, ...uleb(op)];
const get = (local: number): number[] => [0x20, local];
const set = (local: number): number[] => [0x21, local];
const load = (offset: number): number[] => [...simd(0x00), 4, ...uleb(offset)];
const store = (offset: number): number[] => [...simd(0x0b), 4, ...uleb(offset)];
const constant = (bytes: number[], copies: number): number[] => [...simd(0x0c), ...new Array<number[]>(copies).fill(bytes).flat()];
const addTo = (local: number, value: number[]): number[] => [...get(local), ...value, 0x6a, ...set(local)];
const i32 = (value: number): number[] => [0x41, ...uleb(value)]; // small non-negative constants only

/** The kernel body for one lane type: `lt` and `pmax` opcodes, -inf as one lane's bytes. */
const medianBody = (lt: number, pmax: number, minusInf: number[], copies: number): number[] => {
  // Params: 0 leaving, 1 steps, 2 size, 3 window, 4 out, 5 rank. i32 locals: 6 entering, 7 p, 8 windowEnd, 9 median.
  // v128 locals: 10 a, 11 b, 12 prevR, 13 sj, 14 sj1, 15 r.
  const update = [
    ...constant(minusInf, copies), ...set(12),
    ...get(3), ...set(7),
    ...get(7), ...load(0), ...set(13),
    0x03, 0x40, // loop over the window
    ...get(7), ...load(16), ...set(14),
    // r = s[j] < a ? s[j] : s[j + 1]
    ...get(13), ...get(14), ...get(13), ...get(10), ...simd(lt), ...simd(0x52), ...set(15),
    // s'[j] = r < b ? r : pmax(prevR, b)
    ...get(7), ...get(15), ...get(12), ...get(11), ...simd(pmax), ...get(15), ...get(11), ...simd(lt), ...simd(0x52), ...store(0),
    ...get(15), ...set(12),
    ...get(14), ...set(13),
    ...addTo(7, i32(16)),
    ...get(7), ...get(8), 0x49, 0x0d, 0x00, // br_if p < windowEnd
    0x0b,
  ];
  return [
    2, 4, 0x7f, 6, 0x7b,
    ...get(2), ...i32(4), 0x74, ...get(0), 0x6a, ...set(6), // entering = leaving + 16 size
    ...get(2), ...i32(4), 0x74, ...get(3), 0x6a, ...set(8), // windowEnd = window + 16 size
    ...get(5), ...i32(4), 0x74, ...get(3), 0x6a, ...set(9), // median = window + 16 rank
    0x02, 0x40, // block
    ...get(1), 0x45, 0x0d, 0x00,
    0x03, 0x40, // loop over the steps
    ...get(0), ...load(0), ...set(10),
    ...get(6), ...load(0), ...set(11),
    ...update,
    ...get(4), ...get(9), ...load(0), ...store(0),
    ...addTo(0, i32(16)),
    ...addTo(6, i32(16)),
    ...addTo(4, i32(16)),
    ...get(1), ...i32(1), 0x6b, ...set(1),
    ...get(1), 0x0d, 0x00,
    0x0b,
    0x0b,
    0x0b,
  ];
};

const F32_MINUS_INF = [0x00, 0x00, 0x80, 0xff];
const F64_MINUS_INF = [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0xff];
const BODY32 = medianBody(0x43, 0xeb, F32_MINUS_INF, 4);
const BODY64 = medianBody(0x49, 0xf7, F64_MINUS_INF, 2);

/** Where the mask kernels read their constants (splats of marginHarm, marginPerc, the empty-bin value, tiny). */
export const MASK_CONSTANTS = { marginHarm: 0, marginPerc: 16, empty: 32, tiny: 48, bytes: 64 } as const;

/** Powers with a mask kernel: numpy special-cases 1, 2 and 0.5; infinity is the hard mask. */
export const MASK_KERNEL_POWERS = [1, 2, 0.5, Infinity] as const;

interface LaneOps {
  bytes: number;
  lt: number;
  gt: number;
  eq: number;
  add: number;
  sub: number;
  mul: number;
  div: number;
  sqrt: number;
  one: number[];
  zero: number[];
}
const F32: LaneOps = { bytes: 4, lt: 0x43, gt: 0x44, eq: 0x41, add: 0xe4, sub: 0xe5, mul: 0xe6, div: 0xe7, sqrt: 0xe3, one: [0, 0, 0x80, 0x3f], zero: [0, 0, 0, 0] };
const F64: LaneOps = { bytes: 8, lt: 0x49, gt: 0x4a, eq: 0x47, add: 0xf0, sub: 0xf1, mul: 0xf2, div: 0xf3, sqrt: 0xef, one: [0, 0, 0, 0, 0, 0, 0xf0, 0x3f], zero: [0, 0, 0, 0, 0, 0, 0, 0] };

/** i8x16.shuffle picking, for each output lane, lane `lanes[i]` of the pair (a, b) (b's lanes numbered on from a's). */
const shuffle = (ops: LaneOps, lanes: number[]): number[] => [
  ...simd(0x0d),
  ...lanes.flatMap((lane) => Array.from({ length: ops.bytes }, (_, k) => lane * ops.bytes + k)),
];

/**
 * The masks and masked spectra of one group of bins (one vector) over `count`
 * frames: per frame, harmonic medians at `h` (stride 16), percussive medians
 * and magnitudes at `p`, `m` (stride `pmStride`), the spectrum at `s` (the
 * group's bins as interleaved pairs, stride `sStride`), the output at `o`
 * (per bin: harmonic pair, percussive pair; stride `oStride`). Every operation
 * is one IEEE operation in the lane type, in softmask.ts's and hpss.ts's order.
 */
const masksBody = (ops: LaneOps, power: number, complement: boolean): number[] => {
  // Params: 0 count, 1 h, 2 p, 3 m, 4 pmStride, 5 s, 6 sStride, 7 o, 8 oStride.
  // v128 locals: 9 hv, 10 pv, 11 mv, 12 maskH, 13 maskP, 14 mask, 15 ref, 16 z, 17 ph0, 18 ph1, 19 scaled, 20 a, 21 b.
  const op = (code: number): number[] => simd(code);
  const splat = (bytes: number[]): number[] => constant(bytes, 16 / ops.bytes);
  const softmask = (x: number): number[] => {
    if (power === Infinity) return [...get(x), ...get(15), ...op(ops.gt), ...splat(ops.one), ...op(0x4e)];
    const pow = power === 2 ? [...get(14), ...get(14), ...op(ops.mul), ...set(14), ...get(15), ...get(15), ...op(ops.mul), ...set(15)]
      : power === 0.5 ? [...get(14), ...op(ops.sqrt), ...set(14), ...get(15), ...op(ops.sqrt), ...set(15)] : [];
    return [
      ...get(x), ...get(15), ...get(x), ...get(15), ...op(ops.gt), ...op(0x52), ...set(16),
      ...get(x), ...get(16), ...op(ops.div), ...set(14),
      ...get(15), ...get(16), ...op(ops.div), ...set(15),
      ...pow,
      ...i32(0), ...load(MASK_CONSTANTS.empty),
      ...get(14), ...get(14), ...get(15), ...op(ops.add), ...op(ops.div),
      ...get(16), ...i32(0), ...load(MASK_CONSTANTS.tiny), ...op(ops.lt),
      ...op(0x52),
    ];
  };
  const single = ops.bytes === 4;
  const pairOf = (lane: number): number[] => (single ? [lane, lane, lane + 1, lane + 1] : [lane, lane]);
  const unitPhase = constant([...ops.one, ...ops.zero], 16 / (2 * ops.bytes));
  // phase of the pairs at s + offset, whose magnitudes are the lanes pairOf(lane) of mv
  const phase = (offset: number, lane: number, into: number): number[] => [
    ...unitPhase,
    ...get(5), ...load(offset), ...get(11), ...get(11), ...shuffle(ops, pairOf(lane)), ...op(ops.div),
    ...get(11), ...get(11), ...shuffle(ops, pairOf(lane)), ...splat(ops.zero), ...op(ops.eq),
    ...op(0x52), ...set(into),
  ];
  // scaled pairs (lanes pairOf(lane) of `scaled`) times the phase
  const part = (lane: number, ph: number): number[] => [...get(19), ...get(19), ...shuffle(ops, pairOf(lane)), ...get(ph), ...op(ops.mul)];
  const outputs = single
    ? [
        ...get(11), ...get(12), ...op(ops.mul), ...set(19), ...part(0, 17), ...set(20), ...part(2, 18), ...set(21),
        ...get(11), ...get(13), ...op(ops.mul), ...set(19), ...part(0, 17), ...set(14), ...part(2, 18), ...set(15),
        ...get(7), ...get(20), ...get(14), ...shuffle(ops, [0, 1, 4, 5]), ...store(0),
        ...get(7), ...get(20), ...get(14), ...shuffle(ops, [2, 3, 6, 7]), ...store(16),
        ...get(7), ...get(21), ...get(15), ...shuffle(ops, [0, 1, 4, 5]), ...store(32),
        ...get(7), ...get(21), ...get(15), ...shuffle(ops, [2, 3, 6, 7]), ...store(48),
      ]
    : [
        ...get(11), ...get(12), ...op(ops.mul), ...set(19),
        ...get(7), ...part(0, 17), ...store(0),
        ...get(7), ...part(1, 18), ...store(32),
        ...get(11), ...get(13), ...op(ops.mul), ...set(19),
        ...get(7), ...part(0, 17), ...store(16),
        ...get(7), ...part(1, 18), ...store(48),
      ];
  return [
    1, 13, 0x7b,
    0x02, 0x40,
    ...get(0), 0x45, 0x0d, 0x00,
    0x03, 0x40,
    ...get(1), ...load(0), ...set(9),
    ...get(2), ...load(0), ...set(10),
    ...get(3), ...load(0), ...set(11),
    ...get(10), ...i32(0), ...load(MASK_CONSTANTS.marginHarm), ...op(ops.mul), ...set(15),
    ...softmask(9), ...set(12),
    ...(complement
      ? [...splat(ops.one), ...get(12), ...op(ops.sub), ...set(13)]
      : [...get(9), ...i32(0), ...load(MASK_CONSTANTS.marginPerc), ...op(ops.mul), ...set(15), ...softmask(10), ...set(13)]),
    ...phase(0, 0, 17),
    ...phase(16, single ? 2 : 1, 18),
    ...outputs,
    ...addTo(1, i32(16)),
    ...addTo(2, get(4)),
    ...addTo(3, get(4)),
    ...addTo(5, get(6)),
    ...addTo(7, get(8)),
    ...get(0), ...i32(1), 0x6b, ...set(0),
    ...get(0), 0x0d, 0x00,
    0x0b,
    0x0b,
    0x0b,
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

const MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  ...section(1, [2, 0x60, 6, ...new Array<number>(6).fill(0x7f), 0, 0x60, 9, ...new Array<number>(9).fill(0x7f), 0]),
  ...section(3, [2 + MASK_FUNCTIONS.length, 0, 0, ...MASK_FUNCTIONS.map(() => 1)]),
  ...section(5, [1, 0x00, 1]),
  ...section(7, [
    3 + MASK_FUNCTIONS.length, ...text("memory"), 2, 0, ...text("median32"), 0, 0, ...text("median64"), 0, 1,
    ...MASK_FUNCTIONS.flatMap(({ name }, i) => [...text(name), 0, 2 + i]),
  ]),
  ...section(10, [
    2 + MASK_FUNCTIONS.length, ...uleb(BODY32.length), ...BODY32, ...uleb(BODY64.length), ...BODY64,
    ...MASK_FUNCTIONS.flatMap(({ body }) => [...uleb(body.length), ...body]),
  ]),
]);

/** This thread's instance; its memory grows to the largest call's lines, and clearCaches drops it. */
let kernels: LaneKernels | null | undefined;
onClearCaches(() => {
  kernels = undefined;
});

const loadKernels = (): LaneKernels | null => {
  if (kernels === undefined) kernels = instantiateIfSupported(MODULE, "hpss.laneMedian") as LaneKernels | null;
  return kernels;
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
   * next `prepare` on this thread.
   */
  prepare(n: number, size: number, groups: number): { inputs: FloatArray[]; outputs: FloatArray[] };
  /** Filters what `inputs[group]` holds into `outputs[group]`: output `i` of a lane is the median of its inputs `i .. i + size - 1`. */
  run(group: number): void;
}

/**
 * This thread's lane median for float32 (`single`) or float64 lines, or `null`
 * where WebAssembly SIMD is missing. Memory layout: `size` vectors of +inf,
 * then per group its input followed by `size` vectors of +inf (the next
 * group's run of outgoing +inf), the window (`size + 1` vectors), then per
 * group `size - 1` vectors of scratch for the steps that fill the window and
 * its output.
 */
export const createLaneMedian = (single: boolean): LaneMedian | null => {
  const k = loadKernels();
  if (k === null) return null;
  const lanes = single ? 4 : 2;
  const View = single ? Float32Array : Float64Array;
  const bytes = single ? 4 : 8;
  let n = 0;
  let size = 1;
  let stride = 0;
  let windowAt = 0;
  let outAt = 0;
  const fill = (value: number, from: number, to: number): void => {
    new View(k.memory.buffer).fill(value, from / bytes, to / bytes);
  };
  return {
    lanes,
    prepare(lineLength: number, windowSize: number, groups: number) {
      n = lineLength;
      size = windowSize;
      stride = 16 * (n + 2 * size - 1);
      windowAt = 16 * size + groups * stride;
      outAt = windowAt + 16 * (size + 1);
      ensureMemory(k, outAt + groups * 16 * (n + size - 1));
      const view = (at: number, length: number): FloatArray => new View(k.memory.buffer, at, length);
      const inputs: FloatArray[] = [];
      const outputs: FloatArray[] = [];
      fill(Infinity, 0, 16 * size);
      for (let g = 0; g < groups; g++) {
        const inputAt = 16 * size + g * stride;
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
      (single ? k.median32 : k.median64).call(k, group * stride, n + size - 1, size, windowAt, out, size >> 1);
    },
  };
};

const ensureMemory = (k: LaneKernels, bytes: number): void => {
  const have = k.memory.buffer.byteLength;
  if (bytes > have) k.memory.grow(Math.ceil((bytes - have) / 65536));
};

/** Views of a mask kernel's elements in WebAssembly memory (see {@link MaskKernel}). */
export interface MaskViews {
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
export interface MaskKernel {
  /** Makes room for `count` elements and returns the views to fill and read; valid until the next `prepare` on this thread. */
  prepare(count: number): MaskViews;
  /** Computes `out` from the other views for the `count` elements of the last `prepare`. */
  run(): void;
}

/**
 * This thread's mask kernel for float32 (`single`) or float64, `power` and the
 * percussive rule (`complement`: `1 - maskHarm`, see percussiveIsComplement), or
 * `null` where WebAssembly SIMD is missing or the power has no kernel (see
 * {@link MASK_KERNEL_POWERS}).
 */
export const createMaskKernel = (single: boolean, power: number, complement = false): MaskKernel | null => {
  const k = loadKernels();
  if (k === null || !(MASK_KERNEL_POWERS as readonly number[]).includes(power)) return null;
  if (complement && !Number.isFinite(power)) return null;
  const kernel = k[maskName(single, power, complement) as "masks32_1"];
  const View = single ? Float32Array : Float64Array;
  const bytes = single ? 4 : 8;
  let vectors = 0;
  let at = { harm: 0, perc: 0, mag: 0, spectrum: 0, out: 0 };
  return {
    prepare(count: number) {
      // Whole vectors: the lanes past `count` compute garbage that nobody reads.
      vectors = Math.ceil((count * bytes) / 16);
      const plane = 16 * vectors;
      const harm = MASK_CONSTANTS.bytes;
      at = { harm, perc: harm + plane, mag: harm + 2 * plane, spectrum: harm + 3 * plane, out: harm + 5 * plane };
      ensureMemory(k, at.out + 4 * plane);
      const view = (from: number, length: number): FloatArray => new View(k.memory.buffer, from, length);
      return {
        constants: view(0, MASK_CONSTANTS.bytes / bytes),
        harm: view(at.harm, count),
        perc: view(at.perc, count),
        mag: view(at.mag, count),
        spectrum: view(at.spectrum, 2 * count),
        out: view(at.out, 4 * count),
      };
    },
    run() {
      kernel.call(k, vectors, at.harm, at.perc, at.mag, 16, at.spectrum, 32, at.out, 64);
    },
  };
};
