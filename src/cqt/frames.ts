/**
 * Reading one frame of a centred STFT (librosa's padding, as planned by
 * `planStft`) into a buffer, so kernels that need the frames one by one
 * (tuning peaks, CQT octaves) share the frame geometry of `src/spectrum`.
 */
import type { FloatArray } from "../parallel/alloc.js";
import { readPadded } from "../spectrum/pad.js";
import type { StftPlan } from "../spectrum/stft.js";

/**
 * Copies frame `t` of the channel whose samples start at `channelBase` in
 * `signal` into `out[0 .. nFft)` (float64, unwindowed).
 */
export const loadFrame = (plan: StftPlan, signal: FloatArray, channelBase: number, t: number, out: Float64Array): void => {
  for (const seg of plan.segments) {
    if (t < seg.frameStart || t >= seg.frameEnd) continue;
    const position = seg.firstPosition + (t - seg.frameStart) * plan.hopLength;
    readPadded(signal, channelBase + seg.segmentOffset, seg.segmentLength, plan.padMode, position, plan.nFft, out);
    return;
  }
  throw new Error(`frame ${t} outside the plan`);
};
