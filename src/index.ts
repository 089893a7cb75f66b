/**
 * auralis-dsp, the JavaScript face: librosa's functions with librosa's options,
 * defaults and shapes over typed arrays and ndarrays (src/api, docs/js-api.md);
 * the kernels as functions over typed arrays (those whose names the API takes
 * are exported as `yinKernel`, `pyinKernel`, `hpssKernel`); and every op of the
 * bridge callable in-process (`callOp`, the same ops and parameters the Python
 * shims send; see docs/protocol.md).
 *
 * The same module, bundled by scripts/pyodide-bundle.mjs, is what Python loads
 * into Pyodide's JavaScript realm: it calls `pyodideCall`.
 *
 * @example
 * import { stft, yin } from "auralis-dsp";
 * const D = await stft(y, { nFft: 2048 });
 * const f0 = await yin(y, { fmin: 65, fmax: 2093, sr: 22050 });
 *
 * @example
 * import { callOp } from "auralis-dsp";
 * const { arrays } = await callOp("yin", params, [{ name: "y", dtype: "float64", shape: [1, y.length], data: y }]);
 */
import { installAsyncDriver } from "./bridge/syncAsync.js";
import "./bridge/ops/index.js";

installAsyncDriver();

// The API's names win over the kernels' of the same name re-exported below (explicit exports shadow `export *`).
export {
  stft, istft, hpss, harmonic, percussive, hpssSpectrogram, yin, pyin, cqt, estimateTuning, chromaCqt, chromaStft,
  UnsupportedParameter, setWarningHandler,
  type StftOptions, type IstftOptions, type HpssOptions, type HpssSpectrogramOptions, type YinOptions, type PyinOptions,
  type CqtOptions, type EstimateTuningOptions, type ChromaCqtOptions, type ChromaStftOptions,
  type ArrayInput, type FloatData, type LibrosaVersion, type WindowSpec, type WarningCategory, type WarningHandler,
} from "./api/index.js";
export { callOp, type CallFault } from "./bridge/inProcess.js";
export { pyodideCall, type PyodideReply } from "./bridge/pyodide.js";
export { listOps, type DType, type NamedArray, type OpResult } from "./bridge/registry.js";
export { ParameterError } from "./util/errors.js";
export { createComplexFft, createRealFft, getRealFft, type ComplexFft, type RealFft } from "./fft/index.js";
export { getWindow, supportedWindowNames, type WindowName } from "./spectrum/window.js";
export * from "./hpss/index.js";
export { hpss as hpssKernel } from "./hpss/hpss.js";
export * from "./pitch/index.js";
export { yin as yinKernel, type YinOptions as YinKernelOptions } from "./pitch/yin.js";
export { pyin as pyinKernel, type PyinOptions as PyinKernelOptions } from "./pitch/pyin.js";
export * from "./cqt/index.js";
export * from "./feature/index.js";
export { normalizeStrided, normLength } from "./util/normalize.js";
export { sparsifyRows, type ComplexCsr } from "./util/sparse.js";
export { resample, type ResampleOptions } from "./resample/index.js";
