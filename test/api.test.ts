/**
 * The JavaScript API (src/api) against librosa's numbers: the generated fixtures
 * (fixtures/spectrum, yin, cqt, hpss; librosa 0.11.0, so these calls pass
 * `librosa: "0.11"`), and, where fixtures exist only for the op (effects.hpss,
 * pyin, chroma_stft), against `callOp` with the parameters the Python shims send.
 * Also: ndarray inputs with leading axes and strided views, librosa's defaults,
 * and ParameterError (with librosa's messages) for bad input.
 */
import { readFileSync } from "node:fs";
import ndarray, { type NdArray } from "ndarray";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  callOp,
  chromaCqt,
  chromaStft,
  cqt,
  estimateTuning,
  harmonic,
  hpss,
  hpssSpectrogram,
  istft,
  ParameterError,
  percussive,
  pyin,
  setWarningHandler,
  stft,
  UnsupportedParameter,
  yin,
  type FloatData,
} from "../src/index.js";
import { caseArrays, FIXTURES, loadManifest, loadNpy, type FixtureCase } from "./helpers/fixtures.js";
import { parityMetrics } from "./helpers/metrics.js";

/** A .npy file as an ndarray, complex as a trailing axis of 2, Fortran order as strides. */
const loadNd = (path: string): NdArray<FloatData> => {
  const bytes = readFileSync(`${FIXTURES}${path}`);
  const headerLength = bytes.readUInt16LE(8);
  const header = bytes.subarray(10, 10 + headerLength).toString("latin1");
  const descr = /'descr': '([^']+)'/.exec(header)![1]!;
  const fortran = /'fortran_order': True/.test(header);
  const shape = /'shape': \(([^)]*)\)/.exec(header)![1]!.split(",").filter((s) => s.trim()).map(Number);
  const body = bytes.subarray(10 + headerLength);
  const buffer = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength);
  const data = descr === "<f4" || descr === "<c8" ? new Float32Array(buffer) : new Float64Array(buffer);
  const complex = descr.startsWith("<c");
  const order = fortran ? [...shape.keys()] : [...shape.keys()].reverse();
  const stride = new Array<number>(shape.length);
  let step = complex ? 2 : 1;
  for (const axis of order) {
    stride[axis] = step;
    step *= shape[axis]!;
  }
  return complex ? ndarray(data, [...shape, 2], [...stride, 1]) : ndarray(data, shape, stride);
};

/** Every element of `a` in C order (a fresh array; `a` may be any strided view). */
const cOrder = (a: NdArray<FloatData | Uint8Array>): Float64Array => {
  const out = new Float64Array(a.size);
  const index = new Array<number>(a.dimension).fill(0);
  for (let k = 0; k < a.size; k++) {
    out[k] = a.get(...index) as number;
    for (let d = a.dimension - 1; d >= 0; d--) {
      if (++index[d]! < a.shape[d]!) break;
      index[d] = 0;
    }
  }
  return out;
};

/** A wire spectrum (frames, bins, channels[, 2]) as librosa's (channels..., bins, frames[, 2]) in C order. */
const librosaOrder = (wire: ArrayLike<number>, frames: number, bins: number, channels: number, complex: boolean): Float64Array => {
  const w = complex ? 2 : 1;
  return cOrder(ndarray(wire as Float64Array, [channels, bins, frames, ...(complex ? [2] : [])], [w, channels * w, bins * channels * w, ...(complex ? [1] : [])]));
};

/** A flat (channels, n) array as an ndarray of shape `shape`. */
const shaped = (data: FloatData, shape: number[]): NdArray<FloatData> => ndarray(data, shape);

/** The same values in a non-contiguous view: stored transposed, read back through strides. */
const stridedCopy = (a: NdArray<FloatData>): NdArray<FloatData> => {
  const flat = cOrder(a);
  const n = a.shape[a.dimension - 1]!;
  const rows = flat.length / n;
  const store = a.data instanceof Float32Array ? new Float32Array(flat.length) : new Float64Array(flat.length);
  for (let r = 0; r < rows; r++) for (let i = 0; i < n; i++) store[i * rows + r] = flat[r * n + i]!;
  const stride = a.shape.map((_, d) => (d === a.dimension - 1 ? rows : a.shape.slice(d + 1, -1).reduce((x, y) => x * y, 1)));
  const view = ndarray(store, a.shape, stride);
  expect(cOrder(view)).toEqual(flat);
  return view;
};

const within = (ours: ArrayLike<number>, ref: ArrayLike<number>, tolerance: number, complex = false): void => {
  const m = parityMetrics(ours, ref, complex);
  expect(m.relL2).toBeLessThanOrEqual(tolerance);
  expect(m.scaledMax).toBeLessThanOrEqual(tolerance);
};

const sameBits = (a: ArrayLike<number>, b: ArrayLike<number>): void => {
  expect(a.length).toBe(b.length);
  let mismatches = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) mismatches++;
  expect(mismatches).toBe(0);
};

/** A test signal: a few partials and a click train, (channels, n). */
const tones = (channels: number, n: number, double: boolean, sr = 22050): FloatData => {
  const data = double ? new Float64Array(channels * n) : new Float32Array(channels * n);
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < n; i++) {
      const t = i / sr;
      data[c * n + i] = 0.4 * Math.sin(2 * Math.PI * (220 + 30 * c) * t) + 0.2 * Math.sin(2 * Math.PI * 661 * t) + (i % 2000 === 7 ? 0.8 : 0);
    }
  }
  return data;
};

let warnings: string[] = [];
beforeEach(() => {
  warnings = [];
  setWarningHandler((message) => warnings.push(message));
});
afterEach(() => {
  setWarningHandler(null);
});

const spectrumCases = loadManifest("spectrum");

/** A case's stft parameters as options; an explicit window array (params.window null) as its values. */
const stftOptions = (c: FixtureCase) => ({
  nFft: c.params.n_fft as number,
  hopLength: c.params.hop_length as number,
  winLength: c.params.win_length as number,
  center: c.params.center as boolean,
  padMode: c.params.pad_mode as string,
  window: c.arrays.window ? loadNpy("spectrum", c.arrays.window).data : (c.params.window as string | [string, number]),
  librosa: "0.11" as const,
});

/** The signal of a case as an ndarray (..., n): one channel as 1-D, "batched" (6, n) as (3, 2, n). */
const caseSignal = (group: string, c: FixtureCase): { y: NdArray<FloatData>; lead: number[] } => {
  const { data, shape } = loadNpy(group, c.arrays.y!);
  const [channels, n] = shape as [number, number];
  const lead = channels === 1 ? [] : channels === 6 ? [3, 2] : [channels];
  return { y: shaped(data, [...lead, n]), lead };
};

describe("stft against librosa (fixtures/spectrum)", () => {
  it.each(spectrumCases.filter((c) => c.op === "stft").map((c) => [c.label, c] as const))("%s", async (_label, c) => {
    const { y, lead } = caseSignal("spectrum", c);
    const D = await stft(y, { ...stftOptions(c), dtype: c.params.dtype as "complex64" | "complex128" });
    const [frames, bins, channels] = c.shape as [number, number, number];
    expect(D.shape).toEqual([...lead, bins, frames, 2]);
    const expected = loadNpy("spectrum", c.expected);
    expect(D.data instanceof Float32Array).toBe(expected.data instanceof Float32Array);
    const ours = cOrder(D);
    within(ours, librosaOrder(expected.data, frames, bins, channels, true), expected.data instanceof Float32Array ? 1e-4 : 1e-6, true);
    // the op the Python shim calls, with the shim's parameters: the same bits
    const arrays = caseArrays("spectrum", c);
    const op = await callOp("stft", { ...c.params, librosa: "0.11" }, arrays);
    sameBits(ours, librosaOrder(op.arrays[0]!.data as FloatData, frames, bins, channels, true));
  });

  it("reads a strided (non-contiguous) ndarray as its C-order copy", async () => {
    const y = shaped(tones(2, 3000, true), [2, 3000]);
    const view = stridedCopy(y);
    sameBits(cOrder(await stft(view, { nFft: 512 })), cOrder(await stft(y, { nFft: 512 })));
    // a view with an offset and a step: every other sample of channel 1
    const picked = y.pick(1, null).step(2);
    const copy = Float64Array.from({ length: 1500 }, (_, i) => y.get(1, 2 * i));
    sameBits(cOrder(await stft(picked, { nFft: 256 })), cOrder(await stft(copy, { nFft: 256 })));
    // a negative stride: channel 0 reversed
    const reversed = y.pick(0, null).step(-1);
    const reversedCopy = Float64Array.from({ length: 3000 }, (_, i) => y.get(0, 2999 - i));
    sameBits(cOrder(await stft(reversed, { nFft: 256 })), cOrder(await stft(reversedCopy, { nFft: 256 })));
  });

  it("keeps leading axes: (3, 2, n) gives (3, 2, bins, frames, 2), channel by channel", async () => {
    const data = tones(6, 1200, false);
    const D = await stft(shaped(data, [3, 2, 1200]), { nFft: 256, hopLength: 100 });
    expect(D.shape).toEqual([3, 2, 129, 13, 2]);
    const one = await stft(data.subarray(4 * 1200, 5 * 1200), { nFft: 256, hopLength: 100 });
    sameBits(cOrder(D.pick(2, 0)), cOrder(one));
  });
});

describe("istft against librosa (fixtures/spectrum)", () => {
  it.each(spectrumCases.filter((c) => c.op === "istft").map((c) => [c.label, c] as const))("%s", async (_label, c) => {
    const wire = loadNd(`spectrum/${c.arrays.stft_matrix}`); // (frames, bins, channels, 2)
    const [frames, bins, channels] = wire.shape as [number, number, number];
    const lead = channels === 1 ? [] : [channels];
    // librosa's (..., bins, frames, 2) view of the wire data
    const S = channels === 1 ? wire.pick(null, null, 0, null).transpose(1, 0, 2) : wire.transpose(2, 1, 0, 3);
    const p = c.params;
    const y = await istft(S, {
      nFft: p.n_fft as number,
      hopLength: p.hop_length as number,
      winLength: p.win_length as number,
      center: p.center as boolean,
      window: p.window as string,
      length: p.length as number | null,
      dtype: p.dtype as "float32" | "float64",
      librosa: "0.11",
    });
    expect(y.shape).toEqual([...lead, c.shape[1]!]);
    const expected = loadNpy("spectrum", c.expected).data;
    const ours = cOrder(y);
    const single = expected instanceof Float32Array;
    expect(y.data instanceof Float32Array).toBe(single);
    if (!single || c.reference64 === undefined || parityMetrics(expected, loadNpy("spectrum", c.reference64).data).scaledMax <= 1e-4) {
      within(ours, expected, single ? 1e-4 : 1e-6);
    } else {
      // as test/spectrum.test.ts: where librosa's float32 answer is off its own float64 one, we meet the float64 one
      within(ours, loadNpy("spectrum", c.reference64).data, 1e-6);
    }
    const op = await callOp("istft", { ...p, librosa: "0.11" }, [{ name: "stft_matrix", dtype: single ? "complex64" : "complex128", shape: [frames, bins, channels], data: wire.data }]);
    sameBits(ours, op.arrays[0]!.data as FloatData);
  });

  it("inverts stft's result without a copy and recovers the signal", async () => {
    const y = tones(2, 4000, true);
    const D = await stft(shaped(y, [2, 4000]), { nFft: 512 });
    const back = await istft(D, { length: 4000 });
    expect(back.shape).toEqual([2, 4000]);
    const err = cOrder(back).reduce((m, v, i) => Math.max(m, Math.abs(v - y[i]!)), 0);
    expect(err).toBeLessThan(1e-12);
    // a strided copy of D (C order, not stft's layout) gives the same bits
    sameBits(cOrder(await istft(ndarray(cOrder(D), D.shape), { length: 4000 })), cOrder(back));
  });
});

describe("hpssSpectrogram against librosa.decompose.hpss (fixtures/hpss)", () => {
  const cases = (JSON.parse(readFileSync(`${FIXTURES}hpss/cases.json`, "utf8")) as {
    hpss: { kernel_size: number | [number, number]; margin: number | [number, number]; power: number | "inf"; mask: boolean }[];
  }).hpss;
  for (const precision of ["float32", "float64"] as const) {
    const tolerance = precision === "float32" ? 1e-4 : 1e-6;
    it.each(cases.map((c, k) => [JSON.stringify(c), c, k] as const))(`${precision} %s`, async (_label, c, k) => {
      const S = loadNd(`hpss/hpss_${precision}_S.npy`); // (17, 41, 2), Fortran order: a strided view
      const power = c.power === "inf" ? Infinity : c.power;
      const [H, P] = await hpssSpectrogram(S, { kernelSize: c.kernel_size, margin: c.margin, power, mask: c.mask, librosa: "0.11" });
      const expected = loadNd(`hpss/hpss_${precision}_${k}.npy`); // (2, 17, 41[, 2])
      const [nFreq, nTime] = S.shape as [number, number];
      expect(H.shape).toEqual(c.mask ? [nFreq, nTime] : [nFreq, nTime, 2]);
      if (c.mask && power === Infinity) expect(H.data).toBeInstanceOf(Uint8Array);
      else expect(H.data).toBeInstanceOf(precision === "float32" ? Float32Array : Float64Array);
      for (const [part, got] of [[0, H], [1, P]] as const) {
        const ref = cOrder(expected.pick(part));
        const ours = cOrder(got as NdArray<FloatData>);
        if (c.mask) expect(ours.reduce((m, v, i) => Math.max(m, Math.abs(v - ref[i]!)), 0)).toBeLessThanOrEqual(tolerance);
        else within(ours, ref, tolerance, true);
      }
    });

    it(`${precision}: a real S (magnitudes) gives real parts`, async () => {
      const mag = loadNd(`hpss/hpss_${precision}_mag.npy`);
      const expected = loadNd(`hpss/hpss_${precision}_mag_out.npy`);
      const [H, P] = await hpssSpectrogram(mag, { kernelSize: [31, 7], power: 2, margin: [1.5, 3], librosa: "0.11" });
      expect(H.shape).toEqual(mag.shape);
      within(cOrder(H as NdArray<FloatData>), cOrder(expected.pick(0)), tolerance);
      within(cOrder(P as NdArray<FloatData>), cOrder(expected.pick(1)), tolerance);
    });
  }

  it("takes leading axes, and a real S whose last axis has length 2 with complex: false", async () => {
    const S = loadNd("hpss/hpss_float64_S.npy");
    const one = await hpssSpectrogram(S);
    const stacked = new Float64Array(2 * S.size);
    stacked.set(cOrder(S));
    stacked.set(cOrder(S), S.size);
    const [H2] = await hpssSpectrogram(ndarray(stacked, [2, ...S.shape]));
    expect(H2.shape).toEqual([2, 17, 41, 2]);
    sameBits(cOrder(H2.pick(1) as NdArray<FloatData>), cOrder(one[0] as NdArray<FloatData>));
    const real = ndarray(Float64Array.from({ length: 40 }, (_, i) => (i * 7) % 5), [20, 2]);
    const [Hr] = await hpssSpectrogram(real, { kernelSize: 3, complex: false });
    expect(Hr.shape).toEqual([20, 2]);
  });
});

describe("effects: hpss, harmonic, percussive (against the op, and H + P = y)", () => {
  it("hpss gives what the effects.hpss op gives the Python shim, per channel of a (2, n) ndarray", async () => {
    const y = tones(2, 9000, false);
    const [H, P] = await hpss(shaped(y, [2, 9000]), { kernelSize: [17, 31], margin: 2, librosa: "0.11" });
    expect(H.shape).toEqual([2, 9000]);
    expect(H.data).toBeInstanceOf(Float32Array);
    const params = { n_fft: 2048, hop_length: 512, win_length: 2048, center: true, pad_mode: "constant", window: "hann", win_harm: 17, win_perc: 31, power: 2, margin_harm: 2, margin_perc: 2, mask: false, which: "both", librosa: "0.11" };
    const op = await callOp("effects.hpss", params, [{ name: "y", dtype: "float32", shape: [2, 9000], data: y }]);
    sameBits(cOrder(H), op.arrays[0]!.data as Float32Array);
    sameBits(cOrder(P), op.arrays[1]!.data as Float32Array);
    sameBits(cOrder(await harmonic(shaped(y, [2, 9000]), { kernelSize: [17, 31], margin: 2, librosa: "0.11" })), cOrder(H));
    sameBits(cOrder(await percussive(shaped(y, [2, 9000]), { kernelSize: [17, 31], margin: 2, librosa: "0.11" })), cOrder(P));
  });

  it("with librosa 1.0's complementary masks, harmonic + percussive is the signal", async () => {
    const y = tones(1, 12000, true);
    const [H, P] = await hpss(y);
    let err = 0;
    for (let i = 0; i < y.length; i++) err = Math.max(err, Math.abs(H.get(i) + P.get(i) - y[i]!));
    expect(err).toBeLessThan(1e-9);
    // the harmonic part keeps the tones, the percussive one the clicks
    const energy = (a: NdArray<FloatData>) => cOrder(a).reduce((s, v) => s + v * v, 0);
    expect(energy(H)).toBeGreaterThan(energy(P));
  });

  it("uses the window under librosa 1.0 and Hann under 0.11, as librosa does", async () => {
    const y = tones(1, 6000, true);
    const hann = await harmonic(y);
    const hamming10 = await harmonic(y, { window: "hamming" });
    const hamming011 = await harmonic(y, { window: "hamming", librosa: "0.11" });
    const hann011 = await harmonic(y, { librosa: "0.11" });
    expect(cOrder(hamming10)).not.toEqual(cOrder(hann));
    sameBits(cOrder(hamming011), cOrder(hann011));
  });
});

describe("yin against librosa (fixtures/yin)", () => {
  it.each(loadManifest("yin").map((c) => [c.label, c] as const))("%s", async (_label, c) => {
    const { y, lead } = caseSignal("yin", c);
    const p = c.params;
    const f0 = await yin(y, {
      fmin: p.fmin as number,
      fmax: p.fmax as number,
      sr: p.sr as number,
      frameLength: p.frame_length as number,
      hopLength: p.hop_length as number,
      troughThreshold: p.trough_threshold as number,
      center: p.center as boolean,
      padMode: p.pad_mode as string,
      librosa: "0.11",
    });
    expect(f0.shape).toEqual([...lead, c.shape[1]!]);
    expect(f0.data).toBeInstanceOf(Float64Array);
    const expected = loadNpy("yin", c.expected).data;
    const errors = Array.from(expected, (r, i) => Math.abs(f0.data[i]! - r) / Math.abs(r));
    if (c.reference64 === undefined) expect(Math.max(...errors)).toBeLessThanOrEqual(1e-6);
    else expect(errors.filter((e) => e <= 1e-4).length / errors.length).toBeGreaterThanOrEqual(0.999);
  });
});

describe("pyin (against the op the shim calls, and a known pitch)", () => {
  it("maps the op's states to librosa's f0 grid, voicing and probabilities", async () => {
    const sr = 22050;
    const y = Float64Array.from({ length: sr }, (_, i) => (i < sr / 2 ? 0.5 * Math.sin((2 * Math.PI * 330 * i) / sr) : 0.01 * Math.sin(i * i * 0.001)));
    const [f0, voiced, prob] = await pyin(y, { fmin: 65.4, fmax: 2093, sr });
    expect(f0.shape).toEqual([44]);
    expect(voiced.data).toBeInstanceOf(Uint8Array);
    const params = { sr, fmin: 65.4, fmax: 2093, frame_length: 2048, hop_length: 512, center: true, pad_mode: "constant", n_thresholds: 100, beta_parameters: [2, 18], boltzmann_parameter: 2, resolution: 0.1, max_transition_rate: 35.92, switch_prob: 0.01, no_trough_prob: 0.01, transition_min_prob: 1e-4, librosa: "1.0" };
    const op = await callOp("pyin", params, [{ name: "y", dtype: "float64", shape: [1, sr], data: y }]);
    const states = op.arrays.find((a) => a.name === "states")!.data as Int32Array;
    sameBits(prob.data, op.arrays.find((a) => a.name === "voiced_prob")!.data as Float64Array);
    // librosa: n_pitch_bins = floor(12 * 10 * log2(fmax / fmin)) + 1 = 601
    for (let t = 0; t < 44; t++) {
      expect(voiced.get(t)).toBe(states[t]! < 601 ? 1 : 0);
      if (voiced.get(t)) expect(f0.get(t)).toBeCloseTo(65.4 * 2 ** (states[t]! / 120), 9);
      else expect(f0.get(t)).toBeNaN();
    }
    // the tone: voiced at 330 Hz within one pitch bin (0.1 semitone)
    for (let t = 3; t < 18; t++) {
      expect(voiced.get(t)).toBe(1);
      expect(Math.abs(12 * Math.log2(f0.get(t) / 330))).toBeLessThan(0.1);
    }
    const [best] = await pyin(y, { fmin: 65.4, fmax: 2093, sr, fillNa: null });
    for (let t = 0; t < 44; t++) expect(Number.isFinite(best.get(t))).toBe(true);
  });

  it("follows librosa 0.11 (no transition_min_prob, exact search) when asked", async () => {
    const sr = 16000;
    const y = shaped(tones(2, 8000, false, sr), [2, 8000]);
    const [f0] = await pyin(y, { fmin: 100, fmax: 1000, sr, frameLength: 1024, librosa: "0.11" });
    expect(f0.shape).toEqual([2, 32]);
    const params = { sr, fmin: 100, fmax: 1000, frame_length: 1024, hop_length: 256, center: true, pad_mode: "constant", n_thresholds: 100, beta_parameters: [2, 18], boltzmann_parameter: 2, resolution: 0.1, max_transition_rate: 35.92, switch_prob: 0.01, no_trough_prob: 0.01, transition_min_prob: null, librosa: "0.11" };
    const op = await callOp("pyin", params, [{ name: "y", dtype: "float32", shape: [2, 8000], data: y.data }]);
    const states = op.arrays.find((a) => a.name === "states")!.data as Int32Array;
    const voicedStates = [...states].map((s) => (s < 400 ? 1 : 0));
    expect([...cOrder(f0)].map((v) => (Number.isNaN(v) ? 0 : 1))).toEqual(voicedStates);
    await expect(pyin(y, { fmin: 100, fmax: 1000, sr, transitionMinProb: 0.1, librosa: "0.11" })).rejects.toThrow(TypeError);
  });
});

const cqtCases = loadManifest("cqt");

describe("cqt, chromaCqt and estimateTuning against librosa (fixtures/cqt)", () => {
  it.each(cqtCases.map((c) => [`${c.op} ${c.label}`, c] as const))("%s", async (_label, c) => {
    const { y } = caseSignal("cqt", c);
    const p = c.params;
    if (c.op === "estimate_tuning") {
      const tuning = await estimateTuning({ y, sr: p.sr as number, resolution: p.resolution as number, binsPerOctave: p.bins_per_octave as number, librosa: "0.11" });
      expect(tuning).toBe((c as unknown as { value: number }).value);
      return;
    }
    const expected = loadNpy("cqt", c.expected);
    const [frames, bins] = c.shape as [number, number, number];
    if (c.op === "cqt") {
      const C = await cqt(y, { sr: p.sr as number, nBins: p.n_bins as number, binsPerOctave: p.bins_per_octave as number, tuning: null, librosa: "0.11" });
      expect(C.shape).toEqual([bins, frames, 2]);
      expect(C.data instanceof Float32Array).toBe(y.data instanceof Float32Array);
      const magnitude = (a: ArrayLike<number>) => Float64Array.from({ length: a.length / 2 }, (_, i) => Math.hypot(a[2 * i]!, a[2 * i + 1]!));
      within(magnitude(cOrder(C)), magnitude(librosaOrder(expected.data, frames, bins, 1, true)), 1e-4);
      return;
    }
    const chroma = await chromaCqt({ y, sr: p.sr as number, librosa: "0.11" });
    expect(chroma.shape).toEqual([bins, frames]);
    const ref = librosaOrder(expected.data, frames, bins, 1, false);
    expect(cOrder(chroma).reduce((m, v, i) => Math.max(m, Math.abs(v - ref[i]!)), 0)).toBeLessThanOrEqual(1e-4);
  });

  it("chromaCqt of a precomputed |C| with leading axes gives the chroma of each channel", async () => {
    const y = tones(2, 11025, true);
    const C = await cqt(shaped(y, [2, 11025]), { nBins: 84, binsPerOctave: 12 });
    const mag = ndarray(new Float64Array(C.size / 2), C.shape.slice(0, -1));
    for (let c = 0; c < 2; c++) for (let f = 0; f < 84; f++) for (let t = 0; t < C.shape[2]!; t++) mag.set(c, f, t, Math.hypot(C.get(c, f, t, 0), C.get(c, f, t, 1)));
    const chroma = await chromaCqt({ C: mag, binsPerOctave: 12 });
    expect(chroma.shape).toEqual([2, 12, C.shape[2]!]);
    const one = await chromaCqt({ C: mag.pick(1, null, null), binsPerOctave: 12 });
    sameBits(cOrder(chroma.pick(1, null, null)), cOrder(one));
  });
});

describe("chromaStft (against the op the shim calls)", () => {
  it("y of shape (2, n) and S give the op's chroma with the shim's parameters", async () => {
    const y = tones(2, 16000, false);
    const chroma = await chromaStft({ y: shaped(y, [2, 16000]) });
    expect(chroma.shape).toEqual([2, 12, 32]);
    expect(chroma.data).toBeInstanceOf(Float32Array);
    const params = { sr: 22050, norm: Infinity, tuning: null, n_chroma: 12, ctroct: 5, octwidth: 2, base_c: true, fb_dtype: "float32", n_fft: 2048, hop_length: 512, win_length: 2048, center: true, pad_mode: "constant", window: "hann", dtype: "float32", librosa: "1.0" };
    const op = await callOp("chroma_stft", params, [{ name: "y", dtype: "float32", shape: [2, 16000], data: y }]);
    sameBits(cOrder(chroma), librosaOrder(op.arrays[0]!.data as Float32Array, 32, 12, 2, false));
    // from a power spectrogram: |stft|², float64 filter bank
    const D = await stft(y.subarray(0, 16000));
    const S = ndarray(new Float32Array(D.size / 2), D.shape.slice(0, -1));
    for (let f = 0; f < D.shape[0]!; f++) for (let t = 0; t < D.shape[1]!; t++) S.set(f, t, D.get(f, t, 0) ** 2 + D.get(f, t, 1) ** 2);
    const fromS = await chromaStft({ S, dtype: "float64" });
    expect(fromS.shape).toEqual([12, 32]);
    expect(fromS.data).toBeInstanceOf(Float64Array);
    const sParams = { sr: 22050, norm: Infinity, tuning: null, n_chroma: 12, ctroct: 5, octwidth: 2, base_c: true, fb_dtype: "float64", n_fft: 2048, dtype: "float64", librosa: "1.0" };
    const opS = await callOp("chroma_stft", sParams, [{ name: "S", dtype: "float32", shape: [1, 1025, 32], data: Float32Array.from(cOrder(S)) }]);
    sameBits(cOrder(fromS), librosaOrder(opS.arrays[0]!.data as Float64Array, 32, 12, 1, false));
  });
});

describe("librosa's defaults", () => {
  const y = tones(1, 6000, false);
  const arrays = [{ name: "y", dtype: "float32" as const, shape: [1, 6000], data: y }];

  it("stft: n_fft 2048, hop win_length // 4, Hann, centred with zeros, complex64 for float32", async () => {
    const op = await callOp("stft", { n_fft: 2048, hop_length: 512, win_length: 2048, center: true, pad_mode: "constant", window: "hann", dtype: "complex64", librosa: "1.0" }, arrays);
    const D = await stft(y);
    expect(D.shape).toEqual([1025, 12, 2]);
    sameBits(D.data, op.arrays[0]!.data as Float32Array);
    const hop = await stft(y, { winLength: 1000 });
    expect(hop.shape).toEqual([1025, 25, 2]); // hop 250
  });

  it("yin: sr 22050, frame_length 2048, hop frame_length // 4, threshold 0.1", async () => {
    const op = await callOp("yin", { sr: 22050, fmin: 80, fmax: 1000, frame_length: 2048, hop_length: 512, trough_threshold: 0.1, center: true, pad_mode: "constant", librosa: "1.0" }, arrays);
    sameBits((await yin(y, { fmin: 80, fmax: 1000 })).data, op.arrays[0]!.data as Float64Array);
  });

  it("cqt: 84 bins from C1, 12 per octave, hop 512, tuning 0", async () => {
    const op = await callOp("cqt", { sr: 22050, hop_length: 512, fmin: null, n_bins: 84, bins_per_octave: 12, tuning: 0, filter_scale: 1, norm: 1, sparsity: 0.01, window: "hann", scale: true, pad_mode: "constant", res_type: "soxr_hq", dtype: "complex64", librosa: "1.0" }, arrays);
    const C = await cqt(y);
    expect(C.shape).toEqual([84, 12, 2]);
    sameBits(C.data, op.arrays[0]!.data as Float32Array);
  });

  it("chromaCqt: 7 octaves of 36 bins, inf-norm, tuning estimated; estimateTuning: piptrack's defaults", async () => {
    const op = await callOp("chroma_cqt", { sr: 22050, hop_length: 512, fmin: null, norm: Infinity, threshold: 0, tuning: null, n_chroma: 12, n_octaves: 7, bins_per_octave: 36, dtype: "float32", librosa: "1.0" }, arrays);
    sameBits((await chromaCqt({ y })).data, op.arrays[0]!.data as Float32Array);
    const tuning = await callOp("estimate_tuning", { sr: 22050, resolution: 0.01, bins_per_octave: 12, fmin: 150, fmax: 4000, threshold: 0.1, ref: null, n_fft: 2048, hop_length: 512, win_length: 2048, center: true, pad_mode: "constant", window: "hann", librosa: "1.0" }, arrays);
    expect(await estimateTuning({ y })).toBe(tuning.meta!.tuning);
  });

  it("hpss: kernel 31, power 2, margin 1, librosa 1.0's window", async () => {
    const op = await callOp("effects.hpss", { n_fft: 2048, hop_length: 512, win_length: 2048, center: true, pad_mode: "constant", window: "hann", win_harm: 31, win_perc: 31, power: 2, margin_harm: 1, margin_perc: 1, mask: false, which: "both", librosa: "1.0" }, arrays);
    const [H, P] = await hpss(y);
    sameBits(H.data, op.arrays[0]!.data as Float32Array);
    sameBits(P.data, op.arrays[1]!.data as Float32Array);
  });
});

describe("errors as librosa raises them", () => {
  const y = tones(1, 4000, true);
  const rejects = async (call: Promise<unknown>, type: new (...a: never[]) => Error, message: string) => {
    const error = await call.then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(type);
    expect((error as Error).message).toBe(message);
  };

  it("audio: floating point, at least 1-D, finite", async () => {
    await rejects(stft(new Int16Array(10) as never), ParameterError, "Audio data must be a Float32Array, a Float64Array or an ndarray over one");
    await rejects(stft(ndarray(new Int16Array(10), [10]) as never), ParameterError, "Audio data must be floating-point");
    await rejects(stft(ndarray(new Float64Array(1), [])), ParameterError, "Audio data must be at least one-dimensional, given y.shape=()");
    await rejects(yin(Float64Array.of(0, NaN, 1), { fmin: 100, fmax: 1000 }), ParameterError, "Audio buffer is not finite everywhere");
    for (const bad of [Infinity, -Infinity, NaN]) {
      const y32 = new Float32Array(4096);
      y32[4095] = bad;
      await rejects(stft(y32), ParameterError, "Audio buffer is not finite everywhere");
      await rejects(cqt(ndarray(Float64Array.from(y32), [2, 2048]).pick(1, null)), ParameterError, "Audio buffer is not finite everywhere");
    }
    // One bad sample anywhere: each of the check's four sums, and its tail (4099 = 4 x 1024 + 3).
    for (const at of [0, 1, 2, 3, 2050, 4095, 4096, 4098]) {
      for (const y of [new Float32Array(4099), new Float64Array(4099)]) {
        y[at] = at % 2 === 0 ? NaN : -Infinity;
        await rejects(stft(y), ParameterError, "Audio buffer is not finite everywhere");
      }
    }
    // Finite extremes (largest magnitudes, subnormals, -0) pass.
    const extremes = Float64Array.from({ length: 4099 }, (_, i) => [1.7976931348623157e308, -1.7976931348623157e308, 5e-324, -0][i % 4]!);
    expect((await stft(extremes)).shape).toEqual([1025, 9, 2]);
    const extremes32 = Float32Array.from({ length: 4099 }, (_, i) => [3.4028234663852886e38, -3.4028234663852886e38, 1e-45, -0][i % 4]!);
    expect((await stft(extremes32)).shape).toEqual([1025, 9, 2]);
  });

  it("stft and istft", async () => {
    await rejects(stft(y, { hopLength: 0 }), ParameterError, "hop_length=0 must be a positive integer");
    await rejects(stft(y, { nFft: 512, winLength: 1024 }), ParameterError, "Target size (512) must be at least input size (1024)");
    await rejects(stft(y, { center: false, nFft: 8192 }), ParameterError, "n_fft=8192 is too large for uncentered analysis of input signal of length=4000");
    await rejects(stft(y, { padMode: "wrap" }), ParameterError, "pad_mode='wrap' is not supported by librosa.stft");
    await rejects(stft(y, { padMode: "linear_ramp" }), UnsupportedParameter, "pad_mode='linear_ramp' is not supported; use one of ('constant', 'edge', 'reflect', 'symmetric')");
    await rejects(stft(y, { window: [1, 2, 3] }), ParameterError, "Window size mismatch: 3 != 2048");
    await rejects(stft(y, { nfft: 512 } as never), TypeError, "stft() got an unexpected keyword argument 'nfft'");
    await rejects(stft(y, JSON.parse('{"toString": 1}') as never), TypeError, "stft() got an unexpected keyword argument 'toString'");
    await rejects(stft(y, { librosa: "2.0" as never }), ParameterError, "librosa='2.0': expected one of 0.11, 1.0");
    await rejects(istft(ndarray(new Float64Array(20), [10, 2])), ParameterError, "stft_matrix must have at least 2 dimensions (bins, frames), got shape=(10, 2); expected (..., bins, frames, 2) for complex data");
    await rejects(istft(ndarray(new Float64Array(0), [5, 0, 2])), ParameterError, "stft_matrix has no frames (shape=(5, 0))");
    await rejects(istft(await stft(y), { length: -1 }), ParameterError, "length=-1 must be a non-negative integer");
    await stft(y, { nFft: 8192 });
    expect(warnings).toEqual(["n_fft=8192 is too large for input signal of length=4000"]);
  });

  it("hpss", async () => {
    await rejects(hpss(y, { margin: 0.5 }), ParameterError, "Margins must be >= 1.0. A typical range is between 1 and 10.");
    await rejects(hpss(y, { kernelSize: [31, 0] }), ParameterError, "kernel_size for the percussive median must be an integer >= 1, got 0");
    await rejects(hpssSpectrogram(ndarray(new Float64Array(8), [2, 2, 2]), { power: 0 }), ParameterError, "power must be strictly positive");
    await rejects(hpssSpectrogram(ndarray(Float64Array.of(1, -1, 2, 3), [2, 2]), { kernelSize: 1 }), ParameterError, "X and X_ref must be non-negative");
  });

  it("yin and pyin", async () => {
    await rejects(yin(y, {} as never), ParameterError, 'both "fmin" and "fmax" must be provided');
    await rejects(yin(y, { fmin: 100, fmax: 20000 }), ParameterError, "fmax=20000.000 cannot exceed Nyquist frequency 11025.0");
    await rejects(yin(y, { fmin: 500, fmax: 400 }), ParameterError, "fmin=500.000 must be less than fmax=400.000");
    await rejects(yin(y, { fmin: 10, fmax: 400 }), ParameterError, "fmin=10.000 is too small for frame_length=2048 and sr=22050. Either increase to fmin=10.772 or frame_length=2206");
    await rejects(yin(y, { fmin: 100, fmax: 400, hopLength: 0 }), ParameterError, "Invalid hop_length: 0");
    await rejects(yin(y, { fmin: 100, fmax: 400, center: false, frameLength: 8192 }), ParameterError, "Input is too short (n=4000) for frame_length=8192");
    await rejects(yin(y, { fmin: 100, fmax: 400, winLength: 1024 }), TypeError, "yin() got an unexpected keyword argument 'win_length'");
    await yin(y, { fmin: 100, fmax: 400, winLength: 1024, librosa: "0.11" });
    await yin(y, { fmin: 20, fmax: 400 });
    expect(warnings).toEqual([
      "The win_length parameter has been deprecated in version 0.11.0 and has no effect. It will be removed in version 1.0.0.",
      "With fmin=20.000, sr=22050 and frame_length=2048, less than two periods of fmin fit into the frame, which can cause inaccurate pitch detection. Consider increasing to fmin=21.533 or frame_length=2207.",
    ]);
    await rejects(pyin(y, { fmin: 100, fmax: 400, switchProb: 2 }), ParameterError, "prob=[-1 -1] must have values in the range [0, 1]");
    await rejects(pyin(y, { fmin: 100, fmax: 400, resolution: 0 }), ParameterError, "resolution=0 must be positive");
    await rejects(pyin(y, { fmin: 100, fmax: 400, nThresholds: 10.5 }), TypeError, "'float' object cannot be interpreted as an integer");
    await rejects(pyin(y, { fmin: 100, fmax: 400, transitionMinProb: -1 }), ParameterError, "Invalid transition_min_prob=-1, must be None or non-negative.");
  });

  it("cqt, chroma and tuning", async () => {
    await rejects(cqt(y, { sparsity: 1 }), ParameterError, "Invalid quantile 1.00");
    await rejects(cqt(y, { nBins: 0 }), ParameterError, "n_bins=0 must be a positive integer");
    await rejects(cqt(y, { nBins: null, librosa: "0.11" }), TypeError, "float() argument must be a string or a real number, not 'NoneType'");
    await rejects(cqt(y, { resType: "kaiser_best" }), UnsupportedParameter, "res_type='kaiser_best' is not supported; supported: soxr_hq");
    await rejects(chromaCqt({ y, binsPerOctave: 13 }), ParameterError, "bins_per_octave=13 must be an integer multiple of n_chroma=12");
    await rejects(chromaCqt({ y, cqtMode: "hybrid" }), UnsupportedParameter, "cqt_mode='hybrid' is not implemented yet in auralis_dsp; use cqt_mode='full'");
    await rejects(chromaCqt({}), ParameterError, "At least one of C or y must be provided to compute chroma");
    await rejects(estimateTuning({}), ParameterError, "Input signal must be provided to compute a spectrogram");
    await rejects(chromaStft({ y, nFft: null }), ParameterError, "Unable to compute spectrogram with n_fft=None");
    // librosa 1.0's n_bins=None: every bin below Nyquist (librosa 1.0.1 gives 83 here)
    expect((await cqt(y, { nBins: null, sr: 8000 })).shape).toEqual([83, 8, 2]);
  });

  it("leaves the kernels usable after an error", async () => {
    await rejects(stft(y, { hopLength: -3 }), ParameterError, "hop_length=-3 must be a positive integer");
    expect((await stft(y, { nFft: 256 })).shape).toEqual([129, 63, 2]);
  });
});
