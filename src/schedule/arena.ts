/**
 * A BufferArena keeps the large SharedArrayBuffers of finished requests so the
 * next request can reuse them. On small VMs, touching fresh memory costs a page
 * fault per 4 KiB (tens of ms for a 100 MB spectrogram), reused memory does not.
 *
 * Lifetime: the server opens a `scope` per request; request payloads and every
 * kernel allocation made through alloc.ts while the scope is installed are
 * taken from the arena and given back when the scope is released, after the
 * reply has been written. Requests are served one at a time, so a buffer is
 * never handed to two live requests.
 *
 * Policy (keeps memory bounded; see docs/protocol.md, "Server memory"):
 * - Buffers below `minPooledBytes` (4 KiB) are ordinary allocations, never kept.
 *   Small ones are kept too: a short clip's call is made of them, and each one
 *   dropped is garbage in every isolate it was posted to (see gc.ts).
 * - A request takes the smallest free buffer that fits and wastes at most half
 *   of it (so a 1 MB request never pins a 100 MB buffer); otherwise a new one,
 *   rounded up to 64 KiB (below 64 KiB, to a power of two).
 * - After each request, free buffers not used by any of the last
 *   `keepRequests` (8) requests are dropped, beyond a warm set: the most
 *   recently used of them are kept while all the free buffers add up to at most
 *   `warmBytes` (32 MiB). A large job followed by small ones shrinks back within
 *   a few calls, while a loop over clips calling several functions per clip
 *   (more than 8 requests a round) keeps reusing its buffers: dropping them made
 *   a full collection everywhere every ~50 calls of 5 s clips, and each one slowed
 *   the next ~20 calls (yin on a 5 s clip: median 2.4 ms, 16 ms just after a
 *   collection, 3-7 ms for the 15 calls after it).
 * - Free buffers never add up to more than `maxRetainedBytes` (1 GiB, env
 *   AURALIS_DSP_ARENA_MAX; 0 disables reuse): the least recently used go first.
 * - After `idleTrimMs` (10 s) without a request, every free buffer is dropped.
 * Dropped buffers are returned to the system once garbage-collected in every
 * isolate that saw them; `onDrop` lets the server force that (see gc.ts).
 */
import type { BufferSource } from "../util/alloc.js";

interface ArenaOptions {
  maxRetainedBytes?: number;
  minPooledBytes?: number;
  keepRequests?: number;
  warmBytes?: number;
  idleTrimMs?: number;
  /** Called with the bytes of buffers just dropped (free ones trimmed, small ones given back), e.g. to trigger a garbage collection. */
  onDrop?: (bytes: number) => void;
}

export interface ArenaStats {
  /** Bytes held in free buffers, ready for reuse. */
  retainedBytes: number;
  freeBuffers: number;
  /** Pooled allocations served from reused buffers / from fresh memory. */
  hits: number;
  misses: number;
  requests: number;
}

interface FreeEntry {
  buffer: SharedArrayBuffer;
  /** Serial of the last request that used it. */
  lastUsed: number;
}

/** A request's view of the arena: the allocation source alloc.ts uses while the request runs. */
interface ArenaScope extends BufferSource {
  /** Adds a buffer taken outside the scope (the request payload) to what `release` gives back. */
  adopt(buffer: SharedArrayBuffer): void;
  /** Gives every buffer of the request back to the arena and applies the trimming policy. Idempotent. */
  release(): void;
}

const GRANULE = 64 * 1024;
export const DEFAULT_ARENA_MAX_BYTES = 2 ** 30;
const DEFAULT_WARM_BYTES = 32 * 2 ** 20;

/** The size of a new pooled buffer for `n` bytes: a multiple of GRANULE, or below it a power of two. */
const pooledSize = (n: number): number => (n >= GRANULE ? Math.ceil(n / GRANULE) * GRANULE : 2 ** Math.ceil(Math.log2(n)));

/** Zeroes the first `bytes` bytes (Float64 stores: a byte fill on shared memory is several times slower). */
const zeroPrefix = (buffer: SharedArrayBuffer, bytes: number): void => {
  const words = Math.floor(bytes / 8);
  new Float64Array(buffer, 0, words).fill(0);
  if (words * 8 < bytes) new Uint8Array(buffer, words * 8, bytes - words * 8).fill(0);
};

export class BufferArena {
  readonly maxRetainedBytes: number;
  readonly minPooledBytes: number;
  readonly keepRequests: number;
  readonly warmBytes: number;
  readonly idleTrimMs: number;
  private readonly onDrop?: (bytes: number) => void;
  private free: FreeEntry[] = [];
  /** Buffers currently in `free`, to ignore a second give-back of the same buffer. */
  private readonly inFree = new WeakSet<SharedArrayBuffer>();
  private serial = 0;
  private hits = 0;
  private misses = 0;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: ArenaOptions = {}) {
    this.maxRetainedBytes = options.maxRetainedBytes ?? DEFAULT_ARENA_MAX_BYTES;
    this.minPooledBytes = options.minPooledBytes ?? 4096;
    this.keepRequests = options.keepRequests ?? 8;
    this.warmBytes = options.warmBytes ?? DEFAULT_WARM_BYTES;
    this.idleTrimMs = options.idleTrimMs ?? 10_000;
    this.onDrop = options.onDrop;
  }

  /** A buffer of at least `bytes` bytes, the first `bytes` zeroed when `zero`. */
  take(bytes: number, zero: boolean): SharedArrayBuffer {
    if (bytes < this.minPooledBytes || this.maxRetainedBytes <= 0) return new SharedArrayBuffer(bytes);
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const size = this.free[i]!.buffer.byteLength;
      if (size >= bytes && size <= 2 * bytes && (best < 0 || size < this.free[best]!.buffer.byteLength)) best = i;
    }
    if (best >= 0) {
      const { buffer } = this.free[best]!;
      this.free.splice(best, 1);
      this.inFree.delete(buffer);
      this.hits++;
      if (zero) zeroPrefix(buffer, bytes);
      return buffer;
    }
    this.misses++;
    return new SharedArrayBuffer(pooledSize(bytes));
  }

  /**
   * Returns `buffer` for reuse by later requests. Already returned buffers are
   * ignored; small ones (and every one when reuse is off) are dropped.
   */
  give(buffer: SharedArrayBuffer): void {
    if (this.inFree.has(buffer)) return;
    if (buffer.byteLength < this.minPooledBytes || this.maxRetainedBytes <= 0) {
      this.onDrop?.(buffer.byteLength);
      return;
    }
    this.inFree.add(buffer);
    this.free.push({ buffer, lastUsed: this.serial });
  }

  /** Opens the allocation scope of one request. */
  scope(): ArenaScope {
    let taken: SharedArrayBuffer[] | undefined = [];
    return {
      take: (bytes, zero) => {
        const buffer = this.take(bytes, zero);
        taken?.push(buffer);
        return buffer;
      },
      adopt: (buffer) => {
        taken?.push(buffer);
      },
      release: () => {
        if (!taken) return;
        for (const buffer of taken) this.give(buffer);
        taken = undefined;
        this.endRequest();
      },
    };
  }

  /**
   * Applies the per-request policy: drop buffers unused for `keepRequests` requests
   * beyond the warm set, then enforce the byte cap.
   */
  private endRequest(): void {
    this.serial++;
    const oldest = this.serial - this.keepRequests;
    let retained = this.retainedBytes();
    const drop = new Set<FreeEntry>();
    /** Drops `entries`, least recently used first (the larger of equals first), until the free buffers add up to `limit`. */
    const trimTo = (limit: number, entries: FreeEntry[]): void => {
      entries.sort((a, b) => a.lastUsed - b.lastUsed || b.buffer.byteLength - a.buffer.byteLength);
      for (const e of entries) {
        if (retained <= limit) break;
        drop.add(e);
        retained -= e.buffer.byteLength;
      }
    };
    trimTo(this.warmBytes, this.free.filter((e) => e.lastUsed < oldest));
    trimTo(this.maxRetainedBytes, this.free.filter((e) => !drop.has(e)));
    this.dropEntries(drop);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.free.length > 0 && Number.isFinite(this.idleTrimMs)) {
      this.idleTimer = setTimeout(() => this.clear(), this.idleTrimMs);
      this.idleTimer.unref?.();
    }
  }

  /** Drops every free buffer. */
  clear(): void {
    this.dropEntries(new Set(this.free));
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private dropEntries(drop: Set<FreeEntry>): void {
    if (drop.size === 0) return;
    let bytes = 0;
    for (const e of drop) {
      this.inFree.delete(e.buffer);
      bytes += e.buffer.byteLength;
    }
    this.free = this.free.filter((e) => !drop.has(e));
    this.onDrop?.(bytes);
  }

  retainedBytes(): number {
    return this.free.reduce((sum, e) => sum + e.buffer.byteLength, 0);
  }

  stats(): ArenaStats {
    return { retainedBytes: this.retainedBytes(), freeBuffers: this.free.length, hits: this.hits, misses: this.misses, requests: this.serial };
  }
}
