/**
 * Output buffers for kernels: backed by a SharedArrayBuffer when worker
 * threads will write into them, by a plain ArrayBuffer otherwise (Pyodide,
 * inline JS), so the same kernel code serves both.
 *
 * The Node server installs a `BufferSource` (a scope of its BufferArena,
 * see arena.ts) for the duration of each request. While one is installed,
 * every allocation below comes from it, shared or not: memory that earlier
 * requests already touched, instead of fresh pages that cost a page fault
 * each. Such buffers are only valid until the request's reply is written,
 * which is all an op's output needs.
 *
 * Zeroing: fresh memory is zero anyway, reused memory is not. By default
 * (`zero: true`) every allocation is zero-filled, so kernels that rely on a
 * zeroed output stay correct. A kernel that writes every element itself
 * passes `{ zero: false }` and skips the fill.
 */
export type FloatArray = Float32Array | Float64Array;

interface AllocOptions {
  /** Zero-fill the elements (default true). Pass false only when the caller overwrites every element. */
  zero?: boolean;
}

/** Where allocations come from while installed (the server's per-request arena scope). */
export interface BufferSource {
  /** A SharedArrayBuffer of at least `bytes` bytes; its first `bytes` bytes zeroed when `zero`. */
  take(bytes: number, zero: boolean): SharedArrayBuffer;
}

let source: BufferSource | undefined;

/** Installs `next` as the source of every allocation (undefined: fresh memory); returns the previous one. */
export const setBufferSource = (next: BufferSource | undefined): BufferSource | undefined => {
  const previous = source;
  source = next;
  return previous;
};

const buffer = (bytes: number, shared: boolean, options: AllocOptions | undefined): ArrayBufferLike => {
  if (source) return source.take(bytes, options?.zero !== false);
  return shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
};

export const allocFloat64 = (length: number, shared: boolean, options?: AllocOptions): Float64Array =>
  new Float64Array(buffer(length * 8, shared, options), 0, length);

export const allocFloat32 = (length: number, shared: boolean, options?: AllocOptions): Float32Array =>
  new Float32Array(buffer(length * 4, shared, options), 0, length);

export const allocInt32 = (length: number, shared: boolean, options?: AllocOptions): Int32Array =>
  new Int32Array(buffer(length * 4, shared, options), 0, length);

export const allocUint8 = (length: number, shared: boolean, options?: AllocOptions): Uint8Array =>
  new Uint8Array(buffer(length, shared, options), 0, length);

/** A float array of `length` elements of the given precision. */
export const allocFloat = (length: number, double: boolean, shared: boolean, options?: AllocOptions): FloatArray =>
  double ? allocFloat64(length, shared, options) : allocFloat32(length, shared, options);
