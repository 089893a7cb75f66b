import type { ComplexFft, RealFft } from "./types.js";
import { unitRoot } from "./unitRoot.js";


/**
 * Even n = 2m: the real signal read as m complex values `z[j] = x[2j] + i x[2j+1]`
 * (which is exactly its memory layout, so no packing copy) goes through one
 * complex FFT of size m, then a split step separates the spectra of the even
 * and odd samples, `E[k] = (Z[k] + conj Z[m-k]) / 2`, `O[k] = (Z[k] - conj Z[m-k]) / 2i`,
 * and recombines `X[k] = E[k] + e^{-2πik/n} O[k]`. The inverse runs the same steps backwards.
 *
 * @see {@link https://doi.org/10.1109/TASSP.1987.1165220 | Sorensen et al. 1987, "Real-valued fast Fourier transform algorithms"}
 */
export class EvenRealFft implements RealFft {
  readonly size: number;
  private readonly half: number;
  private readonly complex: ComplexFft;
  /** e^{-2πik/n} for k = 0 .. floor(m/2), interleaved. */
  private readonly split: Float64Array;
  private readonly packed: Float64Array;
  private readonly transformed: Float64Array;

  /** @param complex - a complex FFT of size n / 2 */
  constructor(n: number, complex: ComplexFft) {
    this.size = n;
    const m = n / 2;
    this.half = m;
    this.complex = complex;
    const pairs = Math.floor(m / 2) + 1;
    this.split = new Float64Array(2 * pairs);
    for (let k = 0; k < pairs; k++) unitRoot(-k, n, this.split, 2 * k);
    this.packed = new Float64Array(2 * m);
    this.transformed = new Float64Array(2 * m);
  }

  forward(input: Float64Array, inOffset: number, out: Float64Array): void {
    const m = this.half;
    const z = this.transformed;
    const w = this.split;
    this.complex.forward(input, inOffset, z);
    const z0r = z[0]!;
    const z0i = z[1]!;
    out[0] = z0r + z0i;
    out[1] = 0;
    out[2 * m] = z0r - z0i;
    out[2 * m + 1] = 0;
    // Bins k and m - k share one twiddle: X[m-k] = conj(E[k] - W^k O[k]).
    for (let k = 1, j = m - 1; k <= j; k++, j--) {
      const ar = z[2 * k]!;
      const ai = z[2 * k + 1]!;
      const br = z[2 * j]!;
      const bi = -z[2 * j + 1]!;
      const er = 0.5 * (ar + br);
      const ei = 0.5 * (ai + bi);
      // O = (A - B) / 2i
      const or = 0.5 * (ai - bi);
      const oi = -0.5 * (ar - br);
      const wr = w[2 * k]!;
      const wi = w[2 * k + 1]!;
      const pr = wr * or - wi * oi;
      const pi = wr * oi + wi * or;
      out[2 * k] = er + pr;
      out[2 * k + 1] = ei + pi;
      out[2 * j] = er - pr;
      out[2 * j + 1] = pi - ei;
    }
  }

  inverse(spectrum: Float64Array, specOffset: number, out: Float64Array, outOffset: number): void {
    const m = this.half;
    const n = this.size;
    const s = specOffset;
    const packed = this.packed;
    const w = this.split;
    // Z[k] = P + iT with P = X[k] + conj X[m-k], T = e^{2πik/n} (X[k] - conj X[m-k]),
    // Z[m-k] = conj(P - iT); the inverse DFT of Z is then x[2j] + i x[2j+1] (times n).
    // Every Z is stored with re/im exchanged so a forward FFT computes the inverse.
    const x0 = spectrum[s]!;
    const xm = spectrum[s + 2 * m]!;
    packed[0] = x0 - xm;
    packed[1] = x0 + xm;
    for (let k = 1, j = m - 1; k <= j; k++, j--) {
      const ar = spectrum[s + 2 * k]!;
      const ai = spectrum[s + 2 * k + 1]!;
      const br = spectrum[s + 2 * j]!;
      const bi = -spectrum[s + 2 * j + 1]!;
      const pr = ar + br;
      const pi = ai + bi;
      const qr = ar - br;
      const qi = ai - bi;
      // conj of the forward twiddle
      const wr = w[2 * k]!;
      const wi = -w[2 * k + 1]!;
      const tr = wr * qr - wi * qi;
      const ti = wr * qi + wi * qr;
      // Z[k] = (pr - ti) + i (pi + tr); Z[m-k] = (pr + ti) + i (tr - pi)
      packed[2 * k] = pi + tr;
      packed[2 * k + 1] = pr - ti;
      packed[2 * j] = tr - pi;
      packed[2 * j + 1] = pr + ti;
    }
    const z = this.transformed;
    this.complex.forward(packed, 0, z);
    const scale = 1 / n;
    for (let i = 0; i < n; i += 2) {
      out[outOffset + i] = z[i + 1]! * scale;
      out[outOffset + i + 1] = z[i]! * scale;
    }
  }
}

/**
 * Odd n: a complex FFT of size n on the zero-padded-imaginary signal. Odd sizes
 * are rare for `n_fft`, so simplicity wins over the factor-two saving here.
 */
export class OddRealFft implements RealFft {
  readonly size: number;
  private readonly complex: ComplexFft;
  private readonly packed: Float64Array;
  private readonly transformed: Float64Array;

  /** @param complex - a complex FFT of size n */
  constructor(n: number, complex: ComplexFft) {
    this.size = n;
    this.complex = complex;
    this.packed = new Float64Array(2 * n);
    this.transformed = new Float64Array(2 * n);
  }

  forward(input: Float64Array, inOffset: number, out: Float64Array): void {
    const n = this.size;
    const packed = this.packed;
    for (let j = 0; j < n; j++) {
      packed[2 * j] = input[inOffset + j]!;
      packed[2 * j + 1] = 0;
    }
    const z = this.transformed;
    this.complex.forward(packed, 0, z);
    const bins = 2 * ((n - 1) / 2 + 1);
    for (let i = 0; i < bins; i++) out[i] = z[i]!;
    out[1] = 0;
  }

  inverse(spectrum: Float64Array, specOffset: number, out: Float64Array, outOffset: number): void {
    const n = this.size;
    const packed = this.packed;
    // Hermitian extension, stored with re/im exchanged (see ComplexFft.forward).
    packed[0] = 0;
    packed[1] = spectrum[specOffset]!;
    for (let k = 1, j = n - 1; k < j; k++, j--) {
      const re = spectrum[specOffset + 2 * k]!;
      const im = spectrum[specOffset + 2 * k + 1]!;
      packed[2 * k] = im;
      packed[2 * k + 1] = re;
      packed[2 * j] = -im;
      packed[2 * j + 1] = re;
    }
    const z = this.transformed;
    this.complex.forward(packed, 0, z);
    const scale = 1 / n;
    for (let j = 0; j < n; j++) out[outOffset + j] = z[2 * j + 1]! * scale;
  }
}
