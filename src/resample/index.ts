/**
 * `librosa.resample(y, orig_sr=..., target_sr=..., res_type="soxr_hq")` for
 * the power-of-two downsampling that librosa's multirate CQT/VQT uses:
 * `resample(y, orig_sr=2, target_sr=1, scale=True)` between octaves and
 * `resample(y, orig_sr=2**c, target_sr=1, scale=True)` in early downsampling.
 *
 * @see https://librosa.org/doc/0.11.0/generated/librosa.resample.html
 */
import { ParameterError } from "../util/errors.js";
import { log2Factor, MAX_LOG2_FACTOR, soxrHqDecimate } from "./soxrHq.js";

export {
  besselI0,
  dftStage,
  dftStageBlockCount,
  dftStageBlockOutputs,
  dftStageDecimate,
  dftStageDecimateBlocks,
  dftStageDecimateBlocksWith,
  halfBandCoefficients,
  halfBandDecimate,
  HQ_PASSBAND_END,
  HQ_STOPBAND_BEGIN,
  kaiserSincLowpass,
  MAX_LOG2_FACTOR,
  resampleHalf,
  soxrHqDecimate,
  soxrOutputLength,
  type DftStage,
  type DftStageOutputMap,
} from "./soxrHq.js";

export interface ResampleOptions {
  /** Pad with zeros / trim to ceil(len * targetSr / origSr) (librosa `fix`, default true). */
  fix?: boolean;
  /** Divide by sqrt(targetSr / origSr) (librosa `scale`, default false). */
  scale?: boolean;
}

/**
 * librosa 0.11.0 `resample(y, orig_sr, target_sr, res_type="soxr_hq", fix, scale)`
 * for origSr / targetSr = 2^k (k >= 1). Steps, as librosa does them:
 * soxr HQ decimation (floor(len/r + 1/2) samples), then if `fix` zero-pad or
 * trim to ceil(len * ratio), then if `scale` divide by sqrt(ratio), with
 * ratio = targetSr / origSr. Equal rates return a copy of `y`.
 *
 * @throws ParameterError for a rate ratio that is not a power-of-two downsampling.
 */
export function resample(
  y: Float64Array,
  origSr: number,
  targetSr: number,
  options: ResampleOptions = {},
): Float64Array {
  const fix = options.fix ?? true;
  const scale = options.scale ?? false;
  if (!(origSr > 0) || !(targetSr > 0)) throw new ParameterError("sample rates must be positive");
  if (origSr === targetSr) return y.slice();
  const factor = origSr / targetSr;
  const k = log2Factor(factor);
  if (k < 1 || k > MAX_LOG2_FACTOR) {
    throw new ParameterError(
      `only power-of-two downsampling (orig_sr / target_sr = 2^k, 1 <= k <= ${MAX_LOG2_FACTOR}) is implemented; got ${origSr} -> ${targetSr}`,
    );
  }
  const ratio = targetSr / origSr;
  let out = soxrHqDecimate(y, factor);
  if (fix) {
    const n = Math.ceil(y.length * ratio);
    if (out.length !== n) {
      const fixed = new Float64Array(n);
      fixed.set(out.length > n ? out.subarray(0, n) : out);
      out = fixed;
    }
  }
  if (scale) {
    const s = Math.sqrt(ratio);
    for (let i = 0; i < out.length; i++) out[i] = out[i]! / s;
  }
  return out;
}
