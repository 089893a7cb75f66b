/**
 * estimate_tuning, cqt and chroma_cqt ops against librosa 0.11.0 on the
 * generated fixtures (scripts/make_fixtures.py, `cqt_fixtures`), plus kernel
 * checks with analytic answers.
 */
import { describe, expect, it } from "vitest";
import { runOp } from "./helpers/ops.js";
import { decodeNonFinite } from "../src/bridge/wireJson.js";
import { cqToChroma } from "../src/cqt/index.js";
import { pitchTuning } from "../src/pitch/index.js";
import { sparsifyRows } from "../src/util/sparse.js";
import { caseArrays, loadManifest, loadNpy, type FixtureCase } from "./helpers/fixtures.js";
import { parityMetrics } from "./helpers/metrics.js";

type CqtCase = FixtureCase & { value?: number };
const cases = loadManifest("cqt") as CqtCase[];

const run = (c: CqtCase) => runOp(c.op, decodeNonFinite(c.params) as Record<string, unknown>, caseArrays("cqt", c));

describe("estimate_tuning equals librosa's", () => {
  it.each(cases.filter((c) => c.op === "estimate_tuning").map((c) => [c.label, c] as const))("%s", async (_l, c) => {
    const result = await run(c);
    expect(result.meta!.tuning).toBe(c.value);
  });
});

describe("cqt magnitude within 1e-4", () => {
  it.each(cases.filter((c) => c.op === "cqt").map((c) => [c.label, c] as const))("%s", async (_l, c) => {
    const out = (await run(c)).arrays[0]!;
    expect(out.shape).toEqual(c.shape);
    const expected = loadNpy("cqt", c.expected).data;
    const mag = (a: ArrayLike<number>) => Float64Array.from({ length: a.length / 2 }, (_, i) => Math.hypot(a[2 * i]!, a[2 * i + 1]!));
    const m = parityMetrics(mag(out.data as Float64Array), mag(expected));
    expect(m.relL2).toBeLessThanOrEqual(1e-4);
    expect(m.scaledMax).toBeLessThanOrEqual(1e-4);
  });
});

describe("chroma_cqt max abs error <= 1e-4", () => {
  it.each(cases.filter((c) => c.op === "chroma_cqt").map((c) => [c.label, c] as const))("%s", async (_l, c) => {
    const out = (await run(c)).arrays[0]!;
    expect(out.shape).toEqual(c.shape);
    const expected = loadNpy("cqt", c.expected).data;
    expect(out.data instanceof Float32Array).toBe(expected instanceof Float32Array);
    let max = 0;
    for (let i = 0; i < expected.length; i++) max = Math.max(max, Math.abs((out.data as Float64Array)[i]! - expected[i]!));
    expect(max).toBeLessThanOrEqual(1e-4);
  });
});

describe("kernels", () => {
  it("pitchTuning takes the fullest histogram bin's left edge", () => {
    // 440 Hz * 2^(0.2 / 12): 0.2 bins sharp.
    const f = new Float64Array([440 * 2 ** (0.203 / 12), 440 * 2 ** (0.205 / 12), 880 * 2 ** (-0.3 / 12)]);
    expect(pitchTuning(f, 3, 0.01, 12, false).tuning).toBeCloseTo(0.2, 12);
    expect(pitchTuning(new Float64Array(0), 0, 0.01, 12, false)).toEqual({ tuning: 0, empty: true });
  });

  it("sparsifyRows keeps the entries above the 1% mass quantile", () => {
    const row = new Float64Array([0.001, 0, 1, 0, 0.5, 0, 0.005, 0]);
    const csr = sparsifyRows(row, 1, 4, 0.01);
    expect(Array.from(csr.col)).toEqual([1, 2]);
  });

  it("cqToChroma with 36 bins per octave centres 3 bins on each pitch class", () => {
    const m = cqToChroma(36, 36, 12, 32.70319566257483, null);
    // bin 0 (C) and its neighbours: librosa rolls by -1, so bins 35, 0, 1 map to C.
    expect([m[0 * 36 + 35], m[0 * 36 + 0], m[0 * 36 + 1], m[1 * 36 + 2]]).toEqual([1, 1, 1, 1]);
  });
});
