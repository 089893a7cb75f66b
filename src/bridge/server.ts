/**
 * The Node entry of the CPython bridge (bundled to python/auralis_dsp/_js/server.mjs).
 * Reads request frames from stdin, serves them one at a time in order, and
 * writes exactly one reply frame per request to stdout; diagnostics go to
 * stderr only. The same file is the worker-thread entry of the pool.
 */
import "./ops/index.js";
import { availableParallelism } from "node:os";
import { once } from "node:events";
import { createWorkerPool, serveTasksIfWorker } from "../parallel/workerPool.js";
import { errorReply, handleRequest, validateRequestHeader } from "./dispatch.js";
import { DEFAULT_MAX_PAYLOAD_BYTES, FrameKind, FrameParser, type FrameEvent } from "./frame.js";

const PARENT_POLL_MS = 1000;
/** Grace period for stray handles once stdin has closed and the last reply is written. */
const EXIT_GRACE_MS = 2000;

const log = (message: string): void => {
  process.stderr.write(`auralis-dsp server: ${message}\n`);
};

/** A positive integer from environment variable `name`, else `fallback` (with a warning when the value is unusable). */
const positiveIntegerFromEnv = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (Number.isSafeInteger(value) && value >= 1) return value;
  log(`ignoring ${name}=${raw}: not a positive integer`);
  return fallback;
};

/** Writes a frame's chunks in order; resolves once the stream can take more. */
const writeFrame = async (chunks: Uint8Array[]): Promise<void> => {
  let ready = true;
  for (const chunk of chunks) ready = process.stdout.write(chunk);
  if (!ready) await once(process.stdout, "drain");
};

const serve = (): void => {
  const threads = positiveIntegerFromEnv("AURALIS_DSP_THREADS", availableParallelism());
  const pool = threads > 1 ? createWorkerPool(threads, new URL(import.meta.url)) : undefined;
  // Boot the workers while the first request is still on its way.
  setImmediate(() => pool?.warm());
  const maxPayloadBytes = positiveIntegerFromEnv("AURALIS_DSP_MAX_PAYLOAD", DEFAULT_MAX_PAYLOAD_BYTES);
  const newParser = (): FrameParser => new FrameParser({ kind: FrameKind.request, maxPayloadBytes, validateHeader: validateRequestHeader });
  let parser = newParser();
  const pending: FrameEvent[] = [];
  let serving = false;
  let stdinEnded = false;

  const shutdown = (): void => {
    void pool?.close();
    setTimeout(() => process.exit(0), EXIT_GRACE_MS).unref();
  };

  const serveQueued = async (): Promise<void> => {
    if (serving) return;
    serving = true;
    for (let event = pending.shift(); event; event = pending.shift()) {
      const reply =
        event.type === "frame"
          ? await handleRequest(event.header, event.arrays, { pool })
          : errorReply(event.id, event.errorType, event.message);
      await writeFrame(reply);
    }
    serving = false;
    if (stdinEnded) shutdown();
  };

  // EPIPE and friends: nobody reads our replies any more.
  process.stdout.on("error", (error) => {
    log(`stdout failed (${error.message}); exiting`);
    process.exit(0);
  });
  process.stdin.on("data", (chunk: Buffer) => {
    try {
      pending.push(...parser.push(chunk));
    } catch (error) {
      // A parser bug must not take the server down: report it and start over at the next magic.
      log(`frame parser failed: ${(error as Error).stack ?? String(error)}`);
      pending.push({ type: "fault", id: null, errorType: "InternalError", message: `frame parser failed: ${(error as Error).message}` });
      parser = newParser();
    }
    void serveQueued();
  });
  process.stdin.on("end", () => {
    stdinEnded = true;
    if (parser.midFrame) log("stdin closed in the middle of a frame; it was dropped");
    if (!serving) shutdown();
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

if (!serveTasksIfWorker()) serve();
