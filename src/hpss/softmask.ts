/**
 * `librosa.util.softmask` (0.11.0) over flat float64 arrays, in float64 or in
 * emulated float32.
 *
 * librosa does not compute `X^p / (X^p + X_ref^p)` directly: it rescales both
 * by `Z = max(X, X_ref)` first (so large magnitudes cannot overflow), treats
 * bins with `Z < tiny(dtype)` as empty (mask 0.5 with `split_zeros`, else 0),
 * and for `power = inf` returns the hard mask `X > X_ref` (which ignores
 * `split_zeros`; so does a NaN power, as `np.isfinite` is false for it).
 *
 * Float32: numpy evaluates every step in float32. Each of `/`, `*`, `+` and
 * `sqrt` on float32 operands is done here in float64 and rounded with
 * `Math.fround`, which is exactly the float32 result (float64 carries more than
 * twice float32's precision, so the double rounding is harmless). numpy
 * special-cases the exponents 1, 2 and 0.5 (identity, square, sqrt), so those
 * powers match bit for bit; any other finite power goes through numpy's
 * vectorised `pow`, which is not correctly rounded, so agreement there is to
 * about one float32 ulp.
 *
 * @see https://librosa.org/doc/0.11.0/generated/librosa.util.softmask.html
 */
import { ParameterError } from "../util/errors.js";

/** The floating-point type librosa would compute in (the magnitudes' dtype). */
export type Precision = "float32" | "float64";

/** `np.finfo(dtype).tiny`: the smallest positive normal number. */
export const tinyOf = (precision: Precision): number =>
  precision === "float32" ? 1.1754943508222875e-38 : 2.2250738585072014e-308;

/** Rounds to the working precision: `Math.fround` for float32, identity for float64. */
export const roundTo = (value: number, float32: boolean): number => (float32 ? Math.fround(value) : value);

/**
 * One bin of the soft mask, with `x` and `xRef` already in the working
 * precision. Small enough for V8 to inline into the callers' loops, where the
 * branches on `power` and `float32` are loop-invariant and predicted.
 *
 * @param tiny - `tinyOf(precision)`.
 */
export const softmaskValue = (
  x: number,
  xRef: number,
  power: number,
  splitZeros: boolean,
  float32: boolean,
  tiny: number,
): number => {
  // librosa takes the hard mask whenever np.isfinite(power) is false (inf or NaN).
  if (!Number.isFinite(power)) return x > xRef ? 1 : 0;
  const z = x > xRef ? x : xRef;
  if (z < tiny) return splitZeros ? 0.5 : 0;
  let mask = roundTo(x / z, float32);
  let ref = roundTo(xRef / z, float32);
  if (power === 2) {
    mask = roundTo(mask * mask, float32);
    ref = roundTo(ref * ref, float32);
  } else if (power === 0.5) {
    mask = roundTo(Math.sqrt(mask), float32);
    ref = roundTo(Math.sqrt(ref), float32);
  } else if (power !== 1) {
    mask = roundTo(Math.pow(mask, power), float32);
    ref = roundTo(Math.pow(ref, power), float32);
  }
  return roundTo(mask / roundTo(mask + ref, float32), float32);
};

/** Options of {@link softmask}. */
export interface SoftmaskOptions {
  /** Exponent of the mask, > 0; `Infinity` gives the hard mask `x > xRef`. Default 1. */
  power?: number;
  /** Give empty bins (both inputs below `tiny`) the value 0.5 instead of 0. Default false. */
  splitZeros?: boolean;
  /** dtype of `x` in librosa; the arithmetic is rounded to it. Default "float64". */
  precision?: Precision;
  /** Index range `[start, end)` to compute, for splitting across workers. Default: all. */
  start?: number;
  end?: number;
}

/**
 * `librosa.util.softmask(x, xRef, power=power, split_zeros=splitZeros)` for
 * the bins `[start, end)`, written to `out`. For `power = Infinity` the mask is
 * 0/1 (librosa returns a boolean array).
 *
 * @param x - non-negative values, in the working precision.
 * @param xRef - non-negative reference, same length.
 * @param out - output, same length; may alias `x`.
 * @throws ParameterError for librosa's conditions: length mismatch, a negative
 *   input, `power <= 0`.
 * @returns `out`.
 * @example
 * ```ts
 * softmask(harm, perc, mask, { power: 2, splitZeros: true });
 * ```
 */
export const softmask = (x: Float64Array, xRef: Float64Array, out: Float64Array, options: SoftmaskOptions = {}): Float64Array => {
  const { power = 1, splitZeros = false, precision = "float64", start = 0, end = x.length } = options;
  if (x.length !== xRef.length) throw new ParameterError(`Shape mismatch: ${x.length}!=${xRef.length}`);
  for (let i = start; i < end; i++) {
    if (x[i]! < 0 || xRef[i]! < 0) throw new ParameterError("X and X_ref must be non-negative");
  }
  if (power <= 0) throw new ParameterError("power must be strictly positive");
  const float32 = precision === "float32";
  const tiny = tinyOf(precision);
  for (let i = start; i < end; i++) out[i] = softmaskValue(x[i]!, xRef[i]!, power, splitZeros, float32, tiny);
  return out;
};
