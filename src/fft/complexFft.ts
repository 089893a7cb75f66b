import { BluesteinFft } from "./bluesteinFft.js";
import { factorize } from "./factorize.js";
import { StockhamFft } from "./stockhamFft.js";

/**
 * The complex FFT contract shared by the mixed-radix and the Bluestein engines.
 */
export interface ComplexFft {
  /** Number of complex points. */
  readonly size: number;
  /**
   * Unscaled forward DFT, `X[k] = Σ_j x[j] e^{-2πijk/size}`, of the interleaved
   * (re, im) values `input[inOffset .. inOffset + 2*size)` into `out[0 .. 2*size)`.
   * `input` is only read and must not be `out`. The inverse is obtained by the
   * caller with the swap identity `IDFT(x) = swap(DFT(swap(x)))`, where swap
   * exchanges real and imaginary parts, so one engine serves both directions.
   */
  forward(input: Float64Array, inOffset: number, out: Float64Array): void;
}

/**
 * Largest prime factor handled by the mixed-radix engine's plain DFT
 * butterflies; beyond it an O(r) butterfly per point costs more than
 * Bluestein's three power-of-two FFTs.
 */
const LARGEST_DIRECT_PRIME = 31;

/**
 * A complex FFT of any size: {@link StockhamFft} when every prime factor of
 * `size` is at most 31, otherwise {@link BluesteinFft}. Both are O(n log n).
 *
 * @param size - number of complex points, a positive integer
 */
export const createComplexFft = (size: number): ComplexFft => {
  const radices = factorize(size);
  const largest = radices.length === 0 ? 1 : Math.max(...radices);
  return largest <= LARGEST_DIRECT_PRIME ? new StockhamFft(size) : new BluesteinFft(size);
};
