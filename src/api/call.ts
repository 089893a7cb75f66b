/**
 * The one door from the JavaScript API to the kernels: the in-process op call
 * (the same ops and parameters the Python shims send; docs/protocol.md).
 * Everything in src/api reaches the bridge through this file only, so a change
 * in how ops are found touches one import here.
 */
export { callOp } from "../bridge/inProcess.js";
export type { DType, NamedArray, OpResult } from "../bridge/registry.js";
export { ParameterError } from "../util/errors.js";
