/**
 * BufferArena and the allocation source of alloc.ts: reuse across requests,
 * zeroing on request, and the trimming policy that keeps memory bounded.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { allocFloat, allocFloat32, allocFloat64, allocInt32, allocUint8, setBufferSource } from "../src/util/alloc.js";
import { BufferArena } from "../src/schedule/arena.js";

const KiB = 1024;
const MiB = 1024 * KiB;

/** Runs one "request": opens a scope, installs it, runs `body`, releases. */
const request = <T>(arena: BufferArena, body: () => T): T => {
  const scope = arena.scope();
  setBufferSource(scope);
  try {
    return body();
  } finally {
    setBufferSource(undefined);
    scope.release();
  }
};

afterEach(() => {
  setBufferSource(undefined);
  vi.useRealTimers();
});

describe("alloc without an arena", () => {
  it("allocates fresh zeroed memory, shared or not", () => {
    const shared = allocFloat64(10, true);
    const plain = allocFloat32(10, false, { zero: false });
    expect(shared.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(plain.buffer).toBeInstanceOf(ArrayBuffer);
    expect([...shared, ...plain].every((v) => v === 0)).toBe(true);
    expect(allocFloat(3, true, false)).toBeInstanceOf(Float64Array);
    expect(allocFloat(3, false, false)).toBeInstanceOf(Float32Array);
  });
});

describe("BufferArena", () => {
  it("hands the same memory to the next request, zeroed unless asked not to", () => {
    const arena = new BufferArena();
    const n = MiB / 8;
    const first = request(arena, () => {
      const a = allocFloat64(n, false);
      a.fill(7);
      return a;
    });
    expect(first.buffer).toBeInstanceOf(SharedArrayBuffer);
    const zeroed = request(arena, () => allocFloat64(n, false));
    expect(zeroed.buffer).toBe(first.buffer);
    expect(zeroed.every((v) => v === 0)).toBe(true);
    zeroed.fill(3);
    const dirty = request(arena, () => allocFloat64(n, true, { zero: false }));
    expect(dirty.buffer).toBe(first.buffer);
    expect(dirty[0]).toBe(3);
    expect(dirty[n - 1]).toBe(3);
    expect(arena.stats()).toMatchObject({ hits: 2, misses: 1, requests: 3 });
  });

  it("zeroes only what the request asked for when reusing a larger buffer", () => {
    const arena = new BufferArena();
    const big = request(arena, () => allocFloat32(MiB, false).fill(1));
    const smaller = request(arena, () => allocFloat32(MiB - 1001, false));
    expect(smaller.buffer).toBe(big.buffer);
    expect(smaller.length).toBe(MiB - 1001);
    expect(smaller.every((v) => v === 0)).toBe(true);
  });

  it("never gives one buffer to two allocations of the same request", () => {
    const arena = new BufferArena();
    request(arena, () => [allocFloat64(MiB, false), allocFloat64(MiB, false)]);
    const [a, b] = request(arena, () => [allocFloat64(MiB, false), allocFloat64(MiB, false)]);
    expect(a!.buffer).not.toBe(b!.buffer);
    expect(arena.stats()).toMatchObject({ hits: 2, misses: 2 });
  });

  it("does not pool small buffers, nor pin a buffer more than twice the request", () => {
    const arena = new BufferArena();
    const small = request(arena, () => allocFloat64(100, false));
    expect(request(arena, () => allocFloat64(100, false)).buffer).not.toBe(small.buffer);
    const huge = request(arena, () => allocFloat64(4 * MiB, false));
    const modest = request(arena, () => allocFloat64(MiB, false));
    expect(modest.buffer).not.toBe(huge.buffer);
    // Best fit: of two free buffers that fit, the smaller.
    const again = request(arena, () => allocFloat64(MiB - 8, false));
    expect(again.buffer).toBe(modest.buffer);
  });

  it("ignores a buffer given back twice", () => {
    const arena = new BufferArena();
    const buffer = arena.take(MiB, false);
    arena.give(buffer);
    arena.give(buffer);
    expect(arena.stats().freeBuffers).toBe(1);
    const a = arena.take(MiB, false);
    const b = arena.take(MiB, false);
    expect(a).toBe(buffer);
    expect(b).not.toBe(buffer);
  });

  it("reuses small buffers too (power-of-two sizes below 64 KiB), and drops those below minPooledBytes at once", () => {
    const onDrop = vi.fn();
    const arena = new BufferArena({ onDrop });
    const first = request(arena, () => [allocFloat64(700, false), allocInt32(100, false), allocUint8(10, false)]);
    expect(first[0]!.buffer.byteLength).toBe(8 * KiB); // 5600 bytes, rounded up to a power of two
    expect(first[1]!.buffer.byteLength).toBe(400); // below 4 KiB: an ordinary allocation...
    expect(onDrop.mock.calls).toEqual([[400], [10]]); // ...dropped when the request ends
    const second = request(arena, () => [allocFloat64(600, false), allocInt32(100, false)]);
    expect(second[0]!.buffer).toBe(first[0]!.buffer);
    expect(second[1]!.buffer).not.toBe(first[1]!.buffer);
    expect(second[0]!.length).toBe(600);
  });

  it("drops buffers no request used for keepRequests requests", () => {
    const onDrop = vi.fn();
    const arena = new BufferArena({ keepRequests: 3, warmBytes: 0, onDrop });
    request(arena, () => allocFloat64(8 * MiB, false));
    expect(arena.stats().retainedBytes).toBe(64 * MiB);
    for (let i = 0; i < 2; i++) request(arena, () => allocFloat64(10, false));
    expect(arena.stats().retainedBytes).toBe(64 * MiB);
    // The third request in a row that did not use it.
    request(arena, () => allocFloat64(10, false));
    expect(arena.stats().retainedBytes).toBe(0);
    expect(onDrop).toHaveBeenCalledWith(64 * MiB);
  });

  it("keeps stale buffers while the free ones fit the warm set, least recently used out first", () => {
    // A loop calling three functions per clip: requests of 1, 3 and 7 MiB (none fits another's buffer).
    const sizes = [1, 3, 7];
    const call = (arena: BufferArena, k: number): SharedArrayBuffer =>
      request(arena, () => allocFloat64((sizes[k % 3]! * MiB) / 8, false)).buffer as SharedArrayBuffer;
    // A warm set of 11 MiB: nothing goes, every round reuses the first round's buffers.
    const onDropWarm = vi.fn();
    const warm = new BufferArena({ keepRequests: 2, warmBytes: 11 * MiB, onDrop: onDropWarm });
    const first = [0, 1, 2].map((k) => call(warm, k));
    for (let k = 3; k < 9; k++) expect(call(warm, k)).toBe(first[k % 3]);
    expect(onDropWarm).not.toHaveBeenCalled();
    expect(warm.stats()).toMatchObject({ retainedBytes: 11 * MiB, hits: 6, misses: 3 });
    // 10 MiB: the stale buffers go least recently used first until the free ones fit.
    const onDrop = vi.fn();
    const arena = new BufferArena({ keepRequests: 2, warmBytes: 10 * MiB, onDrop });
    for (let k = 0; k < 3; k++) call(arena, k);
    expect(onDrop.mock.calls).toEqual([[MiB]]); // the 1 MiB buffer, stale after two requests without it
    call(arena, 3); // a new 1 MiB buffer; the 3 MiB one is now the stale one
    expect(onDrop.mock.calls).toEqual([[MiB], [3 * MiB]]);
    expect(arena.stats()).toMatchObject({ retainedBytes: 8 * MiB, freeBuffers: 2 });
  });

  it("keeps at most maxRetainedBytes, least recently used first", () => {
    const arena = new BufferArena({ maxRetainedBytes: 3 * MiB });
    const old = request(arena, () => allocFloat64(MiB / 8 * 2, false)); // 2 MiB
    const recent = request(arena, () => allocFloat64(MiB / 8 * 2, false)); // reuses `old`
    expect(recent.buffer).toBe(old.buffer);
    request(arena, () => [allocFloat64(MiB / 8 * 2, false), allocFloat64(MiB / 8 * 2, false)]);
    // Two 2 MiB buffers free, cap 3 MiB: one goes.
    expect(arena.stats()).toMatchObject({ retainedBytes: 2 * MiB, freeBuffers: 1 });
  });

  it("with maxRetainedBytes 0 keeps nothing", () => {
    const arena = new BufferArena({ maxRetainedBytes: 0 });
    const a = request(arena, () => allocFloat64(MiB, false));
    const b = request(arena, () => allocFloat64(MiB, false));
    expect(b.buffer).not.toBe(a.buffer);
    expect(arena.stats().retainedBytes).toBe(0);
  });

  it("drops everything after idleTrimMs without a request", () => {
    vi.useFakeTimers();
    const onDrop = vi.fn();
    const arena = new BufferArena({ idleTrimMs: 1000, onDrop });
    request(arena, () => allocFloat64(MiB, false));
    vi.advanceTimersByTime(900);
    request(arena, () => allocFloat64(MiB, false));
    vi.advanceTimersByTime(900);
    expect(arena.stats().retainedBytes).toBe(8 * MiB);
    vi.advanceTimersByTime(200);
    expect(arena.stats().retainedBytes).toBe(0);
    expect(onDrop).toHaveBeenCalledWith(8 * MiB);
  });

  it("gives back adopted buffers (request payloads) with the scope", () => {
    const arena = new BufferArena();
    const payload = arena.take(2 * MiB, false);
    const scope = arena.scope();
    scope.adopt(payload);
    scope.release();
    scope.release();
    expect(arena.stats()).toMatchObject({ freeBuffers: 1, requests: 1 });
    expect(arena.take(2 * MiB, false)).toBe(payload);
  });
});
