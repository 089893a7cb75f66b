/**
 * Splits `n` into FFT pass radices: as many 4s as possible, then a 2, then the
 * odd primes in increasing order (so `12 -> [4, 3]`, `1000 -> [4, 2, 5, 5, 5]`).
 *
 * @param n - positive integer
 * @returns the radices, whose product is `n` (empty for `n = 1`)
 */
export const factorize = (n: number): number[] => {
  const radices: number[] = [];
  let rest = n;
  while (rest % 4 === 0) {
    radices.push(4);
    rest /= 4;
  }
  if (rest % 2 === 0) {
    radices.push(2);
    rest /= 2;
  }
  for (let p = 3; p * p <= rest; p += 2) {
    while (rest % p === 0) {
      radices.push(p);
      rest /= p;
    }
  }
  if (rest > 1) radices.push(rest);
  return radices;
};
