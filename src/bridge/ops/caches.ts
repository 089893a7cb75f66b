/**
 * `clear_caches`: gives back what the kernels keep between calls (FFT plans,
 * filter bases, sliding tables, the WebAssembly kernel memory) on this
 * thread and every worker, and the server's free request buffers. Results
 * do not change: the next call rebuilds what it needs, a little slower.
 * Reply meta: `cleared_bytes`, the bytes the bounded caches and the arena
 * of this thread held (the kernel memory comes on top).
 */
import { clearCaches } from "../../util/clearCaches.js";
import { kernelMemoryBytes } from "../../util/kernelMemory.js";
import { BoundedCache } from "../../util/boundedCache.js";
import { registerOp } from "../registry.js";

registerOp("clear_caches", (_params, _arrays, ctx) => {
  const clearedBytes = BoundedCache.totalBytes() + (ctx.arena?.stats().retainedBytes ?? 0);
  clearCaches();
  ctx.pool?.clearCaches?.();
  ctx.arena?.clear();
  ctx.collectGarbage?.();
  return { arrays: [], meta: { cleared_bytes: clearedBytes } };
});

/**
 * `memory` {collect?: bool}: what this thread holds (the soak and tests read
 * it). Meta: `cache_bytes` (the bounded caches), `kernel_memory_bytes` (the
 * kernel memory's bytes by region, and `free`), `arena_bytes` (the server's free
 * request buffers) and, where the runtime has them, Node's
 * `process.memoryUsage()` (`rss`, `heap_used`, `external`, `array_buffers`).
 * With `collect`, a full garbage collection runs first (where one is offered).
 */
registerOp("memory", (params, _arrays, ctx) => {
  if (params.collect === true) ctx.collectGarbage?.();
  const usage = (globalThis as unknown as { process?: { memoryUsage?: () => Record<string, number> } }).process?.memoryUsage?.();
  return {
    arrays: [],
    meta: {
      cache_bytes: BoundedCache.totalBytes(),
      kernel_memory_bytes: kernelMemoryBytes(),
      arena_bytes: ctx.arena?.stats().retainedBytes ?? 0,
      ...(usage ? { rss: usage.rss, heap_total: usage.heapTotal, heap_used: usage.heapUsed, external: usage.external, array_buffers: usage.arrayBuffers } : {}),
    },
  };
});
