/**
 * chroma_stft's SIMD path (src/cqt/chromaStft.ts, src/cqt/foldKernels.ts)
 * against the scalar code it replaces: the kernels against their scalar
 * loops, the fold of a given spectrogram against foldChromaFrames with the
 * sparse fold, and a signal's chroma against the chroma of its power
 * spectrogram (same tuning, same bytes): computed here with the scalar
 * expressions for float64, from the stft op's complex64 frames for float32.
 */
import { describe, expect, it } from "vitest";
import type { NamedArray } from "../src/ops/types.js";
import { runOp } from "./helpers/ops.js";
import { foldChromaFrames, sparseFold } from "../src/feature/chroma.js";
import { chromaFilterbank } from "../src/cqt/filters.js";
import { foldKernels } from "../src/feature/foldKernels.js";
import { tuningKernels } from "../src/pitch/tuningKernels.js";
import { loadFrame } from "../src/spectrum/frames.js";
import { getRealFft } from "../src/fft/index.js";
import { fftMemory } from "../src/fft/wasmRealFft.js";
import { planStft } from "../src/spectrum/stft.js";
import { fftWindow } from "../src/spectrum/window.js";

const bytesOf = (a: NamedArray["data"]): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

const base = { sr: 22050, n_fft: 2048, hop_length: 512, win_length: 2048, window: "hann", center: true, pad_mode: "constant", norm: Infinity, tuning: null, n_chroma: 12, ctroct: 5.0, octwidth: 2, base_c: true };

/** A detuned tone mix with a little noise, (channels, n). */
const signal = (channels: number, n: number, double: boolean): Float32Array | Float64Array => {
  const data = double ? new Float64Array(channels * n) : new Float32Array(channels * n);
  const detune = 2 ** (0.27 / 12);
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < n; i++) {
      let v = 0;
      for (const [f, a] of [[220, 0.5], [277.18, 0.3], [329.63, 0.3], [1760, 0.1]] as const) v += a * Math.sin((2 * Math.PI * f * detune * (1 + 0.01 * c) * i) / 22050);
      data[c * n + i] = v + 0.01 * Math.sin(0.37 * i * i);
    }
  }
  return data;
};

/** |STFT|² (or |STFT|) of a (channels, n) signal as (channels, bins, frames), rounded as `_spectrogram(power=2)` (1) on float32 / float64 input. */
const powerSpectrogram = (y: Float32Array | Float64Array, channels: number, power: 1 | 2 = 2): Float32Array | Float64Array => {
  const n = y.length / channels;
  const nFft = 2048;
  const plan = planStft(n, nFft, 512, true, "constant");
  const window = fftWindow("hann", nFft, nFft);
  const fft = getRealFft(nFft);
  const signal64 = Float64Array.from(y);
  const single = y instanceof Float32Array;
  const { nBins, nFrames } = plan;
  const out = single ? new Float32Array(channels * nBins * nFrames) : new Float64Array(channels * nBins * nFrames);
  const frame = new Float64Array(nFft);
  const spectrum = new Float64Array(nFft + 2);
  for (let c = 0; c < channels; c++) {
    for (let t = 0; t < nFrames; t++) {
      loadFrame(plan, signal64, c * n, t, frame);
      for (let k = 0; k < nFft; k++) frame[k] = frame[k]! * window[k]!;
      fft.forward(frame, 0, spectrum);
      for (let f = 0; f < nBins; f++) {
        const r = single ? Math.fround : (v: number): number => v;
        const re = r(spectrum[2 * f]!);
        const im = r(spectrum[2 * f + 1]!);
        const m = r(Math.sqrt(re * re + im * im));
        out[(c * nBins + f) * nFrames + t] = power === 2 ? r(m * m) : m;
      }
    }
  }
  return out;
};

/** |stft(y)|² (or |stft(y)|) of a float32 (channels, n) signal by the stft op (complex64), as (channels, bins, frames), rounded as `_spectrogram(power=2)` (1). */
const stftPower = async (y: Float32Array, channels: number, power: 1 | 2 = 2): Promise<Float32Array> => {
  const n = y.length / channels;
  const params = { n_fft: 2048, hop_length: 512, win_length: 2048, window: "hann", center: true, pad_mode: "constant", dtype: "complex64" };
  const { arrays: [D] } = await runOp("stft", params, [{ name: "y", dtype: "float32", shape: [channels, n], data: y }]);
  const [nFrames, nBins] = D!.shape as [number, number, number];
  const values = D!.data as Float32Array;
  const out = new Float32Array(channels * nBins * nFrames);
  for (let t = 0; t < nFrames; t++) {
    for (let f = 0; f < nBins; f++) {
      for (let c = 0; c < channels; c++) {
        const at = 2 * ((t * nBins + f) * channels + c);
        const re = values[at]!;
        const im = values[at + 1]!;
        const m = Math.fround(Math.sqrt(re * re + im * im));
        out[(c * nBins + f) * nFrames + t] = power === 2 ? Math.fround(m * m) : m;
      }
    }
  }
  return out;
};

describe("chroma_stft SIMD path", () => {
  it("the power and fold kernels equal their scalar loops bit for bit (powerPair: either frame of a float32 pair spectrum)", () => {
    const memory = fftMemory();
    const kernels = memory?.memory ? foldKernels(memory.memory) : null;
    if (!memory || !kernels) return;
    const nBins = 1025;
    const w = memory.reserve(12 * nBins, "chroma");
    const x = memory.reserve(nBins + 1, "chroma");
    const out = memory.reserve(12, "chroma");
    const spec = memory.reserve(2 * nBins, "chroma");
    const p64 = memory.reserve(nBins, "chroma");
    const p32 = memory.reserve(nBins, "chroma");
    // A float32 pair spectrum: 16 bytes a bin (re_a, im_a, re_b, im_b).
    const pair = memory.reserve(2 * nBins, "chroma");
    const heap = memory.heap();
    const heap32 = new Float32Array(heap.buffer);
    let seed = 1;
    const random = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let trial = 0; trial < 20; trial++) {
      for (let i = 0; i < 2 * nBins; i++) heap[spec + i] = (random() - 0.5) * 10 ** Math.floor(random() * 12 - 6);
      for (const single of [true, false]) {
        const max = single ? kernels.power32(8 * spec, nBins >> 1, 8 * p64, 8 * p32) : kernels.power64(8 * spec, nBins >> 1, 8 * p64, 0);
        let expected = -Infinity;
        for (let f = 0; f < 2 * (nBins >> 1); f++) {
          const r = single ? Math.fround : (v: number): number => v;
          const re = r(heap[spec + 2 * f]!);
          const im = r(heap[spec + 2 * f + 1]!);
          const m = r(Math.sqrt(re * re + im * im));
          const power = r(m * m);
          expect(heap[p64 + f]).toBe(power);
          if (single) expect(heap32[2 * p32 + f]).toBe(power);
          if (power > expected) expected = power;
        }
        expect(max).toBe(expected);
      }
      for (let i = 0; i < 4 * nBins; i++) heap32[2 * pair + i] = (random() - 0.5) * 10 ** Math.floor(random() * 12 - 6);
      for (const lane of [0, 1]) {
        const max = kernels.powerPair(8 * pair + 8 * lane, nBins >> 1, 8 * p64, 8 * p32);
        let expected = -Infinity;
        for (let f = 0; f < 2 * (nBins >> 1); f++) {
          const re = heap32[2 * pair + 4 * f + 2 * lane]!;
          const im = heap32[2 * pair + 4 * f + 2 * lane + 1]!;
          const m = Math.fround(Math.sqrt(re * re + im * im));
          const power = Math.fround(m * m);
          expect(heap[p64 + f]).toBe(power);
          expect(heap32[2 * p32 + f]).toBe(power);
          if (power > expected) expected = power;
        }
        expect(max).toBe(expected);
      }
      for (let i = 0; i < 12 * nBins; i++) heap[w + i] = random() < 0.1 ? 0 : random();
      for (const bins of [nBins, 1024, 3, 1]) {
        for (let f = 0; f < bins; f++) heap[x + f] = random() * 100;
        kernels.fold64(8 * x, 8 * w, bins, 8 * out);
        for (let k = 0; k < 12; k++) {
          let sum = 0;
          for (let f = 0; f < bins; f++) if (heap[w + 12 * f + k] !== 0) sum += heap[w + 12 * f + k]! * heap[x + f]!;
          expect(heap[out + k]).toBe(sum);
        }
        for (let f = 0; f < bins; f++) heap32[2 * x + f] = random() * 100;
        kernels.fold32(8 * x, 8 * w, bins, 8 * out);
        for (let k = 0; k < 12; k++) {
          let sum = 0;
          for (let f = 0; f < bins; f++) if (heap[w + 12 * f + k] !== 0) sum += heap[w + 12 * f + k]! * heap32[2 * x + f]!;
          expect(heap[out + k]).toBe(sum);
        }
      }
    }
  });

  it("the tuning column kernel over either frame of a float32 pair spectrum equals column32 over its unpacked bins", () => {
    const memory = fftMemory();
    const kernels = memory?.memory ? tuningKernels(memory.memory) : null;
    if (!memory || !kernels) return;
    const nBins = 1025;
    const pair = memory.reserve(2 * nBins, "chroma");
    const spec = memory.reserve(2 * nBins, "chroma");
    const outPair = memory.reserve(nBins, "chroma");
    const outSpec = memory.reserve(nBins, "chroma");
    const heap = memory.heap();
    const heap32 = new Float32Array(heap.buffer);
    let seed = 3;
    const random = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let trial = 0; trial < 10; trial++) {
      for (let i = 0; i < 4 * nBins; i++) heap32[2 * pair + i] = (random() - 0.5) * 10 ** Math.floor(random() * 12 - 6);
      for (const lane of [0, 1]) {
        for (let f = 0; f < nBins; f++) {
          heap[spec + 2 * f] = heap32[2 * pair + 4 * f + 2 * lane]!;
          heap[spec + 2 * f + 1] = heap32[2 * pair + 4 * f + 2 * lane + 1]!;
        }
        for (const [head, body, tail] of [[0, nBins >> 1, 0], [6, 180, (nBins >> 1) - 186]]) {
          heap.fill(0, outPair, outPair + nBins);
          heap.fill(0, outSpec, outSpec + nBins);
          const max = kernels.columnPair(8 * pair + 8 * lane, head!, body!, tail!, 8 * outPair);
          expect(max).toBe(kernels.column32(8 * spec, head!, body!, tail!, 8 * outSpec));
          expect(heap.slice(outPair, outPair + nBins)).toEqual(heap.slice(outSpec, outSpec + nBins));
          expect(heap[outPair + 1]).not.toBe(0);
        }
      }
    }
  });

  for (const { double, octwidth, norm } of [
    { double: false, octwidth: 2, norm: Infinity },
    { double: true, octwidth: 2, norm: 2 },
    // octwidth 0.05: most weights are exactly 0, where an infinite value makes the dense sum NaN (the sparse loop redoes it).
    { double: false, octwidth: 0.05, norm: null },
  ]) {
    it(`a given spectrogram folds as foldChromaFrames does (${double ? "float64" : "float32"}, octwidth ${octwidth}, norm ${norm})`, async () => {
      const [channels, nBins, nFrames] = [2, 1025, 40];
      const S = double ? new Float64Array(channels * nBins * nFrames) : new Float32Array(channels * nBins * nFrames);
      for (let i = 0; i < S.length; i++) S[i] = Math.abs(Math.sin(i * 0.731) * Math.cos(i * 0.0137)) ** 3 * (i % 7 === 0 ? -1 : 1);
      S[5 * nFrames + 3] = Infinity;
      const dtype = double ? "float64" : "float32";
      const params = { ...base, octwidth, norm, tuning: 0.13, dtype, fb_dtype: dtype };
      const result = await runOp("chroma_stft", params, [{ name: "S", dtype, shape: [channels, nBins, nFrames], data: S }]);
      const fold = chromaFilterbank({ sr: 22050, nFft: 2048, nChroma: 12, tuning: 0.13, ctroct: 5, octwidth, norm: 2, baseC: true, single: !double });
      const framesFirst = new Float64Array(S.length);
      for (let c = 0; c < channels; c++) for (let f = 0; f < nBins; f++) for (let t = 0; t < nFrames; t++) framesFirst[(t * nBins + f) * channels + c] = Math.abs(S[(c * nBins + f) * nFrames + t]!);
      const expected = double ? new Float64Array(nFrames * 12 * channels) : new Float32Array(nFrames * 12 * channels);
      foldChromaFrames(framesFirst, sparseFold(fold, 12, nBins), { nChroma: 12, nBins, channels, threshold: null, norm, single: !double }, expected, 0, nFrames);
      expect(bytesOf(result.arrays[0]!.data).equals(bytesOf(expected))).toBe(true);
    });
  }

  for (const double of [false, true]) {
    it(`a signal's chroma is the chroma of its power spectrogram (${double ? "float64" : "float32"})`, async () => {
      // Longer than a channel's part of the staging area (32768 samples): frames are staged again within each channel.
      const channels = 2;
      const y = signal(channels, 70_000, double);
      // float32: the power of the stft op's complex64 frames (those inside the signal from its float32 pair transform).
      const S = y instanceof Float32Array ? await stftPower(y, channels) : powerSpectrogram(y, channels);
      const dtype = double ? "float64" : "float32";
      const nFrames = S.length / channels / 1025;
      for (const tuning of [null, -0.21]) {
        const params = { ...base, tuning, dtype, fb_dtype: dtype };
        const fromSignal = await runOp("chroma_stft", params, [{ name: "y", dtype, shape: [channels, y.length / channels], data: y }]);
        const fromPower = await runOp("chroma_stft", params, [{ name: "S", dtype, shape: [channels, 1025, nFrames], data: S }]);
        if (tuning === null) expect(fromSignal.meta!.tuning).not.toBe(0);
        expect(fromSignal.meta).toEqual(fromPower.meta);
        expect(bytesOf(fromSignal.arrays[0]!.data).equals(bytesOf(fromPower.arrays[0]!.data))).toBe(true);
      }
    });

    it(`a signal's estimate_tuning is that of its magnitude spectrogram, 1 and 2 channels (${double ? "float64" : "float32"})`, async () => {
      const dtype = double ? "float64" : "float32";
      const params = { sr: 22050, resolution: 0.01, bins_per_octave: 12, fmin: 150, fmax: 4000, threshold: 0.1, ref: null, n_fft: 2048, win_length: null, hop_length: null, window: "hann", center: true, pad_mode: "constant" };
      for (const channels of [1, 2]) {
        const y = signal(channels, 70_000, double);
        const S = y instanceof Float32Array ? await stftPower(y, channels, 1) : powerSpectrogram(y, channels, 1);
        const fromSignal = await runOp("estimate_tuning", params, [{ name: "y", dtype, shape: [channels, y.length / channels], data: y }]);
        const fromMagnitude = await runOp("estimate_tuning", params, [{ name: "S", dtype, shape: [channels, 1025, S.length / channels / 1025], data: S }]);
        expect(fromSignal.meta!.tuning).not.toBe(0);
        expect(fromSignal.meta).toEqual(fromMagnitude.meta);
      }
    });
  }
});
