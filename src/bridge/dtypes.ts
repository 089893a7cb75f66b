/**
 * The element types the bridge carries and how each maps to bytes and to a
 * typed array (see docs/protocol.md, "Arrays").
 */
import type { DType, NamedArray } from "../ops/types.js";

interface DTypeLayout {
  /** Bytes per element of the array's shape (a complex element is two floats). */
  readonly itemSize: number;
  /** Typed-array elements per array element: 2 for interleaved complex, else 1. */
  readonly lanes: number;
  readonly view: (buffer: ArrayBufferLike, byteOffset: number, length: number) => NamedArray["data"];
  readonly matches: (data: NamedArray["data"]) => boolean;
}

const float32: Omit<DTypeLayout, "itemSize" | "lanes"> = {
  view: (b, o, n) => new Float32Array(b, o, n),
  matches: (d) => d instanceof Float32Array,
};
const float64: Omit<DTypeLayout, "itemSize" | "lanes"> = {
  view: (b, o, n) => new Float64Array(b, o, n),
  matches: (d) => d instanceof Float64Array,
};
const bytes: Omit<DTypeLayout, "itemSize" | "lanes"> = {
  view: (b, o, n) => new Uint8Array(b, o, n),
  matches: (d) => d instanceof Uint8Array,
};

export const DTYPE_LAYOUTS: Readonly<Record<DType, DTypeLayout>> = {
  float32: { itemSize: 4, lanes: 1, ...float32 },
  float64: { itemSize: 8, lanes: 1, ...float64 },
  complex64: { itemSize: 8, lanes: 2, ...float32 },
  complex128: { itemSize: 16, lanes: 2, ...float64 },
  int32: { itemSize: 4, lanes: 1, view: (b, o, n) => new Int32Array(b, o, n), matches: (d) => d instanceof Int32Array },
  int64: { itemSize: 8, lanes: 1, view: (b, o, n) => new BigInt64Array(b, o, n), matches: (d) => d instanceof BigInt64Array },
  uint8: { itemSize: 1, lanes: 1, ...bytes },
  bool: { itemSize: 1, lanes: 1, ...bytes },
};

export const isDType = (value: unknown): value is DType =>
  typeof value === "string" && Object.prototype.hasOwnProperty.call(DTYPE_LAYOUTS, value);

/** Number of elements of `shape` (1 for a scalar shape `[]`). */
export const elementCount = (shape: readonly number[]): number => shape.reduce((n, d) => n * d, 1);

/** Rounds a byte count up to the next multiple of 8, the protocol's alignment. */
export const pad8 = (n: number): number => Math.ceil(n / 8) * 8;

/**
 * Checks that `array.data` has the typed-array class and length its dtype and
 * shape call for; returns a description of the mismatch, or undefined.
 */
export const arrayMismatch = (array: NamedArray): string | undefined => {
  const layout = DTYPE_LAYOUTS[array.dtype];
  if (!layout) return `array ${array.name} has unknown dtype ${String(array.dtype)}`;
  if (!array.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    return `array ${array.name} has an invalid shape [${array.shape.join(", ")}]`;
  }
  if (!layout.matches(array.data)) return `array ${array.name}: data is a ${array.data.constructor.name}, not a ${array.dtype} array`;
  const expected = elementCount(array.shape) * layout.lanes;
  if (array.data.length !== expected) {
    return `array ${array.name}: data has ${array.data.length} elements, shape [${array.shape.join(", ")}] needs ${expected}`;
  }
  return undefined;
};
