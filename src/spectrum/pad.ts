/**
 * numpy.pad semantics for the modes librosa's stft accepts, expressed as an
 * index map so frames can be read straight out of the unpadded signal
 * (no padded copy of the whole signal is ever made).
 *
 * Pads wider than the signal repeat the reflection, as numpy does: `reflect`
 * is the even periodic extension with period 2(L-1) (a single sample
 * behaves like `edge`), `symmetric` the one with period 2L.
 *
 * @see https://numpy.org/doc/stable/reference/generated/numpy.pad.html
 */
import { ParameterError } from "../util/errors.js";

export type PadMode = "constant" | "edge" | "reflect" | "symmetric";

const PAD_MODES: readonly PadMode[] = ["constant", "edge", "reflect", "symmetric"];

/** Validates a pad mode name, with librosa's error for the unsupported ones. */
export const checkPadMode = (mode: unknown): PadMode => {
  if (typeof mode === "string" && (PAD_MODES as readonly string[]).includes(mode)) return mode as PadMode;
  throw new ParameterError(`pad_mode='${String(mode)}' is not supported; supported: ${PAD_MODES.join(", ")}`);
};

/**
 * Maps position `i` (any integer) of a padded copy of a segment of length
 * `length` (position 0 = the segment's first sample) to the segment index
 * whose value numpy.pad puts there, or -1 where the value is zero
 * (`constant`). `length` must be >= 1.
 */
export const paddedIndex = (i: number, length: number, mode: PadMode): number => {
  if (i >= 0 && i < length) return i;
  switch (mode) {
    case "constant":
      return -1;
    case "edge":
      return i < 0 ? 0 : length - 1;
    case "reflect": {
      if (length === 1) return 0;
      const period = 2 * (length - 1);
      const m = ((i % period) + period) % period;
      return m < length ? m : period - m;
    }
    case "symmetric": {
      const period = 2 * length;
      const m = ((i % period) + period) % period;
      return m < length ? m : period - 1 - m;
    }
  }
};

/**
 * Copies `count` samples of the padded segment starting at padded position
 * `start` into `out` (as float64). The segment is `src[offset .. offset+length)`.
 */
export const readPadded = (
  src: Float32Array | Float64Array,
  offset: number,
  length: number,
  mode: PadMode,
  start: number,
  count: number,
  out: Float64Array,
): void => {
  // The part inside the segment, [inLo, inHi), copied by TypedArray.set (float32 to float64 several times faster
  // than an element loop); the rest through the index map (zeros for `constant`).
  const inLo = Math.min(count, Math.max(0, -start));
  const inHi = Math.max(inLo, Math.min(count, length - start));
  padWith(src, offset, length, mode, start, 0, inLo, out);
  if (inHi > inLo) out.set(src.subarray(offset + start + inLo, offset + start + inHi), inLo);
  padWith(src, offset, length, mode, start, inHi, count, out);
};

/** Positions start + [k0, k1) of the padded segment, all outside it, into out[k0 .. k1). */
const padWith = (
  src: Float32Array | Float64Array,
  offset: number,
  length: number,
  mode: PadMode,
  start: number,
  k0: number,
  k1: number,
  out: Float64Array,
): void => {
  if (mode === "constant") {
    out.fill(0, k0, k1);
    return;
  }
  for (let k = k0; k < k1; k++) out[k] = src[offset + paddedIndex(start + k, length, mode)]!;
};
