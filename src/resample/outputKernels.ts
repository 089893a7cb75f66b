/**
 * The division of the 2:1 stage's block outputs by librosa's `scale`
 * divisor, optionally rounded to float32, in WebAssembly SIMD, in place in
 * the FFT kernels' memory (imported from `wasmSpectralMemory().memory`),
 * where the inverse transform leaves the outputs. The caller then copies them
 * out in one `set`: a scalar loop storing into the (shared) output array costs
 * about three times as much. `f64x2.div` is the IEEE division of the scalar
 * loop and `f32x4.demote_f64x2_zero` + `f64x2.promote_low_f32x4` round to
 * float32 as `Math.fround` does, so the values are bit-identical.
 *
 * Written out byte by byte (as src/cqt/tuningKernels.ts); each thread
 * instantiates it once over its FFT memory.
 */
import { section, text, uleb } from "../util/wasm.js";

export interface OutputKernels {
  /** x[i] = fround(x[i] / divisor) for the `bytes / 8` float64 values at byte address `x` (bytes a multiple of 32). */
  divide32(x: number, bytes: number, divisor: number): void;
  /** x[i] = x[i] / divisor, likewise. */
  divide64(x: number, bytes: number, divisor: number): void;
}

const simd = (op: number[]): number[] => [0xfd, ...op];
const V128_LOAD = (offset: number): number[] => simd([0x00, 4, ...uleb(offset)]);
const V128_STORE = (offset: number): number[] => simd([0x0b, 4, ...uleb(offset)]);
const F64X2_DIV = simd([0xf3, 0x01]);
const F64X2_SPLAT = simd([0x14]);
/** Rounds both float64 lanes to float32 and back. */
const ROUND32 = [...simd([0x5e]), ...simd([0x5f])];
const get = (local: number): number[] => [0x20, local];
const set = (local: number): number[] => [0x21, local];
const sleb = (value: number): number[] => (value < 64 ? [value] : [(value & 0x7f) | 0x80, value >> 7]);
const addConst = (local: number, value: number): number[] => [...get(local), 0x41, ...sleb(value), 0x6a, ...set(local)];
const I32 = 0x7f;
const F64 = 0x7c;
const V128 = 0x7b;
/** A loop running while local `count` is non-zero, decremented by `step` after `body`. */
const countedLoop = (count: number, step: number, body: number[]): number[] => [
  0x02, 0x40,
  0x03, 0x40,
  ...get(count), 0x45, 0x0d, 0x01,
  ...body,
  ...get(count), 0x41, ...sleb(step), 0x6b, ...set(count),
  0x0c, 0x00,
  0x0b,
  0x0b,
];

/** x / divisor (rounded to float32 if `single`) of the vector at `offset` from local 0, stored back. */
const divideAt = (offset: number, single: boolean): number[] => [
  ...get(0), ...get(0), ...V128_LOAD(offset), ...get(3), ...F64X2_DIV, ...(single ? ROUND32 : []), ...V128_STORE(offset),
];

// divide. Params: 0 x, 1 bytes, 2 divisor. Locals: 3 the divisor splat.
const divideBody = (single: boolean): number[] => [
  1, 1, V128,
  ...get(2), ...F64X2_SPLAT, ...set(3),
  ...countedLoop(1, 32, [...divideAt(0, single), ...divideAt(16, single), ...addConst(0, 32)]),
  0x0b,
];

const functions: { name: string; body: number[] }[] = [
  { name: "divide32", body: divideBody(true) },
  { name: "divide64", body: divideBody(false) },
];

const MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  ...section(1, [1, 0x60, 3, I32, I32, F64, 0]),
  ...section(2, [1, ...text("env"), ...text("memory"), 0x02, 0x00, 1]),
  ...section(3, [functions.length, ...functions.map(() => 0)]),
  ...section(7, [functions.length, ...functions.flatMap((f, i) => [...text(f.name), 0x00, i])]),
  ...section(10, [functions.length, ...functions.flatMap((f) => [...uleb(f.body.length), ...f.body])]),
]);

/** The part of the WebAssembly JS API used here (the project's `lib` setting has no wasm types). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
}

let kernels: OutputKernels | null = null;
let kernelsMemory: object | null = null;

/**
 * The kernels over `memory` (the FFT kernels' WebAssembly.Memory of this
 * thread), instantiated on first use; null where WebAssembly SIMD is missing.
 */
export const outputKernels = (memory: object): OutputKernels | null => {
  if (kernelsMemory === memory) return kernels;
  kernelsMemory = memory;
  kernels = null;
  try {
    const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    if (api !== undefined && api.validate(MODULE)) {
      kernels = new api.Instance(new api.Module(MODULE), { env: { memory } }).exports as OutputKernels;
    }
  } catch {
    kernels = null;
  }
  return kernels;
};
