/**
 * The worker pool: same results for any thread count, work really spread over
 * the threads, errors rejecting run().
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runTask } from "../src/parallel/pool.js";
import { createWorkerPool, type ClosableWorkerPool } from "../src/parallel/workerPool.js";
import { ParameterError } from "../src/util/errors.js";
import "./parallel.worker.js";

const dir = mkdtempSync(join(tmpdir(), "auralis-pool-"));
const workerFile = join(dir, "worker.mjs");
const pools: ClosableWorkerPool[] = [];

beforeAll(async () => {
  await build({
    entryPoints: [new URL("./parallel.worker.ts", import.meta.url).pathname],
    outfile: workerFile,
    bundle: true,
    platform: "node",
    format: "esm",
    logLevel: "warning",
  });
});

afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
  rmSync(dir, { recursive: true, force: true });
});

const pool = (size: number): ClosableWorkerPool => {
  const p = createWorkerPool(size, pathToFileURL(workerFile));
  pools.push(p);
  return p;
};

const wave = async (p: ClosableWorkerPool | undefined, n: number) => {
  const x = new Float64Array(new SharedArrayBuffer(8 * n)).map((_, i) => (i % 17) * 0.25);
  const out = new Float64Array(new SharedArrayBuffer(8 * n));
  const owner = new Int32Array(new SharedArrayBuffer(4 * n)).fill(-1);
  await (p ? p.run("test.wave", n, { x, out, owner }) : runTask(undefined, "test.wave", n, { x, out, owner }));
  return { x, out, owner };
};

describe("createWorkerPool", () => {
  it("gives bit-identical results inline, with 1 worker and with 4", async () => {
    const n = 100_003;
    const inline = await wave(undefined, n);
    const one = await wave(pool(1), n);
    const four = await wave(pool(4), n);
    expect(Buffer.from(one.out.buffer).equals(Buffer.from(inline.out.buffer))).toBe(true);
    expect(Buffer.from(four.out.buffer).equals(Buffer.from(inline.out.buffer))).toBe(true);
    // The values themselves, from the formula, so a task that wrote nothing fails.
    for (const i of [0, 1, 5000, n - 1]) {
      expect(four.out[i]).toBe(Math.sin(0.001 * i) * Math.exp(-inline.x[i]! / 7) + Math.sqrt(i));
    }
    expect(new Set(inline.owner)).toEqual(new Set([0]));
    expect(new Set(one.owner).size).toBe(1);
    expect(new Set(four.owner).size).toBe(4);
    expect(four.owner.includes(-1)).toBe(false);
  });

  it("handles counts smaller than the number of chunks, and zero", async () => {
    const p = pool(3);
    for (const n of [1, 2, 7, 13]) {
      const got = await wave(p, n);
      const want = await wave(undefined, n);
      expect(Array.from(got.out)).toEqual(Array.from(want.out));
    }
    await expect(p.run("test.wave", 0, {})).resolves.toBeUndefined();
  });

  it("rejects run() when a task throws, keeps ParameterError, and keeps working", async () => {
    const p = pool(4);
    await expect(p.run("test.failAt", 1000, { failIndex: 777, parameterError: false })).rejects.toThrow("task failed at 777");
    const error = await p.run("test.failAt", 1000, { failIndex: 3, parameterError: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ParameterError);
    expect((error as Error).message).toBe("bad index 3");
    await expect(p.run("no.such.task", 10, {})).rejects.toThrow("unknown task no.such.task");
    const after = await wave(p, 1000);
    expect(after.owner.includes(-1)).toBe(false);
  });

  it("runs concurrent runs to completion", async () => {
    const p = pool(2);
    p.warm();
    const results = await Promise.all([wave(p, 5000), wave(p, 7000), wave(p, 3)]);
    for (const r of results) expect(Array.from(r.out)).toEqual(Array.from((await wave(undefined, r.out.length)).out));
  });

  it("rejects runs after close()", async () => {
    const p = createWorkerPool(2, pathToFileURL(workerFile));
    await wave(p, 100);
    await p.close();
    await expect(p.run("test.wave", 10, {})).rejects.toThrow("closed");
  });
});
