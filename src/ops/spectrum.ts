/**
 * Ops `stft` and `istft`: request parameters and arrays in, the pipelines of
 * spectrum/transforms.ts, arrays out.
 */
import { istftFlow, stftFlow } from "../spectrum/transforms.js";
import { checkPadMode } from "../spectrum/pad.js";
import { frameParams, requestWindow } from "../spectrum/request.js";
import { frameMajorLayout } from "../spectrum/stft.js";
import { ParameterError } from "../util/errors.js";
import { boolParam, optionalIntParam, stringParam } from "../util/params.js";
import { explicitWindow, floatData, requireArray } from "./arrays.js";
import type { OpTable } from "./types.js";

export const spectrumOps = {
  *stft(params, arrays, ctx) {
    const y = requireArray(arrays, "y", ["float32", "float64"], 2);
    const [channels, length] = y.shape as [number, number];
    const { nFft, hopLength, winLength } = frameParams(params);
    const window = requestWindow(params, explicitWindow(arrays), winLength, nFft);
    const center = boolParam(params, "center");
    const padMode = checkPadMode(params.pad_mode);
    const dtype = stringParam(params, "dtype", ["complex64", "complex128"] as const);
    const { plan, out, segmentOffset } = yield* stftFlow(ctx.runner, {
      signal: floatData(y), channels, length, nFft, hopLength, window, center, padMode, double: dtype === "complex128", segment: ctx.replySegment,
    });
    return { arrays: [{ name: "stft", dtype, shape: [plan.nFrames, plan.nBins, channels], data: out, segmentOffset }] };
  },

  *istft(params, arrays, ctx) {
    const s = requireArray(arrays, "stft_matrix", ["complex64", "complex128"], 3);
    const [nFrames, nBins, channels] = s.shape as [number, number, number];
    const nFft = optionalIntParam(params, "n_fft", 1) ?? 2 * (nBins - 1);
    if (nFft < 1) throw new ParameterError(`n_fft=${nFft} must be a positive integer (inferred from ${nBins} frequency bins)`);
    const { hopLength, winLength } = frameParams({ ...params, n_fft: nFft });
    const window = requestWindow(params, explicitWindow(arrays), winLength, nFft);
    const center = boolParam(params, "center");
    const length = optionalIntParam(params, "length", 0);
    const dtype = stringParam(params, "dtype", ["float32", "float64"] as const);
    const { plan, out, segmentOffset } = yield* istftFlow(ctx.runner, {
      spectrum: floatData(s), layout: frameMajorLayout(nBins, channels), nBins, nFrames, channels,
      nFft, hopLength, window, center, length: length === 0 ? null : length, double: dtype === "float64",
      // numpy's irfft of complex64 values runs in float32 (librosa's float32 istft).
      float32Pairs: true,
      segment: ctx.replySegment,
    });
    return { arrays: [{ name: "y", dtype, shape: [channels, plan.outLength], data: out, segmentOffset }] };
  },
} satisfies OpTable;
