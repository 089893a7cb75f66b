/**
 * `clear_caches`: gives back what the kernels keep between calls (FFT plans,
 * filter bases, sliding tables, the WebAssembly kernel memory) on this
 * thread and every worker, and the server's free request buffers. Results
 * do not change: the next call rebuilds what it needs, a little slower.
 * Reply meta: `cleared_bytes`, the bytes the bounded caches and the arena
 * of this thread held (the kernel memory comes on top).
 */
import { BoundedCache } from "../util/boundedCache.js";
import { clearCaches } from "../util/clearCaches.js";
import type { OpTable } from "./types.js";

export const cacheOps = {
  clear_caches(_params, _arrays, ctx) {
    const clearedBytes = BoundedCache.totalBytes() + (ctx.arena?.stats().retainedBytes ?? 0);
    clearCaches();
    ctx.runner.clearWorkerCaches?.();
    ctx.arena?.clear();
    ctx.collectGarbage?.();
    return { arrays: [], meta: { cleared_bytes: clearedBytes } };
  },
} satisfies OpTable;
