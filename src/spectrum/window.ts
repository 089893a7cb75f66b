/**
 * Analysis windows as `scipy.signal.get_window(window, n, fftbins=True)` builds
 * them (the way librosa's `filters.get_window` calls it), plus librosa's
 * `util.pad_center`.
 *
 * The formulas follow scipy's own evaluation order (e.g. the cosine-sum windows
 * evaluate `sum_k a_k cos(k * fac)` over `fac = linspace(-pi, pi, M)`), so the
 * values agree with scipy's to the last bit or two.
 *
 * @see https://docs.scipy.org/doc/scipy/reference/generated/scipy.signal.get_window.html
 */
import { BoundedCache } from "../util/boundedCache.js";
import { ParameterError } from "../util/errors.js";

/** A window given by name (`"hann"`) or by name and parameters (`["kaiser", 4]`). */
export type WindowName = string | [string, ...number[]];

const COSINE_SUM: Record<string, readonly number[]> = {
  hann: [0.5, 0.5],
  hamming: [0.54, 0.46],
  blackman: [0.42, 0.5, 0.08],
  blackmanharris: [0.35875, 0.48829, 0.14128, 0.01168],
  nuttall: [0.3635819, 0.4891775, 0.1365995, 0.0106411],
  flattop: [0.21557895, 0.41663158, 0.277263158, 0.083578947, 0.006947368],
};

const ALIASES: Record<string, string> = {
  han: "hann",
  hann: "hann",
  hamm: "hamming",
  ham: "hamming",
  hamming: "hamming",
  black: "blackman",
  blk: "blackman",
  blackman: "blackman",
  blackharr: "blackmanharris",
  bkh: "blackmanharris",
  blackmanharris: "blackmanharris",
  nutl: "nuttall",
  nut: "nuttall",
  nuttall: "nuttall",
  flat: "flattop",
  flt: "flattop",
  flattop: "flattop",
  box: "boxcar",
  ones: "boxcar",
  rect: "boxcar",
  rectangular: "boxcar",
  boxcar: "boxcar",
  triangle: "triang",
  triang: "triang",
  tri: "triang",
  bartlett: "bartlett",
  bart: "bartlett",
  brt: "bartlett",
  cosine: "cosine",
  halfcosine: "cosine",
  kaiser: "kaiser",
  ksr: "kaiser",
};

/** Names (and aliases) this module builds; others must be sent as explicit arrays. */
export const supportedWindowNames = (): string[] => Object.keys(ALIASES).sort();

const stripSuffix = (name: string): { name: string; sym?: boolean } => {
  if (name.endsWith("_symmetric")) return { name: name.slice(0, -10), sym: true };
  if (name.endsWith("_periodic")) return { name: name.slice(0, -9), sym: false };
  return { name };
};

/** numpy.linspace(start, stop, num) with numpy's arithmetic (arange * step + start, exact last point). */
const linspace = (start: number, stop: number, num: number): Float64Array => {
  const out = new Float64Array(num);
  const div = num - 1;
  const step = (stop - start) / div;
  for (let i = 0; i < num; i++) out[i] = i * step + start;
  if (num > 1) out[num - 1] = stop;
  return out;
};

const cosineSum = (m: number, coefficients: readonly number[]): Float64Array => {
  const fac = linspace(-Math.PI, Math.PI, m);
  const w = new Float64Array(m);
  for (let k = 0; k < coefficients.length; k++) {
    const a = coefficients[k]!;
    for (let i = 0; i < m; i++) w[i] = w[i]! + a * Math.cos(k * fac[i]!);
  }
  return w;
};

const triang = (m: number): Float64Array => {
  const w = new Float64Array(m);
  const half = Math.floor((m + 1) / 2);
  for (let j = 0; j < half; j++) {
    const n = j + 1;
    const v = m % 2 === 0 ? (2 * n - 1.0) / m : (2 * n) / (m + 1.0);
    w[j] = v;
    w[m - 1 - j] = v;
  }
  return w;
};

const bartlett = (m: number): Float64Array => {
  const w = new Float64Array(m);
  for (let n = 0; n < m; n++) w[n] = n <= (m - 1) / 2.0 ? (2.0 * n) / (m - 1) : 2.0 - (2.0 * n) / (m - 1);
  return w;
};

const cosine = (m: number): Float64Array => {
  const w = new Float64Array(m);
  for (let n = 0; n < m; n++) w[n] = Math.sin((Math.PI / m) * (n + 0.5));
  return w;
};

/** Modified Bessel function of the first kind, order 0, by its power series (converges for all x). */
export const besselI0 = (x: number): number => {
  const q = (x * x) / 4;
  let term = 1;
  let sum = 1;
  for (let k = 1; k < 500; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
};

const kaiser = (m: number, beta: number): Float64Array => {
  const w = new Float64Array(m);
  const alpha = (m - 1) / 2.0;
  const denominator = besselI0(beta);
  for (let n = 0; n < m; n++) {
    const r = (n - alpha) / alpha;
    w[n] = besselI0(beta * Math.sqrt(1 - r * r)) / denominator;
  }
  return w;
};

/**
 * Builds the window `spec` of length `n`; `fftbins` true gives the periodic
 * (DFT-even) window, as librosa always asks for.
 *
 * @throws ParameterError for an unknown name or missing/extra parameters.
 */
export const getWindow = (spec: WindowName, n: number, fftbins = true): Float64Array => {
  if (!Number.isInteger(n) || n < 0) throw new ParameterError(`window length must be a non-negative integer, got ${n}`);
  const rawName = Array.isArray(spec) ? spec[0] : spec;
  const args = (Array.isArray(spec) ? spec.slice(1) : []) as number[];
  if (typeof rawName !== "string") throw new ParameterError(`Invalid window specification: ${JSON.stringify(spec)}`);
  const suffix = stripSuffix(rawName);
  const name = ALIASES[suffix.name];
  if (name === undefined) {
    throw new ParameterError(`Unsupported window '${rawName}'; supported: ${supportedWindowNames().join(", ")}`);
  }
  const needsArgs = name === "kaiser";
  if (needsArgs && (args.length !== 1 || typeof args[0] !== "number")) {
    throw new ParameterError(`'${name}' needs exactly one numeric parameter (beta), got ${JSON.stringify(args)}`);
  }
  if (!needsArgs && args.length > 0) throw new ParameterError(`'${name}' does not allow parameters, but window=${JSON.stringify(spec)}`);
  if (n <= 1) return new Float64Array(n).fill(1);
  const sym = suffix.sym ?? !fftbins;
  // A periodic window of length n is the symmetric one of length n + 1 without its last sample.
  const m = sym ? n : n + 1;
  let w: Float64Array;
  if (name in COSINE_SUM) w = cosineSum(m, COSINE_SUM[name]!);
  else if (name === "boxcar") w = new Float64Array(m).fill(1);
  else if (name === "triang") w = triang(m);
  else if (name === "bartlett") w = bartlett(m);
  else if (name === "cosine") w = cosine(m);
  else w = kaiser(m, args[0]!);
  return sym ? w : w.subarray(0, n).slice();
};

/**
 * librosa.util.pad_center: centre `data` in an array of length `size`
 * (left pad `(size - n) // 2`).
 *
 * @throws ParameterError when `size < data.length`.
 */
export const padCenter = (data: Float64Array, size: number): Float64Array => {
  const n = data.length;
  const left = Math.floor((size - n) / 2);
  if (left < 0) throw new ParameterError(`Target size (${size}) must be at least input size (${n})`);
  const out = new Float64Array(size);
  out.set(data, left);
  return out;
};

/** Named analysis windows by (name, winLength, nFft): every stft/istft/hpss call of the same settings reads one array. */
const namedWindows = new BoundedCache<string, Float64Array>(2 ** 20);

/**
 * The analysis window librosa's stft/istft use: `get_window(window, winLength,
 * fftbins=True)` centre-padded to `nFft`, or an explicit array of length
 * `winLength` centre-padded likewise. A named window is kept and shared by
 * every call of the same settings: callers read it, never write to it.
 */
export const fftWindow = (window: WindowName | Float64Array, winLength: number, nFft: number): Float64Array => {
  if (window instanceof Float64Array) {
    if (window.length !== winLength) throw new ParameterError(`Window size mismatch: ${window.length} != ${winLength}`);
    return padCenter(window, nFft);
  }
  const key = `${JSON.stringify(window)} ${winLength} ${nFft}`;
  return namedWindows.getOrCreate(key, () => padCenter(getWindow(window, winLength, true), nFft));
};
