/**
 * Reading one frame of a centred STFT (librosa's padding, as planned by
 * `planStft`), so kernels that need the frames one by one (tuning peaks, CQT
 * octaves) share the frame geometry of `src/spectrum`.
 */
import { readPadded } from "./pad.js";
import type { StftPlan } from "./stft.js";

/**
 * Where frame `t` of the channel starting at `channelBase` lies in `signal`
 * when it needs no padding (its first sample's index), else -1.
 */
export const interiorFrameStart = (plan: StftPlan, channelBase: number, t: number): number => {
  const segments = plan.segments;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    if (t < seg.frameStart || t >= seg.frameEnd) continue;
    const position = seg.firstPosition + (t - seg.frameStart) * plan.hopLength;
    return position >= 0 && position + plan.nFft <= seg.segmentLength ? channelBase + seg.segmentOffset + position : -1;
  }
  return -1;
};

/**
 * One past the last frame of the run from frame `t` (interior: interiorFrameStart >= 0) whose
 * frames are interior and start whole hops after t's, `t1` at most: the frames u < end have
 * interiorFrameStart(u) = interiorFrameStart(t) + (u - t) hops, and frame end (below t1) does not.
 * O(segments), where stepping frame by frame through interiorFrameStart is O(frames).
 */
export const interiorRunEnd = (plan: StftPlan, channelBase: number, t: number, t1: number): number => {
  const first = interiorFrameStart(plan, channelBase, t);
  const hop = plan.hopLength;
  let end = t + 1;
  for (const seg of plan.segments) {
    if (end >= t1) break;
    if (end < seg.frameStart || end >= seg.frameEnd) continue;
    const position = seg.firstPosition + (end - seg.frameStart) * hop;
    if (position < 0 || channelBase + seg.segmentOffset + position !== first + (end - t) * hop) break;
    // The segment's last frame whose samples lie inside it.
    const last = seg.frameStart + Math.floor((seg.segmentLength - plan.nFft - seg.firstPosition) / hop);
    const stop = Math.min(t1, seg.frameEnd, last + 1);
    if (stop <= end) break;
    end = stop;
    if (end < seg.frameEnd) break;
  }
  return end;
};

/**
 * Copies frame `t` of the channel whose samples start at `channelBase` in
 * `signal` into `out[0 .. nFft)` (unwindowed, padded as planned).
 */
export const loadFrame = (plan: StftPlan, signal: Float32Array | Float64Array, channelBase: number, t: number, out: Float64Array): void => {
  const segments = plan.segments;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    if (t < seg.frameStart || t >= seg.frameEnd) continue;
    const position = seg.firstPosition + (t - seg.frameStart) * plan.hopLength;
    readPadded(signal, channelBase + seg.segmentOffset, seg.segmentLength, plan.padMode, position, plan.nFft, out);
    return;
  }
  throw new Error(`frame ${t} outside the plan`);
};
