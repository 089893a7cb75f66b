/**
 * A sparse filter basis as one dense band per row: row r covers FFT bins
 * [first[r], first[r] + width[r]) with its coefficients contiguous (the
 * basis's own zeros inside a band stored as 0). The CQT's rows are bands of
 * neighbouring bins with few holes (603 entries in 673 band slots for the
 * default 36-bin octave), so the product reads the spectrum sequentially,
 * with no column indices. A stored zero adds an exact zero to the sum
 * (finite spectra), so the result equals the CSR product bit for bit (up to
 * the sign of a sum that is exactly zero).
 */
import type { ComplexCsr } from "../util/sparse.js";

export interface BandRows {
  rows: number;
  /** First FFT bin of each row's band. */
  first: Int32Array;
  /** Band widths (bins); 0 for an empty row. */
  width: Int32Array;
  /** Row r's coefficients start at 2 * offset[r] in `coef` (interleaved re, im). */
  offset: Int32Array;
  coef: Float64Array;
}

/** The band form of a CSR basis. */
export const bandRows = (csr: ComplexCsr): BandRows => {
  const { rows, rowStart, col, re, im } = csr;
  const first = new Int32Array(rows);
  const width = new Int32Array(rows);
  const offset = new Int32Array(rows);
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const s = rowStart[r]!;
    const e = rowStart[r + 1]!;
    offset[r] = total;
    if (e === s) continue;
    first[r] = col[s]!;
    width[r] = col[e - 1]! - col[s]! + 1;
    total += width[r]!;
  }
  const coef = new Float64Array(2 * total);
  for (let r = 0; r < rows; r++) {
    for (let e = rowStart[r]!; e < rowStart[r + 1]!; e++) {
      const at = 2 * (offset[r]! + col[e]! - first[r]!);
      coef[at] = re[e]!;
      coef[at + 1] = im[e]!;
    }
  }
  return { rows, first, width, offset, coef };
};
