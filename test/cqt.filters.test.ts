/**
 * The CQT filter basis (filters.ts, sparse.ts) against a plain transcription
 * of librosa's `__vqt_filter_fft` + `util.sparsify_rows` (every row built
 * from scratch, whole-row sort): the fast paths (rows shared between
 * octaves, threshold from the largest magnitudes, inline hypot, memo) must
 * give the same coefficients to the bit.
 */
import { describe, expect, it } from "vitest";
import { createComplexFft } from "../src/fft/index.js";
import { cqtFrequencies, filterBasis, relativeBandwidth, waveletLengths, windowBandwidth } from "../src/cqt/filters.js";
import { normLength, TINY_FLOAT64 } from "../src/util/normalize.js";
import { hypot2, sparsifyRows, type ComplexCsr } from "../src/util/sparse.js";
import { getWindow, type WindowName } from "../src/spectrum/window.js";

const referenceSparsify = (data: Float64Array, rows: number, cols: number, quantile: number): ComplexCsr => {
  const col: number[] = [];
  const re: number[] = [];
  const im: number[] = [];
  const rowStart = new Int32Array(rows + 1);
  for (let r = 0; r < rows; r++) {
    const base = 2 * r * cols;
    const mags = new Float64Array(cols);
    let norm = 0;
    for (let j = 0; j < cols; j++) {
      mags[j] = Math.hypot(data[base + 2 * j]!, data[base + 2 * j + 1]!);
      norm += mags[j]!;
    }
    const sorted = mags.slice().sort();
    let threshold = sorted[0]!;
    let cumulative = 0;
    for (let j = 0; j < cols; j++) {
      cumulative += sorted[j]! / norm;
      if (!(cumulative < quantile)) {
        threshold = sorted[j]!;
        break;
      }
    }
    for (let j = 0; j < cols; j++) {
      if (mags[j]! >= threshold) {
        col.push(j);
        re.push(data[base + 2 * j]!);
        im.push(data[base + 2 * j + 1]!);
      }
    }
    rowStart[r + 1] = col.length;
  }
  return { rows, cols, rowStart, col: Int32Array.from(col), re: Float64Array.from(re), im: Float64Array.from(im) };
};

const referenceBasis = (
  sr: number,
  freqs: Float64Array,
  alpha: Float64Array,
  filterScale: number,
  norm: number | null,
  sparsity: number,
  window: WindowName,
): { nFft: number; basis: ComplexCsr } => {
  const { lengths } = waveletLengths(freqs, alpha, sr, filterScale, windowBandwidth(window));
  const nFft = Math.trunc(2.0 ** Math.ceil(Math.log2(Math.max(...lengths))));
  const nCols = Math.floor(nFft / 2) + 1;
  const fft = createComplexFft(nFft);
  const rows = new Float64Array(2 * freqs.length * nCols);
  const spectrum = new Float64Array(2 * nFft);
  for (let k = 0; k < freqs.length; k++) {
    const len = lengths[k]!;
    const start = Math.floor(-len / 2);
    const n = Math.floor(len / 2) - start;
    const w = getWindow(window, n, true);
    const re = new Float64Array(n);
    const im = new Float64Array(n);
    const mag = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const angle = ((((start + i) * 2) * Math.PI) * freqs[k]!) / sr;
      re[i] = Math.cos(angle) * w[i]!;
      im[i] = Math.sin(angle) * w[i]!;
      mag[i] = Math.hypot(re[i]!, im[i]!);
    }
    let scale = 1;
    if (norm !== null) {
      const length = normLength(mag, n, norm);
      if (!(length < TINY_FLOAT64)) scale = 1 / length;
    }
    scale *= len / nFft;
    const left = Math.floor((nFft - n) / 2);
    const frame = new Float64Array(2 * nFft);
    for (let i = 0; i < n; i++) {
      frame[2 * (left + i)] = re[i]! * scale;
      frame[2 * (left + i) + 1] = im[i]! * scale;
    }
    fft.forward(frame, 0, spectrum);
    rows.set(spectrum.subarray(0, 2 * nCols), 2 * k * nCols);
  }
  return { nFft, basis: referenceSparsify(rows, freqs.length, nCols, sparsity) };
};

const expectSameCsr = (a: ComplexCsr, b: ComplexCsr): void => {
  expect([a.rows, a.cols]).toEqual([b.rows, b.cols]);
  expect(Array.from(a.rowStart)).toEqual(Array.from(b.rowStart));
  expect(Array.from(a.col)).toEqual(Array.from(b.col));
  // toEqual on plain arrays compares with Object.is: bit-identical values.
  expect(Array.from(a.re)).toEqual(Array.from(b.re));
  expect(Array.from(a.im)).toEqual(Array.from(b.im));
};

/** Each octave's (sr, freqs, alpha) the way planCqt asks for them (no early downsampling), top first. */
const octaves = (sr: number, nBins: number, bpo: number, tuning: number) => {
  const freqs = cqtFrequencies(nBins, 32.703195662574764, bpo, tuning);
  const alpha = relativeBandwidth(freqs, bpo);
  const out: { sr: number; freqs: Float64Array; alpha: Float64Array }[] = [];
  for (let i = 0; i * bpo < nBins; i++) {
    const hi = nBins - bpo * i;
    const lo = Math.max(0, hi - bpo);
    out.push({ sr: sr / 2 ** i, freqs: freqs.subarray(lo, hi), alpha: alpha.subarray(lo, hi) });
  }
  return out;
};

let seed = 12345;
const random = (): number => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};

describe("filter basis", () => {
  it("hypot2 equals Math.hypot to the bit", () => {
    for (let t = 0; t < 20000; t++) {
      const x = (random() - 0.5) * 10 ** Math.floor(random() * 40 - 20);
      const y = (random() - 0.5) * 10 ** Math.floor(random() * 40 - 20);
      expect(Object.is(hypot2(x, y), Math.hypot(x, y))).toBe(true);
    }
    for (const [x, y] of [[0, 0], [-0, 0], [3, 4], [Infinity, NaN], [NaN, 1], [1, NaN], [-5, 0]] as const) {
      expect(Object.is(hypot2(x, y), Math.hypot(x, y))).toBe(true);
    }
  });

  it("sparsifyRows keeps the same entries as a whole-row sort", () => {
    for (let t = 0; t < 400; t++) {
      const cols = 1 + Math.floor(random() * 600);
      const data = new Float64Array(2 * 3 * cols);
      const kind = t % 4;
      for (let i = 0; i < data.length; i++) {
        if (kind === 0) data[i] = random() - 0.5;
        else if (kind === 1) data[i] = Math.round(random() * 4) / 4; // ties and zeros
        else if (kind === 2) data[i] = random() < 0.9 ? 0 : random();
        else data[i] = Math.exp(-40 * random()) * (random() - 0.5); // peaked, like filter spectra
      }
      for (const q of [0, 0.01, 0.1, 0.5, 0.99]) expectSameCsr(sparsifyRows(data, 3, cols, q), referenceSparsify(data, 3, cols, q));
    }
    expectSameCsr(sparsifyRows(new Float64Array(8), 2, 2, 0.01), referenceSparsify(new Float64Array(8), 2, 2, 0.01));
  });

  it.each([
    [22050, 252, 36, -0.3, 1, 1, 0.01, "hann"],
    [22050, 84, 12, 0.2, 1, 1, 0.01, "hann"],
    [44100, 168, 24, 0.49, 1, 1, 0.01, "hann"],
    [16000, 60, 12, -0.5, 1, 1, 0.01, "hann"],
    [22050, 72, 12, 0.1, 0.7, 2, 0.05, "hamming"],
    [22050, 72, 12, -0.1, 2, null, 0, ["kaiser", 4]],
    [22050, 72, 24, 0.37, 1, Infinity, 0.3, "blackmanharris"],
  ] as const)("sr=%i n_bins=%i bpo=%i tuning=%f filter_scale=%f norm=%s sparsity=%f window=%j: every octave equals the reference", (sr, nBins, bpo, tuning, filterScale, norm, sparsity, window) => {
    const octs = octaves(sr, nBins, bpo, tuning);
    const first = octs.map((o) => filterBasis(o.sr, o.freqs, o.alpha, filterScale, norm, sparsity, window as WindowName));
    octs.forEach((o, i) => {
      const ref = referenceBasis(o.sr, o.freqs, o.alpha, filterScale, norm, sparsity, window as WindowName);
      expect(first[i]!.nFft).toBe(ref.nFft);
      expectSameCsr(first[i]!.basis, ref.basis);
    });
    // Same arguments (fresh arrays): the memoised result itself.
    octs.forEach((o, i) => {
      expect(filterBasis(o.sr, o.freqs.slice(), o.alpha.slice(), filterScale, norm, sparsity, window as WindowName)).toBe(first[i]);
    });
  });

  it("octaves bottom first (rows shared upwards) give the same basis", () => {
    const octs = octaves(22050, 252, 36, 0.131);
    const reversed = [...octs].reverse().map((o) => filterBasis(o.sr, o.freqs, o.alpha, 1, 1, 0.01, "hann"));
    reversed.reverse().forEach((b, i) => {
      const o = octs[i]!;
      expectSameCsr(b.basis, referenceBasis(o.sr, o.freqs, o.alpha, 1, 1, 0.01, "hann").basis);
    });
  });
});
