/**
 * The frame parameters and the window of an stft/istft-style request, shared
 * by every op that frames a signal (stft, istft, effects.hpss, cqt's tuning
 * and chroma_stft): librosa's defaults resolved, librosa's checks made.
 */
import { ParameterError } from "../util/errors.js";
import { intParam, optionalIntParam, type Params } from "../util/params.js";
import { fftWindow, type WindowName } from "./window.js";

/**
 * The window of a request: `explicit` (the request's `window` array) when
 * given, else the `window` parameter's name, padded to `nFft`.
 */
export const requestWindow = (params: Params, explicit: Float32Array | Float64Array | undefined, winLength: number, nFft: number): Float64Array => {
  if (explicit) return fftWindow(explicit instanceof Float64Array ? explicit : Float64Array.from(explicit), winLength, nFft);
  const spec = params.window;
  if (typeof spec !== "string" && !Array.isArray(spec)) throw new ParameterError(`Invalid window specification: ${JSON.stringify(spec)}`);
  return fftWindow(spec as WindowName, winLength, nFft);
};

/** Frame geometry shared by stft and istft requests (librosa's defaults resolved by the caller). */
export const frameParams = (params: Params): { nFft: number; hopLength: number; winLength: number } => {
  const nFft = intParam(params, "n_fft", 1);
  const winLength = optionalIntParam(params, "win_length", 1) ?? nFft;
  const hop = optionalIntParam(params, "hop_length");
  if (hop !== null && hop <= 0) throw new ParameterError(`hop_length=${hop} must be a positive integer`);
  const hopLength = hop ?? Math.floor(winLength / 4);
  if (hopLength <= 0) throw new ParameterError(`hop_length=${hopLength} must be a positive integer`);
  return { nFft, hopLength, winLength };
};
