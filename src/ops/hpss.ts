/**
 * Ops for HPSS (the pipelines are in hpss/pipeline.ts):
 * - `hpss`: `decompose.hpss` on a spectrogram (wire layout (frames, bins, channels));
 * - `effects.hpss`: `effects.hpss` / `harmonic` / `percussive` on a signal,
 *   stft -> decompose.hpss -> istft(length = n) in one request.
 */
import { validateHpssParams, type HpssParams } from "../hpss/hpss.js";
import { hpssSpectrogramFlow, separateSignalFlow } from "../hpss/pipeline.js";
import { checkPadMode } from "../spectrum/pad.js";
import { frameParams, requestWindow } from "../spectrum/request.js";
import { planStft } from "../spectrum/stft.js";
import { fftWindow } from "../spectrum/window.js";
import { ParameterError } from "../util/errors.js";
import { boolParam, intParam, librosaParam, numberParam, stringParam, type Params } from "../util/params.js";
import { explicitWindow, floatData, requireArray } from "./arrays.js";
import type { NamedArray, OpTable } from "./types.js";

/** The decompose.hpss parameters of a request (kernel sizes and margins already split, as the shim sends them). */
const hpssParams = (params: Params, precision: "float32" | "float64"): HpssParams => {
  const winHarm = intParam(params, "win_harm");
  const winPerc = intParam(params, "win_perc");
  if (winHarm < 1 || winPerc < 1) {
    throw new ParameterError(`kernel_size must be >= 1 in both dimensions, got (${winHarm}, ${winPerc})`);
  }
  const parsed: HpssParams = {
    winHarm,
    winPerc,
    power: numberParam(params, "power"),
    marginHarm: numberParam(params, "margin_harm"),
    marginPerc: numberParam(params, "margin_perc"),
    precision,
    complementPercussive: librosaParam(params) === "1.0",
  };
  validateHpssParams(parsed);
  return parsed;
};

const WHICH = ["both", "harmonic", "percussive"] as const;

export const hpssOps = {
  *hpss(params, arrays, ctx) {
    const s = requireArray(arrays, "S", ["complex64", "complex128", "float32", "float64"], 3);
    const [nTime, nFreq, channels] = s.shape as [number, number, number];
    const isComplex = s.dtype === "complex64" || s.dtype === "complex128";
    const single = s.dtype === "complex64" || s.dtype === "float32";
    const p = hpssParams(params, single ? "float32" : "float64");
    const returnMasks = boolParam(params, "mask");
    const { harmonic, percussive } = yield* hpssSpectrogramFlow(ctx.runner, {
      spectrum: floatData(s), isComplex, nTime, nFreq, channels, params: p, returnMasks,
    });
    const dtype = returnMasks ? (single ? "float32" : "float64") : s.dtype;
    return {
      arrays: [
        { name: "harmonic", dtype, shape: [nTime, nFreq, channels], data: harmonic },
        { name: "percussive", dtype, shape: [nTime, nFreq, channels], data: percussive },
      ],
    };
  },

  *"effects.hpss"(params, arrays, ctx) {
    const y = requireArray(arrays, "y", ["float32", "float64"], 2);
    const [channels, length] = y.shape as [number, number];
    const double = y.dtype === "float64";
    const { nFft, hopLength, winLength } = frameParams(params);
    // librosa 0.11's effects.hpss/harmonic/percussive do not pass `window` on (always Hann); 1.0's do.
    const window = librosaParam(params) === "1.0" ? requestWindow(params, explicitWindow(arrays), winLength, nFft) : fftWindow("hann", winLength, nFft);
    const center = boolParam(params, "center");
    const padMode = checkPadMode(params.pad_mode);
    const which = stringParam(params, "which", WHICH);
    const returnMasks = boolParam(params, "mask");
    const p = hpssParams(params, double ? "float64" : "float32");
    const parts = which === "both" ? (["harmonic", "percussive"] as const) : ([which] as const);
    const plan = planStft(length, nFft, hopLength, center, padMode);
    const output = yield* separateSignalFlow(ctx.runner, { signal: floatData(y), channels, length, plan, window, center, parts, returnMasks, params: p, double });
    const dtype = double ? "float64" : "float32";
    return {
      arrays: parts.map((name, k): NamedArray => ({
        name, dtype, shape: [channels, length], data: output.subarray(k * channels * length, (k + 1) * channels * length),
      })),
    };
  },
} satisfies OpTable;
