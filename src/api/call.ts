/**
 * The one door from the JavaScript API to the kernels: the in-process op call
 * (the same ops and parameters the Python shims send; docs/protocol.md).
 * Everything in src/api reaches the bridge through this file only, so a change
 * in how ops are found touches one import here.
 */
import { createCallOp } from "../bridge/inProcess.js";
import { publicOps } from "../ops/index.js";

export const callOp = createCallOp(publicOps);
export type { DType, NamedArray, OpResult } from "../ops/types.js";
export { ParameterError } from "../util/errors.js";
