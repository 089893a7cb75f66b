/**
 * The one place that knows every per-thread cache and kernel memory, so
 * `clearCaches()` (the `clear_caches` op, `auralis_dsp.clear_caches()`) can
 * give them all back. Each module that keeps state between calls registers a
 * reset at load; a reset drops the state (the next call rebuilds it), so
 * results never depend on whether caches were cleared.
 *
 * A WebAssembly memory cannot shrink: its reset drops the instance, and the
 * memory is freed once nothing references it (every holder of an address in
 * it registers a reset too, so none keeps it alive or uses a stale address).
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
