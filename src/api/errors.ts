/**
 * Errors and warnings of the JavaScript API, as librosa raises and warns them.
 */
import { ParameterError } from "./call.js";

/**
 * A parameter value librosa accepts that auralis-dsp does not implement (for
 * example `cqtMode: "hybrid"`); a `ParameterError`, as
 * `auralis_dsp.UnsupportedParameter` is in Python.
 */
export class UnsupportedParameter extends ParameterError {
  /** Always true: tells this error apart from a plain ParameterError without instanceof. */
  readonly unsupported = true;
}

/** The kinds of warning librosa emits through Python's `warnings` module. */
export type WarningCategory = "UserWarning" | "FutureWarning";

/** Receives every warning the API emits (librosa's text and Python category). */
export type WarningHandler = (message: string, category: WarningCategory) => void;

const defaultHandler: WarningHandler = (message, category) => console.warn(`${category}: ${message}`);
let handler: WarningHandler = defaultHandler;

/**
 * Sets where the API's warnings go (librosa's `UserWarning`s and `FutureWarning`s,
 * e.g. `n_fft=4096 is too large for input signal of length=1000`); `null`
 * restores the default, `console.warn`. Returns the handler it replaced.
 *
 * @example
 * import { setWarningHandler, stft } from "auralis-dsp";
 * const seen = [];
 * setWarningHandler((message) => seen.push(message));
 * await stft(new Float32Array(1000));
 * setWarningHandler(null);
 * console.log(seen); // [n_fft=2048 is too large for input signal of length=1000]
 */
export const setWarningHandler = (next: WarningHandler | null): WarningHandler => {
  const previous = handler;
  handler = next ?? defaultHandler;
  return previous;
};

export const warn = (message: string, category: WarningCategory = "UserWarning"): void => handler(message, category);
