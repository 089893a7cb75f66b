/**
 * Moving frames over the server's stdin/stdout without intermediate copies:
 * - `readFrames` lets libuv's stream on fd 0 say when data is ready (a
 *   blocking read in the thread pool would keep `process.exit` and crashes
 *   from ending the process while stdin stays open). Whenever the parser is
 *   inside a payload, it then drains the pipe with `readSync` straight into
 *   the payload buffer (each read takes whatever the pipe holds, up to its
 *   1 MiB) instead of 64 KiB stream chunks copied into it. Windows, files
 *   and terminals use the stream alone.
 * - `writeFrameSync` writes a reply's chunks with `writev` straight from the
 *   arrays' memory; the call returns once the kernel has every byte, so the
 *   buffers may be reused right after.
 */
import { constants as fsConstants, fstatSync, openSync, readSync, writevSync } from "node:fs";
import type { FrameEvent, FrameParser } from "./frame.js";

/** Largest single read/write request (Linux caps one call near 2 GiB). */
const MAX_IO_BYTES = 1 << 30;
/** writev accepts at most IOV_MAX (1024) buffers. */
const MAX_IOV = 1024;

interface FrameReaderCallbacks {
  /** The parser to feed (the server may replace it after a parser failure). */
  parser: () => FrameParser;
  /** Events completed by a read (may be empty). */
  onEvents: (events: FrameEvent[]) => void;
  /** The parser threw while consuming a chunk. */
  onParserError: (error: Error) => void;
  /** End of file on the input. */
  onEnd: () => void;
  /** An unrecoverable read error. */
  onError: (error: Error) => void;
}

/**
 * Direct reads only where libuv reads the stream on this thread when polled (pipes and
 * sockets): a file stdin is read ahead by the thread pool, and a read of ours could
 * overtake one in flight.
 */
const directReadsPossible = (fd: number): boolean => {
  if (process.platform === "win32") return false;
  try {
    const stat = fstatSync(fd);
    return stat.isFIFO() || stat.isSocket();
  } catch {
    return false;
  }
};

/**
 * Reads `fd` into the current payload until the payload is complete or the
 * pipe is empty; returns the completed events, or an Error to give up on.
 */
const drainIntoPayload = (fd: number, parser: FrameParser, events: FrameEvent[]): Error | undefined => {
  for (let target = parser.directTarget(); target; target = parser.directTarget()) {
    let n: number;
    try {
      n = readSync(fd, target, 0, Math.min(target.length, MAX_IO_BYTES), null);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Empty for now (the stream reports the next data), or a descriptor readSync cannot use.
      if (code === "EAGAIN" || code === "EWOULDBLOCK" || code === "EINTR") return undefined;
      return error as Error;
    }
    if (n === 0) return undefined; // end of file: the stream sees it too
    events.push(...parser.commitDirect(n));
  }
  return undefined;
};

/** Starts reading frames from `fd` (0, which must be process.stdin's descriptor) until end of file. */
export const readFrames = (fd: number, cb: FrameReaderCallbacks): void => {
  const direct = directReadsPossible(fd);
  process.stdin.on("data", (chunk: Buffer) => {
    const events: FrameEvent[] = [];
    try {
      const parser = cb.parser();
      events.push(...parser.push(chunk));
      const error = direct ? drainIntoPayload(fd, parser, events) : undefined;
      if (error) {
        cb.onEvents(events);
        cb.onError(error);
        return;
      }
    } catch (error) {
      cb.onParserError(error as Error);
    }
    cb.onEvents(events);
  });
  process.stdin.on("end", cb.onEnd);
  process.stdin.on("error", cb.onError);
};

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * A descriptor for writing replies that blocks when the pipe is full. Node
 * leaves fd 1 non-blocking, so a full pipe answers EAGAIN and the writer can
 * only sleep and retry (1 ms naps took a 63 MB reply from ~30 to ~130 ms).
 * On Linux, opening /proc/self/fd/1 gives a new open file description of
 * the same pipe, in blocking mode: the kernel then wakes the writer as soon
 * as the reader drains. Elsewhere, or if that fails, fd 1 itself.
 */
export const openBlockingStdout = (): number => {
  if (process.platform !== "linux") return 1;
  try {
    const stat = fstatSync(1);
    if (!stat.isFIFO()) return 1;
    return openSync("/proc/self/fd/1", fsConstants.O_WRONLY);
  } catch {
    return 1;
  }
};

/**
 * Writes `chunks` in order to `fd` (1), blocking until the kernel has all of
 * them. Throws on errors such as EPIPE; waits and retries on EAGAIN.
 */
export const writeFrameSync = (fd: number, chunks: readonly Uint8Array[]): void => {
  const pending: Uint8Array[] = [];
  for (const chunk of chunks) {
    for (let at = 0; at < chunk.byteLength; at += MAX_IO_BYTES) pending.push(chunk.subarray(at, Math.min(chunk.byteLength, at + MAX_IO_BYTES)));
  }
  let first = 0;
  while (first < pending.length) {
    let written: number;
    try {
      written = writevSync(fd, pending.slice(first, first + MAX_IOV));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EAGAIN" || code === "EWOULDBLOCK") {
        Atomics.wait(sleeper, 0, 0, 1);
        continue;
      }
      throw error;
    }
    while (first < pending.length && written >= pending[first]!.byteLength) written -= pending[first++]!.byteLength;
    if (written > 0) pending[first] = pending[first]!.subarray(written);
  }
};
