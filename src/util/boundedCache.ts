/**
 * A cache bounded by bytes, least recently used out first: the one helper
 * behind every per-parameter cache of the kernels (FFT plans by size, CQT
 * filter bases, sliding-DFT tables...). Unbounded maps keyed by parameters
 * grew a long-running server by every distinct n_fft, fmin or hop it saw.
 *
 * An entry's size is the bytes of the typed arrays reachable from it (own
 * properties, a few levels deep), unless the cache is given its own measure.
 * The entry set last is always kept, even when larger than the whole bound
 * (kernels look a plan up per frame: it must not be rebuilt each time).
 * Every cache is emptied by {@link clearCaches}.
 */
import { onClearCaches } from "./clearCaches.js";

const MAX_DEPTH = 4;

let evictionListener: ((bytes: number) => void) | undefined;

/**
 * Tells `listener` the bytes of every entry a cache of this thread drops
 * (evicted or replaced): garbage that the runtime may hold on to for a long
 * time, since typed arrays live outside the JavaScript heap (the server
 * collects after enough of it, see gc.ts). One listener per thread.
 */
export const onCacheEviction = (listener: ((bytes: number) => void) | undefined): void => {
  evictionListener = listener;
};

/** Bytes of the typed arrays (and ArrayBuffers) reachable from `value`'s own properties, each buffer counted once. */
export const reachableBytes = (value: unknown): number => {
  const seen = new Set<unknown>();
  const visit = (v: unknown, depth: number): number => {
    if (v === null || typeof v !== "object" || seen.has(v)) return 0;
    seen.add(v);
    if (ArrayBuffer.isView(v)) {
      if (seen.has(v.buffer)) return 0;
      seen.add(v.buffer);
      return v.buffer.byteLength;
    }
    if (v instanceof ArrayBuffer || (typeof SharedArrayBuffer !== "undefined" && v instanceof SharedArrayBuffer)) return v.byteLength;
    if (depth >= MAX_DEPTH) return 0;
    let bytes = 0;
    const items = Array.isArray(v) ? v : v instanceof Map ? [...v.values()] : Object.values(v);
    for (const item of items) bytes += visit(item, depth + 1);
    return bytes;
  };
  return visit(value, 0);
};

export class BoundedCache<K, V> {
  /** Every cache of this thread (they live as long as their modules). */
  private static readonly all: BoundedCache<unknown, unknown>[] = [];
  private readonly entries = new Map<K, { value: V; bytes: number }>();
  private total = 0;

  /** Bytes held by every cache of this thread. */
  static totalBytes(): number {
    return BoundedCache.all.reduce((sum, cache) => sum + cache.total, 0);
  }

  /**
   * Whether every cache of this thread is within its bound: its bytes at most
   * `maxBytes`, or a single entry (the one set last, kept whatever its size).
   */
  static allWithinBounds(): boolean {
    return BoundedCache.all.every((cache) => cache.total <= cache.maxBytes || cache.entries.size === 1);
  }

  /**
   * @param maxBytes bound on the bytes of the values kept
   * @param sizeOf bytes of one value (default {@link reachableBytes})
   */
  constructor(
    readonly maxBytes: number,
    private readonly sizeOf: (value: V) => number = reachableBytes,
  ) {
    BoundedCache.all.push(this as BoundedCache<unknown, unknown>);
    onClearCaches(() => this.clear());
  }

  get size(): number {
    return this.entries.size;
  }

  /** Bytes of the values kept. */
  get bytes(): number {
    return this.total;
  }

  /** The value of `key` (now the most recently used), or undefined. */
  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Keeps `value` under `key`, dropping the least recently used entries beyond the bound. */
  set(key: K, value: V): void {
    this.delete(key);
    const bytes = this.sizeOf(value);
    this.entries.set(key, { value, bytes });
    this.total += bytes;
    let dropped = 0;
    for (const [oldest, entry] of this.entries) {
      if (this.total <= this.maxBytes || oldest === key) break;
      this.entries.delete(oldest);
      this.total -= entry.bytes;
      dropped += entry.bytes;
    }
    if (dropped > 0) evictionListener?.(dropped);
  }

  /** The value of `key`, made by `make` and kept when missing. */
  getOrCreate(key: K, make: () => V): V {
    const known = this.get(key);
    if (known !== undefined) return known;
    const value = make();
    this.set(key, value);
    return value;
  }

  delete(key: K): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.total -= entry.bytes;
  }

  clear(): void {
    this.entries.clear();
    this.total = 0;
  }
}
