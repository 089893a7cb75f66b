/**
 * Options objects: librosa's keyword arguments in camelCase, checked as the
 * Python shims check them, with librosa's messages (which name the parameters
 * as librosa does, in snake_case).
 */
import { audioToWire, type WireSignal } from "./arrays.js";
import { ParameterError, type NamedArray } from "./call.js";
import { UnsupportedParameter, warn } from "./errors.js";
import { pyRepr } from "./format.js";

/** Which librosa's behaviour to follow where 0.11 and 1.0 differ (README, "librosa 0.11 and 1.0"). */
export type LibrosaVersion = "0.11" | "1.0";

/** The option every function takes: the librosa semantics, 1.0 by default. */
export interface LibrosaOption {
  /** `"1.0"` (default) or `"0.11"`: whose behaviour to follow where the two differ. */
  librosa?: LibrosaVersion;
}

/** A window as librosa's `filters.get_window` takes it: a name, `[name, parameter]`, a Kaiser beta, an array or a function of the length. */
export type WindowSpec = string | readonly [string, number] | number | ArrayLike<number> | ((length: number) => ArrayLike<number>);

/** librosa's `util.is_positive_int` for a JS number. */
export const isPositiveInt = (x: unknown): x is number => typeof x === "number" && Number.isInteger(x) && x > 0;

/**
 * Fills `defaults` with `given`, rejecting keys `defaults` lacks with a
 * TypeError, as Python rejects an unexpected keyword argument.
 */
export const withDefaults = <T extends object>(fn: string, given: object | undefined, defaults: T): T => {
  if (given !== undefined && (given === null || typeof given !== "object")) {
    throw new TypeError(`${fn}() options must be an object, got ${pyRepr(given)}`);
  }
  const out = { ...defaults } as Record<string, unknown>;
  for (const [key, value] of Object.entries(given ?? {})) {
    if (!Object.hasOwn(defaults, key)) throw new TypeError(`${fn}() got an unexpected keyword argument '${key}'`);
    if (value !== undefined) out[key] = value;
  }
  return out as T;
};

export const librosaVersion = (v: unknown): LibrosaVersion => {
  if (v === "0.11" || v === "1.0") return v;
  throw new ParameterError(`librosa=${pyRepr(v)}: expected one of 0.11, 1.0`);
};

const KERNEL_WINDOWS = new Set([
  "hann", "han", "hamming", "hamm", "ham", "blackman", "black", "blk",
  "blackmanharris", "blackharr", "bkh", "nuttall", "nutl", "nut",
  "flattop", "flat", "flt", "boxcar", "box", "ones", "rect", "rectangular",
  "triang", "triangle", "tri", "bartlett", "bart", "brt", "cosine", "halfcosine",
]);
const KERNEL_WINDOWS_WITH_PARAM = new Set(["kaiser", "ksr"]);

const stripSuffix = (name: string): string => name.replace(/_(symmetric|periodic)$/, "");

/**
 * The shim's `window_request`: puts `window` into a request's params (by name)
 * or arrays (an explicit window of `winLength` samples).
 */
export const windowRequest = (
  window: WindowSpec,
  winLength: number,
  params: Record<string, unknown>,
  arrays: NamedArray[],
): void => {
  params.window = null;
  let explicit: Float64Array | null = null;
  if (typeof window === "function") {
    explicit = Float64Array.from(window(winLength));
  } else if (typeof window === "string") {
    if (!KERNEL_WINDOWS.has(stripSuffix(window))) {
      throw new UnsupportedParameter(
        `window=${pyRepr(window)} is not supported; the supported windows are ${[...KERNEL_WINDOWS, ...KERNEL_WINDOWS_WITH_PARAM].sort().join(", ")} (with _symmetric/_periodic), [name, parameter] for kaiser, or an explicit array`,
      );
    }
    params.window = window;
  } else if (typeof window === "number") {
    params.window = ["kaiser", window]; // scipy: a number is a Kaiser beta
  } else if (Array.isArray(window) && window.length === 2 && typeof window[0] === "string" && typeof window[1] === "number" && KERNEL_WINDOWS_WITH_PARAM.has(stripSuffix(window[0]))) {
    params.window = [window[0], window[1]];
  } else if (Array.isArray(window) && typeof window[0] === "string") {
    throw new UnsupportedParameter(`window=${pyRepr(window)} is not supported; of the windows with a parameter only kaiser is built`);
  } else if (window !== null && typeof window === "object" && typeof (window as ArrayLike<number>).length === "number") {
    const values = window as ArrayLike<number>;
    if (values.length !== winLength) throw new ParameterError(`Window size mismatch: ${values.length} != ${winLength}`);
    explicit = Float64Array.from(values);
  } else {
    throw new ParameterError(`Invalid window specification: ${pyRepr(window)}`);
  }
  if (explicit !== null) {
    if (explicit.length !== winLength) throw new ParameterError(`Window size mismatch: ${explicit.length} != ${winLength}`);
    arrays.push({ name: "window", dtype: "float64", shape: [winLength], data: explicit });
  }
};

const STFT_PAD_MODES = ["constant", "edge", "reflect", "symmetric"] as const;

/** An STFT request's parameters and arrays (the window, the signal), and the signal read from `y`. */
export interface StftRequest {
  params: Record<string, unknown>;
  arrays: NamedArray[];
  signal: WireSignal;
}

/**
 * The shim's `_stft_params`: librosa.stft's checks (in librosa's order, with its
 * messages), its short-input warning and defaults; the op's params, the window
 * and the signal `y` as arrays.
 */
export const stftRequest = (
  y: unknown,
  o: { nFft: unknown; hopLength: unknown; winLength: unknown; window: WindowSpec; center: unknown; padMode: unknown },
): StftRequest => {
  const winLength = o.winLength ?? o.nFft;
  let hopLength = o.hopLength;
  if (hopLength === null || hopLength === undefined) hopLength = typeof winLength === "number" ? Math.floor(winLength / 4) : winLength;
  else if (!isPositiveInt(hopLength)) throw new ParameterError(`hop_length=${pyRepr(hopLength)} must be a positive integer`);
  const signal = audioToWire(y);
  const length = signal.length;
  if (!isPositiveInt(o.nFft)) throw new ParameterError(`n_fft=${pyRepr(o.nFft)} must be a positive integer`);
  if (!isPositiveInt(winLength)) throw new ParameterError(`win_length=${pyRepr(winLength)} must be a positive integer`);
  if (winLength > o.nFft) throw new ParameterError(`Target size (${o.nFft}) must be at least input size (${winLength})`);
  if (!isPositiveInt(hopLength)) throw new ParameterError(`hop_length=${pyRepr(hopLength)} must be a positive integer`);
  const center = checkBool("center", o.center);
  if (center) {
    if (["wrap", "maximum", "mean", "median", "minimum"].includes(o.padMode as string)) {
      throw new ParameterError(`pad_mode='${String(o.padMode)}' is not supported by librosa.stft`);
    }
    if (!(STFT_PAD_MODES as readonly unknown[]).includes(o.padMode)) {
      throw new UnsupportedParameter(`pad_mode=${pyRepr(o.padMode)} is not supported; use one of ('constant', 'edge', 'reflect', 'symmetric')`);
    }
    if (o.nFft > length) warn(`n_fft=${o.nFft} is too large for input signal of length=${length}`);
  } else if (o.nFft > length) {
    throw new ParameterError(`n_fft=${o.nFft} is too large for uncentered analysis of input signal of length=${length}`);
  }
  const params: Record<string, unknown> = { n_fft: o.nFft, hop_length: hopLength, win_length: winLength, center, pad_mode: center ? o.padMode : "constant" };
  const arrays: NamedArray[] = [];
  windowRequest(o.window, winLength, params, arrays);
  arrays.push(signalArray(signal));
  return { params, arrays, signal };
};

/** The request array `y` of a signal. */
export const signalArray = (signal: WireSignal): NamedArray => ({
  name: "y",
  dtype: signal.double ? "float64" : "float32",
  shape: [signal.channels, signal.length],
  data: signal.data,
});

export const checkBool = (name: string, v: unknown): boolean => {
  if (typeof v !== "boolean") throw new TypeError(`${name}=${pyRepr(v)} must be a boolean`);
  return v;
};

/** A finite or infinite number option (NaN passes through where librosa lets it). */
export const checkNumber = (name: string, v: unknown): number => {
  if (typeof v !== "number") throw new TypeError(`${name}=${pyRepr(v)} must be a number`);
  return v;
};

export const optionalNumber = (name: string, v: unknown): number | null => (v === null || v === undefined ? null : checkNumber(name, v));

/** librosa's `util.normalize` norm as the shims send it: null or a number (`Infinity` for np.inf). */
export const normOption = (norm: unknown): number | null => {
  if (norm === null || norm === undefined) return null;
  if (typeof norm !== "number") throw new ParameterError(`Unsupported norm: ${pyRepr(norm)}`);
  return norm;
};

/** The `dtype` option of a complex result: given, or complex64 for float32 input, complex128 for float64. */
export const complexDtype = (dtype: unknown, double: boolean): "complex64" | "complex128" => {
  if (dtype === null || dtype === undefined) return double ? "complex128" : "complex64";
  if (dtype === "complex64" || dtype === "complex128") return dtype;
  throw new ParameterError(`dtype=${pyRepr(dtype)} must be 'complex64' or 'complex128'`);
};

/** The `dtype` option of a real result: given, or float32 for single-precision input, float64 for double. */
export const realDtype = (dtype: unknown, double: boolean): "float32" | "float64" => {
  if (dtype === null || dtype === undefined) return double ? "float64" : "float32";
  if (dtype === "float32" || dtype === "float64") return dtype;
  throw new ParameterError(`dtype=${pyRepr(dtype)} must be 'float32' or 'float64'`);
};
