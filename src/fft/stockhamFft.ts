import type { ComplexFft } from "./types.js";
import { factorize } from "./factorize.js";
import { unitRoot } from "./unitRoot.js";

/**
 * Mixed-radix complex FFT (radix 8, 4, 2, 3, 5 butterflies, plain DFT butterflies for
 * other primes) in Stockham autosort form: each pass reads one buffer and
 * writes the other, so no bit reversal is needed and the inner loop runs over
 * contiguous memory. Intended for sizes whose prime factors are small; see
 * {@link createComplexFft} for the choice of engine.
 *
 * @remarks
 * A pass of radix `r` on sub-length `len = r * m` with stride `s` (`len * s = size`)
 * maps `x[q + s(p + jm)]` (j < r) to `y[q + s(rp + k)] = ω_len^{pk} Σ_j x[...] ω_r^{jk}`,
 * a decimation-in-frequency step. Twiddles come from {@link unitRoot}.
 *
 * @see {@link https://doi.org/10.1109/PROC.1967.5901 | Cochran et al. 1967, "What is the fast Fourier transform?" (Stockham autosort)}
 */
export class StockhamFft implements ComplexFft {
  readonly size: number;
  /** The radix of each pass, in order (factorize: 4s first, at most one 8, then 2, 3, 5, larger primes). */
  private readonly radices: Int32Array;
  /** Where pass i's twiddles start in `twiddles`. */
  private readonly twiddleOffsets: Int32Array;
  /**
   * Per pass of radix r over sub-length len = r m: for each p < m the r - 1 values
   * ω_len^{pk} (k = 1 .. r - 1; k = 0 is 1 and never stored), interleaved (re, im);
   * for a generic prime radix the r roots ω_r^t (t < r) follow.
   */
  private readonly twiddles: Float64Array;
  /** The other buffer of the ping-pong between passes (none for a single pass). */
  private readonly scratch: Float64Array;
  /** Work space of the generic butterfly: its r outputs for one (p, q). */
  private readonly butterfly: Float64Array;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`FFT size must be a positive integer, got ${size}`);
    this.size = size;
    const radices = factorize(size);
    this.radices = Int32Array.from(radices);
    this.twiddleOffsets = new Int32Array(radices.length);
    // Sizes first: pass i has len / r groups p of r - 1 twiddles (2 * len - 2 * len / r doubles).
    let total = 0;
    let len = size;
    let largestGeneric = 0;
    for (let i = 0; i < radices.length; i++) {
      const r = radices[i]!;
      this.twiddleOffsets[i] = total;
      total += 2 * len - 2 * (len / r);
      if (r > 5 && r !== 8) {
        total += 2 * r;
        largestGeneric = Math.max(largestGeneric, r);
      }
      len /= r;
    }
    this.twiddles = new Float64Array(total);
    len = size;
    for (let i = 0; i < radices.length; i++) {
      const r = radices[i]!;
      const m = len / r;
      let at = this.twiddleOffsets[i]!;
      for (let p = 0; p < m; p++) {
        for (let k = 1; k < r; k++, at += 2) unitRoot(-p * k, len, this.twiddles, at);
      }
      if (r > 5 && r !== 8) {
        for (let t = 0; t < r; t++, at += 2) unitRoot(-t, r, this.twiddles, at);
      }
      len = m;
    }
    this.scratch = new Float64Array(radices.length > 1 ? 2 * size : 0);
    this.butterfly = new Float64Array(2 * largestGeneric);
  }

  forward(input: Float64Array, inOffset: number, out: Float64Array): void {
    const passes = this.radices.length;
    if (passes === 0) {
      out[0] = input[inOffset]!;
      out[1] = input[inOffset + 1]!;
      return;
    }
    const tw = this.twiddles;
    // Pass i turns `passes - i` remaining stages of sub-length `len` (stride `stride` between
    // the interleaved sub-transforms) into sub-length len / r with stride * r; the last pass
    // has len = r and leaves the spectrum in natural order (Stockham: no bit reversal).
    let src = input;
    let srcOff = inOffset;
    // Choose the first destination so that the last pass lands in `out`.
    let dst = passes % 2 === 1 ? out : this.scratch;
    let len = this.size;
    let stride = 1;
    for (let i = 0; i < passes; i++) {
      const r = this.radices[i]!;
      const m = len / r;
      const twOff = this.twiddleOffsets[i]!;
      switch (r) {
        case 8:
          pass8(src, srcOff, dst, m, stride, tw, twOff);
          break;
        case 4:
          pass4(src, srcOff, dst, m, stride, tw, twOff);
          break;
        case 2:
          pass2(src, srcOff, dst, m, stride, tw, twOff);
          break;
        case 3:
          pass3(src, srcOff, dst, m, stride, tw, twOff);
          break;
        case 5:
          pass5(src, srcOff, dst, m, stride, tw, twOff);
          break;
        default:
          passGeneric(src, srcOff, dst, r, m, stride, tw, twOff, this.butterfly);
      }
      src = dst;
      srcOff = 0;
      dst = dst === out ? this.scratch : out;
      len = m;
      stride *= r;
    }
  }
}

/**
 * One radix-2 pass (see the class remarks): for each group p < m and each of the
 * `s` interleaved transforms q, the pair x[q + s p], x[q + s (p + m)] becomes
 * their sum and their difference times ω_{2m}^p, written to y[q + s 2p], y[q + s (2p + 1)].
 * Offsets are in doubles: `gap` = 2 s m separates the butterfly's inputs, `s2` = 2 s its outputs.
 */
const pass2 = (src: Float64Array, srcOff: number, dst: Float64Array, m: number, s: number, tw: Float64Array, twOff: number): void => {
  const gap = 2 * s * m;
  const s2 = 2 * s;
  for (let p = 0; p < m; p++) {
    const wr = tw[twOff + 2 * p]!;
    const wi = tw[twOff + 2 * p + 1]!;
    const inBase = srcOff + s2 * p;
    const outBase = 2 * s2 * p;
    for (let q = 0; q < s2; q += 2) {
      const i0 = inBase + q;
      const i1 = i0 + gap;
      const o0 = outBase + q;
      const o1 = o0 + s2;
      const ar = src[i0]!;
      const ai = src[i0 + 1]!;
      const br = src[i1]!;
      const bi = src[i1 + 1]!;
      dst[o0] = ar + br;
      dst[o0 + 1] = ai + bi;
      const dr = ar - br;
      const di = ai - bi;
      dst[o1] = dr * wr - di * wi;
      dst[o1 + 1] = dr * wi + di * wr;
    }
  }
};

/**
 * One radix-4 pass: the four inputs x[q + s (p + j m)], j < 4, go through a 4-point
 * DFT (two radix-2 stages, the multiplication by -i done by swapping re and im),
 * and output k (k > 0) is multiplied by ω_{4m}^{pk}, stored as twiddles 1, 2, 3 of group p.
 */
const pass4 = (src: Float64Array, srcOff: number, dst: Float64Array, m: number, s: number, tw: Float64Array, twOff: number): void => {
  const gap = 2 * s * m;
  const s2 = 2 * s;
  for (let p = 0; p < m; p++) {
    const w = twOff + 6 * p;
    const w1r = tw[w]!;
    const w1i = tw[w + 1]!;
    const w2r = tw[w + 2]!;
    const w2i = tw[w + 3]!;
    const w3r = tw[w + 4]!;
    const w3i = tw[w + 5]!;
    const inBase = srcOff + s2 * p;
    const outBase = 4 * s2 * p;
    for (let q = 0; q < s2; q += 2) {
      const i0 = inBase + q;
      const i1 = i0 + gap;
      const i2 = i1 + gap;
      const i3 = i2 + gap;
      const a0r = src[i0]!;
      const a0i = src[i0 + 1]!;
      const a1r = src[i1]!;
      const a1i = src[i1 + 1]!;
      const a2r = src[i2]!;
      const a2i = src[i2 + 1]!;
      const a3r = src[i3]!;
      const a3i = src[i3 + 1]!;
      const t0r = a0r + a2r;
      const t0i = a0i + a2i;
      const t1r = a0r - a2r;
      const t1i = a0i - a2i;
      const t2r = a1r + a3r;
      const t2i = a1i + a3i;
      // t3 = -i (a1 - a3)
      const t3r = a1i - a3i;
      const t3i = a3r - a1r;
      const o0 = outBase + q;
      const o1 = o0 + s2;
      const o2 = o1 + s2;
      const o3 = o2 + s2;
      dst[o0] = t0r + t2r;
      dst[o0 + 1] = t0i + t2i;
      const b1r = t1r + t3r;
      const b1i = t1i + t3i;
      dst[o1] = b1r * w1r - b1i * w1i;
      dst[o1 + 1] = b1r * w1i + b1i * w1r;
      const b2r = t0r - t2r;
      const b2i = t0i - t2i;
      dst[o2] = b2r * w2r - b2i * w2i;
      dst[o2 + 1] = b2r * w2i + b2i * w2r;
      const b3r = t1r - t3r;
      const b3i = t1i - t3i;
      dst[o3] = b3r * w3r - b3i * w3i;
      dst[o3 + 1] = b3r * w3i + b3i * w3r;
    }
  }
};

/** √½, the constant of the radix-8 butterfly's odd twiddles e^{-iπ/4}, e^{-3iπ/4}. */
const SQRT_HALF = 0.7071067811865476; // the double nearest 0.70710678118654752440...

/** Radix 8 as two radix-4 DFTs (even and odd inputs) joined by the twiddles ω_8^k. */
const pass8 = (src: Float64Array, srcOff: number, dst: Float64Array, m: number, s: number, tw: Float64Array, twOff: number): void => {
  const gap = 2 * s * m;
  const s2 = 2 * s;
  for (let p = 0; p < m; p++) {
    const w = twOff + 14 * p;
    const inBase = srcOff + s2 * p;
    const outBase = 8 * s2 * p;
    for (let q = 0; q < s2; q += 2) {
      const i0 = inBase + q;
      const a0r = src[i0]!;
      const a0i = src[i0 + 1]!;
      const a1r = src[i0 + gap]!;
      const a1i = src[i0 + gap + 1]!;
      const a2r = src[i0 + 2 * gap]!;
      const a2i = src[i0 + 2 * gap + 1]!;
      const a3r = src[i0 + 3 * gap]!;
      const a3i = src[i0 + 3 * gap + 1]!;
      const a4r = src[i0 + 4 * gap]!;
      const a4i = src[i0 + 4 * gap + 1]!;
      const a5r = src[i0 + 5 * gap]!;
      const a5i = src[i0 + 5 * gap + 1]!;
      const a6r = src[i0 + 6 * gap]!;
      const a6i = src[i0 + 6 * gap + 1]!;
      const a7r = src[i0 + 7 * gap]!;
      const a7i = src[i0 + 7 * gap + 1]!;
      // E = DFT4(a0, a2, a4, a6)
      let t0r = a0r + a4r;
      let t0i = a0i + a4i;
      let t1r = a0r - a4r;
      let t1i = a0i - a4i;
      let t2r = a2r + a6r;
      let t2i = a2i + a6i;
      let t3r = a2i - a6i;
      let t3i = a6r - a2r;
      const e0r = t0r + t2r;
      const e0i = t0i + t2i;
      const e1r = t1r + t3r;
      const e1i = t1i + t3i;
      const e2r = t0r - t2r;
      const e2i = t0i - t2i;
      const e3r = t1r - t3r;
      const e3i = t1i - t3i;
      // O = DFT4(a1, a3, a5, a7)
      t0r = a1r + a5r;
      t0i = a1i + a5i;
      t1r = a1r - a5r;
      t1i = a1i - a5i;
      t2r = a3r + a7r;
      t2i = a3i + a7i;
      t3r = a3i - a7i;
      t3i = a7r - a3r;
      const o0r = t0r + t2r;
      const o0i = t0i + t2i;
      let xr = t1r + t3r;
      let xi = t1i + t3i;
      const o1r = SQRT_HALF * (xr + xi);
      const o1i = SQRT_HALF * (xi - xr);
      const o2r = t0i - t2i;
      const o2i = t2r - t0r;
      xr = t1r - t3r;
      xi = t1i - t3i;
      const o3r = SQRT_HALF * (xi - xr);
      const o3i = -SQRT_HALF * (xr + xi);
      const out0 = outBase + q;
      dst[out0] = e0r + o0r;
      dst[out0 + 1] = e0i + o0i;
      storeTwiddled(dst, out0 + s2, e1r + o1r, e1i + o1i, tw, w);
      storeTwiddled(dst, out0 + 2 * s2, e2r + o2r, e2i + o2i, tw, w + 2);
      storeTwiddled(dst, out0 + 3 * s2, e3r + o3r, e3i + o3i, tw, w + 4);
      storeTwiddled(dst, out0 + 4 * s2, e0r - o0r, e0i - o0i, tw, w + 6);
      storeTwiddled(dst, out0 + 5 * s2, e1r - o1r, e1i - o1i, tw, w + 8);
      storeTwiddled(dst, out0 + 6 * s2, e2r - o2r, e2i - o2i, tw, w + 10);
      storeTwiddled(dst, out0 + 7 * s2, e3r - o3r, e3i - o3i, tw, w + 12);
    }
  }
};

/** dst[at .. at+1] = (re + i im) * (tw[w] + i tw[w+1]). */
const storeTwiddled = (dst: Float64Array, at: number, re: number, im: number, tw: Float64Array, w: number): void => {
  const wr = tw[w]!;
  const wi = tw[w + 1]!;
  dst[at] = re * wr - im * wi;
  dst[at + 1] = re * wi + im * wr;
};

/** sin(2π/3), the only irrational constant of the radix-3 butterfly. */
const SIN_2PI_3 = 0.8660254037844386; // nearest 0.86602540378443864676...

/**
 * One radix-3 pass: the 3-point DFT of x[q + s (p + j m)], j < 3, written as the sum
 * and the rotations by ±2π/3 (cos = -1/2, so only sin(2π/3) is a constant), outputs
 * 1 and 2 multiplied by ω_{3m}^{p}, ω_{3m}^{2p}.
 */
const pass3 = (src: Float64Array, srcOff: number, dst: Float64Array, m: number, s: number, tw: Float64Array, twOff: number): void => {
  const gap = 2 * s * m;
  const s2 = 2 * s;
  for (let p = 0; p < m; p++) {
    const w = twOff + 4 * p;
    const w1r = tw[w]!;
    const w1i = tw[w + 1]!;
    const w2r = tw[w + 2]!;
    const w2i = tw[w + 3]!;
    const inBase = srcOff + s2 * p;
    const outBase = 3 * s2 * p;
    for (let q = 0; q < s2; q += 2) {
      const i0 = inBase + q;
      const i1 = i0 + gap;
      const i2 = i1 + gap;
      const a0r = src[i0]!;
      const a0i = src[i0 + 1]!;
      const a1r = src[i1]!;
      const a1i = src[i1 + 1]!;
      const a2r = src[i2]!;
      const a2i = src[i2 + 1]!;
      const tr = a1r + a2r;
      const ti = a1i + a2i;
      const mr = a0r - 0.5 * tr;
      const mi = a0i - 0.5 * ti;
      // ±i sin(2π/3)(a1 - a2) with the forward sign folded in
      const dr = SIN_2PI_3 * (a1i - a2i);
      const di = SIN_2PI_3 * (a2r - a1r);
      const o0 = outBase + q;
      const o1 = o0 + s2;
      const o2 = o1 + s2;
      dst[o0] = a0r + tr;
      dst[o0 + 1] = a0i + ti;
      const b1r = mr + dr;
      const b1i = mi + di;
      dst[o1] = b1r * w1r - b1i * w1i;
      dst[o1 + 1] = b1r * w1i + b1i * w1r;
      const b2r = mr - dr;
      const b2i = mi - di;
      dst[o2] = b2r * w2r - b2i * w2i;
      dst[o2 + 1] = b2r * w2i + b2i * w2r;
    }
  }
};

/** cos and sin of 2π/5 and 4π/5 for the radix-5 butterfly (each literal is the shortest that reads as the double nearest the value). */
const C1_5 = 0.30901699437494745; // nearest 0.30901699437494742410...
const C2_5 = -0.8090169943749475; // nearest -0.80901699437494742410...
const S1_5 = 0.9510565162951535; // nearest 0.95105651629515357211...
const S2_5 = 0.5877852522924731; // nearest 0.58778525229247312916...

/**
 * One radix-5 pass: the 5-point DFT of x[q + s (p + j m)], j < 5, from the sums and
 * differences of the symmetric pairs (1, 4) and (2, 3), combined with cos/sin of
 * 2π/5 and 4π/5; outputs k > 0 multiplied by ω_{5m}^{pk}.
 */
const pass5 = (src: Float64Array, srcOff: number, dst: Float64Array, m: number, s: number, tw: Float64Array, twOff: number): void => {
  const gap = 2 * s * m;
  const s2 = 2 * s;
  for (let p = 0; p < m; p++) {
    const w = twOff + 8 * p;
    const w1r = tw[w]!;
    const w1i = tw[w + 1]!;
    const w2r = tw[w + 2]!;
    const w2i = tw[w + 3]!;
    const w3r = tw[w + 4]!;
    const w3i = tw[w + 5]!;
    const w4r = tw[w + 6]!;
    const w4i = tw[w + 7]!;
    const inBase = srcOff + s2 * p;
    const outBase = 5 * s2 * p;
    for (let q = 0; q < s2; q += 2) {
      const i0 = inBase + q;
      const i1 = i0 + gap;
      const i2 = i1 + gap;
      const i3 = i2 + gap;
      const i4 = i3 + gap;
      const a0r = src[i0]!;
      const a0i = src[i0 + 1]!;
      const a1r = src[i1]!;
      const a1i = src[i1 + 1]!;
      const a2r = src[i2]!;
      const a2i = src[i2 + 1]!;
      const a3r = src[i3]!;
      const a3i = src[i3 + 1]!;
      const a4r = src[i4]!;
      const a4i = src[i4 + 1]!;
      const t1r = a1r + a4r;
      const t1i = a1i + a4i;
      const t2r = a2r + a3r;
      const t2i = a2i + a3i;
      const d1r = a1r - a4r;
      const d1i = a1i - a4i;
      const d2r = a2r - a3r;
      const d2i = a2i - a3i;
      const m1r = a0r + C1_5 * t1r + C2_5 * t2r;
      const m1i = a0i + C1_5 * t1i + C2_5 * t2i;
      const m2r = a0r + C2_5 * t1r + C1_5 * t2r;
      const m2i = a0i + C2_5 * t1i + C1_5 * t2i;
      // -i (S1 d1 + S2 d2) and -i (S2 d1 - S1 d2)
      const e1r = S1_5 * d1i + S2_5 * d2i;
      const e1i = -(S1_5 * d1r + S2_5 * d2r);
      const e2r = S2_5 * d1i - S1_5 * d2i;
      const e2i = S1_5 * d2r - S2_5 * d1r;
      const o0 = outBase + q;
      const o1 = o0 + s2;
      const o2 = o1 + s2;
      const o3 = o2 + s2;
      const o4 = o3 + s2;
      dst[o0] = a0r + t1r + t2r;
      dst[o0 + 1] = a0i + t1i + t2i;
      let br = m1r + e1r;
      let bi = m1i + e1i;
      dst[o1] = br * w1r - bi * w1i;
      dst[o1 + 1] = br * w1i + bi * w1r;
      br = m2r + e2r;
      bi = m2i + e2i;
      dst[o2] = br * w2r - bi * w2i;
      dst[o2 + 1] = br * w2i + bi * w2r;
      br = m2r - e2r;
      bi = m2i - e2i;
      dst[o3] = br * w3r - bi * w3i;
      dst[o3 + 1] = br * w3i + bi * w3r;
      br = m1r - e1r;
      bi = m1i - e1i;
      dst[o4] = br * w4r - bi * w4i;
      dst[o4 + 1] = br * w4i + bi * w4r;
    }
  }
};

/** Plain O(r²) DFT butterfly for a prime radix r > 5; `tw` holds the r roots ω_r^t after the pass twiddles. */
const passGeneric = (
  src: Float64Array,
  srcOff: number,
  dst: Float64Array,
  r: number,
  m: number,
  s: number,
  tw: Float64Array,
  twOff: number,
  values: Float64Array,
): void => {
  const gap = 2 * s * m;
  const s2 = 2 * s;
  const rootOff = twOff + 2 * (r - 1) * m;
  for (let p = 0; p < m; p++) {
    const w = twOff + 2 * (r - 1) * p;
    const inBase = srcOff + s2 * p;
    const outBase = r * s2 * p;
    for (let q = 0; q < s2; q += 2) {
      let sumR = 0;
      let sumI = 0;
      for (let j = 0, at = inBase + q; j < r; j++, at += gap) {
        const vr = src[at]!;
        const vi = src[at + 1]!;
        values[2 * j] = vr;
        values[2 * j + 1] = vi;
        sumR += vr;
        sumI += vi;
      }
      const o0 = outBase + q;
      dst[o0] = sumR;
      dst[o0 + 1] = sumI;
      for (let k = 1; k < r; k++) {
        let br = values[0]!;
        let bi = values[1]!;
        let t = 0;
        for (let j = 1; j < r; j++) {
          t += k;
          if (t >= r) t -= r;
          const cr = tw[rootOff + 2 * t]!;
          const ci = tw[rootOff + 2 * t + 1]!;
          const vr = values[2 * j]!;
          const vi = values[2 * j + 1]!;
          br += vr * cr - vi * ci;
          bi += vr * ci + vi * cr;
        }
        const wr = tw[w + 2 * (k - 1)]!;
        const wi = tw[w + 2 * (k - 1) + 1]!;
        const ok = o0 + k * s2;
        dst[ok] = br * wr - bi * wi;
        dst[ok + 1] = br * wi + bi * wr;
      }
    }
  }
};
