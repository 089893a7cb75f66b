/**
 * auralis-dsp, the JavaScript face: the kernels as functions over typed arrays,
 * and every public op of the bridge callable in-process (`callOp`, the same
 * ops and parameters the Python shims send; see docs/protocol.md).
 *
 * The same module, bundled by scripts/pyodide-bundle.mjs, is what Python loads
 * into Pyodide's JavaScript realm: it calls `pyodideCall`.
 *
 * @example
 * import { callOp } from "auralis-dsp";
 * const { arrays } = await callOp("yin", params, [{ name: "y", dtype: "float64", shape: [1, y.length], data: y }]);
 */
import { createCallOp } from "./bridge/inProcess.js";
import { createPyodideCall } from "./bridge/pyodide.js";
import { publicOps } from "./ops/index.js";

/**
 * Runs public op `op` on explicit `params` (numbers may be non-finite) and
 * named `arrays`, on this thread, as the server would. Rejects with
 * `ParameterError` for bad parameters, with `Error` for anything else.
 *
 * @example
 * const { arrays } = await callOp("stft", { n_fft: 2048, hop_length: 512, win_length: 2048,
 *   center: true, pad_mode: "constant", window: "hann", dtype: "complex64" },
 *   [{ name: "y", dtype: "float32", shape: [1, y.length], data: y }]);
 */
export const callOp = createCallOp(publicOps);

/** The Pyodide entry (python/auralis_dsp/_backend/pyodide.py) over the public ops. */
export const pyodideCall = createPyodideCall(publicOps);

/** The names of the public ops, sorted. */
export const listOps = (): string[] => Object.keys(publicOps).sort();

export { type CallFault } from "./bridge/inProcess.js";
export { type PyodideReply } from "./bridge/pyodide.js";
export { type DType, type NamedArray, type OpResult } from "./ops/types.js";
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
