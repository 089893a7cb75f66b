/**
 * Accurate complex roots of unity for FFT twiddle tables.
 *
 * @remarks
 * `Math.cos(2 * Math.PI * k / n)` loses accuracy as the angle grows (the
 * rounding of `2πk/n` is amplified by |angle|). Reducing `k/n` to an octant in
 * exact integer arithmetic first, as pocketfft's `sincos_2pibyn` does, keeps
 * every twiddle within about one ulp, which is what lets the transforms match
 * numpy's pocketfft at round-off level.
 *
 * @see {@link https://github.com/mreineck/pocketfft | pocketfft} (twiddle computation)
 */

/**
 * Writes `cos(2πk/n)` to `out[offset]` and `sin(2πk/n)` to `out[offset + 1]`.
 *
 * @param k - integer numerator (any sign; `4 * |k|` must stay below 2^53)
 * @param n - positive integer denominator
 * @param out - destination
 * @param offset - index of the cosine in `out`
 */
export const unitRoot = (k: number, n: number, out: Float64Array, offset: number): void => {
  let r = k % n;
  if (r < 0) r += n;
  // 4r = quadrant * n + rest, with the angle inside the quadrant = (π/2) rest / n.
  const quadrant = Math.floor((4 * r) / n);
  const rest = 4 * r - quadrant * n;
  let c: number;
  let s: number;
  if (2 * rest <= n) {
    const angle = (Math.PI / 2) * (rest / n);
    c = Math.cos(angle);
    s = Math.sin(angle);
  } else {
    // Fold the upper half of the quadrant onto the lower one: swap cos and sin.
    const angle = (Math.PI / 2) * ((n - rest) / n);
    c = Math.sin(angle);
    s = Math.cos(angle);
  }
  switch (quadrant) {
    case 0:
      out[offset] = c;
      out[offset + 1] = s;
      break;
    case 1:
      out[offset] = -s;
      out[offset + 1] = c;
      break;
    case 2:
      out[offset] = -c;
      out[offset + 1] = -s;
      break;
    default:
      out[offset] = s;
      out[offset + 1] = -c;
      break;
  }
};
