/**
 * Reply segments (docs/protocol.md, "Shared-memory replies"): files the
 * client created on a tmpfs (/dev/shm) and maps; a request may name one as
 * `reply_shm`, and the server then writes the reply's large arrays into it
 * with `pwrite` at 64-byte aligned offsets instead of through the pipe. The
 * client maps each segment once and hands out numpy views, so a large reply
 * costs one copy (Node's memory into the file's pages, which stay allocated
 * between calls) instead of two through the pipe plus its wake-ups.
 *
 * The server unlinks a segment's path as soon as it has opened it (the client
 * too, after the reply), and keeps the descriptor until a request lists the
 * id in `shm_release`.
 */
import { closeSync, constants as fsConstants, fstatSync, openSync, readSync, unlinkSync, writeSync } from "node:fs";
import { DTYPE_LAYOUTS, elementCount } from "./dtypes.js";
import type { NamedArray } from "../ops/types.js";
import type { Runner, TaskTable, Wait } from "../schedule/types.js";
import type { SegmentRead } from "./frame.js";

/** Arrays smaller than this travel inline: a pwrite's fixed cost beats the copy it saves. */
export const SHM_MIN_ARRAY_BYTES = 64 * 1024;
/** Offsets of arrays in a segment are multiples of this (cache lines, SIMD loads). */
const SHM_ALIGN = 64;
/** Most segments the server keeps open for one client (each is one descriptor). */
const MAX_OPEN_SEGMENTS = 1024;
/** Segment paths must start with this directory (a tmpfs on Linux). */
const SHM_DIR = "/dev/shm/";

export interface ReplySegment {
  id: number;
  fd: number;
  capacity: number;
}

interface PlacedArray {
  name: string;
  dtype: NamedArray["dtype"];
  shape: number[];
  nbytes: number;
  offset: number;
}

const isId = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** Type checks of the request header's segment fields (run with the other header checks). */
export const segmentHeaderProblem = (header: Record<string, unknown>): string | undefined => {
  const offer = header.reply_shm;
  if (offer !== undefined && offer !== null) {
    if (typeof offer !== "object" || Array.isArray(offer)) return "header.reply_shm must be an object";
    const o = offer as Record<string, unknown>;
    if (!isId(o.id)) return "header.reply_shm.id must be a non-negative integer";
    if (typeof o.path !== "string" || !o.path.startsWith(SHM_DIR) || o.path.includes("/..") || o.path.length > 4096) {
      return `header.reply_shm.path must be a file under ${SHM_DIR}`;
    }
    if (!isId(o.capacity) || (o.capacity as number) === 0) return "header.reply_shm.capacity must be a positive integer";
  }
  const release = header.shm_release;
  if (release !== undefined && release !== null) {
    if (!Array.isArray(release) || !release.every(isId)) return "header.shm_release must be a list of non-negative integers";
  }
  // Arrays with an offset are in the segment (the frame parser checked their offsets and sizes).
  const arrays = Array.isArray(header.arrays) ? (header.arrays as { name?: unknown; offset?: unknown; nbytes?: unknown }[]) : [];
  for (const a of arrays) {
    if (a.offset === undefined) continue;
    if (!offer) return `array ${String(a.name)} has an offset but the request offers no segment (reply_shm)`;
    const capacity = (offer as { capacity: number }).capacity;
    if ((a.offset as number) + (a.nbytes as number) > capacity) return `array ${String(a.name)} ends past the segment's capacity ${capacity}`;
  }
  return undefined;
};

/** The unit of a segment read that one thread takes (a 63 MB array is 31 of them). */
const READ_BLOCK_BYTES = 2 << 20;

/** Reads all of `bytes` from `fd` at `offset` (pread; any thread of the server may call it). */
const readAt = (fd: number, bytes: Uint8Array, offset: number): void => {
  for (let done = 0; done < bytes.byteLength; ) {
    const n = readSync(fd, bytes, done, Math.min(bytes.byteLength - done, 1 << 30), offset + done);
    if (n === 0) throw new Error(`the request's segment ends before offset ${offset + done}`);
    done += n;
  }
};

const blocksOf = (read: SegmentRead): number => Math.ceil(read.bytes.byteLength / READ_BLOCK_BYTES);

/** Arguments of `bridge.readSegment`: the segment's descriptor and the arrays to fill from it. */
export interface SegmentReadArgs {
  fd: number;
  reads: SegmentRead[];
}

/** `bridge.readSegment` over units [start, end): the READ_BLOCK_BYTES blocks of `reads`, array after array. */
const readSegmentTask = (start: number, end: number, a: SegmentReadArgs): void => {
  let first = 0;
  for (const read of a.reads) {
    const blocks = blocksOf(read);
    for (let b = Math.max(0, start - first); b < Math.min(blocks, end - first); b++) {
      const from = b * READ_BLOCK_BYTES;
      readAt(a.fd, read.bytes.subarray(from, Math.min(read.bytes.byteLength, from + READ_BLOCK_BYTES)), read.offset + from);
    }
    first += blocks;
  }
};

/** The server's own tasks (its pool's workers load this file too); kernels never see them. */
export const bridgeTasks = { "bridge.readSegment": readSegmentTask } satisfies TaskTable;

/**
 * Fills the arrays a request placed in its segment (`fromSegment`): blocks of
 * 2 MiB read by the pool's threads in parallel (one copy each, from the file's
 * pages into the arena's buffers), on this thread when there are few.
 */
export const readFromSegment = (runner: Runner<typeof bridgeTasks>, segment: ReplySegment, reads: SegmentRead[]): Wait => {
  const units = reads.reduce((sum, read) => sum + blocksOf(read), 0);
  return runner.run("bridge.readSegment", units, { fd: segment.fd, reads }, 2);
};

/** The segments one server holds open, by the client's ids. */
export class SegmentTable {
  private readonly open = new Map<number, ReplySegment>();

  get size(): number {
    return this.open.size;
  }

  /** Closes the segments listed in `header.shm_release` (unknown ids are ignored). */
  release(header: Record<string, unknown>): void {
    const ids = header.shm_release;
    if (!Array.isArray(ids)) return;
    for (const id of ids) {
      const segment = this.open.get(id as number);
      if (!segment) continue;
      this.open.delete(id as number);
      try {
        closeSync(segment.fd);
      } catch {
        // Already gone: nothing to free.
      }
    }
  }

  /**
   * The segment `header.reply_shm` names, opened on first sight; undefined when
   * the request offers none. Throws an Error with a message for the client when
   * the segment cannot be used (the request then gets a ProtocolError).
   */
  forRequest(header: Record<string, unknown>): ReplySegment | undefined {
    const offer = header.reply_shm as { id: number; path: string; capacity: number } | undefined | null;
    if (!offer) return undefined;
    let segment = this.open.get(offer.id);
    if (!segment) {
      if (this.open.size >= MAX_OPEN_SEGMENTS) throw new Error(`more than ${MAX_OPEN_SEGMENTS} reply segments open; release some`);
      let fd: number;
      try {
        fd = openSync(offer.path, fsConstants.O_RDWR | (fsConstants.O_NOFOLLOW ?? 0));
      } catch (error) {
        throw new Error(`cannot open reply segment ${offer.path}: ${(error as Error).message}`, { cause: error });
      }
      try {
        const stat = fstatSync(fd);
        if (!stat.isFile()) throw new Error("not a regular file");
        if (stat.size < offer.capacity) throw new Error(`its size ${stat.size} is below capacity ${offer.capacity}`);
      } catch (error) {
        closeSync(fd);
        throw new Error(`unusable reply segment ${offer.path}: ${(error as Error).message}`, { cause: error });
      }
      // Open here, so the name may go now: nothing is left behind if the client dies mid-call.
      try {
        unlinkSync(offer.path);
      } catch {
        // The client unlinks it too.
      }
      segment = { id: offer.id, fd, capacity: offer.capacity };
      this.open.set(offer.id, segment);
    } else if (offer.capacity > segment.capacity) {
      // The client grew the file (ftruncate) under the same id.
      const size = fstatSync(segment.fd).size;
      segment.capacity = Math.min(size, offer.capacity);
    }
    return segment;
  }

  closeAll(): void {
    this.release({ shm_release: [...this.open.keys()] });
  }
}

const alignUp = (n: number): number => Math.ceil(n / SHM_ALIGN) * SHM_ALIGN;

/** Room in one request's segment: offsets handed out in order, 64-byte aligned. */
export class SegmentSpace {
  private next = 0;
  constructor(readonly segment: ReplySegment) {}

  get fd(): number {
    return this.segment.fd;
  }

  /** The offset of `nbytes` more bytes, or undefined when they do not fit (or are too few to be worth it). */
  claim(nbytes: number): number | undefined {
    if (nbytes < SHM_MIN_ARRAY_BYTES || this.next + nbytes > this.segment.capacity) return undefined;
    const offset = this.next;
    this.next = alignUp(offset + nbytes);
    return offset;
  }
}

/**
 * Writes the result arrays of at least SHM_MIN_ARRAY_BYTES that fit into the
 * segment (in order, first fit) and returns them as placed; the others stay
 * inline. Arrays an op already wrote there (`segmentOffset`) are not written again.
 */
export const placeInSegment = (
  space: SegmentSpace,
  arrays: readonly NamedArray[],
): { placed: PlacedArray[]; inline: NamedArray[] } => {
  const placed: PlacedArray[] = [];
  const inline: NamedArray[] = [];
  for (const a of arrays) {
    const nbytes = elementCount(a.shape) * DTYPE_LAYOUTS[a.dtype].itemSize;
    if (a.segmentOffset !== undefined) {
      placed.push({ name: a.name, dtype: a.dtype, shape: a.shape, nbytes, offset: a.segmentOffset });
      continue;
    }
    const offset = space.claim(nbytes);
    if (offset === undefined) {
      inline.push(a);
      continue;
    }
    writeAt(space.fd, new Uint8Array(a.data.buffer, a.data.byteOffset, nbytes), offset);
    placed.push({ name: a.name, dtype: a.dtype, shape: a.shape, nbytes, offset });
  }
  return { placed, inline };
};

/** Writes all of `bytes` to `fd` at `offset` (pwrite; any thread of the server may call it). */
export const writeAt = (fd: number, bytes: Uint8Array, offset: number): void => {
  for (let done = 0; done < bytes.byteLength; ) {
    done += writeSync(fd, bytes, done, Math.min(bytes.byteLength - done, 1 << 30), offset + done);
  }
};
