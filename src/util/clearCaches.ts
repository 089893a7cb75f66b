/**
 * The one place that knows every per-thread cache, so `clearCaches()` (the
 * `clear_caches` op, `auralis_dsp.clear_caches()`) can give them all back.
 * Each module that keeps state between calls registers a reset at load; a
 * reset drops the state (the next call rebuilds it), so results never depend
 * on whether caches were cleared.
 *
 * The kernels' WebAssembly memory (util/kernelMemory.ts) registers one too:
 * a memory cannot shrink, so its reset drops the whole memory, with the
 * instances and tables over it (they live on it), and it is freed once
 * nothing references it.
 */
const resets: (() => void)[] = [];

/** Registers `reset`, run by every {@link clearCaches} on this thread. */
export const onClearCaches = (reset: () => void): void => {
  resets.push(reset);
};

/** Runs every registered reset on this thread (workers clear their own: see the pool's clearCaches). */
export const clearCaches = (): void => {
  for (const reset of resets) reset();
};
