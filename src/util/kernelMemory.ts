/**
 * The one WebAssembly memory of a thread's kernels, with named regions.
 *
 * Every kernel module (util/wasm.ts builds them all) imports its memory; they
 * are all instantiated over this one, so they work in place on each other's
 * buffers (an FFT's output is a fold kernel's input) and their bytes are laid
 * out, counted and given back in one place:
 *
 * - {@link KernelMemory.reserve}: bytes kept until the memory is released
 *   (FFT tables per size, a resampling stage's spectrum);
 * - {@link KernelMemory.area}: a named, reusable area of a region (a call's
 *   layout: the CQT's band tables, the lane medians' lines, yin's scratch),
 *   as large as the largest request so far; a larger request moves it and
 *   the space it leaves is reused by later areas;
 * - {@link KernelMemory.instance}: a module's instance over this memory;
 * - {@link KernelMemory.memo}: state tied to this memory (anything holding
 *   its addresses), dropped with it.
 *
 * A memory cannot shrink, so it is released whole: `clearCaches()` drops this
 * thread's, and so does going over {@link KERNEL_MEMORY_BUDGET_BYTES}: the
 * memory is then retired (calls holding it finish on it) and the next
 * {@link kernelMemory} starts a new one, which is freed along with everything
 * that held its addresses once nothing references it.
 */
import { onClearCaches } from "./clearCaches.js";

/** The kernel families, one region each (what the bytes are counted under). */
export type KernelRegion = "fft" | "yin" | "pyin" | "stft" | "cqt" | "chroma" | "tuning" | "hpss" | "resample";

/**
 * Bytes of kernel memory per thread after which it is retired (see the file
 * comment): well above what one call of the benchmarks needs (a 30 s clip's
 * effects.hpss holds about 40 MB), so a steady workload never rebuilds.
 */
const KERNEL_MEMORY_BUDGET_BYTES = 256 * 2 ** 20;

let budget = KERNEL_MEMORY_BUDGET_BYTES;

/** Sets the per-thread budget of memories made from now on (tests use a small one); returns the previous one. */
export const setKernelMemoryBudget = (bytes: number): number => {
  const previous = budget;
  budget = bytes;
  return previous;
};

const PAGE = 65536;

/** The parts of the WebAssembly JS API used here (the project's `lib` setting has no wasm types). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports?: object) => { readonly exports: unknown };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
}

const wasmApi = (): WasmApi | undefined => (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

/** Compiled modules by their bytes (null: rejected, e.g. no SIMD); compiled code holds no memory, so they outlive releases. */
const compiled = new WeakMap<Uint8Array, object | null>();

const compile = (api: WasmApi, bytes: Uint8Array): object | null => {
  let module = compiled.get(bytes);
  if (module === undefined) {
    try {
      module = api.validate(bytes) ? new api.Module(bytes) : null;
    } catch {
      module = null;
    }
    compiled.set(bytes, module);
  }
  return module;
};

interface Area {
  at: number;
  bytes: number;
  readonly region: KernelRegion;
}

const align16 = (bytes: number): number => Math.ceil(bytes / 16) * 16;

export class KernelMemory {
  /** The WebAssembly.Memory every kernel module of this thread imports. */
  readonly memory: WasmMemory;
  /** The memory as float64 / float32 / int32: renewed when it grows, so read after any reservation. */
  f64: Float64Array;
  f32: Float32Array;
  i32: Int32Array;
  /** Set once over budget: the next {@link kernelMemory} starts a new memory. */
  retired = false;
  private readonly api: WasmApi;
  /** Next never-used byte. */
  private top = 0;
  private readonly regionBytes = new Map<KernelRegion, number>();
  private readonly areas = new Map<string, Area>();
  /** Spaces left by moved areas, reused by later areas (first fit). */
  private readonly holes: { at: number; bytes: number }[] = [];
  private readonly instances = new Map<Uint8Array, unknown>();
  private readonly memos = new Map<unknown, unknown>();

  private readonly budget: number;

  constructor(api: WasmApi, budgetBytes: number) {
    this.api = api;
    this.budget = budgetBytes;
    this.memory = new api.Memory({ initial: 1 });
    this.f64 = new Float64Array(this.memory.buffer);
    this.f32 = new Float32Array(this.memory.buffer);
    this.i32 = new Int32Array(this.memory.buffer);
  }

  /** Bytes of the memory. */
  get byteLength(): number {
    return this.memory.buffer.byteLength;
  }

  /** `bytes` (rounded up to 16) for `region`, kept until the memory is released; returns their byte address (16-aligned). */
  reserve(region: KernelRegion, bytes: number): number {
    const size = align16(bytes);
    const at = this.top;
    this.ensure(at + size);
    this.top = at + size;
    this.count(region, size);
    return at;
  }

  /**
   * The byte address (16-aligned) of `region`'s area `name`, at least `bytes`
   * long. The same area while large enough (its contents kept); otherwise a
   * larger one (contents not kept), the old space free for other areas.
   */
  area(region: KernelRegion, name: string, bytes: number): number {
    const key = `${region}:${name}`;
    const size = align16(bytes);
    const known = this.areas.get(key);
    if (known !== undefined && known.bytes >= size) return known.at;
    if (known !== undefined && known.at + known.bytes === this.top) {
      // The last thing laid out: it grows in place.
      this.ensure(known.at + size);
      this.top = known.at + size;
      this.count(region, size - known.bytes);
      known.bytes = size;
      return known.at;
    }
    if (known !== undefined) {
      this.count(region, -known.bytes);
      this.release(known.at, known.bytes);
    }
    const at = this.take(size);
    this.count(region, size);
    this.areas.set(key, { at, bytes: size, region });
    return at;
  }

  /** The exports of `module` (a {@link wasmModule} importing `env.memory`) over this memory, made once; null where the runtime rejects it (no SIMD). */
  instance<T>(module: Uint8Array): T | null {
    if (this.instances.has(module)) return this.instances.get(module) as T | null;
    const compiledModule = compile(this.api, module);
    let exports: T | null = null;
    if (compiledModule !== null) {
      try {
        exports = new this.api.Instance(compiledModule, { env: { memory: this.memory } }).exports as T;
      } catch {
        exports = null;
      }
    }
    this.instances.set(module, exports);
    return exports;
  }

  /** State of `key` tied to this memory (e.g. tables of addresses in it), made by `make` on first use. */
  memo<T>(key: unknown, make: () => T): T {
    if (this.memos.has(key)) return this.memos.get(key) as T;
    const value = make();
    this.memos.set(key, value);
    return value;
  }

  /** Bytes by region, and `free` for the rest of the memory (holes and the end): they add up to {@link byteLength}. */
  bytesByRegion(): Record<string, number> {
    const bytes: Record<string, number> = {};
    let used = 0;
    for (const [region, n] of this.regionBytes) {
      if (n === 0) continue;
      bytes[region] = n;
      used += n;
    }
    bytes.free = this.byteLength - used;
    return bytes;
  }

  private count(region: KernelRegion, bytes: number): void {
    this.regionBytes.set(region, (this.regionBytes.get(region) ?? 0) + bytes);
  }

  /** Space for an area: a hole large enough, else the end. */
  private take(size: number): number {
    const hole = this.holes.findIndex((h) => h.bytes >= size);
    if (hole >= 0) {
      const h = this.holes[hole]!;
      const at = h.at;
      if (h.bytes === size) this.holes.splice(hole, 1);
      else {
        h.at += size;
        h.bytes -= size;
      }
      return at;
    }
    const at = this.top;
    this.ensure(at + size);
    this.top = at + size;
    return at;
  }

  /** Gives a moved area's space back: merged with its neighbours, or returned to the end. */
  private release(at: number, bytes: number): void {
    this.holes.push({ at, bytes });
    this.holes.sort((a, b) => a.at - b.at);
    for (let i = this.holes.length - 1; i > 0; i--) {
      const before = this.holes[i - 1]!;
      const h = this.holes[i]!;
      if (before.at + before.bytes === h.at) {
        before.bytes += h.bytes;
        this.holes.splice(i, 1);
      }
    }
    const last = this.holes[this.holes.length - 1];
    if (last !== undefined && last.at + last.bytes === this.top) {
      this.top = last.at;
      this.holes.pop();
    }
  }

  /** Grows the memory to at least `end` bytes, renewing the views; retires it once over budget. */
  private ensure(end: number): void {
    const missing = end - this.memory.buffer.byteLength;
    if (missing <= 0) return;
    this.memory.grow(Math.ceil(missing / PAGE));
    this.f64 = new Float64Array(this.memory.buffer);
    this.f32 = new Float32Array(this.memory.buffer);
    this.i32 = new Int32Array(this.memory.buffer);
    if (this.memory.buffer.byteLength > this.budget) this.retired = true;
  }
}

/** This thread's memory (undefined: none yet; null: no WebAssembly). */
let current: KernelMemory | null | undefined;
onClearCaches(() => {
  current = undefined;
});

/**
 * This thread's kernel memory, made on first use (a new one after
 * `clearCaches` or once the last went over budget); null where the runtime
 * has no WebAssembly. Whether a module runs here (SIMD) is
 * {@link KernelMemory.instance}'s answer.
 */
export const kernelMemory = (): KernelMemory | null => {
  if (current === undefined || current?.retired === true) {
    const api = wasmApi();
    current = api === undefined || typeof api.Memory !== "function" ? null : new KernelMemory(api, budget);
  }
  return current;
};

/** Whether `memory` is this thread's current kernel memory (a holder of an older one should look it up again). */
export const isCurrentKernelMemory = (memory: KernelMemory): boolean => current === memory && !memory.retired;

/**
 * Bytes of this thread's kernel memory by region (see
 * {@link KernelMemory.bytesByRegion}); `{}` when there is none (none used
 * since the last `clearCaches`).
 */
export const kernelMemoryBytes = (): Record<string, number> => (current ? current.bytesByRegion() : {});

/**
 * The exports of `module` over a given kernel memory (its instance there,
 * made once); null where the runtime rejects the module (no SIMD).
 */
export const kernelsOverMemory =
  <T>(module: Uint8Array): ((memory: KernelMemory) => T | null) =>
  (memory) =>
    memory.instance<T>(module);
