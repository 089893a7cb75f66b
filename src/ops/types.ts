/**
 * What an op is: a handler that receives explicit parameters (the shims always
 * send every parameter) and named arrays, and returns named arrays plus
 * optional JSON-able metadata, either at once or as a flow that hands its
 * parallel work to the context's runner. Ops never see bytes, frames or
 * processes. An op table is a plain `{ name: handler }` object, given to
 * whoever serves calls (the stdio server, the Pyodide entry, `callOp`).
 */
import type { ArenaStats } from "../schedule/arena.js";
import type { Flow, Runner } from "../schedule/runner.js";
import type { SegmentClaim } from "../spectrum/transforms.js";

/** Element types that cross the bridge. Complex types are interleaved (re, im) pairs. */
export type DType = "float32" | "float64" | "complex64" | "complex128" | "int32" | "int64" | "uint8" | "bool";

/** An n-dimensional array as the bridge carries it: C order, little-endian. */
export interface NamedArray {
  name: string;
  dtype: DType;
  shape: number[];
  /**
   * The elements. float32/complex64 -> Float32Array, float64/complex128 -> Float64Array
   * (complex interleaved, so length is 2 * product(shape)), int32 -> Int32Array,
   * int64 -> BigInt64Array, uint8/bool -> Uint8Array.
   */
  data: Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;
  /**
   * Set by an op that has already written this array's bytes into the reply
   * segment at this offset (see OpContext.replySegment); `data` still holds them.
   */
  segmentOffset?: number;
}

export interface OpResult {
  arrays: NamedArray[];
  meta?: Record<string, unknown>;
}

export interface OpContext {
  /** Where the op's parallel work runs: worker threads in the server, this thread in-process. */
  runner: Runner;
  /** The server's buffer arena, for diagnostics and clear_caches (absent in-process). */
  arena?: { stats(): ArenaStats; clear(): void };
  /** A full garbage collection of this thread, where the runtime offers one (the server). */
  collectGarbage?: () => void;
  /**
   * The reply segment the client offered (stdio server only; docs/protocol.md).
   * `claim(nbytes)` reserves room for one result array and returns its offset, or
   * undefined when it does not fit; the op (or its worker tasks) then writes the
   * array's bytes to `fd` at that offset and marks the array with `segmentOffset`.
   */
  replySegment?: SegmentClaim;
}

export type OpHandler = (params: Record<string, unknown>, arrays: NamedArray[], ctx: OpContext) => OpResult | Flow<OpResult>;

/** Ops by name. */
export type OpTable = Readonly<Record<string, OpHandler>>;
