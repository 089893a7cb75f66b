import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "npyjs";
import { describe, expect, it } from "vitest";
import { createScalarRealFft } from "../src/fft/index.js";
import {
  dftStage,
  dftStageBlockCount,
  dftStageDecimateBlocks,
  dftStageDecimateBlocksWith,
  halfBandCoefficients,
  halfBandDecimate,
  HQ_PASSBAND_END,
  resample,
  resampleHalf,
  soxrHqDecimate,
  soxrOutputLength,
} from "../src/resample/index.js";
import { ParameterError } from "../src/util/errors.js";

const fixture = (name: string): string =>
  fileURLToPath(new URL(`../fixtures/resample/${name}`, import.meta.url));

const loadNpy = (name: string): Float64Array => {
  const bytes = readFileSync(fixture(`${name}.npy`));
  const array = parse(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  if (array.dtype !== "f8") throw new Error(`${name}.npy: expected float64, got ${array.dtype}`);
  return array.data as Float64Array;
};

interface Case {
  name: string;
  factor: number;
  input: string;
  output: string;
}
const manifest = JSON.parse(readFileSync(fixture("manifest.json"), "utf8")) as {
  cases: Case[];
  librosa_cases: Case[];
};

const maxAbs = (a: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
};

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

/**
 * soxr runs "HQ" in float32 (samples, coefficients, FFTs), so the best possible
 * agreement is its rounding noise: ~1e-7 of the signal scale. The bound below
 * (1e-6 of max |input|) leaves a 4x margin over the worst case measured.
 */
const TOL = 1e-6;

describe("soxrHqDecimate against soxr.resample(x, r, 1, 'HQ') (fixtures/resample)", () => {
  it.each(manifest.cases.map((c) => [`${c.name} / ${c.factor}`, c] as const))("%s", (_label, c) => {
    const x = loadNpy(c.input);
    const ref = loadNpy(c.output);
    const y = soxrHqDecimate(x, c.factor);
    expect(y.length).toBe(ref.length);
    expect(y.length).toBe(soxrOutputLength(x.length, c.factor));
    const scale = Math.max(maxAbs(x), 1e-300);
    expect(maxAbsDiff(y, ref) / scale).toBeLessThan(TOL);
  });
});

describe("resample (librosa.resample res_type='soxr_hq', scale=True)", () => {
  it.each(manifest.librosa_cases.map((c) => [`${c.name} / ${c.factor}`, c] as const))("%s", (_label, c) => {
    const x = loadNpy(c.input);
    const ref = loadNpy(c.output);
    const y = resample(x, c.factor, 1, { scale: true });
    expect(y.length).toBe(ref.length);
    expect(y.length).toBe(Math.ceil(x.length / c.factor));
    expect(maxAbsDiff(y, ref) / maxAbs(x)).toBeLessThan(TOL * Math.sqrt(c.factor));
  });

  it("pads soxr's floor(n/r + 1/2) samples to ceil(n/r) with zeros (fix=True)", () => {
    const x = new Float64Array(9).fill(1);
    const raw = soxrHqDecimate(x, 4);
    expect(raw.length).toBe(2);
    const fixed = resample(x, 4, 1);
    expect(fixed.length).toBe(3);
    expect(fixed[2]).toBe(0);
    expect(Array.from(fixed.subarray(0, 2))).toEqual(Array.from(raw));
    expect(resample(x, 4, 1, { fix: false }).length).toBe(2);
  });

  it("scale=True divides by sqrt(target/orig)", () => {
    const x = Float64Array.from({ length: 300 }, (_, i) => Math.sin(0.01 * i));
    const a = resample(x, 22050, 11025);
    const b = resample(x, 22050, 11025, { scale: true });
    for (let i = 0; i < a.length; i++) expect(b[i]).toBe(a[i]! / Math.sqrt(0.5));
  });

  it("only the rate ratio matters, equal rates copy, other ratios are rejected", () => {
    const x = Float64Array.from({ length: 1000 }, (_, i) => Math.cos(0.05 * i * i * 1e-3));
    expect(Array.from(resample(x, 44100, 22050))).toEqual(Array.from(resample(x, 2, 1)));
    expect(Array.from(resample(x, 44100, 11025))).toEqual(Array.from(soxrHqDecimate(x, 4)));
    const same = resample(x, 8000, 8000);
    expect(same).not.toBe(x);
    expect(Array.from(same)).toEqual(Array.from(x));
    expect(() => resample(x, 3, 1)).toThrow(ParameterError);
    expect(() => resample(x, 1, 2)).toThrow(ParameterError);
    expect(() => resample(x, 22050, 16000)).toThrow(ParameterError);
    expect(() => soxrHqDecimate(x, 6)).toThrow(ParameterError);
  });

  it("handles empty and tiny inputs", () => {
    expect(resampleHalf(new Float64Array(0)).length).toBe(0);
    expect(resampleHalf(new Float64Array([1])).length).toBe(1);
    expect(resample(new Float64Array(0), 2, 1).length).toBe(0);
    expect(resample(new Float64Array([1]), 8, 1).length).toBe(1);
  });
});

describe("filter design", () => {
  it("2:1 stage: 389-tap Kaiser sinc, 2048-point blocks, unit DC gain, response per the HQ spec", () => {
    const s = dftStage(1);
    expect(s.taps).toBe(389);
    expect(s.dftLength).toBe(2048);
    expect(s.blockInput).toBe(2048 - 388);
    let dc = 0;
    for (const v of s.impulse) dc += v;
    expect(Math.abs(dc - 1)).toBeLessThan(1e-6);
    const response = (f: number): number => {
      // f: fraction of the output Nyquist (= half the input Nyquist)
      let re = 0;
      const m = (s.taps - 1) / 2;
      for (let i = 0; i < s.taps; i++) re += s.impulse[i]! * Math.cos((Math.PI * f * (i - m)) / 2);
      return re;
    };
    for (let f = 0; f <= HQ_PASSBAND_END * 0.98; f += 0.01) expect(Math.abs(response(f) - 1)).toBeLessThan(2e-6);
    for (let f = 1; f <= 2; f += 0.005) expect(Math.abs(response(f))).toBeLessThan(10 ** (-120 / 20));
  });

  it.each([2, 4])("half-band stages of a 2^%i chain are flat to 1.5e-7 on [0, pi/4] (so 1.5e-7 stop-band on [3pi/4, pi])", (k) => {
    const c = halfBandCoefficients(k);
    for (let w = 0; w <= Math.PI / 4 + 1e-12; w += Math.PI / 4000) {
      let h = 0.5;
      for (let j = 0; j < c.length; j++) h += 2 * c[j]! * Math.cos((2 * j + 1) * w);
      expect(Math.abs(h - 1)).toBeLessThan(1.5e-7);
    }
  });

  it("half-band stage is centred: an impulse at 2i comes out at i", () => {
    const x = new Float64Array(101);
    x[40] = 1;
    const y = halfBandDecimate(x, halfBandCoefficients(2));
    expect(y[20]).toBe(0.5);
    expect(y.length).toBe(Math.floor((101 + 14) / 2) + 1);
  });
});

describe("2:1 stage blocks: the in-memory WebAssembly path", () => {
  /** Deterministic noise plus a tone, so blocks differ. */
  const signal = (n: number, seed: number): Float64Array => {
    const x = new Float64Array(n);
    let s = seed;
    for (let i = 0; i < n; i++) {
      s = (s * 1103515245 + 12345) % 2147483648;
      x[i] = s / 2147483648 - 0.5 + 0.3 * Math.sin(0.05 * i);
    }
    return x;
  };
  const maps = [undefined, { divisor: Math.SQRT1_2, multiplier: 1, single: true }, { divisor: Math.SQRT1_2, multiplier: 1, single: false }, { divisor: Math.SQRT1_2, multiplier: Math.SQRT2, single: true }, { divisor: Math.SQRT1_2, multiplier: Math.SQRT2, single: false }];

  it.each([1, 2, 389, 2047, 2048, 5000, 12345])("equals the copying path over the TypeScript transforms bit for bit, float64 output (n = %i)", (n) => {
    const stage = dftStage(1);
    const x = signal(n, n);
    const outLen = soxrOutputLength(n, 2);
    const blocks = dftStageBlockCount(stage, outLen);
    for (const map of maps.filter((m) => !m?.single)) {
      const ref = new Float64Array(outLen + 3);
      dftStageDecimateBlocksWith(createScalarRealFft(2048), createScalarRealFft(1024), x, stage, outLen, ref, 3, 0, blocks, map);
      // Any cut of the block range (as worker chunks make) gives the same bits.
      for (const cut of [0, 1, Math.floor(blocks / 2), blocks]) {
        const out = new Float64Array(outLen + 3);
        dftStageDecimateBlocks(x, stage, outLen, out, 3, 0, cut, map);
        dftStageDecimateBlocks(x, stage, outLen, out, 3, cut, blocks, map);
        expect(Buffer.from(out.buffer).equals(Buffer.from(ref.buffer))).toBe(true);
      }
    }
  });

  it.each([1, 2, 389, 2047, 2048, 5000, 12345])(
    "float32 output: blocks in float32 pairs, the same bits for any cut, within float32 round-off of the float64 path (n = %i)",
    (n) => {
      const stage = dftStage(1);
      const x = signal(n, n);
      const outLen = soxrOutputLength(n, 2);
      const blocks = dftStageBlockCount(stage, outLen);
      for (const map of maps.filter((m) => m?.single)) {
        const ref = new Float64Array(outLen + 3);
        dftStageDecimateBlocksWith(createScalarRealFft(2048), createScalarRealFft(1024), x, stage, outLen, ref, 3, 0, blocks, map);
        const whole = new Float64Array(outLen + 3);
        dftStageDecimateBlocks(x, stage, outLen, whole, 3, 0, blocks, map);
        let worst = 0;
        let scale = 0;
        for (let i = 0; i < ref.length; i++) {
          worst = Math.max(worst, Math.abs(whole[i]! - ref[i]!));
          scale = Math.max(scale, Math.abs(ref[i]!));
        }
        // Float32 transforms of 2048 and 1024 points (~1e-7 log2 n each), then the float32 cast.
        expect(worst).toBeLessThanOrEqual(2e-6 * scale);
        for (const v of whole) expect(Math.fround(v)).toBe(v);
        for (const cut of [0, 1, Math.floor(blocks / 2), Math.max(0, blocks - 1), blocks]) {
          const out = new Float64Array(outLen + 3);
          dftStageDecimateBlocks(x, stage, outLen, out, 3, 0, cut, map);
          dftStageDecimateBlocks(x, stage, outLen, out, 3, cut, blocks, map);
          expect(Buffer.from(out.buffer).equals(Buffer.from(whole.buffer))).toBe(true);
        }
      }
    },
  );

  it.each([1, 2, 389, 2047, 2048, 5000, 12345])("a float32 signal into float32 output: the bits of its float64 copy's halving, for any cut (n = %i)", (n) => {
    const stage = dftStage(1);
    const x32 = Float32Array.from(signal(n, n + 1));
    const x64 = Float64Array.from(x32);
    const outLen = soxrOutputLength(n, 2);
    const blocks = dftStageBlockCount(stage, outLen);
    for (const map of maps.filter((m) => m?.single)) {
      const wide = new Float64Array(outLen + 3);
      dftStageDecimateBlocks(x64, stage, outLen, wide, 3, 0, blocks, map!);
      for (const cut of [0, 1, Math.floor(blocks / 2), blocks]) {
        const out = new Float32Array(outLen + 3);
        dftStageDecimateBlocks(x32, stage, outLen, out, 3, 0, cut, map!);
        dftStageDecimateBlocks(x32, stage, outLen, out, 3, cut, blocks, map!);
        expect(Array.from(out)).toEqual(Array.from(wide));
      }
      // The TypeScript path reads a float32 signal too (through its scratch frame).
      const scalar = new Float32Array(outLen + 3);
      dftStageDecimateBlocksWith(createScalarRealFft(2048), createScalarRealFft(1024), x32, stage, outLen, scalar, 3, 0, blocks, map!);
      const scalarWide = new Float64Array(outLen + 3);
      dftStageDecimateBlocksWith(createScalarRealFft(2048), createScalarRealFft(1024), x64, stage, outLen, scalarWide, 3, 0, blocks, map!);
      expect(Array.from(scalar)).toEqual(Array.from(scalarWide));
    }
  });

  it("the output map is librosa's scale division and float32 casts", () => {
    const stage = dftStage(1);
    const x = signal(7000, 7);
    const outLen = soxrOutputLength(x.length, 2);
    const blocks = dftStageBlockCount(stage, outLen);
    const raw = new Float64Array(outLen);
    dftStageDecimateBlocks(x, stage, outLen, raw, 0, 0, blocks);
    const mapped = new Float64Array(outLen);
    dftStageDecimateBlocks(x, stage, outLen, mapped, 0, 0, blocks, { divisor: Math.SQRT1_2, multiplier: 3, single: false });
    for (let i = 0; i < outLen; i++) expect(mapped[i]).toBe((raw[i]! / Math.SQRT1_2) * 3);
    // Float32 output (its own, float32 transforms): the division rounded, then the product rounded.
    const divided = new Float64Array(outLen);
    dftStageDecimateBlocks(x, stage, outLen, divided, 0, 0, blocks, { divisor: Math.SQRT1_2, multiplier: 1, single: true });
    dftStageDecimateBlocks(x, stage, outLen, mapped, 0, 0, blocks, { divisor: Math.SQRT1_2, multiplier: 3, single: true });
    for (let i = 0; i < outLen; i++) {
      expect(divided[i]).toBe(Math.fround(divided[i]!));
      expect(mapped[i]).toBe(Math.fround(divided[i]! * 3));
    }
  });
});
