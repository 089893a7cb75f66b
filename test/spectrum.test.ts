/**
 * stft/istft kernels against librosa 0.11.0 on the generated fixtures
 * (scripts/make_fixtures.py), through the same op handlers the bridge calls.
 */
import { describe, expect, it } from "vitest";
import { runOp } from "./helpers/ops.js";
import { caseArrays, loadManifest, loadNpy, type FixtureCase } from "./helpers/fixtures.js";
import { parityMetrics, type Metrics } from "./helpers/metrics.js";
import { opResult } from "../src/bridge/inProcess.js";
import type { NamedArray } from "../src/ops/types.js";
import { publicOps } from "../src/ops/index.js";
import { inlineRunner, runFlow } from "../src/schedule/runner.js";
import { kernelTasks } from "../src/schedule/tasks.js";
import { interiorFrameStart, interiorRunEnd } from "../src/spectrum/frames.js";
import { planStft } from "../src/spectrum/stft.js";

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

describe("stft, istft and yin runs on a pool", () => {
  /** The chunks each run would get on a two-thread pool at most (count / grain, as poolRunner hands the pool; it cuts at most four a thread), the work done inline. */
  const chunksOf = async (op: "stft" | "istft" | "yin", params: Record<string, unknown>, arrays: NamedArray[]): Promise<number[]> => {
    const base = inlineRunner(kernelTasks);
    const chunks: number[] = [];
    const runner = {
      ...base,
      threads: 2,
      run(task: keyof typeof kernelTasks, count: number, args: never, grain = 1) {
        chunks.push(count >= 2 * grain ? Math.floor(count / grain) : 1);
        return base.run(task, count, args);
      },
    } as typeof base;
    await opResult(publicOps[op]!({ ...params }, arrays, { runner }), runFlow);
    return chunks;
  };
  const stftParams = { n_fft: 2048, hop_length: 512, win_length: 2048, center: true, pad_mode: "constant", window: "hann", dtype: "complex64" };
  const yinParams = { sr: 22050, frame_length: 2048, hop_length: 512, trough_threshold: 0.1, center: true, pad_mode: "constant", fmin: 50, fmax: 2000 };

  it("yin: one chunk per thread from 96 frames, at most 512 frames a chunk (then the pool's usual cut)", async () => {
    for (const [seconds, expected] of [[1, 1], [3, 2], [30, 2], [60, 5], [180, 15]] as const) {
      const n = Math.round(22050 * seconds);
      const y = Float32Array.from({ length: n }, (_, i) => Math.sin(0.05 * i));
      expect(await chunksOf("yin", yinParams, [{ name: "y", dtype: "float32", shape: [1, n], data: y }]), `yin ${seconds} s`).toEqual([expected]);
    }
  });

  it("cut one chunk per thread (two), from 128 frames or units on; shorter ones stay on the calling thread", async () => {
    for (const [seconds, expected] of [[1, 1], [3, 2], [5, 2], [10, 2], [30, 2]] as const) {
      const n = Math.round(22050 * seconds);
      const y = Float32Array.from({ length: n }, (_, i) => Math.sin(0.05 * i));
      const stft = await chunksOf("stft", stftParams, [{ name: "y", dtype: "float32", shape: [1, n], data: y }]);
      expect(stft, `stft ${seconds} s`).toEqual([expected]);
      const frames = Math.floor(n / 512) + 1;
      const S = new Float32Array(2 * frames * 1025).fill(0.5);
      const istft = await chunksOf("istft", { ...stftParams, length: null, dtype: "float32" }, [{ name: "stft_matrix", dtype: "complex64", shape: [frames, 1025, 1], data: S }]);
      expect(istft, `istft ${seconds} s`).toEqual([expected]);
    }
  });
});

describe("interiorRunEnd", () => {
  it("ends a run of interior frames where stepping frame by frame through interiorFrameStart does", () => {
    let checked = 0;
    for (const center of [true, false]) {
      for (const padMode of ["constant", "reflect", "edge"] as const) {
        for (const [length, nFft, hop] of [[5000, 512, 128], [5000, 512, 100], [2048, 2048, 512], [9000, 1024, 256], [700, 256, 64], [3001, 600, 7]] as const) {
          const plan = planStft(length, nFft, hop, center, padMode);
          for (const channelBase of [0, 3 * length]) {
            for (let t = 0; t < plan.nFrames; t++) {
              const first = interiorFrameStart(plan, channelBase, t);
              if (first < 0) continue;
              for (const t1 of [t + 1, t + 2, Math.floor((t + plan.nFrames) / 2) + 1, plan.nFrames]) {
                if (t1 <= t) continue;
                let end = t + 1;
                while (end < t1 && interiorFrameStart(plan, channelBase, end) === first + (end - t) * hop) end++;
                expect(interiorRunEnd(plan, channelBase, t, t1), `${center} ${padMode} ${length}/${nFft}/${hop} t=${t} t1=${t1}`).toBe(end);
                checked++;
              }
            }
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });
});
