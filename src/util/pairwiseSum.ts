/**
 * numpy's float64 `np.sum` along a contiguous axis, bit for bit: the output
 * starts at the identity 0 and adds numpy's pairwise sum (`pairwise_sum_DOUBLE`
 * in numpy/_core/src/umath/loops_utils.h.src): runs under 8 added in order,
 * blocks up to 128 over 8 interleaved accumulators, longer ones split in two at
 * a multiple of 8. Valid up to the reduction's 8192-element buffer.
 *
 * `value(i)` gives element i of the n; elements outside [nonzeroFrom, nonzeroTo)
 * must be zero (they are skipped where that cannot change the rounding).
 */
const BLOCK = 128;

const pairwise = (value: (i: number) => number, start: number, n: number, from: number, to: number): number => {
  if (start >= to || start + n <= from) return 0;
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += value(start + i);
    return res;
  }
  if (n <= BLOCK) {
    const r = [0, 0, 0, 0, 0, 0, 0, 0];
    for (let j = 0; j < 8; j++) r[j] = value(start + j);
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] = r[j]! + value(start + i + j);
    let res = r[0]! + r[1]! + (r[2]! + r[3]!) + (r[4]! + r[5]! + (r[6]! + r[7]!));
    for (; i < n; i++) res += value(start + i);
    return res;
  }
  let half = Math.floor(n / 2);
  half -= half % 8;
  return pairwise(value, start, half, from, to) + pairwise(value, start + half, n - half, from, to);
};

export const numpySum = (value: (i: number) => number, n: number, nonzeroFrom = 0, nonzeroTo = n): number =>
  0 + pairwise(value, 0, n, nonzeroFrom, nonzeroTo);
