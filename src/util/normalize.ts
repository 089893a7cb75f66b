/**
 * `librosa.util.normalize` along one axis with its default `threshold`
 * (`tiny` of the data type) and `fill=None`: a vector whose norm is below the
 * threshold is left unchanged (divided by 1), so silent frames stay zero.
 *
 * @see https://librosa.org/doc/0.11.0/generated/librosa.util.normalize.html
 */
import { ParameterError } from "./errors.js";

/** `np.finfo(float32).tiny` and `np.finfo(float64).tiny`. */
export const TINY_FLOAT32 = 1.1754943508222875e-38;
export const TINY_FLOAT64 = 2.2250738585072014e-308;

/** Checks a norm order the way librosa does: +-inf, 0, a positive number, or null (no normalisation). */
export const checkNorm = (norm: number | null): void => {
  if (norm === null) return;
  if (typeof norm !== "number" || Number.isNaN(norm) || (norm < 0 && norm !== -Infinity)) {
    throw new ParameterError(`Unsupported norm: ${String(norm)}`);
  }
};

/**
 * The norm librosa divides by: max (inf), min (-inf), count of non-zeros (0),
 * or `(sum |x|^p)^(1/p)`, of the first `n` magnitudes in `mag`.
 */
export const normLength = (mag: Float64Array, n: number, norm: number): number => {
  if (norm === Infinity) {
    let m = -Infinity;
    for (let i = 0; i < n; i++) if (mag[i]! > m) m = mag[i]!;
    return m;
  }
  if (norm === -Infinity) {
    let m = Infinity;
    for (let i = 0; i < n; i++) if (mag[i]! < m) m = mag[i]!;
    return m;
  }
  if (norm === 0) {
    let c = 0;
    for (let i = 0; i < n; i++) if (mag[i]! > 0) c++;
    return c;
  }
  let s = 0;
  if (norm === 1) {
    for (let i = 0; i < n; i++) s += mag[i]!;
    return s;
  }
  if (norm === 2) {
    for (let i = 0; i < n; i++) s += mag[i]! * mag[i]!;
    return Math.sqrt(s);
  }
  for (let i = 0; i < n; i++) s += mag[i]! ** norm;
  return s ** (1 / norm);
};

/**
 * Normalises the vector `data[offset + i * stride]`, i < n, in place
 * (`scratch` holds at least n magnitudes). `norm` null leaves it unchanged.
 */
export const normalizeStrided = (
  data: Float32Array | Float64Array,
  offset: number,
  stride: number,
  n: number,
  norm: number | null,
  tiny: number,
  scratch: Float64Array,
): void => {
  if (norm === null) return;
  for (let i = 0; i < n; i++) scratch[i] = Math.abs(data[offset + i * stride]!);
  let length = normLength(scratch, n, norm);
  if (length < tiny) length = 1;
  for (let i = 0; i < n; i++) data[offset + i * stride] = data[offset + i * stride]! / length;
};
