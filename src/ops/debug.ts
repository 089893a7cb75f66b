/**
 * Ops for testing and measuring the bridge, served only by the stdio server
 * started with AURALIS_DSP_DEBUG_OPS=1 (never in the public JS API or the
 * Pyodide bundle): `ping` (protocol version, ops, threads, pid, arena),
 * `echo`, `scale` (a task on the pool), `memory` (what this thread holds),
 * and `sleep`, `raise`, `exit`, which let tests kill the server mid-call and
 * exercise error mapping and crash reports.
 */
import { BoundedCache } from "../util/boundedCache.js";
import { kernelMemoryBytes } from "../util/kernelMemory.js";
import { allocFloat64 } from "../util/alloc.js";
import { ParameterError } from "../util/errors.js";
import type { OpTable } from "./types.js";

const finiteNumber = (params: Record<string, unknown>, key: string): number => {
  const value = params[key];
  if (typeof value !== "number" || !Number.isFinite(value)) throw new ParameterError(`${key} must be a finite number, got ${JSON.stringify(value)}`);
  return value;
};

/** What `ping` reports about the server serving it. */
interface ServerFacts {
  /** The frame protocol's version. */
  protocolVersion: number;
  /** The names of every op served. */
  ops(): string[];
}

/** The debug ops of a server. */
export const debugOps = (server: ServerFacts): OpTable => ({
  ping: (_params, _arrays, ctx) => ({
    arrays: [],
    meta: {
      version: server.protocolVersion,
      ops: server.ops(),
      threads: ctx.runner.threads,
      pid: process.pid,
      ...(ctx.arena ? { arena: ctx.arena.stats() } : {}),
    },
  }),

  echo: (params, arrays) => ({ arrays, meta: { params } }),

  /** `scale` {factor} on float64 array `x`: `x * factor`, computed by the worker pool when there is one. */
  *scale(params, arrays, ctx) {
    const factor = finiteNumber(params, "factor");
    const x = arrays.find((a) => a.name === "x");
    if (!x || !(x.data instanceof Float64Array) || x.dtype !== "float64") throw new ParameterError("scale needs a float64 array x");
    const out = allocFloat64(x.data.length, ctx.runner.shared, { zero: false });
    yield ctx.runner.run("debug.scale", x.data.length, { x: x.data, out, factor });
    return { arrays: [{ name: "out", dtype: "float64", shape: x.shape, data: out }] };
  },

  /**
   * `memory` {collect?: bool}: what this thread holds (the soak and tests read
   * it). Meta: `cache_bytes` (the bounded caches), `kernel_memory_bytes` (the
   * kernel memory's bytes by region, and `free`), `arena_bytes` (the server's free
   * request buffers) and Node's `process.memoryUsage()` (`rss`, `heap_total`,
   * `heap_used`, `external`, `array_buffers`).
   * With `collect`, a full garbage collection runs first (where one is offered), and
   * in each pool worker once it is next idle (a second call sees their effect).
   */
  memory: (params, _arrays, ctx) => {
    if (params.collect === true) ctx.collectGarbage?.();
    const usage = process.memoryUsage();
    return {
      arrays: [],
      meta: {
        cache_bytes: BoundedCache.totalBytes(),
        kernel_memory_bytes: kernelMemoryBytes(),
        arena_bytes: ctx.arena?.stats().retainedBytes ?? 0,
        rss: usage.rss,
        heap_total: usage.heapTotal,
        heap_used: usage.heapUsed,
        external: usage.external,
        array_buffers: usage.arrayBuffers,
      },
    };
  },

  *sleep(params) {
    const ms = finiteNumber(params, "seconds") * 1000;
    yield new Promise<void>((resolve) => setTimeout(resolve, ms));
    return { arrays: [] };
  },

  raise: (params) => {
    const message = String(params.message ?? "raised on request");
    throw params.type === "ParameterError" ? new ParameterError(message) : new Error(message);
  },

  exit: (params) => {
    const code = finiteNumber(params, "code");
    process.stderr.write(`${String(params.message ?? "exiting on request")}\n`);
    process.exit(code);
  },
});
