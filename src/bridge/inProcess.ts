/**
 * Calling ops in this thread, without the stdio server: what plain JavaScript
 * and Pyodide use. Same parameter decoding and the same checks of what an op
 * returns as the server's dispatch; no worker pool: every task runs inline
 * through the synchronous runner, so a call completes before it returns.
 */
import type { NamedArray, OpHandler, OpResult, OpTable } from "../ops/types.js";
import { inlineRunner, isFlow, runFlowSync, type Flow, type Runner } from "../schedule/runner.js";
import { kernelTasks } from "../schedule/tasks.js";
import { ParameterError } from "../util/errors.js";
import { arrayMismatch } from "./dtypes.js";

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

/** What a handler returned, its flow (if it made one) driven to the end by `drive`. */
export const opResult = <R>(returned: OpResult | Flow<OpResult>, drive: (flow: Flow<OpResult>) => R): OpResult | R =>
  isFlow(returned) ? drive(returned) : returned;

/** Op `op` of `ops`, or undefined (own names only: `toString` is no op). */
export const findOp = (ops: OpTable, op: string): OpHandler | undefined => (Object.hasOwn(ops, op) ? ops[op] : undefined);

/** The runner of every in-process call: each task over its whole range, on this thread. */
export const inProcessRunner: Runner = inlineRunner(kernelTasks);

/**
 * Runs op `op` of `ops` on explicit `params` (numbers may be non-finite) and
 * named `arrays`, on this thread, and returns its checked result. Throws
 * `ParameterError` for bad parameters, `Error` for anything else.
 */
const callOpSync = (ops: OpTable, op: string, params: Record<string, unknown>, arrays: NamedArray[]): OpResult => {
  const handler = findOp(ops, op);
  if (!handler) throw new Error(`unknown op ${op}`);
  return checkResult(op, opResult(handler(params, arrays, { runner: inProcessRunner }), runFlowSync));
};

/** A `callOp` over the ops of `ops`: {@link callOpSync} with its outcome as a Promise. */
export const createCallOp =
  (ops: OpTable) =>
  (op: string, params: Record<string, unknown>, arrays: NamedArray[]): Promise<OpResult> => {
    try {
      return Promise.resolve(callOpSync(ops, op, params, arrays));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  };
