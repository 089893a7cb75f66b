/**
 * The Node entry of the CPython bridge (bundled to python/auralis_dsp/_js/server.mjs).
 * Reads request frames from stdin, serves them one at a time in order, and
 * writes exactly one reply frame per request to stdout; diagnostics go to
 * stderr only. The same file is the worker-thread entry of the pool, which is
 * given the same task table.
 *
 * Ops served: the public table, plus the debug ops (ops/debug.ts) when the
 * server starts with AURALIS_DSP_DEBUG_OPS=1.
 */
import { availableParallelism } from "node:os";
import { debugOps } from "../ops/debug.js";
import { publicOps } from "../ops/index.js";
import type { OpTable } from "../ops/types.js";
import { BufferArena, DEFAULT_ARENA_MAX_BYTES } from "../schedule/arena.js";
import { COLLECT_AFTER_DROPPED_BYTES, collectGarbage } from "../schedule/gc.js";
import { inlineRunner, poolRunner } from "../schedule/runner.js";
import { kernelTasks } from "../schedule/tasks.js";
import { createWorkerPool, serveTasksIfWorker } from "../schedule/workerPool.js";
import { setBufferSource } from "../util/alloc.js";
import { onCacheEviction } from "../util/boundedCache.js";
import { setSegmentWriter } from "../util/segmentWriter.js";
import { errorReply, handleRequest, validateRequestHeader } from "./dispatch.js";
import { DEFAULT_MAX_PAYLOAD_BYTES, FrameKind, FrameParser, PROTOCOL_VERSION, frameId, type FrameEvent } from "./frame.js";
import { SegmentTable, bridgeTasks, readFromSegment, writeAt, type ReplySegment } from "./shm.js";
import { openBlockingStdout, readFrames, writeFrameSync } from "./stdio.js";

const PARENT_POLL_MS = 1000;
/** Grace period for stray handles once stdin has closed and the last reply is written. */
const EXIT_GRACE_MS = 2000;

const log = (message: string): void => {
  process.stderr.write(`auralis-dsp server: ${message}\n`);
};

/** An integer >= `min` from environment variable `name`, else `fallback` (with a warning when the value is unusable). */
const integerFromEnv = (name: string, fallback: number, min = 1): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (Number.isSafeInteger(value) && value >= min) return value;
  log(`ignoring ${name}=${raw}: not an integer >= ${min}`);
  return fallback;
};

/** Where replies go: stdout, through a blocking descriptor where the platform gives one (see openBlockingStdout). */
let replyFd: number | undefined;

/** Writes a reply frame to stdout; exits when nobody reads replies any more (EPIPE and friends). */
const writeReply = (chunks: Uint8Array[]): void => {
  try {
    replyFd ??= openBlockingStdout();
    writeFrameSync(replyFd, chunks);
  } catch (error) {
    log(`stdout failed (${(error as Error).message}); exiting`);
    process.exit(0);
  }
};

/** The ops this server answers: the public ones, and the debug ones when AURALIS_DSP_DEBUG_OPS=1. */
const servedOps = (): OpTable => {
  if (process.env.AURALIS_DSP_DEBUG_OPS !== "1") return publicOps;
  const table: OpTable = { ...publicOps, ...debugOps({ protocolVersion: PROTOCOL_VERSION, ops: () => Object.keys(table).sort() }) };
  return table;
};

const serve = (): void => {
  const ops = servedOps();
  const threads = integerFromEnv("AURALIS_DSP_THREADS", availableParallelism());
  // AURALIS_DSP_CALLER_RUNS=1: the server's thread takes chunks too. Off by default: with as many
  // workers as cores it makes one thread more than cores, and on a quiet 2-core machine that cost
  // W1 hpss, yin and chroma_cqt 30-40 % (docs/benchmarks.md), more than it saved on 5 s clips.
  const callerRuns = process.env.AURALIS_DSP_CALLER_RUNS === "1";
  const pool = threads > 1 ? createWorkerPool(threads, new URL(import.meta.url), { inlineWhileBooting: true, callerRuns, tasks: serverTasks }) : undefined;
  const runner = pool ? poolRunner(pool, kernelTasks) : inlineRunner(kernelTasks);
  // The same pool reads the request arrays a client put in its segment.
  const readRunner = pool ? poolRunner(pool, bridgeTasks) : inlineRunner(bridgeTasks);
  // Boot the workers while the first request is still on its way.
  setImmediate(() => pool?.warm());
  const maxPayloadBytes = integerFromEnv("AURALIS_DSP_MAX_PAYLOAD", DEFAULT_MAX_PAYLOAD_BYTES);
  // Request payloads and op outputs reuse the memory of earlier requests (see arena.ts for the policy).
  /** A full collection here and, when each is next idle, in every worker (paced below; the `memory` and `clear_caches` ops). */
  const collectEverywhere = (): void => {
    collectGarbage();
    pool?.collectGarbage();
  };
  let dropped = 0;
  let collecting = false;
  /** Counts dropped arena buffers and evicted cache entries; enough of them make a full collection everywhere. */
  const noteDropped = (bytes: number): void => {
    dropped += bytes;
    if (dropped < COLLECT_AFTER_DROPPED_BYTES || collecting) return;
    // After the reply in progress is out: a full collection takes a few ms.
    collecting = true;
    setImmediate(() => {
      collecting = false;
      dropped = 0;
      collectEverywhere();
    });
  };
  onCacheEviction(noteDropped);
  const arena = new BufferArena({
    maxRetainedBytes: integerFromEnv("AURALIS_DSP_ARENA_MAX", DEFAULT_ARENA_MAX_BYTES, 0),
    onDrop: noteDropped,
  });
  const newParser = (): FrameParser =>
    new FrameParser({
      kind: FrameKind.request,
      maxPayloadBytes,
      validateHeader: validateRequestHeader,
      // Every payload byte is read from the stream, so no zero-fill.
      allocatePayload: (bytes) => arena.take(bytes, false),
    });
  let parser = newParser();
  const pending: FrameEvent[] = [];
  let serving = false;
  let stdinEnded = false;
  // Reply segments the client offered (docs/protocol.md, "Shared-memory replies").
  const segments = new SegmentTable();

  const shutdown = (): void => {
    void pool?.close();
    setTimeout(() => process.exit(0), EXIT_GRACE_MS).unref();
  };

  const serveQueued = async (): Promise<void> => {
    if (serving) return;
    serving = true;
    for (let event = pending.shift(); event; event = pending.shift()) {
      if (event.type === "fault") {
        writeReply(errorReply(event.id, event.errorType, event.message));
        continue;
      }
      segments.release(event.header);
      const scope = arena.scope();
      scope.adopt(event.payload);
      for (const read of event.fromSegment) scope.adopt(read.bytes.buffer);
      setBufferSource(scope);
      try {
        let segment: ReplySegment | undefined;
        try {
          segment = segments.forRequest(event.header);
          // The request's large arrays, when the client put them in the segment (the header checks said one is offered).
          if (segment && event.fromSegment.length > 0) await readFromSegment(readRunner, segment, event.fromSegment);
        } catch (error) {
          writeReply(errorReply(frameId(event.header), "ProtocolError", (error as Error).message));
          continue;
        }
        writeReply(await handleRequest(ops, event.header, event.arrays, { runner, arena, collectGarbage: collectEverywhere }, segment));
      } finally {
        // The reply is in the kernel's hands: its buffers may serve the next request.
        setBufferSource(undefined);
        scope.release();
      }
    }
    serving = false;
    if (stdinEnded) shutdown();
  };

  readFrames(0, {
    parser: () => parser,
    onEvents: (events) => {
      pending.push(...events);
      void serveQueued();
    },
    onParserError: (error) => {
      // A parser bug must not take the server down: report it and start over at the next magic.
      log(`frame parser failed: ${error.stack ?? String(error)}`);
      pending.push({ type: "fault", id: null, errorType: "InternalError", message: `frame parser failed: ${error.message}` });
      parser = newParser();
    },
    onEnd: () => {
      stdinEnded = true;
      if (parser.midFrame) log("stdin closed in the middle of a frame; it was dropped");
      if (!serving) shutdown();
    },
    onError: (error) => {
      log(`reading stdin failed (${error.message}); exiting`);
      process.exit(0);
    },
  });

  // stdin may be shared with a forked sibling of our parent and never close, so also
  // watch for being re-parented, which is what happens when the parent dies.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) {
      log(`parent process ${parent} is gone; exiting`);
      process.exit(0);
    }
  }, PARENT_POLL_MS).unref();
};

/** What the pool's workers run: the kernels' tasks and the bridge's own. */
const serverTasks = { ...kernelTasks, ...bridgeTasks };

// Ops and their worker tasks write reply segments through this (the server thread and every worker load this file).
setSegmentWriter(writeAt);
if (!serveTasksIfWorker(serverTasks)) serve();
