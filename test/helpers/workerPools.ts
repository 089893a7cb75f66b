/**
 * Worker pools for tests: bundles a worker entry with esbuild into a temporary
 * folder before the suite, hands out pools of any size, closes them and
 * removes the folder after it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build, type BuildOptions } from "esbuild";
import { afterAll, beforeAll } from "vitest";
import { createWorkerPool, type ClosableWorkerPool, type WorkerPoolOptions } from "../../src/schedule/workerPool.js";

/** `entry`: esbuild's entryPoints or stdin for the worker script. Returns a pool factory. */
export const useWorkerPools = (entry: Pick<BuildOptions, "entryPoints" | "stdin">): ((size: number, options?: WorkerPoolOptions) => ClosableWorkerPool) => {
  const dir = mkdtempSync(join(tmpdir(), "auralis-pool-"));
  const workerFile = join(dir, "worker.mjs");
  const pools: ClosableWorkerPool[] = [];
  beforeAll(async () => {
    await build({ ...entry, outfile: workerFile, bundle: true, platform: "node", format: "esm", logLevel: "warning" });
  });
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.close()));
    rmSync(dir, { recursive: true, force: true });
  });
  return (size: number, options?: WorkerPoolOptions) => {
    const p = createWorkerPool(size, pathToFileURL(workerFile), options);
    pools.push(p);
    return p;
  };
};
