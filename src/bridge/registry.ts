/**
 * The op registry: the one table the stdio server and the Pyodide entry both
 * dispatch through. An op receives explicit parameters (the shims always send
 * every parameter) and named arrays, and returns named arrays plus optional
 * JSON-able metadata. Ops never see bytes, frames or processes.
 */
import type { ArenaStats } from "../parallel/arena.js";
import type { WorkerPool } from "../parallel/pool.js";

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
  /** Present in the Node server (worker_threads); absent in-process (Pyodide, plain JS). */
  pool?: WorkerPool;
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
  replySegment?: { fd: number; claim(nbytes: number): number | undefined };
}

export type OpHandler = (
  params: Record<string, unknown>,
  arrays: NamedArray[],
  ctx: OpContext,
) => OpResult | Promise<OpResult>;

const ops = new Map<string, OpHandler>();

/** Registers `handler` under `name`; a second registration of a name is a programming error. */
export const registerOp = (name: string, handler: OpHandler): void => {
  if (ops.has(name)) throw new Error(`op ${name} registered twice`);
  ops.set(name, handler);
};

export const getOp = (name: string): OpHandler | undefined => ops.get(name);

export const listOps = (): string[] => [...ops.keys()].sort();
