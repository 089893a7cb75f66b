import { describe, expect, it } from "vitest";
import { createLaneMedian, createMagnitudeKernel, type LaneMedian } from "../src/hpss/laneMedian.js";
import { medianFilterRows, reflectIndex } from "../src/hpss/medianFilter.js";
import { analyseFrames, harmonicBins, scalarLaneMedian, separateElements, type SeparationBuffers } from "../src/hpss/separate.js";
import { hpss, hpssMasks, type HpssParams, type Precision } from "../src/hpss/index.js";
import { complexMagnitude } from "../src/hpss/hpss.js";
import { planStft, stftFrames } from "../src/spectrum/stft.js";
import { fftWindow } from "../src/spectrum/window.js";

let seed = 7;
const uniform = (): number => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;

/** Lines of `n` values for `groups` groups of lanes, with many ties when `coarse`. */
const lines = (count: number, n: number, single: boolean, coarse: boolean): Float64Array =>
  new Float64Array(count * n).map(() => {
    const v = coarse ? Math.round(uniform() * 8) / 8 : uniform();
    return single ? Math.fround(v) : v;
  });

const checkLanes = (make: (single: boolean) => LaneMedian | null): void => {
  for (const single of [true, false]) {
    const lm = make(single);
    expect(lm).not.toBeNull();
    const L = lm!.lanes;
    for (const [n, size, coarse] of [[1, 31, false], [5, 64, true], [200, 31, true], [333, 17, false], [97, 2, false], [50, 1, true], [3, 9, false]] as const) {
      const groups = 3;
      const src = lines(groups * L, n, single, coarse);
      const expected = medianFilterRows(src, groups * L, n, size, new Float64Array(src.length));
      const { inputs, outputs } = lm!.prepare(n, size, groups);
      const half = size >> 1;
      for (let g = 0; g < groups; g++) {
        for (let k = 0; k < n + size - 1; k++) {
          for (let l = 0; l < L; l++) inputs[g]![k * L + l] = src[(g * L + l) * n + reflectIndex(k - half, n)]!;
        }
      }
      for (let g = groups - 1; g >= 0; g--) lm!.run(g);
      let mismatches = 0;
      for (let g = 0; g < groups; g++) {
        for (let i = 0; i < n; i++) {
          for (let l = 0; l < L; l++) if (outputs[g]![i * L + l] !== expected[(g * L + l) * n + i]) mismatches++;
        }
      }
      expect(mismatches, `${single ? "f32x4" : "f64x2"} n=${n} size=${size}`).toBe(0);
    }
  }
};

describe("running medians over SIMD lanes", () => {
  it("WebAssembly SIMD lanes equal the scalar filter, ties included, groups run in any order", () => checkLanes(createLaneMedian));
  it("the scalar stand-in equals the scalar filter", () => checkLanes(scalarLaneMedian));
});

describe("float32 magnitudes in WebAssembly SIMD", () => {
  it("equal complexMagnitude bit for bit: zeros, signs, ties, tiny and huge values, odd runs", () => {
    const kernel = createMagnitudeKernel();
    expect(kernel).not.toBeNull();
    const n = 20_001;
    const spectrum = new Float32Array(new SharedArrayBuffer(8 * n));
    const special = [0, -0, 1, -1, 3e-45, -1e-40, 1e-20, 3.4e38, -3.4e38, Infinity, -Infinity, 0.5, 2 ** -24, 1 + 2 ** -23];
    for (let i = 0; i < 2 * n; i++) {
      const k = Math.floor(uniform() * 8);
      spectrum[i] = k === 0 ? special[Math.floor(uniform() * special.length)]! : k === 1 ? spectrum[i - 1] ?? 0 : (uniform() - 0.5) * 10 ** (Math.floor(uniform() * 12) - 6);
    }
    const expected = complexMagnitude(spectrum, 0, 1, new Float32Array(n), "float32");
    const got = new Float32Array(new SharedArrayBuffer(4 * n));
    for (const [i0, i1] of [[0, 16], [16, 17], [17, 9000], [9000, n]] as const) kernel!.run(spectrum, got, i0, i1);
    let mismatches = 0;
    for (let i = 0; i < n; i++) if (!Object.is(got[i], expected[i]!)) mismatches++;
    expect(mismatches).toBe(0);
  });
});

describe("effects.hpss passes (analyseFrames, harmonicBins, separateElements)", () => {
  const length = 40000;
  const nFft = 512;
  const hop = 128;
  // A silent stretch gives frames of zero magnitude (phase 1 + 0j, empty-bin masks).
  const signal = new Float64Array(length).map((_, i) =>
    i >= 10000 && i < 16000 ? 0 : Math.sin(i * 0.05) * (i % 3000 < 40 ? 3 : 0.3) + 0.1 * (uniform() - 0.5));
  const window = fftWindow("hann", nFft, nFft);
  const plan = planStft(length, nFft, hop, true, "constant");
  const { nBins, nFrames } = plan;
  const count = nBins * nFrames;

  const cases = [2, 1, 0.5, Infinity, 3].map((power) => ({ power, complement: false }))
    .concat([2, 1, 0.5].map((power) => ({ power, complement: true })));
  for (const precision of ["float32", "float64"] as Precision[]) {
    for (const [{ power, complement }, overMag] of cases.flatMap((c) => [[c, false], [c, true]] as const)) {
      const over = overMag ? ", the harmonic medians over the magnitudes" : "";
      it(`${precision} power=${power}${complement ? " (librosa 1.0: percussive = 1 - harmonic mask)" : ""}${over}: cut into ranges, equal to hpss on the STFT bit for bit`, () => {
        const single = precision === "float32";
        const y = single ? Float32Array.from(signal) : signal;
        const make = (len: number) => (single ? new Float32Array(len) : new Float64Array(len));
        const marginPerc = power === 2 && !complement ? 2.5 : 1;
        const params: HpssParams = { winHarm: 31, winPerc: 17, power, marginHarm: 1, marginPerc, precision, complementPercussive: complement };
        const mag = make(count);
        const b: SeparationBuffers = {
          spectrum: make(2 * count), mag, harm: overMag ? mag : make(count), perc: make(count), out: make(4 * count),
          parts: ["harmonic", "percussive"], returnMasks: false,
        };
        analyseFrames({ plan, signal: y, length, window }, b, params, 0, 37);
        analyseFrames({ plan, signal: y, length, window }, b, params, 37, nFrames);
        harmonicBins(b, nBins, nFrames, params, 0, 21);
        harmonicBins(b, nBins, nFrames, params, 21, nBins);
        separateElements(b, params, 0, 9001);
        separateElements(b, params, 9001, count);
        const spectrum = make(2 * count);
        stftFrames({ plan, signal: y, channels: 1, length, window, out: spectrum, layout: { frameStride: nBins, binStride: 1, channelStride: 1 } }, 0, nFrames);
        expect(b.spectrum).toEqual(spectrum);
        const whole = hpss(spectrum, true, { nFreq: nBins, nTime: nFrames, order: "frame-major" }, params);
        let mismatches = 0;
        for (let i = 0; i < 2 * count; i++) {
          const at = 2 * (i >> 1) * 2 + (i & 1);
          if (!Object.is(b.out[at], whole.harmonic[i]) || !Object.is(b.out[at + 2], whole.percussive[i])) mismatches++;
        }
        expect(mismatches).toBe(0);
      });
    }
  }
});

describe("librosa 1.0's percussive mask", () => {
  it("is 1 - the harmonic mask (rounded to float32 for float32), where 0.11's own softmask differs in round-off", () => {
    const n = 20000;
    const harm = new Float64Array(n).map(() => Math.fround(uniform() * 3));
    const perc = new Float64Array(n).map(() => Math.fround(uniform() * 3));
    const base: HpssParams = { winHarm: 3, winPerc: 3, power: 2, marginHarm: 1, marginPerc: 1, precision: "float32" };
    const [h10, p10, h11, p11] = [0, 1, 2, 3].map(() => new Float64Array(n));
    hpssMasks(harm, perc, { ...base, complementPercussive: true }, h10!, p10!);
    hpssMasks(harm, perc, base, h11!, p11!);
    expect(h10).toEqual(h11);
    let differs = 0;
    for (let i = 0; i < n; i++) {
      expect(p10![i]).toBe(Math.fround(1 - h10![i]!));
      if (p10![i] !== p11![i]) differs++;
    }
    expect(differs).toBeGreaterThan(0);
  });
});
