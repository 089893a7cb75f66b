import type { ComplexFft } from "./types.js";
import { StockhamFft } from "./stockhamFft.js";
import { unitRoot } from "./unitRoot.js";

/**
 * Complex FFT of any size by Bluestein's chirp-z algorithm: the DFT becomes a
 * circular convolution of length `2^k >= 2n - 1`, done with three power-of-two
 * FFTs (one of them, the chirp's, precomputed).
 *
 * @remarks
 * With `jk = (j² + k² - (k - j)²) / 2`, `X[k] = c[k] Σ_j (x[j] c[j]) conj(c[k - j])`
 * where `c[j] = e^{-iπj²/n}`. The chirp angle uses `j² mod 2n` in exact integer
 * arithmetic before {@link unitRoot}, so large `j` costs no accuracy.
 *
 * @see {@link https://doi.org/10.1109/TAU.1970.1162132 | Bluestein 1970, "A linear filtering approach to the computation of discrete Fourier transform"}
 */
export class BluesteinFft implements ComplexFft {
  readonly size: number;
  private readonly inner: StockhamFft;
  /** c[j] = e^{-iπj²/n}, interleaved, j < n. */
  private readonly chirp: Float64Array;
  /** DFT of the conjugate chirp placed circularly, pre-scaled by 1/innerSize. */
  private readonly kernelSpectrum: Float64Array;
  private readonly work: Float64Array;
  private readonly spectrum: Float64Array;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`FFT size must be a positive integer, got ${size}`);
    this.size = size;
    let innerSize = 1;
    while (innerSize < 2 * size - 1) innerSize *= 2;
    this.inner = new StockhamFft(innerSize);
    this.chirp = new Float64Array(2 * size);
    const twoN = 2 * size;
    for (let j = 0; j < size; j++) {
      // j² is exact in a double while n < 2^26, so the reduction mod 2n is too.
      unitRoot(-((j * j) % twoN), twoN, this.chirp, 2 * j);
    }
    this.work = new Float64Array(2 * innerSize);
    this.spectrum = new Float64Array(2 * innerSize);
    const kernel = new Float64Array(2 * innerSize);
    const scale = 1 / innerSize;
    for (let j = 0; j < size; j++) {
      const re = this.chirp[2 * j]! * scale;
      const im = -this.chirp[2 * j + 1]! * scale;
      kernel[2 * j] = re;
      kernel[2 * j + 1] = im;
      if (j > 0) {
        kernel[2 * (innerSize - j)] = re;
        kernel[2 * (innerSize - j) + 1] = im;
      }
    }
    this.kernelSpectrum = new Float64Array(2 * innerSize);
    this.inner.forward(kernel, 0, this.kernelSpectrum);
  }

  forward(input: Float64Array, inOffset: number, out: Float64Array): void {
    const n = this.size;
    const chirp = this.chirp;
    const work = this.work;
    const spectrum = this.spectrum;
    const kernel = this.kernelSpectrum;
    for (let j = 0; j < n; j++) {
      const xr = input[inOffset + 2 * j]!;
      const xi = input[inOffset + 2 * j + 1]!;
      const cr = chirp[2 * j]!;
      const ci = chirp[2 * j + 1]!;
      work[2 * j] = xr * cr - xi * ci;
      work[2 * j + 1] = xr * ci + xi * cr;
    }
    work.fill(0, 2 * n);
    this.inner.forward(work, 0, spectrum);
    // Convolve: multiply spectra, then inverse FFT through the swap identity
    // (write the product with re/im exchanged, transform, read back exchanged).
    const innerLength = spectrum.length;
    for (let i = 0; i < innerLength; i += 2) {
      const ar = spectrum[i]!;
      const ai = spectrum[i + 1]!;
      const br = kernel[i]!;
      const bi = kernel[i + 1]!;
      work[i] = ar * bi + ai * br;
      work[i + 1] = ar * br - ai * bi;
    }
    this.inner.forward(work, 0, spectrum);
    for (let k = 0; k < n; k++) {
      const yr = spectrum[2 * k + 1]!;
      const yi = spectrum[2 * k]!;
      const cr = chirp[2 * k]!;
      const ci = chirp[2 * k + 1]!;
      out[2 * k] = yr * cr - yi * ci;
      out[2 * k + 1] = yr * ci + yi * cr;
    }
  }
}
