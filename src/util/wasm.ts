/**
 * Small WebAssembly modules written out in TypeScript (the SIMD kernels of
 * cqt/bandProduct.ts and hpss/laneMedian.ts) and their loading, shared with
 * the FFT's generated module: byte helpers for the binary format, and an
 * instantiation that answers null where WebAssembly or SIMD is missing, so
 * callers fall back to their TypeScript loops.
 *
 * @see https://webassembly.github.io/spec/core/binary/index.html
 */
import { onClearCaches, trackKernelMemory } from "./clearCaches.js";

/** The part of the WebAssembly JS API used here (the project's `lib` setting has no wasm types). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports?: object) => { readonly exports: unknown };
}

/** Unsigned LEB128 encoding of a non-negative integer. */
export const uleb = (value: number): number[] => {
  const out: number[] = [];
  let v = value;
  do {
    out.push((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
    v >>>= 7;
  } while (v > 0);
  return out;
};

/** A module section: id, byte length, content. */
export const section = (id: number, content: number[]): number[] => [id, ...uleb(content.length), ...content];

/** A name (length-prefixed ASCII). */
export const text = (s: string): number[] => [s.length, ...Array.from(s, (ch) => ch.charCodeAt(0))];

/**
 * The exports of `bytes` compiled synchronously (modules under 4 KB may be,
 * even on a browser's main thread), or null where WebAssembly is absent or
 * rejects the module (e.g. no SIMD: `validate` is false).
 */
export const instantiateIfSupported = (bytes: Uint8Array, name = "kernels"): unknown | null => {
  try {
    const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    if (api === undefined || !api.validate(bytes)) return null;
    const exports = new api.Instance(new api.Module(bytes)).exports as { memory?: { buffer: ArrayBufferLike } };
    if (exports.memory !== undefined) trackKernelMemory(name, exports.memory);
    return exports;
  } catch {
    return null;
  }
};

// ---- Instruction builders shared by the hand-written SIMD modules (bytes of the code section). ----

export const I32 = 0x7f;
export const F64 = 0x7c;
export const V128 = 0x7b;
/** A SIMD instruction: the 0xfd prefix, then its opcode and immediates. */
export const simd = (op: number[]): number[] => [0xfd, ...op];
/** v128.load / v128.store with 16-byte alignment at a constant byte offset. */
export const V128_LOAD = (offset: number): number[] => simd([0x00, 4, ...uleb(offset)]);
export const V128_STORE = (offset: number): number[] => simd([0x0b, 4, ...uleb(offset)]);
export const F64X2_ADD = simd([0xf0, 0x01]);
export const F64X2_MUL = simd([0xf2, 0x01]);
export const F64X2_SPLAT = simd([0x14]);
/** f32x4.demote_f64x2_zero then f64x2.promote_low_f32x4: both lanes rounded to float32, as Math.fround. */
export const ROUND32 = [...simd([0x5e]), ...simd([0x5f])];
/** Signed LEB128 of an integer in [0, 8192) (the constants the kernels add). */
export const sleb = (value: number): number[] => (value < 64 ? [value] : [(value & 0x7f) | 0x80, value >> 7]);
export const get = (local: number): number[] => [0x20, local];
export const set = (local: number): number[] => [0x21, local];
export const tee = (local: number): number[] => [0x22, local];
/** local += value (i32). */
export const addConst = (local: number, value: number): number[] => [...get(local), 0x41, ...sleb(value), 0x6a, ...set(local)];
/** while (local `count` != 0) { body; count -= step } */
export const countedLoop = (count: number, step: number, body: number[]): number[] => [
  0x02, 0x40,
  0x03, 0x40,
  ...get(count), 0x45, 0x0d, 0x01,
  ...body,
  ...get(count), 0x41, ...sleb(step), 0x6b, ...set(count),
  0x0c, 0x00,
  0x0b,
  0x0b,
];

/** A function of a hand-written module: its export name, its index in the type section and its body (locals + code). */
export interface WasmFunction {
  name: string;
  type: number;
  body: number[];
}

/**
 * A module that imports its memory as `env.memory` (so it works in place on
 * another module's buffers, e.g. the FFT kernels') and exports `functions`;
 * `types`: the type section's entries (their count first).
 */
export const memoryImportingModule = (types: number[], functions: readonly WasmFunction[]): Uint8Array =>
  new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, types),
    ...section(2, [1, ...text("env"), ...text("memory"), 0x02, 0x00, 1]),
    ...section(3, [functions.length, ...functions.map((f) => f.type)]),
    ...section(7, [functions.length, ...functions.flatMap((f, i) => [...text(f.name), 0x00, i])]),
    ...section(10, [functions.length, ...functions.flatMap((f) => [...uleb(f.body.length), ...f.body])]),
  ]);

/**
 * The exports of `bytes` (a {@link memoryImportingModule}) instantiated over
 * a given memory, once per memory (this thread's FFT kernels' memory does not
 * change); null where WebAssembly SIMD is missing.
 */
export const kernelsOverMemory = <T>(bytes: Uint8Array): ((memory: object) => T | null) => {
  let kernels: T | null = null;
  let kernelsMemory: object | null = null;
  // Holding the memory would keep a cleared instance's memory alive.
  onClearCaches(() => {
    kernels = kernelsMemory = null;
  });
  return (memory) => {
    if (kernelsMemory === memory) return kernels;
    kernelsMemory = memory;
    kernels = null;
    try {
      const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
      if (api !== undefined && api.validate(bytes)) kernels = new api.Instance(new api.Module(bytes), { env: { memory } }).exports as T;
    } catch {
      kernels = null;
    }
    return kernels;
  };
};
