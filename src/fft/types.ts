/** The contracts every FFT engine of this folder implements; the factories are in index.ts. */

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

/** A real FFT of one size (numpy.fft.rfft / irfft semantics). */
export interface RealFft {
  readonly size: number; // n
  /** Forward real DFT (numpy.fft.rfft semantics, no scaling) of input[inOffset .. inOffset+n)
   *  into out as interleaved (re, im) pairs for bins 0..floor(n/2): out.length >= 2*(floor(n/2)+1). */
  forward(input: Float64Array, inOffset: number, out: Float64Array): void;
  /** Inverse (numpy.fft.irfft semantics with n = size: scaled by 1/n; for even n the imaginary
   *  parts of bin 0 and bin n/2 are ignored, exactly as pocketfft does; for odd n bin 0's imag is ignored)
   *  from interleaved spectrum (floor(n/2)+1 bins starting at specOffset) into out[outOffset .. outOffset+n). */
  inverse(spectrum: Float64Array, specOffset: number, out: Float64Array, outOffset: number): void;
}
