/**
 * Raised for invalid arguments, mirroring `librosa.util.exceptions.ParameterError`.
 * The bridge maps it to the wire error type `ParameterError`, which the Python
 * client re-raises as `auralis_dsp.ParameterError`.
 */
export class ParameterError extends Error {
  override readonly name = "ParameterError";
}
