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
 *
 * Every WebAssembly memory the kernels create is also registered here
 * ({@link trackKernelMemory}, done by util/wasm.ts at instantiation), so the
 * bytes the kernels hold between calls can be read ({@link kernelMemoryBytes}):
 * the soak and the tests bound them.
 */
const resets: (() => void)[] = [];

/** Registers `reset`, run by every {@link clearCaches} on this thread. */
export const onClearCaches = (reset: () => void): void => {
  resets.push(reset);
};

/** Runs every registered reset on this thread (workers clear their own: see the pool's clearCaches). */
export const clearCaches = (): void => {
  for (const reset of resets) reset();
  // Every kernel instance was just dropped with its memory (freed once collected): no longer the kernels'.
  memories.length = 0;
};

/** The part of a WebAssembly.Memory read here. */
interface SizedMemory {
  readonly buffer: ArrayBufferLike;
}

interface WeakRefLike<T> {
  deref(): T | undefined;
}

/** The kernels' memories of this thread, weakly held (a dropped instance's memory must stay collectable). */
const memories: { name: string; ref: WeakRefLike<SizedMemory> }[] = [];

/** Notes `memory` (a WebAssembly.Memory the kernels own, under `name`) for {@link kernelMemoryBytes}. */
export const trackKernelMemory = (name: string, memory: SizedMemory): void => {
  const WeakRefCtor = (globalThis as { WeakRef?: new (target: SizedMemory) => WeakRefLike<SizedMemory> }).WeakRef;
  const ref = WeakRefCtor ? new WeakRefCtor(memory) : { deref: () => memory };
  for (let i = memories.length - 1; i >= 0; i--) if (memories[i]!.ref.deref() === undefined) memories.splice(i, 1);
  memories.push({ name, ref });
};

/**
 * Bytes of the kernels' WebAssembly memories of this thread, by module name:
 * those created since the last {@link clearCaches} (which drops every instance)
 * and still reachable.
 */
export const kernelMemoryBytes = (): Record<string, number> => {
  const bytes: Record<string, number> = {};
  for (const { name, ref } of memories) {
    const memory = ref.deref();
    if (memory !== undefined) bytes[name] = (bytes[name] ?? 0) + memory.buffer.byteLength;
  }
  return bytes;
};
