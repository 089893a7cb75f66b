/**
 * The division of the 2:1 stage's block outputs by librosa's `scale`
 * divisor, optionally rounded to float32, in WebAssembly SIMD, in place in
 * the thread's kernel memory (util/kernelMemory.ts),
 * where the inverse transform leaves the outputs. The caller then copies them
 * out in one `set`: a scalar loop storing into the (shared) output array costs
 * about three times as much. `f64x2.div` is the IEEE division of the scalar
 * loop and `f32x4.demote_f64x2_zero` + `f64x2.promote_low_f32x4` round to
 * float32 as `Math.fround` does, so the values are bit-identical.
 *
 * Written with util/wasm.ts's instructions; each thread instantiates it once
 * over its kernel memory.
 */
import { kernelsOverMemory } from "../util/kernelMemory.js";
import {
  END, F64, F64X2_DIV, F64X2_SPLAT, I32, ROUND32, V128, V128_LOAD, V128_STORE, addConst, countedLoop, get, locals, set, type WasmFunction,
} from "../util/wasm.js";
import { kernelModule } from "../util/kernelModules.js";

interface OutputKernels {
  /** x[i] = fround(x[i] / divisor) for the `bytes / 8` float64 values at byte address `x` (bytes a multiple of 32). */
  divide32(x: number, bytes: number, divisor: number): void;
  /** x[i] = x[i] / divisor, likewise. */
  divide64(x: number, bytes: number, divisor: number): void;
}

/** x / divisor (rounded to float32 if `single`) of the vector at `offset` from local 0, stored back. */
const divideAt = (offset: number, single: boolean): number[] => [
  ...get(0), ...get(0), ...V128_LOAD(offset), ...get(3), ...F64X2_DIV, ...(single ? ROUND32 : []), ...V128_STORE(offset),
];

// divide. Params: 0 x, 1 bytes, 2 divisor. Locals: 3 the divisor splat.
const divideBody = (single: boolean): number[] => [
  ...locals([1, V128]),
  ...get(2), ...F64X2_SPLAT, ...set(3),
  ...countedLoop(1, 32, [...divideAt(0, single), ...divideAt(16, single), ...addConst(0, 32)]),
  ...END,
];

const DIVIDE = { params: [I32, I32, F64], results: [] };
const functions: WasmFunction[] = [
  { name: "divide32", ...DIVIDE, body: divideBody(true) },
  { name: "divide64", ...DIVIDE, body: divideBody(false) },
];

const MODULE = kernelModule("resampleOutput", functions);

/**
 * The kernels over `memory` (this thread's kernel memory, where the FFT
 * works), instantiated on first use; null where WebAssembly SIMD is missing.
 */
export const outputKernels = kernelsOverMemory<OutputKernels>(MODULE);
