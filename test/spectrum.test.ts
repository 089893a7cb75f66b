/**
 * stft/istft kernels against librosa 0.11.0 on the generated fixtures
 * (scripts/make_fixtures.py), through the same op handlers the bridge calls.
 */
import { describe, expect, it } from "vitest";
import { runOp } from "./helpers/ops.js";
import { caseArrays, loadManifest, loadNpy, type FixtureCase } from "./helpers/fixtures.js";
import { parityMetrics, type Metrics } from "./helpers/metrics.js";

const cases = loadManifest("spectrum");

const run = async (c: FixtureCase) => {
  const result = await runOp(c.op, c.params, caseArrays("spectrum", c, ["stft_matrix"]));
  return result.arrays.find((a) => a.name === c.output)!;
};

const within = (m: Metrics, tolerance: number): void => {
  expect(m.relL2).toBeLessThanOrEqual(tolerance);
  expect(m.scaledMax).toBeLessThanOrEqual(tolerance);
};

describe.each(["stft", "istft"])("%s parity with librosa", (op) => {
  it.each(cases.filter((c) => c.op === op).map((c) => [c.label, c] as const))("%s", async (_label, c) => {
    const out = await run(c);
    expect(out.shape).toEqual(c.shape);
    const expected = loadNpy("spectrum", c.expected);
    const single = expected.data instanceof Float32Array;
    expect(out.data instanceof Float32Array).toBe(single);
    const m = parityMetrics(out.data as Float64Array, expected.data, op === "stft");
    if (!single || c.reference64 === undefined) {
      within(m, single ? 1e-4 : 1e-6);
      return;
    }
    // float32 istft: librosa computes its inverse FFT and overlap-add in float32. Where the
    // window's sum-square envelope is tiny (samples past the last full frame), dividing by it
    // magnifies that rounding; then librosa's float32 answer differs from its own float64
    // answer by more than the tolerance, and we (computing in float64, then rounding) agree
    // with the float64 one. Anywhere else we must meet the float32 tolerance.
    const reference64 = loadNpy("spectrum", c.reference64).data;
    const librosaNoise = parityMetrics(expected.data, reference64);
    if (librosaNoise.scaledMax <= 1e-4) within(m, 1e-4);
    else within(parityMetrics(out.data as Float32Array, reference64), 1e-6);
  });
});
