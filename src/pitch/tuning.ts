/**
 * Tuning estimation as librosa 0.11.0 does it (`estimate_tuning` ->
 * `piptrack` -> `pitch_tuning`): pick the local maxima of each spectrogram
 * column above `threshold * max(column)` in [fmin, fmax), refine them by
 * parabolic interpolation, keep the peaks whose interpolated magnitude is at
 * least the median, and take the histogram mode of their deviation from the
 * equal-tempered grid.
 *
 * The result is discrete (a histogram edge), so the arithmetic follows
 * librosa's dtype by dtype: with a float32 spectrogram (float32 audio),
 * numpy's float32 operations are reproduced with `Math.fround`, and numba's
 * parabolic stencil (librosa 0.11, which promotes `2 * x[0]` and `/ 2` to
 * float64) or librosa 1.0's numpy form of it (every step in float32) is
 * followed exactly.
 *
 * @see https://librosa.org/doc/0.11.0/generated/librosa.estimate_tuning.html
 */
import { ParameterError } from "../util/errors.js";

/** Parameters of piptrack that shape the peaks. */
export interface PiptrackParams {
  sr: number;
  nFft: number;
  fmin: number;
  fmax: number;
  /** Relative threshold (librosa `threshold`, 0.1). */
  threshold: number;
  /** Absolute reference magnitude (librosa `ref` as a number); null: `threshold * max(column)`. */
  ref: number | null;
  /** Emulate librosa's float32 arithmetic (float32 spectrogram). */
  single: boolean;
  /**
   * With `single`: the parabola's curvature `x[k+1] + x[k-1] - 2 x[k]` rounded
   * to float32, as librosa 1.0 computes it with numpy; librosa 0.11's numba
   * stencil keeps it in float64.
   */
  roundCurvature: boolean;
}

const identity = (x: number): number => x;

/**
 * The bin range [lo, hi) where `fmin <= fft_frequencies < fmax`
 * (`fft_frequencies` = `linspace(0, sr / 2, nBins)`).
 */
export const piptrackBinRange = (p: PiptrackParams, nBins: number): [number, number] => {
  const fmin = Math.max(p.fmin, 0);
  const fmax = Math.min(p.fmax, p.sr / 2);
  const step = p.sr / 2 / (nBins - 1);
  let lo = nBins;
  let hi = 0;
  for (let i = 0; i < nBins; i++) {
    const f = i === nBins - 1 && nBins > 1 ? p.sr / 2 : nBins > 1 ? i * step : 0;
    if (fmin <= f && f < fmax) {
      lo = Math.min(lo, i);
      hi = i + 1;
    }
  }
  return lo < hi ? [lo, hi] : [0, 0];
};

/**
 * piptrack on one spectrogram column `x` (magnitudes, `nBins` values; for
 * `single` they must already be float32 values) whose largest value is
 * `columnMax`. Only `x[lo - 1 .. hi]` is read (the rest need not be set).
 * Writes the peaks' pitch (Hz) and magnitude from `outOffset` and returns
 * how many there are.
 */
export const piptrackColumn = (
  x: Float64Array,
  nBins: number,
  columnMax: number,
  p: PiptrackParams,
  lo: number,
  hi: number,
  outPitch: Float64Array,
  outMag: Float64Array,
  outOffset: number,
): number => {
  const refValue = piptrackRef(p, columnMax);
  return p.single
    ? piptrackSingle(x, nBins, refValue, p.sr, p.nFft, p.roundCurvature, lo, hi, outPitch, outMag, outOffset)
    : piptrackDouble(x, nBins, refValue, p.sr, p.nFft, lo, hi, outPitch, outMag, outOffset);
};

/** The magnitude a peak must exceed in a column whose largest magnitude is `columnMax`. */
export const piptrackRef = (p: PiptrackParams, columnMax: number): number => {
  if (p.single) return p.ref === null ? Math.fround(Math.fround(p.threshold) * columnMax) : Math.fround(Math.abs(p.ref));
  return p.ref === null ? p.threshold * columnMax : Math.abs(p.ref);
};

/**
 * piptrack's peak test at bin i of a column held at `x[base ..]`: a local
 * maximum of `x * (x > refValue)` (strictly above the bin before, at least
 * the bin after, which the last bin lacks); never bin 0.
 */
export const isPeak = (x: Float64Array, base: number, i: number, nBins: number, refValue: number): boolean => {
  const v = x[base + i]!;
  const zi = v > refValue ? v : 0;
  if (i === 0 || zi === 0) return false;
  const prev = x[base + i - 1]!;
  if (!(zi > (prev > refValue ? prev : 0))) return false;
  if (i === nBins - 1) return true;
  const next = x[base + i + 1]!;
  return zi >= (next > refValue ? next : 0);
};

/**
 * The parabolic interpolation of the peak at bin i (i >= 1) of a float32
 * column held at `x[base ..]`: its pitch (Hz) and magnitude to
 * `outPitch[at]`, `outMag[at]`, numpy's float32 arithmetic written out with
 * `Math.fround` (numba's stencil promotes `2 * x[0]` and `/ 2` to float64;
 * with `roundCurvature`, librosa 1.0's numpy form rounds the curvature too).
 */
export const peakSingle = (
  x: Float64Array,
  base: number,
  i: number,
  nBins: number,
  sr: number,
  nFft: number,
  roundCurvature: boolean,
  outPitch: Float64Array,
  outMag: Float64Array,
  at: number,
): void => {
  const here = x[base + i]!;
  let shift = 0;
  let avg: number;
  if (i === nBins - 1) avg = Math.fround(here - x[base + i - 1]!);
  else {
    const next = x[base + i + 1]!;
    const prev = x[base + i - 1]!;
    const curvature = Math.fround(next + prev) - 2 * here;
    const a = roundCurvature ? Math.fround(curvature) : curvature;
    const b = Math.fround(next - prev) / 2;
    shift = Math.abs(b) >= Math.abs(a) ? 0 : Math.fround(-b / a);
    avg = Math.fround(Math.fround(next - prev) / 2);
  }
  const dskew = Math.fround(Math.fround(0.5 * avg) * shift);
  outPitch[at] = Math.fround(((i + shift) * sr) / nFft);
  outMag[at] = Math.fround(here + dskew);
};

/** {@link peakSingle} for a float64 column: the same operations unrounded. */
export const peakDouble = (
  x: Float64Array,
  base: number,
  i: number,
  nBins: number,
  sr: number,
  nFft: number,
  outPitch: Float64Array,
  outMag: Float64Array,
  at: number,
): void => {
  const here = x[base + i]!;
  let shift = 0;
  let avg: number;
  if (i === nBins - 1) avg = here - x[base + i - 1]!;
  else {
    const next = x[base + i + 1]!;
    const prev = x[base + i - 1]!;
    const a = next + prev - 2 * here;
    const b = (next - prev) / 2;
    shift = Math.abs(b) >= Math.abs(a) ? 0 : -b / a;
    avg = (next - prev) / 2;
  }
  const dskew = 0.5 * avg * shift;
  outPitch[at] = ((i + shift) * sr) / nFft;
  outMag[at] = here + dskew;
};

/**
 * {@link piptrackColumn} with the threshold `refValue` (from {@link piptrackRef})
 * given, for float32 columns (one monomorphic body per precision, no
 * rounding callback).
 */
export const piptrackSingle = (
  x: Float64Array,
  nBins: number,
  refValue: number,
  sr: number,
  nFft: number,
  roundCurvature: boolean,
  lo: number,
  hi: number,
  outPitch: Float64Array,
  outMag: Float64Array,
  outOffset: number,
): number => {
  let count = 0;
  for (let i = lo; i < hi; i++) {
    if (!isPeak(x, 0, i, nBins, refValue)) continue;
    peakSingle(x, 0, i, nBins, sr, nFft, roundCurvature, outPitch, outMag, outOffset + count);
    count++;
  }
  return count;
};

/** {@link piptrackSingle} for float64 columns. */
export const piptrackDouble = (
  x: Float64Array,
  nBins: number,
  refValue: number,
  sr: number,
  nFft: number,
  lo: number,
  hi: number,
  outPitch: Float64Array,
  outMag: Float64Array,
  outOffset: number,
): number => {
  let count = 0;
  for (let i = lo; i < hi; i++) {
    if (!isPeak(x, 0, i, nBins, refValue)) continue;
    peakDouble(x, 0, i, nBins, sr, nFft, outPitch, outMag, outOffset + count);
    count++;
  }
  return count;
};

/** k-th smallest of `a[0 .. n)` (reorders `a`). */
const select = (a: Float64Array, n: number, k: number): number => {
  let left = 0;
  let right = n - 1;
  while (right > left) {
    const pivot = a[(left + right) >> 1]!;
    let i = left;
    let j = right;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return a[k]!;
  }
  return a[k]!;
};

/** np.median of `n` values (scratch copy taken); float32 means the mean of the middle pair rounds as numpy's float32 mean. */
export const median = (values: Float64Array, n: number, single: boolean): number => {
  const a = values.slice(0, n);
  const half = n >> 1;
  if (n % 2 === 1) return select(a, n, half);
  const hi = select(a, n, half);
  let lo = -Infinity;
  for (let i = 0; i < half; i++) if (a[i]! > lo) lo = a[i]!;
  return single ? Math.fround(Math.fround(lo + hi) / 2) : (lo + hi) / 2;
};

/** Result of a tuning estimate; `empty` when no frequency survived (librosa warns and returns 0). */
export interface TuningEstimate {
  tuning: number;
  empty: boolean;
}

/** The bins of `pitch_tuning`'s histogram: `linspace(-0.5, 0.5, ceil(1 / resolution) + 1)`. */
export interface TuningHistogram {
  edges: Float64Array;
  step: number;
}

export const tuningHistogram = (resolution: number): TuningHistogram => {
  const nEdges = Math.ceil(1.0 / resolution) + 1;
  if (!(nEdges >= 2) || !Number.isFinite(nEdges)) throw new ParameterError(`resolution=${resolution} must be positive and at most 1`);
  const step = 1.0 / (nEdges - 1);
  const edges = new Float64Array(nEdges);
  for (let j = 0; j < nEdges; j++) edges[j] = j * step + -0.5;
  edges[nEdges - 1] = 0.5;
  return { edges, step };
};

/**
 * The histogram bin of frequency `f` (> 0): `bpo * log2(f / 27.5) mod 1`,
 * wrapped to [-0.5, 0.5), as np.histogram places it; -1 outside the edges.
 */
export const tuningBin = (f: number, binsPerOctave: number, h: TuningHistogram, single: boolean): number => {
  const r = single ? Math.fround : identity;
  const { edges, step } = h;
  const nEdges = edges.length;
  const octs = r(Math.log2(r(f / 27.5)));
  const x = r(binsPerOctave * octs);
  let residual = x % 1.0;
  if (residual !== 0 && residual < 0) residual += 1.0;
  residual = r(residual);
  if (residual >= 0.5) residual = r(residual - 1.0);
  if (residual < edges[0]! || residual > edges[nEdges - 1]!) return -1;
  let j = Math.min(nEdges - 2, Math.max(0, Math.floor((residual + 0.5) / step)));
  while (j > 0 && residual < edges[j]!) j--;
  while (j < nEdges - 2 && residual >= edges[j + 1]!) j++;
  return j;
};

/** The estimate of a filled histogram: the left edge of the fullest bin (the first on ties, as np.argmax), or empty when nothing was counted. */
const histogramEstimate = (counts: Float64Array, any: boolean, h: TuningHistogram): TuningEstimate => {
  if (!any) return { tuning: 0.0, empty: true };
  let best = 0;
  for (let j = 1; j < counts.length; j++) if (counts[j]! > counts[best]!) best = j;
  return { tuning: h.edges[best]!, empty: false };
};

/**
 * `pitch_tuning(frequencies, resolution, bins_per_octave)`: the left edge of
 * the fullest bin of the histogram of `bpo * log2(f / 27.5) mod 1` (wrapped to
 * [-0.5, 0.5)) over `linspace(-0.5, 0.5, ceil(1 / resolution) + 1)`.
 */
export const pitchTuning = (
  frequencies: Float64Array,
  n: number,
  resolution: number,
  binsPerOctave: number,
  single: boolean,
): TuningEstimate => {
  const h = tuningHistogram(resolution);
  const counts = new Float64Array(h.edges.length - 1);
  let any = false;
  for (let i = 0; i < n; i++) {
    const f = frequencies[i]!;
    if (!(f > 0)) continue;
    any = true;
    const j = tuningBin(f, binsPerOctave, h, single);
    if (j >= 0) counts[j] = counts[j]! + 1;
  }
  return histogramEstimate(counts, any, h);
};

/**
 * {@link tuningFromPeaks} with the histogram bin of every peak already known
 * (`bins[i]`, {@link tuningBin} of `pitch[i]`, -1 for none): the median
 * magnitude, then a count of the peaks at or above it, without a logarithm.
 */
export const tuningFromBins = (
  pitch: Float64Array,
  mag: Float64Array,
  bins: Int32Array,
  n: number,
  h: TuningHistogram,
  single: boolean,
): TuningEstimate => {
  const threshold = n > 0 ? median(mag, n, single) : 0.0;
  const counts = new Float64Array(h.edges.length - 1);
  let any = false;
  for (let i = 0; i < n; i++) {
    if (!(mag[i]! >= threshold && pitch[i]! > 0)) continue;
    any = true;
    const j = bins[i]!;
    if (j >= 0) counts[j] = counts[j]! + 1;
  }
  return histogramEstimate(counts, any, h);
};

/**
 * estimate_tuning's last steps over all peaks: the median magnitude as the
 * threshold, then `pitch_tuning` of the peaks at or above it.
 */
export const tuningFromPeaks = (
  pitch: Float64Array,
  mag: Float64Array,
  n: number,
  resolution: number,
  binsPerOctave: number,
  single: boolean,
): TuningEstimate => {
  // Peaks always have pitch > 0 (bins >= 1), so pitch_mask is "is a peak".
  const threshold = n > 0 ? median(mag, n, single) : 0.0;
  let kept = 0;
  const selected = new Float64Array(n);
  for (let i = 0; i < n; i++) if (mag[i]! >= threshold && pitch[i]! > 0) selected[kept++] = pitch[i]!;
  return pitchTuning(selected, kept, resolution, binsPerOctave, single);
};
