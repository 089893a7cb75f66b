/**
 * The JavaScript API: librosa's functions by their names in camelCase, with
 * librosa's options, defaults, shapes and errors, over typed arrays and scijs
 * ndarrays (docs/js-api.md). Each is one in-process op call (`callOp`).
 */
export { stft, istft, type StftOptions, type IstftOptions } from "./spectrum.js";
export { hpss, harmonic, percussive, hpssSpectrogram, type HpssOptions, type HpssSpectrogramOptions } from "./hpss.js";
export { yin, pyin, type YinOptions, type PyinOptions } from "./pitch.js";
export {
  cqt,
  estimateTuning,
  chromaCqt,
  chromaStft,
  type CqtOptions,
  type EstimateTuningOptions,
  type ChromaCqtOptions,
  type ChromaStftOptions,
} from "./constantq.js";
export { UnsupportedParameter, setWarningHandler, type WarningCategory, type WarningHandler } from "./errors.js";
export type { ArrayInput, FloatData } from "./arrays.js";
export type { LibrosaVersion, WindowSpec } from "./options.js";
