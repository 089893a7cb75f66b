/**
 * auralis-dsp, the JavaScript face: the kernels as functions over typed arrays,
 * and every op of the bridge callable in-process (`callOp`, the same ops and
 * parameters the Python shims send; see docs/protocol.md).
 *
 * The same module, bundled by scripts/pyodide-bundle.mjs, is what Python loads
 * into Pyodide's JavaScript realm: it calls `pyodideCall`.
 *
 * @example
 * import { callOp } from "auralis-dsp";
 * const { arrays } = await callOp("yin", params, [{ name: "y", dtype: "float64", shape: [1, y.length], data: y }]);
 */
import { installAsyncDriver } from "./bridge/syncAsync.js";
import "./bridge/ops/index.js";

installAsyncDriver();

export { callOp, type CallFault } from "./bridge/inProcess.js";
export { pyodideCall, type PyodideReply } from "./bridge/pyodide.js";
export { listOps, type DType, type NamedArray, type OpResult } from "./bridge/registry.js";
export { ParameterError } from "./util/errors.js";
export { createComplexFft, createRealFft, getRealFft, type ComplexFft, type RealFft } from "./fft/index.js";
export { getWindow, supportedWindowNames, type WindowName } from "./spectrum/window.js";
export * from "./hpss/index.js";
export * from "./pitch/index.js";
export * from "./cqt/index.js";
export * from "./feature/index.js";
export { normalizeStrided, normLength } from "./util/normalize.js";
export { sparsifyRows, type ComplexCsr } from "./util/sparse.js";
export { resample, type ResampleOptions } from "./resample/index.js";
