/**
 * WorkerPool on node:worker_threads. Every worker runs the same bundle as the
 * server; `workerData` tells it to serve tasks instead of stdin. A run of more
 * units than workers is cut into blocks that the workers claim in turn from a
 * shared counter (see ChunkMessage.claim): each worker gets one message a run,
 * and a worker that is slow (woken late, or on a core the machine is sharing)
 * takes fewer blocks instead of holding up the run. With `inlineWhileBooting`
 * (the server), a worker gets work only once it has said it is ready (its
 * bundle loaded), so a booting worker never holds up a run that booted ones,
 * or the caller itself, could serve. Workers are unref'd while idle, so they
 * never keep the process alive, and ref'd while they hold a chunk.
 */
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { onCacheEviction } from "../util/boundedCache.js";
import { clearCaches } from "../util/clearCaches.js";
import { ParameterError } from "../util/errors.js";
import { COLLECT_AFTER_DROPPED_BYTES, collectGarbage } from "./gc.js";
import type { WorkerPool } from "./pool.js";
import { callTask, type TaskTable } from "./runner.js";

/** Chunks per worker in one run handed out by messages (the caller runs chunks too): enough to balance uneven chunks, few enough to keep messaging cheap. */
const CHUNKS_PER_WORKER = 4;
/**
 * Blocks per worker in one claimed run at most: a block costs an atomic add and
 * the task's own setup, not a message, so a run can be cut finer than by
 * messages and still end with every worker busy to the last block.
 */
const BLOCKS_PER_WORKER = 8;
const WORKER_MARK = "auralisDspTaskWorker";

/**
 * How many chunks a run of `count` units is cut into when chunks go by message
 * (a pool whose caller runs chunks too): at most CHUNKS_PER_WORKER
 * per worker and `maxChunks` (the caller's grain), and beyond one, a multiple of
 * the workers. A short run's equal chunks then end together: a 5 s yin (216
 * frames, ~11 µs each) took 1.71 ms in 3 chunks on 2 workers, 1.30 ms in 2 and
 * 1.38 ms in 4, where the third chunk ran alone after the other two.
 */
export const chunkCount = (count: number, size: number, maxChunks = Infinity): number => {
  const chunks = Math.max(1, Math.min(count, size * CHUNKS_PER_WORKER, Math.floor(maxChunks)));
  return chunks > size ? chunks - (chunks % size) : chunks;
};

/**
 * How many blocks a claimed run of `count` units is cut into: at most
 * BLOCKS_PER_WORKER per worker and `maxChunks` (the caller's grain), at least one,
 * and beyond one per worker a multiple of the workers: whoever is free takes the
 * next block, but with workers equally fast 5 blocks on 2 would end with one alone.
 */
export const blockCount = (count: number, size: number, maxChunks = Infinity): number => {
  const blocks = Math.max(1, Math.min(count, size * BLOCKS_PER_WORKER, Math.floor(maxChunks)));
  return blocks > size ? blocks - (blocks % size) : blocks;
};

/** Block b of a run of `count` units cut into `blocks`: units [blockStart(b), blockStart(b + 1)). */
const blockStart = (b: number, count: number, blocks: number): number => Math.floor((b * count) / blocks);

/** The control messages asking a worker to collect garbage, or to clear its caches and then collect (chunk messages are objects with a chunkId). */
const GC_MESSAGE = "auralisDspCollectGarbage";
const CLEAR_MESSAGE = "auralisDspClearCaches";
/** What a worker posts once it serves chunks. */
const READY_MESSAGE = "auralisDspReady";

/**
 * A chunk for a worker. The run's arguments go with the first chunk of the run
 * the worker gets, and the worker keeps them for the run's later chunks:
 * cloned once per worker and run, not once per chunk (a chroma_cqt run's
 * filter bases are hundreds of KB; cloning them per chunk cost the server
 * ~0.2 ms a chunk, and each worker as many allocations).
 */
interface ChunkMessage {
  chunkId: number;
  runId: number;
  name: string;
  start: number;
  end: number;
  /** Present on the worker's first chunk of the run. */
  args?: unknown;
  /**
   * A claimed run (start 0, end count): the worker takes block after block of the
   * `claim[BLOCKS]` blocks over [start, end) by `Atomics.add` on `claim[NEXT_BLOCK]`
   * until none is left, and counts each block it finished in `claim[BLOCKS_DONE]`;
   * a block that throws sets the next block past the last, so the others stop taking any.
   */
  claim?: Int32Array;
}

/** Cells of a claimed run's counter: the next block to take, the blocks finished, and how many blocks the run has. */
const NEXT_BLOCK = 0;
const BLOCKS_DONE = 1;
const BLOCKS = 2;

interface ChunkReply {
  chunkId: number;
  error?: { name: string; message: string; stack?: string };
}

interface Run {
  id: number;
  name: string;
  args: unknown;
  /** Chunks (or claim tickets) not yet answered. */
  pending: number;
  /** A claimed run's counter (see ChunkMessage.claim). */
  claim?: Int32Array;
  settled: boolean;
  resolve: () => void;
  reject: (error: Error) => void;
}

interface Chunk {
  run: Run;
  start: number;
  end: number;
}

interface Slot {
  worker: Worker;
  busy?: { chunkId: number; chunk: Chunk };
  /** The worker has loaded its bundle and listens for chunks. */
  ready: boolean;
  /** The run whose arguments the worker holds (see ChunkMessage). */
  argsOf?: number;
  dead: boolean;
}

export interface WorkerPoolOptions {
  /**
   * Report `ready()` false until a first worker has booted, so a runner runs
   * work inline meanwhile, and give chunks to booted workers only (the
   * server: its first answers come sooner). Default false: chunks go to
   * every worker, booted or not (tests that check the work is spread).
   */
  inlineWhileBooting?: boolean;
  /**
   * The calling thread runs chunks too: once the workers have theirs, it runs
   * the run's first chunk, then any chunk still queued, instead of idling
   * until the replies come. A short run then costs at most what it costs
   * inline, even when the workers are slow to wake (a loaded machine), and a
   * long one gains a third hand while it waits. Default false. Needs `tasks`.
   */
  callerRuns?: boolean;
  /** The task table, for the chunks the calling thread runs (`callerRuns`). */
  tasks?: TaskTable;
}

/** A WorkerPool that can also be started ahead of use and shut down. */
export interface ClosableWorkerPool extends WorkerPool {
  /** Starts every worker now, so the first run does not wait for threads to boot. */
  warm(): void;
  /**
   * Asks every live worker to run a full garbage collection when it is next
   * idle, so buffers the main thread dropped are freed (see gc.ts).
   */
  collectGarbage(): void;
  clearCaches(): void;
  /** Terminates every worker; runs in flight are rejected. */
  close(): Promise<void>;
}

/** Task `name` of `tasks` (a caller that runs chunks needs the table: see WorkerPoolOptions.tasks). */
const runTaskOf = (tasks: TaskTable | undefined, name: string, start: number, end: number, args: unknown): void => {
  const fn = tasks && Object.hasOwn(tasks, name) ? tasks[name] : undefined;
  if (!fn) throw new Error(`unknown task ${name}`);
  callTask(fn, start, end, args);
};

/** Rebuilds an error a worker reported, keeping ParameterError's identity for the bridge. */
const reviveError = (reported: NonNullable<ChunkReply["error"]>): Error => {
  const error = reported.name === "ParameterError" ? new ParameterError(reported.message) : new Error(reported.message);
  if (reported.stack) error.stack = reported.stack;
  return error;
};

/**
 * Creates a pool of `size` workers running `workerUrl` (a bundle that calls
 * `serveTasksIfWorker` at load). Workers start on first use.
 */
export const createWorkerPool = (size: number, workerUrl: URL | string, options: WorkerPoolOptions = {}): ClosableWorkerPool => {
  if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`worker pool size must be a positive integer, got ${size}`);
  const slots: (Slot | undefined)[] = new Array(size).fill(undefined);
  const queue: Chunk[] = [];
  let nextChunkId = 0;
  let nextRunId = 0;
  let closed = false;
  const gated = options.inlineWhileBooting === true;
  const callerRuns = options.callerRuns === true;

  const settle = (run: Run, error?: Error): void => {
    if (run.settled) return;
    run.settled = true;
    // Drop the run's queued chunks (a claimed run's spare tickets once its blocks are done);
    // chunks already in workers finish and are ignored, and a failed claimed run's workers take no more blocks.
    for (let i = queue.length - 1; i >= 0; i--) if (queue[i]!.run === run) queue.splice(i, 1);
    if (error) {
      if (run.claim) Atomics.store(run.claim, NEXT_BLOCK, Atomics.load(run.claim, BLOCKS));
      run.reject(error);
    } else {
      run.resolve();
    }
  };

  const finishChunk = (slot: Slot, error?: Error): void => {
    const busy = slot.busy;
    if (!busy) return;
    slot.busy = undefined;
    if (!slot.dead) slot.worker.unref();
    const { run } = busy.chunk;
    run.pending--;
    if (error) settle(run, error);
    else if (run.claim && Atomics.load(run.claim, BLOCKS_DONE) >= Atomics.load(run.claim, BLOCKS)) settle(run);
    else if (run.pending === 0) settle(run, run.claim ? new Error(`run ${run.name} ended with blocks unfinished`) : undefined);
    pump();
  };

  const spawn = (index: number): Slot => {
    const slot: Slot = { worker: new Worker(workerUrl, { workerData: { [WORKER_MARK]: true } }), ready: false, dead: false };
    slot.worker.unref();
    slot.worker.on("message", (reply: ChunkReply | typeof READY_MESSAGE) => {
      if (reply === READY_MESSAGE) {
        slot.ready = true;
        pump();
        return;
      }
      if (slot.busy?.chunkId !== reply.chunkId) return;
      finishChunk(slot, reply.error ? reviveError(reply.error) : undefined);
    });
    const die = (reason: string): void => {
      if (slot.dead) return;
      slot.dead = true;
      if (slots[index] === slot) slots[index] = undefined;
      const error = new Error(`worker thread died: ${reason}`);
      if (slot.busy) {
        finishChunk(slot, error);
      } else if (!slots.some((s) => s !== undefined && !s.dead)) {
        // No worker left to take the queue (one that cannot even boot would be respawned forever).
        while (queue.length > 0) settle(queue[0]!.run, error);
      }
    };
    slot.worker.on("error", (error) => die(error.message));
    slot.worker.on("exit", (code) => die(`exit code ${code}`));
    slots[index] = slot;
    return slot;
  };

  const pump = (): void => {
    for (let i = 0; i < size && queue.length > 0 && !closed; i++) {
      let slot = slots[i];
      if (!slot) {
        try {
          slot = spawn(i);
        } catch (error) {
          settle(queue[0]!.run, error as Error);
          continue;
        }
      }
      // A gated pool (see inlineWhileBooting) gives chunks only to booted workers; otherwise they wait in a booting worker's queue.
      if (slot.busy || (gated && !slot.ready)) continue;
      const chunk = queue.shift()!;
      const chunkId = nextChunkId++;
      slot.busy = { chunkId, chunk };
      slot.worker.ref();
      const { run } = chunk;
      const message: ChunkMessage = { chunkId, runId: run.id, name: run.name, start: chunk.start, end: chunk.end };
      if (slot.argsOf !== run.id) message.args = run.args;
      if (run.claim) message.claim = run.claim;
      try {
        slot.worker.postMessage(message);
        slot.argsOf = run.id;
      } catch (error) {
        finishChunk(slot, error as Error);
      }
    }
  };

  /** Runs `chunk` on the calling thread and counts it like a worker's. */
  const runOnCaller = (chunk: Chunk): void => {
    const { run } = chunk;
    if (run.settled) return;
    try {
      runTaskOf(options.tasks, run.name, chunk.start, chunk.end, run.args);
    } catch (error) {
      settle(run, error instanceof Error ? error : new Error(String(error)));
      return;
    }
    if (--run.pending === 0) settle(run);
  };

  const broadcast = (message: string): void => {
    for (const slot of slots) {
      if (!slot || slot.dead) continue;
      try {
        slot.worker.postMessage(message);
      } catch {
        // A worker on its way out frees everything anyway.
      }
    }
  };

  return {
    size,
    ready(): boolean {
      if (!gated) return true;
      for (let i = 0; i < size && !closed; i++) {
        if (slots[i]?.ready) return true;
        if (!slots[i]) {
          try {
            spawn(i);
          } catch {
            // Reported by the run that needs it.
          }
        }
      }
      return false;
    },
    run(name: string, count: number, args: unknown, maxChunks = Infinity): Promise<void> {
      if (closed) return Promise.reject(new Error("worker pool is closed"));
      if (count <= 0) return Promise.resolve();
      let run!: Run;
      const done = new Promise<void>((resolve, reject) => {
        if (!callerRuns && count > size) {
          // Claimed: one ticket per worker that can take part (see ChunkMessage.claim).
          const blocks = blockCount(count, size, maxChunks);
          const tickets = Math.min(size, blocks);
          const claim = new Int32Array(new SharedArrayBuffer(12));
          Atomics.store(claim, BLOCKS, blocks);
          run = { id: nextRunId++, name, args, pending: tickets, claim, settled: false, resolve, reject };
          for (let i = 0; i < tickets; i++) queue.push({ run, start: 0, end: count });
          pump();
          return;
        }
        // One unit per worker (e.g. pyin's two pipelined units, which must run side by side), or chunks the caller runs too.
        const chunks = chunkCount(count, size, maxChunks);
        run = { id: nextRunId++, name, args, pending: chunks, settled: false, resolve, reject };
        for (let i = 0; i < chunks; i++) {
          queue.push({ run, start: blockStart(i, count, chunks), end: blockStart(i + 1, count, chunks) });
        }
        if (!callerRuns || chunks < 2) {
          pump();
          return;
        }
        // The caller keeps the first chunk and gives the workers the next ones first.
        const first = queue.splice(queue.length - chunks, 1)[0]!;
        pump();
        runOnCaller(first);
        for (let i = queue.findIndex((c) => c.run === run); i >= 0 && !run.settled; i = queue.findIndex((c) => c.run === run)) {
          runOnCaller(queue.splice(i, 1)[0]!);
        }
      });
      return done;
    },
    warm(): void {
      try {
        for (let i = 0; i < size && !closed; i++) if (!slots[i]) spawn(i);
      } catch {
        // Best effort: a worker that cannot start reports that on first use.
      }
    },
    collectGarbage(): void {
      broadcast(GC_MESSAGE);
    },
    clearCaches(): void {
      // Messages are handled in order, so every later chunk runs on cleared state
      // (the workers drop the run arguments they hold: the next chunk brings its own).
      for (const slot of slots) if (slot) slot.argsOf = undefined;
      broadcast(CLEAR_MESSAGE);
    },
    async close(): Promise<void> {
      closed = true;
      const live = slots.filter((s): s is Slot => s !== undefined);
      for (const chunk of queue.splice(0)) settle(chunk.run, new Error("worker pool closed"));
      await Promise.all(live.map((s) => s.worker.terminate()));
    },
  };
};

/** Objects a skeleton copies at most: the run arguments are a few plans and views, not data. */
const SKELETON_NODES = 4096;

/**
 * A copy of `value` with the same object shapes and none of its memory: plain
 * objects and arrays copied key by key in the same order (so they take the same
 * hidden classes as the structured clone that made `value`), views replaced by
 * empty views of the same type, primitives kept. Null once `budget.left` (objects
 * and array elements) runs out.
 */
export const skeletonOf = (value: unknown, budget: { left: number }): unknown => {
  if (value === null || typeof value !== "object") return value;
  if (--budget.left < 0) return null;
  if (ArrayBuffer.isView(value)) return value instanceof DataView ? new DataView(new ArrayBuffer(0)) : new (value.constructor as new (n: number) => unknown)(0);
  if (value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) return new ArrayBuffer(0);
  if (Array.isArray(value)) {
    // Elements count too: a long array of numbers is data, not shape.
    budget.left -= value.length;
    return budget.left < 0 ? null : value.map((v: unknown) => skeletonOf(v, budget));
  }
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, skeletonOf(v, budget)]));
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = skeletonOf((value as Record<string, unknown>)[key], budget);
  return out;
};

/**
 * A claimed run's blocks, taken one at a time until none is left (see
 * ChunkMessage.claim). A ticket that arrives after the others took every block
 * touches nothing but the counter.
 */
const runClaimed = (tasks: TaskTable, message: ChunkMessage, args: unknown): void => {
  const claim = message.claim!;
  const blocks = Atomics.load(claim, BLOCKS);
  const count = message.end - message.start;
  for (let b = Atomics.add(claim, NEXT_BLOCK, 1); b < blocks; b = Atomics.add(claim, NEXT_BLOCK, 1)) {
    try {
      runTaskOf(tasks, message.name, message.start + blockStart(b, count, blocks), message.start + blockStart(b + 1, count, blocks), args);
    } catch (error) {
      Atomics.store(claim, NEXT_BLOCK, blocks);
      throw error;
    }
    Atomics.add(claim, BLOCKS_DONE, 1);
  }
};

/**
 * In a pool worker (a thread created by createWorkerPool), starts answering
 * chunk messages and returns true; on any other thread does nothing and
 * returns false. `tasks`: the table the pool's runs name (the server's).
 */
export const serveTasksIfWorker = (tasks: TaskTable): boolean => {
  const data = workerData as Record<string, unknown> | null;
  if (isMainThread || !parentPort || data?.[WORKER_MARK] !== true) return false;
  const port = parentPort;
  // Entries this worker's caches evicted since its last collection (see gc.ts).
  let evicted = 0;
  onCacheEviction((bytes) => {
    evicted += bytes;
  });
  // The arguments of the run this worker last got a chunk of (see ChunkMessage).
  let held: { runId: number; args: unknown } | undefined;
  // Per task, a skeleton of the arguments of its last run (see skeletonOf): the structured clone gives each
  // run's arguments hidden classes that V8 holds weakly, and optimised task code checks them; a collection
  // that freed them with the run threw that code away, and the next ~10 calls ran slower (chroma_cqt on a
  // 5 s clip: 15.0, 16.6, 12.3, ... ms against 8.3). The skeleton keeps the classes alive, not the memory.
  const shapes = new Map<string, unknown>();
  port.on("message", (message: ChunkMessage | typeof GC_MESSAGE | typeof CLEAR_MESSAGE) => {
    if (message === GC_MESSAGE || message === CLEAR_MESSAGE) {
      if (message === CLEAR_MESSAGE) {
        held = undefined;
        shapes.clear();
        clearCaches();
      }
      collectGarbage();
      return;
    }
    const fresh = Object.hasOwn(message, "args");
    if (fresh) held = { runId: message.runId, args: message.args };
    let reply: ChunkReply;
    try {
      if (held?.runId !== message.runId) throw new Error(`chunk ${message.chunkId} of run ${message.runId} came without the run's arguments`);
      if (message.claim) runClaimed(tasks, message, held.args);
      else runTaskOf(tasks, message.name, message.start, message.end, held.args);
      reply = { chunkId: message.chunkId };
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      reply = { chunkId: message.chunkId, error: { name: e.name, message: e.message, stack: e.stack } };
    }
    port.postMessage(reply);
    // Once the reply is out (20-30 µs for a chroma_cqt run's arguments).
    if (fresh && held?.runId === message.runId) shapes.set(message.name, skeletonOf(held.args, { left: SKELETON_NODES }));
    if (evicted >= COLLECT_AFTER_DROPPED_BYTES) {
      // Once the reply is out; the next chunk waits for it.
      evicted = 0;
      collectGarbage();
    }
  });
  port.postMessage(READY_MESSAGE);
  return true;
};
