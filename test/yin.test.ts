/**
 * yin kernel against librosa 0.11.0 on the generated fixtures (scripts/make_fixtures.py,
 * `yin_fixtures`), through the op handler the bridge calls; plus the trough rules and
 * the thread-split invariance of `yinUnits` and the agreement of its WebAssembly and
 * TypeScript kernels.
 */
import { describe, expect, it } from "vitest";
import { runOp } from "./helpers/ops.js";
import { FFT_WASM_BASE64 } from "../src/fft/fftWasmModule.js";
import { createSpectralMemory } from "../src/pitch/spectralMemory.js";
import { blockLayout, parabolicShift, pickTrough, planYin, yinUnits, type YinOptions } from "../src/pitch/yin.js";
import { caseArrays, loadManifest, loadNpy } from "./helpers/fixtures.js";

const cases = loadManifest("yin");

/** Per-frame relative errors of `ours` against `ref`. */
const relativeErrors = (ours: ArrayLike<number>, ref: ArrayLike<number>): number[] =>
  Array.from(ref, (r, i) => Math.abs(ours[i]! - r) / Math.abs(r));

describe("yin parity with librosa", () => {
  it.each(cases.map((c) => [c.label, c] as const))("%s", async (_label, c) => {
    const result = await runOp("yin", c.params, caseArrays("yin", c));
    const out = result.arrays.find((a) => a.name === "f0")!;
    expect(out.shape).toEqual(c.shape);
    expect(out.dtype).toBe("float64");
    const expected = loadNpy("yin", c.expected).data;
    const errors = relativeErrors(out.data as Float64Array, expected);
    if (c.reference64 === undefined) {
      // float64: every frame within 1e-6
      expect(Math.max(...errors)).toBeLessThanOrEqual(1e-6);
    } else {
      // float32: >= 99.9% of frames within 1e-4 (on these clips: all of them)
      expect(errors.filter((e) => e <= 1e-4).length / errors.length).toBeGreaterThanOrEqual(0.999);
    }
  });

  it("covers both autocorrelation paths", () => {
    const paths = cases.map((c) =>
      blockLayout(c.params.frame_length as number, c.params.hop_length as number, Math.ceil((c.params.sr as number) / (c.params.fmin as number))) !== null,
    );
    expect(paths).toContain(true);
    expect(paths).toContain(false);
  });
});

describe("trough choice (librosa's localmin, threshold and argmin rules)", () => {
  it("takes the first trough below the threshold, not the deepest", () => {
    expect(pickTrough(Float64Array.of(0.9, 0.05, 0.2, 0.01, 0.5), 0.1)).toBe(1);
  });
  it("counts the first bin as a trough when it is below the second", () => {
    expect(pickTrough(Float64Array.of(0.05, 0.2, 0.01, 0.5), 0.1)).toBe(0);
  });
  it("needs a strict drop on the left and allows a tie on the right", () => {
    expect(pickTrough(Float64Array.of(0.5, 0.05, 0.05, 0.02, 0.3), 0.1)).toBe(1);
    expect(pickTrough(Float64Array.of(0.5, 0.05, 0.04, 0.04, 0.3), 0.1)).toBe(2);
  });
  it("counts the last bin as a trough when it is below the one before", () => {
    expect(pickTrough(Float64Array.of(0.5, 0.4, 0.3, 0.05), 0.1)).toBe(3);
  });
  it("falls back to the first global minimum, never to 0 Hz", () => {
    expect(pickTrough(Float64Array.of(0.9, 0.5, 0.7, 0.5, 0.8), 0.1)).toBe(1);
    expect(pickTrough(Float64Array.of(0, 0, 0), 0.1)).toBe(0);
  });
  it("returns the first NaN as numpy's argmin does", () => {
    expect(pickTrough(Float64Array.of(0.9, NaN, 0.7, NaN), 0.1)).toBe(1);
  });
  it("interpolates the vertex, 0 at the ends and beyond one bin", () => {
    const x = Float64Array.of(1, 0.25, 0, 0.75, 2);
    // a = 0.75 + 0.25 - 0 = 1, b = (0.75 - 0.25) / 2 = 0.25 -> -0.25
    expect(parabolicShift(x, 2)).toBe(-0.25);
    expect(parabolicShift(x, 0)).toBe(0);
    expect(parabolicShift(x, 4)).toBe(0);
    expect(parabolicShift(Float64Array.of(0, 1, 3), 1)).toBe(0); // |b| = 1.5 >= |a| = 1
  });
});

describe("WebAssembly kernels", () => {
  it("stay under 4 KB with yin's additions, so browsers compile them synchronously on the main thread", () => {
    expect(atob(FFT_WASM_BASE64).length).toBeLessThan(4096);
  });
});

describe("firstMinimum kernel (argmin when nothing is below the threshold)", () => {
  const kinds = ["wasm", "typescript"] as const;
  it.each(kinds)("%s: numpy's argmin, or -1 for a value below the threshold or NaN", (kind) => {
    const memory = createSpectralMemory(kind)!;
    const at = memory.reserve(16);
    const run = (...values: number[]): number => {
      memory.heap().set(values, at);
      return memory.firstMinimum(at, values.length, 0.1);
    };
    expect(run(0.5, 0.3)).toBe(1);
    expect(run(0.3, 0.5)).toBe(0);
    expect(run(0.5, 0.3, 0.2)).toBe(2);
    expect(run(0.9, 0.4, 0.7, 0.4, 0.8)).toBe(1);
    expect(run(0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2)).toBe(7);
    expect(run(0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.25)).toBe(7);
    expect(run(0.5, 0.05, 0.3)).toBe(-1);
    expect(run(0.5, 0.3, 0.4, NaN)).toBe(-1);
    expect(run(0.5, 0.3, 0.4, 0.6, 0.09)).toBe(-1);
  });
});

describe("troughs kernel (pyin's trough list)", () => {
  const kinds = ["wasm", "typescript"] as const;
  /** librosa's localmin with pyin's first-bin rule, written out. */
  const reference = (x: number[]): number[] =>
    x.flatMap((v, i) => {
      const last = x.length - 1;
      const trough = i === 0 ? v < x[1]! : i === last ? v < x[last - 1]! : v < x[i - 1]! && v <= x[i + 1]!;
      return trough ? [i] : [];
    });
  it.each(kinds)("%s: localmin with the first-bin rule, plateaus, NaN, every length's tail", (kind) => {
    const memory = createSpectralMemory(kind)!;
    const at = memory.reserve(64);
    const out = memory.reserve(64);
    const run = (...values: number[]): number[] => {
      memory.heap().set(values, at);
      memory.heap().fill(-1, out, out + 64);
      const n = memory.troughs(at, values.length, out);
      return Array.from(memory.heap().subarray(out, out + n));
    };
    expect(run(0.5, 0.3)).toEqual([1]);
    expect(run(0.3, 0.5)).toEqual([0]);
    expect(run(0.3, 0.3)).toEqual([]);
    expect(run(0.9, 0.4, 0.7, 0.4, 0.8)).toEqual([1, 3]);
    expect(run(0.9, 0.4, 0.4, 0.7)).toEqual([1]); // x[i] <= x[i+1]: the plateau's first bin
    expect(run(0.9, NaN, 0.4, 0.3, 0.7, NaN, 0.2)).toEqual([3]); // a NaN neighbour compares false
    let seed = 7;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let length = 2; length <= 40; length++) {
      for (let trial = 0; trial < 20; trial++) {
        // coarse values, so ties and plateaus are common; now and then a NaN
        const x = Array.from({ length }, () => (random() < 0.03 ? NaN : Math.floor(random() * 4) / 4));
        expect(run(...x)).toEqual(reference(x));
      }
    }
  });
});

describe("yinUnits", () => {
  const signal = new Float64Array(30000).map((_, i) => Math.sin(0.05 * i + 1e-6 * i * i) + 0.3 * Math.sin(0.31 * i));
  const base: YinOptions = {
    sr: 22050, fmin: 60, fmax: 1500, frameLength: 2048, hopLength: 512,
    troughThreshold: 0.1, center: true, padMode: "constant",
  };

  const geometries = [
    ["blocks", base],
    ["blocks, lags in two inverse FFTs", { ...base, sr: 44100, fmin: 50, fmax: 2000 }],
    // blocks of 600 in 2048-point spectra: phases other than quarter turns
    ["blocks, two distances per inverse FFT", { ...base, fmin: 10, frameLength: 3000, hopLength: 600 }],
    ["one FFT per frame", { ...base, frameLength: 3000, hopLength: 128 }],
  ] as const;

  it("takes the layouts these cases name", () => {
    const layout = (o: YinOptions) => blockLayout(o.frameLength, o.hopLength, planYin(1, o).maxPeriod);
    expect(layout(geometries[0][1])?.groups).toBe(1);
    expect(layout(geometries[1][1])?.groups).toBe(2);
    expect(layout(geometries[2][1])).toMatchObject({ size: 600, fftSize: 2048, span: 2, groups: 2 });
    expect(layout(geometries[3][1])).toBeNull();
  });

  it.each(geometries)("gives identical bits for any split of the frames (%s)", (_label, options) => {
    const plan = planYin(signal.length / 2, options);
    const units = 2 * plan.nFrames;
    const whole = new Float64Array(units);
    yinUnits(plan, signal, whole, 0, units);
    const pieces = new Float64Array(units);
    for (const [a, b] of [[0, 3], [3, 4], [4, plan.nFrames + 1], [plan.nFrames + 1, units]]) yinUnits(plan, signal, pieces, a!, b!);
    expect(pieces).toEqual(whole);
  });

  it.each(geometries)("gives the same bits with the TypeScript kernels as with WebAssembly (%s)", (_label, options) => {
    const wasm = createSpectralMemory("wasm");
    expect(wasm).not.toBeNull();
    for (const [samples, padMode] of [[signal, "constant"], [Float32Array.from(signal), "reflect"]] as const) {
      const plan = planYin(samples.length / 2, { ...options, padMode });
      const units = 2 * plan.nFrames;
      const viaWasm = new Float64Array(units);
      const viaTypeScript = new Float64Array(units);
      yinUnits(plan, samples, viaWasm, 0, units, wasm!);
      yinUnits(plan, samples, viaTypeScript, 0, units, createSpectralMemory("typescript")!);
      expect(viaTypeScript).toEqual(viaWasm);
    }
  });
});
