/**
 * The server's warm-up (src/bridge/warmup.ts): every call it makes is one the
 * ops accept, so no round stops at a renamed op or param (the server would only
 * log that once and give up warming).
 */
import { describe, expect, it } from "vitest";
import { findOp } from "../src/bridge/inProcess.js";
import { WARMUP_OPS, warmupSteps } from "../src/bridge/warmup.js";
import { publicOps } from "../src/ops/index.js";
import { inlineRunner } from "../src/schedule/runner.js";
import { kernelTasks } from "../src/schedule/tasks.js";

describe("warm-up", () => {
  it("calls only public ops, among them the slow ones the shims send", () => {
    for (const op of WARMUP_OPS) expect(findOp(publicOps, op), op).toBeDefined();
    for (const op of ["stft", "istft", "cqt", "chroma_cqt", "chroma_stft", "estimate_tuning", "yin", "pyin", "effects.hpss"]) expect(WARMUP_OPS).toContain(op);
  });

  it("runs a round of every call without an error", async () => {
    const steps = [...warmupSteps(publicOps, { runner: inlineRunner(kernelTasks) }, 1)];
    expect(steps.length).toBe(WARMUP_OPS.length - 1);
    for (const step of steps) await step();
  });

  it("makes rounds of the same steps", () => {
    expect([...warmupSteps(publicOps, { runner: inlineRunner(kernelTasks) }, 3)].length).toBe(3 * (WARMUP_OPS.length - 1));
  });
});
