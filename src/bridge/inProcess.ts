/**
 * Calling ops in this thread, without the stdio server: what plain JavaScript
 * and Pyodide use. Same registry, same parameter decoding and the same checks
 * of what an op returns as the server's dispatch; no worker pool, so each op
 * runs inline.
 */
import { ParameterError } from "../util/errors.js";
import { arrayMismatch } from "./dtypes.js";
import { getOp, type NamedArray, type OpContext, type OpResult } from "./registry.js";

/** What a failed call reports: the kind of fault (as the protocol's error types) and its message. */
export interface CallFault {
  type: "ParameterError" | "ProtocolError" | "InternalError";
  message: string;
}

/** Maps whatever an op threw to a fault; a ParameterError is recognised by class or by name. */
export const faultOf = (error: unknown): CallFault => {
  const e = error instanceof Error ? error : new Error(String(error));
  if (e instanceof ParameterError || e.name === "ParameterError") return { type: "ParameterError", message: e.message };
  return { type: "InternalError", message: e.message };
};

/** Throws if `result` is not a well-formed op result (unique names, data matching dtype and shape). */
export const checkResult = (op: string, result: OpResult): OpResult => {
  const names = new Set<string>();
  for (const array of result.arrays) {
    const problem = names.has(array.name) ? `array name ${array.name} appears twice` : arrayMismatch(array);
    if (problem) throw new Error(`op ${op} returned a malformed result: ${problem}`);
    names.add(array.name);
  }
  return result;
};

/**
 * Runs op `op` on explicit `params` (numbers may be non-finite) and named
 * `arrays`, as the server would. Rejects with `ParameterError` for bad
 * parameters, with `Error` for anything else.
 *
 * @example
 * const { arrays } = await callOp("stft", { n_fft: 2048, hop_length: 512, win_length: 2048,
 *   center: true, pad_mode: "constant", window: "hann", dtype: "complex64" },
 *   [{ name: "y", dtype: "float32", shape: [1, y.length], data: y }]);
 */
export const callOp = async (op: string, params: Record<string, unknown>, arrays: NamedArray[], ctx: OpContext = {}): Promise<OpResult> => {
  const handler = getOp(op);
  if (!handler) throw new Error(`unknown op ${op}`);
  return checkResult(op, await handler(params, arrays, ctx));
};
