/**
 * Running medians along one axis of a row-major 2-D float64 matrix, equal bit
 * for bit to `scipy.ndimage.median_filter(S, size=(1, size), mode="reflect")`
 * (along the rows, the contiguous axis) and `size=(size, 1)` (along the
 * columns), which is what `librosa.decompose.hpss` runs on `[freq][time]`
 * magnitudes.
 *
 * scipy's rules, reproduced here:
 * - the window of output `i` covers inputs `i - (size >> 1)` up to
 *   `i - (size >> 1) + size - 1` (origin 0), so an even window reaches one
 *   further back than forward;
 * - the result is the element of rank `size >> 1` (0-based) in the sorted
 *   window: the upper of the two middle values for an even size;
 * - `mode="reflect"` extends a line half-sample symmetrically,
 *   `d c b a | a b c d | d c b a | a b c d ...`, periodically with period
 *   `2 n` for windows longer than the line; a line of length 1 is constant.
 *
 * A median returns one of its inputs, so there is no rounding to match and the
 * results are exact for float32-valued data stored in float64 too.
 *
 * Known divergence: scipy 1.17's N-D filter maps a left-edge index that is a
 * multiple of `2 n` (at least `4 n` before the line start) to index -1 instead
 * of 0 (`ni_support.c`, `NI_InitFilterOffsets`, reflect branch), i.e. it reads
 * one stride before the line: the previous row's last value for a C-ordered
 * row, memory outside the array otherwise (librosa's magnitudes are F-ordered,
 * so along time that is always outside). That happens only when
 * `size >> 1 >= 4 n` with `n > 1` ({@link scipyReadsOutsideLine}), e.g. the
 * default 31-frame harmonic window on 2 or 3 frames, where librosa's result
 * depends on whatever lies in memory before its array. We implement the
 * documented reflection there instead.
 *
 * The sliding window keeps its `size` values sorted; each step finds the
 * outgoing value by binary search and shifts the run between it and the
 * incoming value's place by one. For the window sizes HPSS uses (17 to 64)
 * this element shift beats a `copyWithin` memmove (measured in
 * `scripts/bench_hpss_median.mjs`), and two lines are filtered in one loop.
 *
 * @see https://docs.scipy.org/doc/scipy/reference/generated/scipy.ndimage.median_filter.html
 */

/** Scratch buffers for one worker; reuse them across calls to allocate nothing. */
export interface MedianWorkspace {
  /** A reflected copy of the lines being filtered, `lines * (length + size - 1)`. */
  extended: Float64Array;
  /** The sorted window, `size` values. */
  window: Float64Array;
  /** Column results before they are scattered back, `lines * length`. */
  block: Float64Array;
}

/**
 * How many columns {@link medianFilterColumns} gathers per block: 32 columns
 * of float64 are four cache lines per matrix row, enough to walk the matrix
 * row by row with full cache lines, small enough to keep the block in L2.
 */
export const MEDIAN_COLUMN_BLOCK = 32;

/**
 * Index into a line of length `n` for the (possibly out-of-range) position
 * `j`, with scipy's half-sample symmetric `reflect` extension.
 */
export const reflectIndex = (j: number, n: number): number => {
  if (n === 1) return 0;
  const period = 2 * n;
  let m = j % period;
  if (m < 0) m += period;
  return m < n ? m : period - 1 - m;
};

/**
 * Whether scipy's `median_filter(mode="reflect")` with a window of `size`
 * over an axis of length `n` reads outside the line (see the module notes),
 * so that its result cannot be reproduced; callers with scipy at hand (the
 * Python shim) can hand such tiny inputs to it.
 */
export const scipyReadsOutsideLine = (size: number, n: number): boolean => n > 1 && size >> 1 >= 4 * n;

/**
 * Buffers for filtering lines of `length` values with a window of `size`,
 * `lines` at a time (2 for rows, {@link MEDIAN_COLUMN_BLOCK} for columns).
 */
export const createMedianWorkspace = (length: number, size: number, lines: number): MedianWorkspace => ({
  extended: new Float64Array(lines * (length + size - 1)),
  window: new Float64Array(2 * size),
  block: new Float64Array(lines * length),
});

const checkSize = (size: number): void => {
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(`median filter size must be an integer >= 1, got ${size}`);
  }
};

const fitsWorkspace = (work: MedianWorkspace, length: number, size: number, lines: number): boolean =>
  work.window.length === 2 * size &&
  work.extended.length >= lines * (length + size - 1) &&
  work.block.length >= lines * length;

/**
 * Lowest slot of the sorted `window` holding `value` (which it contains).
 * The step is added as a mask rather than behind a branch: the comparisons
 * are coin flips, and this form runs ~10% faster in V8.
 */
const slotOf = (window: Float64Array, size: number, value: number): number => {
  let base = 0;
  for (let span = size; span > 1; ) {
    const half = span >>> 1;
    base += half & -(window[base + half]! < value);
    span -= half;
  }
  return base + +(window[base]! < value);
};

/** Replaces `leaving`, at `slot`, by `entering`, shifting the values between their places by one. */
const replaceSorted = (window: Float64Array, slot: number, last: number, leaving: number, entering: number): void => {
  let j = slot;
  if (entering > leaving) {
    while (j < last && window[j + 1]! < entering) {
      window[j] = window[j + 1]!;
      j++;
    }
  } else {
    while (j > 0 && window[j - 1]! > entering) {
      window[j] = window[j - 1]!;
      j--;
    }
  }
  window[j] = entering;
};

/**
 * Running medians of two reflected lines at once: `extended[startA ...]` and
 * `extended[startB ...]` each hold `n + size - 1` values; output `i` of a line
 * is the median of its values `i .. i + size - 1`, written to
 * `out[outA + i]` / `out[outB + i]`.
 *
 * Two lines share the loop because both searches can then run before either
 * shift: the searches have no branches, so the CPU overlaps them, while the
 * shifts end in a mispredicted branch each. This is ~15% faster than one line
 * at a time. A lone line is paired with itself.
 */
const slidingMedianPair = (
  extended: Float64Array,
  startA: number,
  startB: number,
  n: number,
  size: number,
  windowA: Float64Array,
  windowB: Float64Array,
  out: Float64Array,
  outA: number,
  outB: number,
): void => {
  for (let k = 0; k < size; k++) {
    windowA[k] = extended[startA + k]!;
    windowB[k] = extended[startB + k]!;
  }
  windowA.sort();
  windowB.sort();
  const rank = size >> 1;
  const last = size - 1;
  for (let i = 0; ; i++) {
    out[outA + i] = windowA[rank]!;
    out[outB + i] = windowB[rank]!;
    if (i === n - 1) return;
    const leavingA = extended[startA + i]!;
    const enteringA = extended[startA + i + size]!;
    const leavingB = extended[startB + i]!;
    const enteringB = extended[startB + i + size]!;
    const slotA = slotOf(windowA, size, leavingA);
    const slotB = slotOf(windowB, size, leavingB);
    if (leavingA !== enteringA) replaceSorted(windowA, slotA, last, leavingA, enteringA);
    if (leavingB !== enteringB) replaceSorted(windowB, slotB, last, leavingB, enteringB);
  }
};

/**
 * Running medians of one reflected line: `extended` holds `n + size - 1`
 * values, `out[i]` gets the median of `extended[i .. i + size - 1]`.
 *
 * @param window - scratch of `2 * size` values.
 */
export const slidingMedianLine = (extended: Float64Array, n: number, size: number, window: Float64Array, out: Float64Array): void => {
  slidingMedianPair(extended, 0, 0, n, size, window.subarray(0, size), window.subarray(size, 2 * size), out, 0, 0);
};

/**
 * Median filter along the contiguous axis: `dst[r][c]` = median of
 * `src[r][c - (size >> 1) ...]` with reflected edges, for rows
 * `[rowStart, rowEnd)`. Equal to
 * `scipy.ndimage.median_filter(src, size=(1, size), mode="reflect")` on those
 * rows (the harmonic filter of HPSS, along time).
 *
 * @param src - row-major `nRows x nCols` matrix, NaN-free.
 * @param size - window length, any integer >= 1 (may exceed `nCols`).
 * @param dst - output of the same shape; may be `src` itself (each line is
 *   copied out before its results are written).
 * @param work - optional scratch from `createMedianWorkspace(nCols, size, 2)`.
 * @returns `dst`.
 * @example
 * ```ts
 * const harm = new Float64Array(mag.length);
 * medianFilterRows(mag, nFreq, nTime, 31, harm);
 * ```
 */
export const medianFilterRows = (
  src: Float64Array,
  nRows: number,
  nCols: number,
  size: number,
  dst: Float64Array,
  rowStart = 0,
  rowEnd = nRows,
  work?: MedianWorkspace,
): Float64Array => {
  checkSize(size);
  if (nCols === 0 || rowEnd <= rowStart) return dst;
  const ws = work !== undefined && fitsWorkspace(work, nCols, size, 2) ? work : createMedianWorkspace(nCols, size, 2);
  const { extended } = ws;
  const windowA = ws.window.subarray(0, size);
  const windowB = ws.window.subarray(size, 2 * size);
  const half = size >> 1;
  const extendedLength = nCols + size - 1;
  for (let r = rowStart; r < rowEnd; r += 2) {
    const pair = Math.min(2, rowEnd - r);
    for (let q = 0; q < pair; q++) {
      const row = (r + q) * nCols;
      const line = q * extendedLength;
      for (let k = 0; k < half; k++) extended[line + k] = src[row + reflectIndex(k - half, nCols)]!;
      for (let k = 0; k < nCols; k++) extended[line + half + k] = src[row + k]!;
      for (let k = half + nCols; k < extendedLength; k++) extended[line + k] = src[row + reflectIndex(k - half, nCols)]!;
    }
    const second = pair - 1;
    slidingMedianPair(extended, 0, second * extendedLength, nCols, size, windowA, windowB, dst, r * nCols, (r + second) * nCols);
  }
  return dst;
};

/**
 * Median filter along the strided axis: `dst[r][c]` = median of
 * `src[r - (size >> 1) ...][c]` with reflected edges, for columns
 * `[colStart, colEnd)`. Equal to
 * `scipy.ndimage.median_filter(src, size=(size, 1), mode="reflect")` on those
 * columns (the percussive filter of HPSS, along frequency).
 *
 * Columns are processed {@link MEDIAN_COLUMN_BLOCK} at a time: the block is
 * gathered row by row (contiguous reads) into reflected lines, filtered, and
 * scattered back row by row, so memory is walked in cache-line runs without a
 * full transposed copy of the matrix.
 *
 * @param src - row-major `nRows x nCols` matrix, NaN-free.
 * @param size - window length, any integer >= 1 (may exceed `nRows`).
 * @param dst - output of the same shape; may be `src` itself (each line is
 *   copied out before its results are written).
 * @param work - optional scratch from
 *   `createMedianWorkspace(nRows, size, MEDIAN_COLUMN_BLOCK)`.
 * @returns `dst`.
 */
export const medianFilterColumns = (
  src: Float64Array,
  nRows: number,
  nCols: number,
  size: number,
  dst: Float64Array,
  colStart = 0,
  colEnd = nCols,
  work?: MedianWorkspace,
): Float64Array => {
  checkSize(size);
  if (nRows === 0 || colEnd <= colStart) return dst;
  const lines = MEDIAN_COLUMN_BLOCK;
  const ws =
    work !== undefined && fitsWorkspace(work, nRows, size, lines) ? work : createMedianWorkspace(nRows, size, lines);
  const { extended, block } = ws;
  const windowA = ws.window.subarray(0, size);
  const windowB = ws.window.subarray(size, 2 * size);
  const half = size >> 1;
  const extendedLength = nRows + size - 1;
  for (let c0 = colStart; c0 < colEnd; c0 += lines) {
    const width = Math.min(lines, colEnd - c0);
    for (let k = 0; k < extendedLength; k++) {
      const from = reflectIndex(k - half, nRows) * nCols + c0;
      for (let b = 0, to = k; b < width; b++, to += extendedLength) extended[to] = src[from + b]!;
    }
    for (let b = 0; b < width; b += 2) {
      const second = Math.min(b + 1, width - 1);
      slidingMedianPair(extended, b * extendedLength, second * extendedLength, nRows, size, windowA, windowB, block, b * nRows, second * nRows);
    }
    for (let r = 0; r < nRows; r++) {
      const to = r * nCols + c0;
      for (let b = 0, from = r; b < width; b++, from += nRows) dst[to + b] = block[from]!;
    }
  }
  return dst;
};

/**
 * Blocked transpose of the row-major `rows x cols` matrix `src` into `dst`
 * (`cols x rows`), rows `[rowStart, rowEnd)` of `src` only. Tiles of 32 x 32
 * keep both the reads and the writes within a few cache lines.
 *
 * @returns `dst`.
 */
export const transpose = (
  src: Float64Array,
  rows: number,
  cols: number,
  dst: Float64Array,
  rowStart = 0,
  rowEnd = rows,
): Float64Array => {
  const tile = 32;
  for (let r0 = rowStart; r0 < rowEnd; r0 += tile) {
    const r1 = Math.min(rowEnd, r0 + tile);
    for (let c0 = 0; c0 < cols; c0 += tile) {
      const c1 = Math.min(cols, c0 + tile);
      for (let r = r0; r < r1; r++) {
        const from = r * cols;
        for (let c = c0; c < c1; c++) dst[c * rows + r] = src[from + c]!;
      }
    }
  }
  return dst;
};
