/**
 * The server's pool option `callerRuns`: the calling thread (the server's)
 * runs chunks too. Same results as inline, the caller really takes a share,
 * errors in the caller's chunk reject the run, and the pool keeps serving.
 */
import { describe, expect, it } from "vitest";
import { inlineRunner } from "../src/schedule/runner.js";
import type { ClosableWorkerPool } from "../src/schedule/workerPool.js";
import { useWorkerPools } from "./helpers/workerPools.js";
import { testTasks } from "./parallel.worker.js";

const pool = useWorkerPools({
  entryPoints: [new URL("./parallel.worker.ts", import.meta.url).pathname],
});

const wave = async (p: ClosableWorkerPool | undefined, n: number, maxChunks?: number) => {
  const x = new Float64Array(new SharedArrayBuffer(8 * n)).map((_, i) => (i % 17) * 0.25);
  const out = new Float64Array(new SharedArrayBuffer(8 * n));
  const owner = new Int32Array(new SharedArrayBuffer(4 * n)).fill(-1);
  await (p ? p.run("test.wave", n, { x, out, owner }, maxChunks) : inlineRunner(testTasks).run("test.wave", n, { x, out, owner }));
  return { out, owner };
};

const bytes = (a: Float64Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe("callerRuns", () => {
  it("gives bit-identical results, with the calling thread (0) owning the first chunk", async () => {
    const n = 50_001;
    const inline = await wave(undefined, n);
    const p = pool(2, { callerRuns: true, tasks: testTasks });
    p.warm();
    for (const maxChunks of [2, 3, 8, Infinity]) {
      const shared = await wave(p, n, maxChunks);
      expect(bytes(shared.out).equals(bytes(inline.out))).toBe(true);
      expect(shared.owner.includes(-1)).toBe(false);
      expect(shared.owner[0]).toBe(0); // the first chunk is the caller's
    }
  });

  it("a single chunk runs on a worker; a pool without the option never runs on the caller", async () => {
    const p = pool(2, { callerRuns: true, tasks: testTasks });
    const one = await wave(p, 1000, 1);
    expect(one.owner[0]).not.toBe(0);
    const plain = pool(2);
    const spread = await wave(plain, 20_000);
    expect(spread.owner.includes(0)).toBe(false);
  });

  it("rejects the run when the caller's chunk throws, and keeps serving", async () => {
    const p = pool(2, { callerRuns: true, tasks: testTasks });
    await expect(p.run("test.failAt", 100, { failIndex: 0, parameterError: true }, 4)).rejects.toThrow("bad index 0");
    await expect(p.run("test.failAt", 100, { failIndex: 99, parameterError: false }, 4)).rejects.toThrow("task failed at 99");
    const inline = await wave(undefined, 3000);
    const after = await wave(p, 3000);
    expect(bytes(after.out).equals(bytes(inline.out))).toBe(true);
  });
});
