/**
 * Bridge op `yin` and its worker task.
 *
 * Request: array `y` (channels, n), float32 or float64; parameters `sr`, `fmin`,
 * `fmax`, `frame_length`, `hop_length`, `trough_threshold`, `center`, `pad_mode`
 * (the shim resolves librosa's defaults, runs its checks and pads in numpy for
 * pad modes other than constant/edge/reflect/symmetric).
 * Reply: array `f0` (channels, n_frames), float64, as librosa returns for either input dtype.
 */
import { floatData, requireArray } from "../bridge/arrays.js";
import { registerOp, type OpContext } from "../bridge/registry.js";
import { allocFloat64 } from "../parallel/alloc.js";
import { runTask } from "../parallel/pool.js";
import { registerTask, type TaskArgs } from "../parallel/tasks.js";
import { checkPadMode } from "../spectrum/pad.js";
import { ParameterError } from "../util/errors.js";
import { boolParam, intParam, numberParam, type Params } from "../util/params.js";
import { planYin, yinUnits, type YinOptions, type YinPlan } from "./yin.js";

interface YinTaskArgs {
  plan: YinPlan;
  signal: Float32Array | Float64Array;
  out: Float64Array;
}

registerTask("pitch.yin", (u0, u1, args: TaskArgs) => {
  const a = args as unknown as YinTaskArgs;
  yinUnits(a.plan, a.signal, a.out, u0, u1);
});

/**
 * librosa's `__check_yin_params` (messages included) plus the framing checks
 * of `util.frame`, so no caller can reach the kernel with a geometry it cannot handle.
 */
export const yinOptions = (params: Params, length: number): YinOptions => {
  const sr = numberParam(params, "sr");
  const fmin = numberParam(params, "fmin");
  const fmax = numberParam(params, "fmax");
  const frameLength = intParam(params, "frame_length");
  const hopLength = intParam(params, "hop_length");
  const troughThreshold = numberParam(params, "trough_threshold");
  const center = boolParam(params, "center");
  const padMode = checkPadMode(params.pad_mode);
  if (!(sr > 0) || !Number.isFinite(sr)) throw new ParameterError(`sr=${sr} must be a positive number`);
  if (fmax > sr / 2) throw new ParameterError(`fmax=${fmax.toFixed(3)} cannot exceed Nyquist frequency ${sr / 2}`);
  if (fmin >= fmax) throw new ParameterError(`fmin=${fmin.toFixed(3)} must be less than fmax=${fmax.toFixed(3)}`);
  if (fmin <= 0) throw new ParameterError(`fmin=${fmin.toFixed(3)} must be strictly positive`);
  if (sr / fmin >= frameLength - 1) {
    throw new ParameterError(
      `fmin=${fmin.toFixed(3)} is too small for frame_length=${frameLength} and sr=${sr}. ` +
        `Either increase to fmin=${(sr / (frameLength - 1)).toFixed(3)} or frame_length=${Math.ceil(sr / fmin) + 1}`,
    );
  }
  if (hopLength < 1) throw new ParameterError(`Invalid hop_length: ${hopLength}`);
  const padded = center ? length + 2 * Math.floor(frameLength / 2) : length;
  if (padded < frameLength) throw new ParameterError(`Input is too short (n=${padded}) for frame_length=${frameLength}`);
  if (center && length === 0 && padMode !== "constant") {
    throw new ParameterError(`pad_mode='${padMode}' cannot extend an empty signal`);
  }
  return { sr, fmin, fmax, frameLength, hopLength, troughThreshold, center, padMode };
};

registerOp("yin", async (params, arrays, ctx: OpContext) => {
  const y = requireArray(arrays, "y", ["float32", "float64"], 2);
  const [channels, length] = y.shape as [number, number];
  const signal = floatData(y);
  const plan = planYin(length, yinOptions(params, length));
  const units = channels * plan.nFrames;
  const out = allocFloat64(units, ctx.pool !== undefined, { zero: false });
  await runTask(ctx.pool, "pitch.yin", units, { plan, signal, out });
  return { arrays: [{ name: "f0", dtype: "float64", shape: [channels, plan.nFrames], data: out }] };
});
