/**
 * The constant-Q filter bank as librosa 0.11.0 builds it (`filters.wavelet`,
 * `filters.wavelet_lengths`, `constantq.__vqt_filter_fft`) and the chroma
 * folding matrix (`filters.cq_to_chroma`).
 *
 * Everything is float64; librosa builds the time-domain filters in complex64
 * and takes their FFT in single precision, which moves the basis by ~1e-7 of
 * its peak. The sparsity threshold sits near 0.6% of each row's peak with
 * ~17 kept entries per row, so that rounding does not change which entries
 * are kept (checked on the chroma_cqt bank at every octave).
 *
 * @see https://librosa.org/doc/0.11.0/generated/librosa.filters.wavelet.html
 */
import { createComplexFft, type ComplexFft } from "../fft/index.js";
import { getWindow, type WindowName } from "../spectrum/window.js";
import { ParameterError } from "../util/errors.js";
import { normLength, TINY_FLOAT64 } from "../util/normalize.js";
import { hypot2, sparsifyRow, stackRows, type ComplexCsr, type SparseRow } from "../util/sparse.js";
import { BoundedCache } from "../util/boundedCache.js";
import { onClearCaches } from "../util/clearCaches.js";

/** `librosa.note_to_hz("C1")`. */
export const C1_HZ = 440.0 * 2.0 ** ((24 - 69.0) / 12.0);

/** librosa's `WINDOW_BANDWIDTHS` table (equivalent noise bandwidth, in bins). */
const WINDOW_BANDWIDTHS: Readonly<Record<string, number>> = {
  bart: 1.3334961334912805, barthann: 1.4560255965133932, bartlett: 1.3334961334912805,
  bkh: 2.0045975283585014, black: 1.7269681554262326, blackharr: 2.0045975283585014,
  blackman: 1.7269681554262326, blackmanharris: 2.0045975283585014, blk: 1.7269681554262326,
  bman: 1.7859588613860062, bmn: 1.7859588613860062, bohman: 1.7859588613860062,
  box: 1.0, boxcar: 1.0, brt: 1.3334961334912805, brthan: 1.4560255965133932,
  bth: 1.4560255965133932, cosine: 1.2337005350199792, flat: 2.7762255046484143,
  flattop: 2.7762255046484143, flt: 2.7762255046484143, halfcosine: 1.2337005350199792,
  ham: 1.3629455320350348, hamm: 1.3629455320350348, hamming: 1.3629455320350348,
  han: 1.50018310546875, hann: 1.50018310546875, nut: 1.9763500280946082,
  nutl: 1.9763500280946082, nuttall: 1.9763500280946082, ones: 1.0,
  par: 1.917460317460319, parz: 1.917460317460319, parzen: 1.917460317460319,
  rect: 1.0, rectangular: 1.0, tri: 1.333170652355585, triang: 1.333170652355585,
  triangle: 1.333170652355585,
};

/** `filters.window_bandwidth(window)`: the table entry, else `n sum(w^2) / (sum w)^2` over 1000 points. */
export const windowBandwidth = (window: WindowName): number => {
  if (typeof window === "string" && window in WINDOW_BANDWIDTHS) return WINDOW_BANDWIDTHS[window]!;
  const n = 1000;
  const w = getWindow(window, n, true);
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    s += w[i]!;
    s2 += w[i]! * w[i]!;
  }
  return (n * s2) / (s * s + TINY_FLOAT64);
};

/**
 * `interval_frequencies(nBins, fmin=fmin * 2^(tuning / bpo), intervals="equal")`:
 * the centre frequencies of a CQT, ascending.
 */
export const cqtFrequencies = (nBins: number, fmin: number, binsPerOctave: number, tuning: number): Float64Array => {
  const tunedFmin = fmin * 2.0 ** (tuning / binsPerOctave);
  const out = new Float64Array(nBins);
  for (let i = 0; i < nBins; i++) {
    const octave = Math.floor(i / binsPerOctave);
    const ratio = 2.0 ** ((i % binsPerOctave) / binsPerOctave);
    out[i] = 2.0 ** octave * ratio * tunedFmin;
  }
  return out.sort();
};

/** `filters._relative_bandwidth` (or `__et_relative_bw` for a single bin). */
export const relativeBandwidth = (freqs: Float64Array, binsPerOctave: number): Float64Array => {
  const n = freqs.length;
  const alpha = new Float64Array(n);
  if (n === 1) {
    const r = 2 ** (1 / binsPerOctave);
    alpha[0] = (r ** 2 - 1) / (r ** 2 + 1);
    return alpha;
  }
  const logf = freqs.map(Math.log2);
  for (let i = 0; i < n; i++) {
    let bpo: number;
    if (i === 0) bpo = 1 / (logf[1]! - logf[0]!);
    else if (i === n - 1) bpo = 1 / (logf[n - 1]! - logf[n - 2]!);
    else bpo = 2 / (logf[i + 1]! - logf[i - 1]!);
    const p = 2.0 ** (2 / bpo);
    alpha[i] = (p - 1) / (p + 1);
  }
  return alpha;
};

/**
 * `filters.wavelet_lengths` with gamma = 0 (the CQT): filter lengths
 * `Q sr / f` with `Q = filterScale / alpha`, and the highest frequency the
 * bank reaches, `max f (1 + bw / (2 Q))`.
 */
export const waveletLengths = (
  freqs: Float64Array,
  alpha: Float64Array,
  sr: number,
  filterScale: number,
  bandwidth: number,
): { lengths: Float64Array; cutoff: number } => {
  if (!(filterScale > 0)) throw new ParameterError(`filter_scale=${filterScale} must be positive`);
  const lengths = new Float64Array(freqs.length);
  let cutoff = -Infinity;
  for (let i = 0; i < freqs.length; i++) {
    const f = freqs[i]!;
    if (!(f > 0)) throw new ParameterError("frequencies must be strictly positive");
    const q = filterScale / alpha[i]!;
    lengths[i] = (q * sr) / (f + 0 / alpha[i]!);
    cutoff = Math.max(cutoff, f * (1 + (0.5 * bandwidth) / q) + 0.5 * 0);
  }
  return { lengths, cutoff };
};

/** One octave's filters in the frequency domain. */
interface FilterBasis {
  /** FFT length of the octave's STFT (a power of two covering the longest filter). */
  nFft: number;
  /** (filters, nFft / 2 + 1) sparse complex matrix. */
  basis: ComplexCsr;
}

/** A filter's windowed complex exponential before scaling, and the reciprocal of its norm (1 without one). */
interface TimeFilter {
  re: Float64Array;
  im: Float64Array;
  invNorm: number;
}

/** A filter row with everything it depends on. */
interface RowEntry {
  windowKey: string;
  norm: number | null;
  n: number;
  start: number;
  /** Frequency and rate divided by the same power of two. */
  fScaled: number;
  srScaled: number;
  len: number;
  nFft: number;
  sparsity: number;
  time: TimeFilter;
  row: SparseRow;
}

/**
 * The previous call's rows by scaled frequency. An octave's filters at half
 * the rate are the octave above's with f and sr halved: the same samples to
 * the bit, and the same frequency-domain row when the length (which depends
 * on the bandwidth, rounded differently per octave) matches too.
 */
let previousRows = new Map<number, RowEntry>();

/** The filters' transforms by size (4 MB of tables at most per thread). */
const ffts = new BoundedCache<number, ComplexFft>(4 * 2 ** 20);

let frame = new Float64Array(0);
let spectrum = new Float64Array(0);
let magnitude = new Float64Array(0);

onClearCaches(() => {
  previousRows = new Map();
  frame = spectrum = magnitude = new Float64Array(0);
});

/** Results of recent calls by their arguments (8 MB at most per thread, least recently used out first; chroma_cqt's default bases take 226 KB). */
const memo = new BoundedCache<string, FilterBasis>(8 * 2 ** 20);

const timeFilter = (window: WindowName, n: number, start: number, f: number, sr: number, norm: number | null): TimeFilter => {
  const w = getWindow(window, n, true);
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  if (magnitude.length < n) magnitude = new Float64Array(n);
  const mag = magnitude;
  for (let i = 0; i < n; i++) {
    const angle = ((((start + i) * 2) * Math.PI) * f) / sr;
    const x = Math.cos(angle) * w[i]!;
    const y = Math.sin(angle) * w[i]!;
    re[i] = x;
    im[i] = y;
    mag[i] = hypot2(x, y);
  }
  let invNorm = 1;
  if (norm !== null) {
    const length = normLength(mag, n, norm);
    if (!(length < TINY_FLOAT64)) invNorm = 1 / length;
  }
  return { re, im, invNorm };
};

/**
 * `__vqt_filter_fft(sr, freqs, filter_scale, norm, sparsity, window)` with
 * gamma = 0: each filter `e^{2 pi i f t / sr} w(t)`, t in
 * [floor(-len/2), floor(len/2)), normalised by `norm`, centred in nFft
 * samples, scaled by len / nFft, Fourier transformed, cut to the
 * non-negative frequencies and sparsified.
 *
 * Recent results are kept (see `memo`) and returned again for the same
 * arguments: treat them as read-only.
 */
export const filterBasis = (
  sr: number,
  freqs: Float64Array,
  alpha: Float64Array,
  filterScale: number,
  norm: number | null,
  sparsity: number,
  window: WindowName,
): FilterBasis => {
  const windowKey = JSON.stringify(window);
  // Number to string is exact (the shortest text that reads back as the same double).
  const memoKey = `${sr} ${filterScale} ${norm} ${sparsity} ${windowKey} ${freqs.join(",")} ${alpha.join(",")}`;
  const known = memo.get(memoKey);
  if (known !== undefined) return known;
  const { lengths } = waveletLengths(freqs, alpha, sr, filterScale, windowBandwidth(window));
  let maxLength = 0;
  for (const l of lengths) maxLength = Math.max(maxLength, l);
  const nFft = Math.trunc(2.0 ** Math.ceil(Math.log2(maxLength)));
  const nCols = Math.floor(nFft / 2) + 1;
  for (const len of lengths) {
    const n = Math.floor(len / 2) - Math.floor(-len / 2);
    if (Math.floor((nFft - n) / 2) < 0) throw new ParameterError(`Target size (${nFft}) must be at least input size (${n})`);
  }
  if (!(sparsity >= 0 && sparsity < 1)) throw new ParameterError(`Invalid quantile ${sparsity.toFixed(2)}`);
  if (frame.length < 2 * nFft) {
    frame = new Float64Array(2 * nFft);
    spectrum = new Float64Array(2 * nFft);
  }
  const fft = ffts.getOrCreate(nFft, () => createComplexFft(nFft));
  const rateScale = 2 ** -Math.floor(Math.log2(sr));
  const current = new Map<number, RowEntry>();
  const rows: SparseRow[] = [];
  for (let k = 0; k < freqs.length; k++) {
    const len = lengths[k]!;
    const start = Math.floor(-len / 2);
    const n = Math.floor(len / 2) - start;
    const f = freqs[k]!;
    const fScaled = f * rateScale;
    const srScaled = sr * rateScale;
    const before = previousRows.get(fScaled);
    const sameTime =
      before !== undefined && before.srScaled === srScaled && before.n === n && before.start === start &&
      before.norm === norm && before.windowKey === windowKey;
    const time = sameTime ? before.time : timeFilter(window, n, start, f, sr, norm);
    let row: SparseRow;
    if (sameTime && before.len === len && before.nFft === nFft && before.sparsity === sparsity) {
      row = before.row;
    } else {
      const scale = time.invNorm * (len / nFft);
      const left = Math.floor((nFft - n) / 2);
      frame.fill(0, 0, 2 * nFft);
      const { re, im } = time;
      for (let i = 0; i < n; i++) {
        frame[2 * (left + i)] = re[i]! * scale;
        frame[2 * (left + i) + 1] = im[i]! * scale;
      }
      fft.forward(frame, 0, spectrum);
      row = sparsifyRow(spectrum, 0, nCols, sparsity);
    }
    current.set(fScaled, { windowKey, norm, n, start, fScaled, srScaled, len, nFft, sparsity, time, row });
    rows.push(row);
  }
  previousRows = current;
  const result: FilterBasis = Object.freeze({ nFft, basis: Object.freeze(stackRows(rows, nCols)) });
  memo.set(memoKey, result);
  return result;
};

/** numpy's round-half-to-even. */
const roundHalfEven = (x: number): number => {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
};

/**
 * `filters.cq_to_chroma(nInput, bins_per_octave, n_chroma, fmin, window)`:
 * the (nChroma, nInput) matrix folding CQT bins onto pitch classes, C first.
 * `window` (optional) is convolved along the CQT axis, as scipy's
 * `convolve(..., mode="same")` does.
 */
export const cqToChroma = (
  nInput: number,
  binsPerOctave: number,
  nChroma: number,
  fmin: number,
  window: Float64Array | null,
): Float64Array => {
  const nMerge = binsPerOctave / nChroma;
  if (nMerge % 1 !== 0) throw new ParameterError("Incompatible CQ merge: input bins must be an integer multiple of output bins.");
  const half = Math.floor(nMerge / 2);
  const midi = 12 * (Math.log2(fmin) - Math.log2(440.0)) + 69;
  const midi0 = ((midi % 12) + 12) % 12;
  const roll = roundHalfEven(midi0 * (nChroma / 12.0));
  const out = new Float64Array(nChroma * nInput);
  for (let j = 0; j < nInput; j++) {
    const within = ((j % binsPerOctave) + half) % binsPerOctave;
    const c = (((Math.floor(within / nMerge) + roll) % nChroma) + nChroma) % nChroma;
    out[c * nInput + j] = 1;
  }
  if (!window || window.length === 0) return out;
  const w = window.length;
  const shift = Math.floor((w - 1) / 2);
  const convolved = new Float64Array(nChroma * nInput);
  for (let c = 0; c < nChroma; c++) {
    for (let j = 0; j < nInput; j++) {
      let s = 0;
      for (let m = 0; m < w; m++) {
        const i = j + shift - m;
        if (i >= 0 && i < nInput) s += out[c * nInput + i]! * window[m]!;
      }
      convolved[c * nInput + j] = s;
    }
  }
  return convolved;
};

/** numpy.remainder: the result has the sign of the divisor. */
const remainder = (x: number, n: number): number => {
  const m = x % n;
  return m !== 0 && m < 0 !== n < 0 ? m + n : m;
};

interface ChromaFilterbankParams {
  sr: number;
  nFft: number;
  nChroma: number;
  tuning: number;
  ctroct: number;
  /** null: no octave weighting. */
  octwidth: number | null;
  /** Norm of each frequency column (librosa's filters.chroma `norm`, 2). */
  norm: number | null;
  baseC: boolean;
  /** Round the weights to float32 (librosa's default dtype). */
  single: boolean;
}

/**
 * `filters.chroma(sr, n_fft, n_chroma, tuning, ctroct, octwidth, norm, base_c)`:
 * the (nChroma, 1 + nFft / 2) STFT-to-chroma filter bank, row-major.
 *
 * @see https://librosa.org/doc/0.11.0/generated/librosa.filters.chroma.html
 */
export const chromaFilterbank = (p: ChromaFilterbankParams): Float64Array =>
  chromaFilterbanks.getOrCreate(JSON.stringify([p.sr, p.nFft, p.nChroma, p.tuning, p.ctroct, p.octwidth, p.norm, p.baseC, p.single]), () => buildChromaFilterbank(p));

/**
 * Filter banks by settings and tuning (read only): chroma_stft estimates the tuning of
 * each clip, and clips of one recording share a few tunings (0.01 steps); a bank is
 * 12 x 1025 float64 (98 KB) at n_fft 2048, rebuilt in ~6 % of a 5 s clip's call (the dense
 * layouts chroma_stft makes of them live as long as they do, see feature/chromaStft.ts).
 */
const chromaFilterbanks = new BoundedCache<string, Float64Array>(2 * 2 ** 20);

const buildChromaFilterbank = (p: ChromaFilterbankParams): Float64Array => {
  const { nFft, nChroma } = p;
  // librosa builds all nFft columns and keeps the first 1 + nFft / 2; every column is
  // computed on its own (its frequency, its width, its own norm), so only those are built
  // here, plus the frequency of the next one, which the last kept column's width reads.
  const nOut = Math.floor(1 + nFft / 2);
  const nFreq = Math.min(nFft, nOut + 1);
  const frqbins = new Float64Array(nFreq);
  const a440 = 440.0 * 2.0 ** (p.tuning / nChroma);
  const step = p.sr / nFft;
  for (let i = 1; i < nFreq; i++) frqbins[i] = nChroma * Math.log2((i * step) / (a440 / 16));
  frqbins[0] = frqbins[1]! - 1.5 * nChroma;
  const half = roundHalfEven(nChroma / 2);
  const out = new Float64Array(nChroma * nOut);
  const column = new Float64Array(nChroma);
  const roll = p.baseC ? 3 * Math.floor(nChroma / 12) : 0;
  for (let i = 0; i < nOut; i++) {
    const width = i === nFft - 1 ? 1 : Math.max(frqbins[i + 1]! - frqbins[i]!, 1.0);
    // librosa: d_c = remainder(f - c + half + 10 nChroma, nChroma) - half for every chroma c.
    // With r = remainder(f + half + 10 nChroma, nChroma), those are d0 + j, d0 = r - floor(r) - half,
    // j = (floor(r) - c) mod nChroma: the same floats (each step is exact at these magnitudes)
    // from one floating-point remainder instead of nChroma. Their weights exp(a d^2),
    // a = -2 / width^2, ascending in j: exp(a d0^2) times the ratios exp(a (2 d + 1)), each
    // the previous one times exp(2 a): three exps instead of nChroma (relative error ~nChroma ulps).
    const r = remainder(frqbins[i]! + half + 10 * nChroma, nChroma);
    const top = Math.floor(r);
    const d0 = r - top - half;
    const a = -2 / (width * width);
    let value = Math.exp(a * d0 * d0);
    let ratio = Math.exp(a * (2 * d0 + 1));
    const growth = Math.exp(2 * a);
    for (let j = 0, c = top % nChroma; j < nChroma; j++) {
      column[c] = value;
      value *= ratio;
      ratio *= growth;
      c = c === 0 ? nChroma - 1 : c - 1;
    }
    let length = 1;
    if (p.norm !== null) {
      length = normLength(column, nChroma, p.norm);
      if (length < TINY_FLOAT64) length = 1;
    }
    const octave = p.octwidth === null ? 1 : Math.exp(-0.5 * ((frqbins[i]! / nChroma - p.ctroct) / p.octwidth) ** 2);
    for (let c = 0; c < nChroma; c++) {
      const v = (column[c]! / length) * octave;
      const target = c >= roll ? c - roll : c - roll + nChroma;
      out[target * nOut + i] = p.single ? Math.fround(v) : v;
    }
  }
  return out;
};
