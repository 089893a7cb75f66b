/**
 * Splits `n` into FFT pass radices: as many 4s as possible (one of them an 8 when
 * the power of two is odd, a 2 alone when it is 2), then the
 * odd primes in increasing order (so `12 -> [4, 3]`, `1000 -> [8, 5, 5, 5]`).
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
    // An odd power of two: one radix-8 pass instead of a 4 and a 2 saves a pass.
    if (radices.length > 0) radices[radices.length - 1] = 8;
    else radices.push(2);
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
