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
  if (start >= 0 && start + count <= length) {
    const base = offset + start;
    for (let k = 0; k < count; k++) out[k] = src[base + k]!;
    return;
  }
  for (let k = 0; k < count; k++) {
    const j = paddedIndex(start + k, length, mode);
    out[k] = j < 0 ? 0 : src[offset + j]!;
  }
};
