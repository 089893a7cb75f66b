/**
 * Output buffers for kernels: backed by a SharedArrayBuffer when worker
 * threads will write into them, by a plain ArrayBuffer otherwise (Pyodide,
 * inline JS), so the same kernel code serves both.
 */
export type FloatArray = Float32Array | Float64Array;

export const allocFloat64 = (length: number, shared: boolean): Float64Array =>
  shared ? new Float64Array(new SharedArrayBuffer(length * 8)) : new Float64Array(length);

export const allocFloat32 = (length: number, shared: boolean): Float32Array =>
  shared ? new Float32Array(new SharedArrayBuffer(length * 4)) : new Float32Array(length);

/** A float array of `length` elements of the given precision. */
export const allocFloat = (length: number, double: boolean, shared: boolean): FloatArray =>
  double ? allocFloat64(length, shared) : allocFloat32(length, shared);
