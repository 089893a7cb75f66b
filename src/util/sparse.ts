/**
 * `librosa.util.sparsify_rows` for a complex matrix, into compressed sparse rows.
 *
 * Per row: the magnitudes sorted ascending are accumulated as fractions of
 * the row's L1 norm (numpy's sequential cumsum); the threshold is the
 * magnitude where that running sum first reaches `quantile`, and every entry
 * at least that large is kept (ties included), exactly librosa's rule.
 *
 * The threshold is found without sorting the whole row: the few largest
 * magnitudes (those above `quantile * norm / cols`, a lower bound of the
 * threshold) are sorted and subtracted from the norm until the remaining
 * mass falls below `quantile * norm`. That locates the same threshold as the
 * ascending cumulative sum whenever the remaining mass is farther from the
 * quantile than the two sums' rounding errors can reach (a few thousand ulps
 * of the norm); otherwise, or with too many candidates, the row is sorted as
 * librosa does. Either way the kept entries are the same.
 *
 * @see https://librosa.org/doc/0.11.0/generated/librosa.util.sparsify_rows.html
 */
import { ParameterError } from "./errors.js";
import { onClearCaches } from "./clearCaches.js";

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

/** One sparsified row: kept columns (ascending) and their values. */
export interface SparseRow {
  col: Int32Array;
  re: Float64Array;
  im: Float64Array;
}

/**
 * `Math.hypot(x, y)` to the bit: V8 evaluates it as `sqrt((|x|/m)^2 + (|y|/m)^2) * m`
 * with m = max(|x|, |y|) (a compensated sum whose compensation is zero for
 * two terms). Zero, infinite and NaN arguments go to Math.hypot itself.
 */
export const hypot2 = (x: number, y: number): number => {
  const ax = Math.abs(x);
  const ay = Math.abs(y);
  const m = ax > ay ? ax : ay;
  if (!(m > 0 && m < Infinity)) return Math.hypot(x, y);
  const nx = ax / m;
  const ny = ay / m;
  return Math.sqrt(nx * nx + ny * ny) * m;
};

let magScratch = new Float64Array(0);
let sortScratch = new Float64Array(0);
onClearCaches(() => {
  magScratch = sortScratch = new Float64Array(0);
});

const scratchFor = (cols: number): void => {
  if (magScratch.length < cols) {
    magScratch = new Float64Array(cols);
    sortScratch = new Float64Array(cols);
  }
};

/** librosa's threshold by sorting the whole row (`mags` holds `cols` magnitudes, `norm` their sequential sum). */
const sortedThreshold = (mags: Float64Array, cols: number, norm: number, quantile: number): number => {
  const sorted = sortScratch.subarray(0, cols);
  sorted.set(mags.subarray(0, cols));
  sorted.sort();
  // argmin(cumsum(sorted / norm) < quantile): the first index where the sum reaches it (0 if none).
  let cumulative = 0;
  for (let j = 0; j < cols; j++) {
    cumulative += sorted[j]! / norm;
    if (!(cumulative < quantile)) return sorted[j]!;
  }
  return sorted[0]!;
};

/**
 * The same threshold from the largest magnitudes, or NaN when that cannot be
 * decided safely (then the caller sorts). With the magnitudes in descending
 * order b_0 >= b_1 >= ..., the ascending cumulative sum that excludes the top
 * m reaches the quantile for every m up to the last one with
 * `norm - (b_0 + .. + b_{m-1}) >= quantile * norm`, and the threshold is b_m.
 */
const topThreshold = (mags: Float64Array, cols: number, norm: number, quantile: number): number => {
  if (!(norm > 0 && norm < Infinity)) return NaN;
  const slack = 16 * (cols + 8) * Number.EPSILON * norm;
  const target = quantile * norm;
  if (!(target > slack && norm - target > slack)) return NaN;
  // The threshold t satisfies (j + 1) t >= cumulative sum >= quantile * norm with j < cols.
  const bound = (target / cols) * (1 - 1e-9);
  const limit = Math.max(32, cols >> 2);
  const top = sortScratch;
  let count = 0;
  for (let j = 0; j < cols; j++) {
    const m = mags[j]!;
    if (m >= bound) {
      if (count === limit) return NaN;
      top[count++] = m;
    }
  }
  const cand = top.subarray(0, count);
  cand.sort();
  let rest = norm;
  for (let i = count - 1; i >= 0; i--) {
    const b = cand[i]!;
    const next = rest - b;
    if (next < target) {
      // rest >= target > next, both away from the boundary by more than the rounding of either sum.
      return rest - target > slack && target - next > slack ? b : NaN;
    }
    rest = next;
  }
  return NaN;
};

/**
 * Sparsifies one row of `cols` complex values interleaved (re, im) at
 * `data[offset ..]`: the kept columns in ascending order, with their values.
 * `quantile` must satisfy 0 <= quantile < 1 (not checked here).
 */
export const sparsifyRow = (data: Float64Array, offset: number, cols: number, quantile: number): SparseRow => {
  scratchFor(cols);
  const mags = magScratch;
  let norm = 0;
  for (let j = 0; j < cols; j++) {
    const m = hypot2(data[offset + 2 * j]!, data[offset + 2 * j + 1]!);
    mags[j] = m;
    norm += m;
  }
  let threshold = topThreshold(mags, cols, norm, quantile);
  if (Number.isNaN(threshold)) threshold = sortedThreshold(mags, cols, norm, quantile);
  let kept = 0;
  for (let j = 0; j < cols; j++) if (mags[j]! >= threshold) kept++;
  const col = new Int32Array(kept);
  const re = new Float64Array(kept);
  const im = new Float64Array(kept);
  let k = 0;
  for (let j = 0; j < cols; j++) {
    if (mags[j]! >= threshold) {
      col[k] = j;
      re[k] = data[offset + 2 * j]!;
      im[k] = data[offset + 2 * j + 1]!;
      k++;
    }
  }
  return { col, re, im };
};

/** Stacks sparsified rows into one CSR matrix of `cols` columns. */
export const stackRows = (rowList: readonly SparseRow[], cols: number): ComplexCsr => {
  const rows = rowList.length;
  const rowStart = new Int32Array(rows + 1);
  for (let r = 0; r < rows; r++) rowStart[r + 1] = rowStart[r]! + rowList[r]!.col.length;
  const nnz = rowStart[rows]!;
  const col = new Int32Array(nnz);
  const re = new Float64Array(nnz);
  const im = new Float64Array(nnz);
  for (let r = 0; r < rows; r++) {
    const row = rowList[r]!;
    col.set(row.col, rowStart[r]!);
    re.set(row.re, rowStart[r]!);
    im.set(row.im, rowStart[r]!);
  }
  return { rows, cols, rowStart, col, re, im };
};

/**
 * Sparsifies `rows` rows of `cols` complex values, row r at
 * `data[2 * r * cols ..]` interleaved (re, im).
 *
 * @throws ParameterError unless 0 <= quantile < 1.
 */
export const sparsifyRows = (data: Float64Array, rows: number, cols: number, quantile: number): ComplexCsr => {
  if (!(quantile >= 0 && quantile < 1)) throw new ParameterError(`Invalid quantile ${quantile.toFixed(2)}`);
  const rowList: SparseRow[] = [];
  for (let r = 0; r < rows; r++) rowList.push(sparsifyRow(data, 2 * r * cols, cols, quantile));
  return stackRows(rowList, cols);
};
