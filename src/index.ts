/**
 * auralis-dsp, the JavaScript face: librosa's functions with librosa's options,
 * defaults and shapes over typed arrays and ndarrays (src/api, docs/js-api.md);
 * the kernels as functions over typed arrays (those whose names the API takes
 * are exported as `yinKernel`, `pyinKernel`, `hpssKernel`); and every public op
 * of the bridge callable in-process (`callOp`, the same ops and parameters the
 * Python shims send; see docs/protocol.md).
 *
 * The same module, bundled by scripts/pyodide_bundle.mjs, is what Python loads
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

// The API's names win over the kernels' of the same name re-exported below (explicit exports shadow `export *`).
export {
  stft, istft, hpss, harmonic, percussive, hpssSpectrogram, yin, pyin, cqt, estimateTuning, chromaCqt, chromaStft,
  UnsupportedParameter, setWarningHandler,
  type StftOptions, type IstftOptions, type HpssOptions, type HpssSpectrogramOptions, type YinOptions, type PyinOptions,
  type CqtOptions, type EstimateTuningOptions, type ChromaCqtOptions, type ChromaStftOptions,
  type ArrayInput, type FloatData, type LibrosaVersion, type WindowSpec, type WarningCategory, type WarningHandler,
} from "./api/index.js";
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
export { hpss as hpssKernel } from "./hpss/hpss.js";
export * from "./pitch/index.js";
export { yin as yinKernel, type YinOptions as YinKernelOptions } from "./pitch/yin.js";
export { pyin as pyinKernel, type PyinOptions as PyinKernelOptions } from "./pitch/pyin.js";
export * from "./cqt/index.js";
export * from "./feature/index.js";
export { normalizeStrided, normLength } from "./util/normalize.js";
export { sparsifyRows, type ComplexCsr } from "./util/sparse.js";
export { resample, type ResampleOptions } from "./resample/index.js";
