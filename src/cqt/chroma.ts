/**
 * The last steps of `librosa.feature.chroma_cqt` (and of `chroma_stft`):
 * fold a magnitude spectrogram onto pitch classes with a (nChroma, nBins)
 * matrix, zero values below `threshold`, and normalise each frame with
 * `util.normalize(norm, axis=-2)`.
 *
 * @see https://librosa.org/doc/0.11.0/generated/librosa.feature.chroma_cqt.html
 */
import type { FloatArray } from "../parallel/alloc.js";
import { normalizeStrided, TINY_FLOAT32, TINY_FLOAT64 } from "./normalize.js";

export interface ChromaFoldParams {
  nChroma: number;
  nBins: number;
  channels: number;
  /** Values below it become 0 (null: no thresholding). */
  threshold: number | null;
  norm: number | null;
  /** The output is float32 (librosa's float32 path): round the magnitudes and the fold as float32. */
  single: boolean;
}

/**
 * Frames [t0, t1): `spectrogram` is (frames, nBins, channels) magnitudes,
 * `fold` is (nChroma, nBins) row-major; writes (frames, nChroma, channels) to `out`.
 */
export const foldChromaFrames = (
  spectrogram: FloatArray,
  fold: Float64Array,
  p: ChromaFoldParams,
  out: FloatArray,
  t0: number,
  t1: number,
): void => {
  const { nChroma, nBins, channels } = p;
  const column = new Float64Array(nBins);
  const scratch = new Float64Array(nChroma);
  const tiny = p.single ? TINY_FLOAT32 : TINY_FLOAT64;
  // numpy compares a float32 array with the threshold cast to float32.
  const threshold = p.threshold !== null && p.single ? Math.fround(p.threshold) : p.threshold;
  for (let t = t0; t < t1; t++) {
    for (let c = 0; c < channels; c++) {
      const inBase = t * nBins * channels + c;
      for (let f = 0; f < nBins; f++) {
        const v = spectrogram[inBase + f * channels]!;
        column[f] = p.single ? Math.fround(v) : v;
      }
      const outBase = t * nChroma * channels + c;
      for (let k = 0; k < nChroma; k++) {
        let s = 0;
        const row = k * nBins;
        for (let f = 0; f < nBins; f++) {
          const w = fold[row + f]!;
          if (w !== 0) s += w * column[f]!;
        }
        if (p.single) s = Math.fround(s);
        if (threshold !== null && s < threshold) s = 0;
        out[outBase + k * channels] = s;
      }
      normalizeStrided(out, outBase, channels, nChroma, p.norm, tiny, scratch);
    }
  }
};
