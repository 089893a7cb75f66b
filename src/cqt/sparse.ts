/**
 * `librosa.util.sparsify_rows` for a complex matrix, into compressed sparse rows.
 *
 * Per row: the magnitudes sorted ascending are accumulated as fractions of
 * the row's L1 norm (numpy's sequential cumsum); the threshold is the
 * magnitude where that running sum first reaches `quantile`, and every entry
 * at least that large is kept (ties included), exactly librosa's rule.
 *
 * @see https://librosa.org/doc/0.11.0/generated/librosa.util.sparsify_rows.html
 */
import { ParameterError } from "../util/errors.js";

/** A complex matrix in compressed sparse row form. */
export interface ComplexCsr {
  rows: number;
  cols: number;
  /** Row r's entries are [rowStart[r], rowStart[r + 1]). */
  rowStart: Int32Array;
  col: Int32Array;
  re: Float64Array;
  im: Float64Array;
}

/**
 * Sparsifies `rows` rows of `cols` complex values, row r at
 * `data[2 * r * cols ..]` interleaved (re, im).
 *
 * @throws ParameterError unless 0 <= quantile < 1.
 */
export const sparsifyRows = (data: Float64Array, rows: number, cols: number, quantile: number): ComplexCsr => {
  if (!(quantile >= 0 && quantile < 1)) throw new ParameterError(`Invalid quantile ${quantile.toFixed(2)}`);
  const mags = new Float64Array(cols);
  const sorted = new Float64Array(cols);
  const keepCol: number[] = [];
  const keepRe: number[] = [];
  const keepIm: number[] = [];
  const rowStart = new Int32Array(rows + 1);
  for (let r = 0; r < rows; r++) {
    const base = 2 * r * cols;
    let norm = 0;
    for (let j = 0; j < cols; j++) {
      const m = Math.hypot(data[base + 2 * j]!, data[base + 2 * j + 1]!);
      mags[j] = m;
      norm += m;
    }
    sorted.set(mags);
    sorted.sort();
    // argmin(cumsum(sorted / norm) < quantile): the first index where the sum reaches it (0 if none).
    let threshold = sorted[0]!;
    let cumulative = 0;
    for (let j = 0; j < cols; j++) {
      cumulative += sorted[j]! / norm;
      if (!(cumulative < quantile)) {
        threshold = sorted[j]!;
        break;
      }
    }
    for (let j = 0; j < cols; j++) {
      if (mags[j]! >= threshold) {
        keepCol.push(j);
        keepRe.push(data[base + 2 * j]!);
        keepIm.push(data[base + 2 * j + 1]!);
      }
    }
    rowStart[r + 1] = keepCol.length;
  }
  return {
    rows,
    cols,
    rowStart,
    col: Int32Array.from(keepCol),
    re: Float64Array.from(keepRe),
    im: Float64Array.from(keepIm),
  };
};
