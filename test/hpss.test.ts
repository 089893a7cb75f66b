import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "npyjs";
import { describe, expect, it } from "vitest";
import {
  applyHpssMasks,
  complexMagnitude,
  harmonicMedian,
  hpss,
  hpssMasks,
  medianFilterColumns,
  medianFilterRows,
  percussiveMedian,
  reflectIndex,
  scipyReadsOutsideLine,
  softmask,
  transpose,
  type HpssGeometry,
  type HpssParams,
  type Precision,
} from "../src/hpss/index.js";
import { ParameterError } from "../src/util/errors.js";

const dir = fileURLToPath(new URL("../fixtures/hpss/", import.meta.url));
const cases = JSON.parse(readFileSync(`${dir}cases.json`, "utf8")) as {
  median: { name: string; shape: [number, number]; sizes: number[] }[];
  softmask: { power: number | "inf"; split_zeros: boolean }[];
  hpss: { kernel_size: number | [number, number]; margin: number | [number, number]; power: number | "inf"; mask: boolean }[];
};

interface Loaded {
  data: Float64Array;
  shape: number[];
  complex: boolean;
}

/** Loads a .npy as C-order float64 (complex: interleaved re/im), whatever its dtype and order. */
const load = (name: string): Loaded => {
  const bytes = readFileSync(`${dir}${name}.npy`);
  const npy = parse(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  const complex = npy.dtype === "c8" || npy.dtype === "c16";
  const raw = Float64Array.from(npy.data as Float32Array | Float64Array);
  if (!npy.fortranOrder) return { data: raw, shape: npy.shape, complex };
  const [rows, cols] = npy.shape as [number, number];
  const width = complex ? 2 : 1;
  const data = new Float64Array(raw.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      for (let k = 0; k < width; k++) data[(r * cols + c) * width + k] = raw[(c * rows + r) * width + k]!;
    }
  }
  return { data, shape: npy.shape, complex };
};

const parsePower = (p: number | "inf"): number => (p === "inf" ? Infinity : p);

/** parity.md's metrics: relative L2 error and max error scaled by max |reference|. */
const metrics = (a: ArrayLike<number>, r: ArrayLike<number>) => {
  let num = 0;
  let den = 0;
  let maxErr = 0;
  let maxRef = 0;
  let mismatches = 0;
  for (let i = 0; i < r.length; i++) {
    const d = Math.abs(a[i]! - r[i]!);
    num += d * d;
    den += r[i]! * r[i]!;
    maxErr = Math.max(maxErr, d);
    maxRef = Math.max(maxRef, Math.abs(r[i]!));
    if (a[i] !== r[i]) mismatches++;
  }
  return {
    relL2: den === 0 ? Math.sqrt(num) : Math.sqrt(num / den),
    scaledMax: maxRef === 0 ? maxErr : maxErr / maxRef,
    maxErr,
    mismatches,
  };
};

const expectBitExact = (a: Float64Array, r: Float64Array, what: string): void => {
  const m = metrics(a, r);
  expect(m.mismatches, `${what}: ${m.mismatches} values differ, max error ${m.maxErr}`).toBe(0);
};

/** `[nRows][nCols]` -> `[nCols][nRows]`, any length-1 element (used for both real and complex pairs). */
const transposed = (src: Float64Array, rows: number, cols: number, width = 1): Float64Array => {
  const out = new Float64Array(src.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      for (let k = 0; k < width; k++) out[(c * rows + r) * width + k] = src[(r * cols + c) * width + k]!;
    }
  }
  return out;
};

/** Direct definition: sort every reflected window (scipy's rule, without its out-of-line read). */
const bruteMedianRows = (src: Float64Array, rows: number, cols: number, size: number): Float64Array => {
  const out = new Float64Array(src.length);
  const half = size >> 1;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const win: number[] = [];
      for (let j = c - half; j < c - half + size; j++) win.push(src[r * cols + reflectIndex(j, cols)]!);
      win.sort((a, b) => a - b);
      out[r * cols + c] = win[size >> 1]!;
    }
  }
  return out;
};

describe("median filters vs scipy.ndimage.median_filter(mode='reflect')", () => {
  for (const { name, shape, sizes } of cases.median) {
    it(`${name} ${shape.join("x")}, sizes ${sizes.join(", ")}: bit-exact on both axes, both storage orders`, () => {
      const [rows, cols] = shape;
      const src = load(`median_${name}`).data;
      const ref = load(`median_${name}_out`).data;
      const n = rows * cols;
      const srcT = transposed(src, rows, cols);
      sizes.forEach((size, k) => {
        const alongTime = ref.subarray((2 * k) * n, (2 * k + 1) * n);
        const alongFreq = ref.subarray((2 * k + 1) * n, (2 * k + 2) * n);
        expectBitExact(medianFilterRows(src, rows, cols, size, new Float64Array(n)), alongTime, `rows size ${size}`);
        expectBitExact(medianFilterColumns(src, rows, cols, size, new Float64Array(n)), alongFreq, `columns size ${size}`);
        // The same filters on the transposed matrix take the other code path for each axis.
        const frameMajor: HpssGeometry = { nFreq: rows, nTime: cols, order: "frame-major" };
        const harmT = harmonicMedian(srcT, frameMajor, size, new Float64Array(n));
        const percT = percussiveMedian(srcT, frameMajor, size, new Float64Array(n));
        expectBitExact(transposed(harmT, cols, rows), alongTime, `frame-major harmonic size ${size}`);
        expectBitExact(transposed(percT, cols, rows), alongFreq, `frame-major percussive size ${size}`);
      });
    });
  }

  it("matches the direct definition for random shapes and sizes, including windows over 8x the line", () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let trial = 0; trial < 200; trial++) {
      const rows = 1 + Math.floor(rand() * 6);
      const cols = 1 + Math.floor(rand() * 12);
      const size = 1 + Math.floor(rand() * 70);
      const src = Float64Array.from({ length: rows * cols }, () => Math.floor(rand() * 5) / 4);
      const expected = bruteMedianRows(src, rows, cols, size);
      expectBitExact(medianFilterRows(src, rows, cols, size, new Float64Array(src.length)), expected, `rows ${rows}x${cols} size ${size}`);
      const viaColumns = medianFilterColumns(transposed(src, rows, cols), cols, rows, size, new Float64Array(src.length));
      expectBitExact(transposed(viaColumns, cols, rows), expected, `columns ${cols}x${rows} size ${size}`);
    }
  });

  it("gives the same result however the rows or columns are split into ranges", () => {
    const { data: src, shape } = load("median_spec");
    const [rows, cols] = shape as [number, number];
    const whole = medianFilterColumns(src, rows, cols, 31, new Float64Array(src.length));
    const split = new Float64Array(src.length);
    for (const [a, b] of [[0, 5], [5, 40], [40, 41], [41, cols]]) medianFilterColumns(src, rows, cols, 31, split, a, b);
    expectBitExact(split, whole, "column ranges");
    const wholeRows = medianFilterRows(src, rows, cols, 17, new Float64Array(src.length));
    const splitRows = new Float64Array(src.length);
    for (const [a, b] of [[0, 1], [1, 20], [20, rows]]) medianFilterRows(src, rows, cols, 17, splitRows, a, b);
    expectBitExact(splitRows, wholeRows, "row ranges");
  });

  it("flags exactly the sizes for which scipy's reflect index arithmetic yields -1", () => {
    // NI_InitFilterOffsets' reflect branch for a left-edge coordinate cc < 0 (C int division).
    const scipyLeftIndex = (cc: number, n: number): number => {
      if (n <= 1) return 0;
      const period = 2 * n;
      if (cc < -period) cc = period * Math.trunc(-cc / period) + cc;
      return cc < -n ? cc + period : -cc - 1;
    };
    for (let n = 1; n <= 12; n++) {
      for (let size = 1; size <= 120; size++) {
        let outside = false;
        for (let cc = -(size >> 1); cc < 0; cc++) outside ||= scipyLeftIndex(cc, n) < 0;
        expect(scipyReadsOutsideLine(size, n), `n ${n} size ${size}`).toBe(outside);
      }
    }
    expect(scipyReadsOutsideLine(31, 2)).toBe(true);
    expect(scipyReadsOutsideLine(31, 3)).toBe(true);
    expect(scipyReadsOutsideLine(31, 4)).toBe(false);
  });

  it("filters in place", () => {
    const { data: src, shape } = load("median_rand");
    const [rows, cols] = shape as [number, number];
    const inPlaceRows = Float64Array.from(src);
    medianFilterRows(inPlaceRows, rows, cols, 5, inPlaceRows);
    expectBitExact(inPlaceRows, medianFilterRows(src, rows, cols, 5, new Float64Array(src.length)), "rows in place");
    const inPlaceColumns = Float64Array.from(src);
    medianFilterColumns(inPlaceColumns, rows, cols, 4, inPlaceColumns);
    expectBitExact(inPlaceColumns, medianFilterColumns(src, rows, cols, 4, new Float64Array(src.length)), "columns in place");
  });

  it("rejects a window size below 1 or not an integer", () => {
    const src = new Float64Array(6);
    expect(() => medianFilterRows(src, 2, 3, 0, new Float64Array(6))).toThrow(RangeError);
    expect(() => medianFilterColumns(src, 2, 3, 2.5, new Float64Array(6))).toThrow(RangeError);
  });

  it("transposes blocked, by row ranges", () => {
    const rows = 45;
    const cols = 70;
    const src = Float64Array.from({ length: rows * cols }, (_, i) => i);
    const dst = new Float64Array(src.length);
    transpose(src, rows, cols, dst, 0, 33);
    transpose(src, rows, cols, dst, 33, rows);
    expectBitExact(dst, transposed(src, rows, cols), "transpose");
  });
});

describe("softmask vs librosa.util.softmask", () => {
  for (const precision of ["float32", "float64"] as Precision[]) {
    const x = load(`softmask_${precision}_x`).data;
    const ref = load(`softmask_${precision}_ref`).data;
    const out = load(`softmask_${precision}_out`).data;
    cases.softmask.forEach(({ power, split_zeros }, k) => {
      it(`${precision} power=${power} split_zeros=${split_zeros}`, () => {
        const p = parsePower(power);
        const got = softmask(x, ref, new Float64Array(x.length), { power: p, splitZeros: split_zeros, precision });
        const expected = out.subarray(k * x.length, (k + 1) * x.length);
        const m = metrics(got, expected);
        expect(m.maxErr).toBeLessThanOrEqual(precision === "float32" ? 1e-4 : 1e-6);
        // numpy special-cases the powers 1, 2 and 0.5 and the hard mask; only a general power may differ (by an ulp).
        if (p !== 1.5) expect(m.mismatches).toBe(0);
        else expect(m.maxErr).toBeLessThanOrEqual(precision === "float32" ? 2 ** -23 : 2 ** -51);
      });
    });
  }

  it("raises librosa's ParameterErrors", () => {
    const a = new Float64Array([1, 2]);
    expect(() => softmask(a, new Float64Array(3), new Float64Array(2))).toThrow(ParameterError);
    expect(() => softmask(a, new Float64Array([1, -1]), new Float64Array(2))).toThrow(ParameterError);
    expect(() => softmask(a, a, new Float64Array(2), { power: 0 })).toThrow(ParameterError);
  });
});

describe("decompose.hpss vs librosa", () => {
  const tolerance = { float32: 1e-4, float64: 1e-6 };
  for (const precision of ["float32", "float64"] as Precision[]) {
    const S = load(`hpss_${precision}_S`);
    const [nFreq, nTime] = S.shape as [number, number];
    const n = nFreq * nTime;
    const spectrum = precision === "float32" ? Float32Array.from(S.data) : S.data;
    cases.hpss.forEach((c, k) => {
      const [winHarm, winPerc] = typeof c.kernel_size === "number" ? [c.kernel_size, c.kernel_size] : c.kernel_size;
      const [marginHarm, marginPerc] = typeof c.margin === "number" ? [c.margin, c.margin] : c.margin;
      const params: HpssParams = { winHarm, winPerc, power: parsePower(c.power), marginHarm, marginPerc, precision };
      const label = `${precision} kernel=${JSON.stringify(c.kernel_size)} margin=${JSON.stringify(c.margin)} power=${c.power} mask=${c.mask}`;
      it(label, () => {
        const expected = load(`hpss_${precision}_${k}`).data;
        const width = c.mask ? 1 : 2;
        const exact = params.power !== 1.5;
        const check = (got: ArrayLike<number>, ref: Float64Array, what: string) => {
          const m = metrics(got, ref);
          if (c.mask) expect(m.maxErr, what).toBeLessThanOrEqual(tolerance[precision]);
          else {
            expect(m.relL2, what).toBeLessThanOrEqual(tolerance[precision]);
            expect(m.scaledMax, what).toBeLessThanOrEqual(tolerance[precision]);
          }
          if (exact) expect(m.mismatches, `${what}: bit-exact`).toBe(0);
        };
        const freqMajor = hpss(spectrum, true, { nFreq, nTime, order: "freq-major" }, params, c.mask);
        check(freqMajor.harmonic, expected.subarray(0, width * n), "harmonic");
        check(freqMajor.percussive, expected.subarray(width * n), "percussive");
        const frameMajor = hpss(
          precision === "float32" ? Float32Array.from(transposed(S.data, nFreq, nTime, 2)) : transposed(S.data, nFreq, nTime, 2),
          true,
          { nFreq, nTime, order: "frame-major" },
          params,
          c.mask,
        );
        const back = (a: ArrayLike<number>) => transposed(Float64Array.from(a), nTime, nFreq, width);
        check(back(frameMajor.harmonic), expected.subarray(0, width * n), "frame-major harmonic");
        check(back(frameMajor.percussive), expected.subarray(width * n), "frame-major percussive");
      });
    });

    it(`${precision}: the range passes, cut into pieces, give what hpss gives`, () => {
      const geometry: HpssGeometry = { nFreq, nTime, order: "freq-major" };
      const params: HpssParams = { winHarm: 31, winPerc: 7, power: 2, marginHarm: 1.5, marginPerc: 3, precision };
      const whole = hpss(spectrum, true, geometry, params);
      const mag = new Float64Array(n);
      const harm = new Float64Array(n);
      const perc = new Float64Array(n);
      const maskHarm = new Float64Array(n);
      const maskPerc = new Float64Array(n);
      const outHarm = new Float32Array(2 * n);
      const outPerc = new Float32Array(2 * n);
      const cut = (total: number, f: (a: number, b: number) => void) => {
        const mid = Math.floor(total / 3);
        f(0, mid);
        f(mid, total);
      };
      cut(n, (a, b) => complexMagnitude(spectrum, 0, 1, mag, precision, a, b));
      cut(nFreq, (a, b) => harmonicMedian(mag, geometry, params.winHarm, harm, a, b));
      cut(nTime, (a, b) => percussiveMedian(mag, geometry, params.winPerc, perc, a, b));
      cut(n, (a, b) => hpssMasks(harm, perc, params, maskHarm, maskPerc, a, b));
      cut(n, (a, b) => applyHpssMasks(spectrum, 0, 1, mag, maskHarm, maskPerc, precision, outHarm, outPerc, a, b));
      if (precision === "float32") {
        expect(metrics(outHarm, whole.harmonic).mismatches).toBe(0);
        expect(metrics(outPerc, whole.percussive).mismatches).toBe(0);
      } else {
        // float32 outputs of a float64 run are only the rounded values
        expect(metrics(outHarm, Float32Array.from(whole.harmonic)).mismatches).toBe(0);
      }
    });
  }

  for (const precision of ["float32", "float64"] as Precision[]) {
    it(`${precision}: a real S (magnitudes) is masked without phase`, () => {
      const { data: mag, shape } = load(`hpss_${precision}_mag`);
      const expected = load(`hpss_${precision}_mag_out`).data;
      const [nFreq, nTime] = shape as [number, number];
      const params: HpssParams = { winHarm: 31, winPerc: 7, power: 2, marginHarm: 1.5, marginPerc: 3, precision };
      const input = precision === "float32" ? Float32Array.from(mag) : mag;
      const { harmonic, percussive } = hpss(input, false, { nFreq, nTime, order: "freq-major" }, params);
      expectBitExact(Float64Array.from(harmonic), expected.subarray(0, mag.length), "harmonic");
      expectBitExact(Float64Array.from(percussive), expected.subarray(mag.length), "percussive");
    });
  }

  it("raises ParameterError for margins below 1, like librosa", () => {
    const params: HpssParams = { winHarm: 3, winPerc: 3, power: 2, marginHarm: 0.5, marginPerc: 1, precision: "float64" };
    expect(() => hpss(new Float64Array(8), true, { nFreq: 2, nTime: 2, order: "freq-major" }, params)).toThrow(ParameterError);
  });
});
