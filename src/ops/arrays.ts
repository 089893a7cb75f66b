/** Looking up and checking the named arrays of a request. */
import { ParameterError } from "../util/errors.js";
import type { DType, NamedArray } from "./types.js";

export const findArray = (arrays: NamedArray[], name: string): NamedArray | undefined => arrays.find((a) => a.name === name);

/** The array `name`, checked for dtype and number of dimensions. */
export const requireArray = (arrays: NamedArray[], name: string, dtypes: readonly DType[], ndim?: number): NamedArray => {
  const a = findArray(arrays, name);
  if (!a) throw new ParameterError(`missing array '${name}'`);
  if (!dtypes.includes(a.dtype)) throw new ParameterError(`array '${name}' has dtype ${a.dtype}; expected ${dtypes.join(" or ")}`);
  if (ndim !== undefined && a.shape.length !== ndim) {
    throw new ParameterError(`array '${name}' must have ${ndim} dimensions, got shape (${a.shape.join(", ")})`);
  }
  return a;
};

/** Real float data of a float32/float64 array. */
export const floatData = (a: NamedArray): Float32Array | Float64Array => {
  if (a.data instanceof Float32Array || a.data instanceof Float64Array) return a.data;
  throw new ParameterError(`array '${a.name}' is not floating point`);
};

/** The request's explicit `window` array, if it has one. */
export const explicitWindow = (arrays: NamedArray[]): Float32Array | Float64Array | undefined => {
  const w = findArray(arrays, "window");
  return w ? floatData(w) : undefined;
};
