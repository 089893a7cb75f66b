/**
 * The bundled stdio server (python/auralis_dsp/_js/server.mjs), driven over real
 * pipes with the frames of docs/protocol.md, including malformed ones.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { once } from "node:events";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import { FrameKind, FrameParser, MAGIC, PREAMBLE_BYTES, encodeFrame, type DecodedFrame, type FrameEvent } from "../src/bridge/frame.js";
import type { DType, NamedArray } from "../src/ops/types.js";
import { decodeNonFinite } from "../src/bridge/wireJson.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const serverPath = `${root}python/auralis_dsp/_js/server.mjs`;

beforeAll(async () => {
  await execa("node", ["scripts/bundle.mjs"], { cwd: root });
});

/** A running server with a reply parser on its stdout. */
class Server {
  readonly proc: ChildProcessWithoutNullStreams;
  readonly exited: Promise<number | null>;
  private readonly parser = new FrameParser({ kind: FrameKind.reply });
  private readonly replies: FrameEvent[] = [];
  private waiting?: () => void;
  stdoutBytes = 0;
  stderr = "";

  constructor(env: Record<string, string> = {}) {
    this.proc = spawn(process.execPath, [serverPath], {
      env: { ...process.env, AURALIS_DSP_DEBUG_OPS: "1", ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.exited = once(this.proc, "exit").then(([code]) => code as number | null);
    this.proc.stdout.on("data", (chunk: Buffer) => {
      this.stdoutBytes += chunk.length;
      this.replies.push(...this.parser.push(chunk));
      this.waiting?.();
    });
    this.proc.stderr.on("data", (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
  }

  send(...chunks: Uint8Array[]): void {
    for (const chunk of chunks) this.proc.stdin.write(chunk);
  }

  request(id: number, op: string, params: Record<string, unknown> = {}, arrays: NamedArray[] = []): void {
    this.send(...encodeFrame(FrameKind.request, { id, op, params }, arrays));
  }

  /** The next reply frame (replies are never faults: the server only sends well-formed frames). */
  async reply(): Promise<DecodedFrame> {
    while (this.replies.length === 0) {
      await new Promise<void>((resolve, reject) => {
        this.waiting = resolve;
        this.exited.then(() => reject(new Error(`server exited; stderr: ${this.stderr}`)), reject);
      });
    }
    const event = this.replies.shift()!;
    if (event.type !== "frame") throw new Error(`server sent a malformed frame: ${event.message}`);
    return event;
  }

  async stop(): Promise<number | null> {
    this.proc.stdin.end();
    return this.exited;
  }
}

const requestBytes = (id: number, op: string, params: Record<string, unknown> = {}, arrays: NamedArray[] = []): Buffer =>
  Buffer.concat(encodeFrame(FrameKind.request, { id, op, params }, arrays));

/** A hand-made preamble; fields default to a valid request's. */
const preamble = (fields: { magic?: Buffer; version?: number; kind?: number; headerLen: number; reserved?: number; payloadLen: bigint }): Buffer => {
  const b = Buffer.alloc(PREAMBLE_BYTES);
  (fields.magic ?? MAGIC).copy(b, 0);
  b.writeUInt16LE(fields.version ?? 1, 4);
  b.writeUInt16LE(fields.kind ?? FrameKind.request, 6);
  b.writeUInt32LE(fields.headerLen, 8);
  b.writeUInt32LE(fields.reserved ?? 0, 12);
  b.writeBigUInt64LE(fields.payloadLen, 16);
  return b;
};

/** A space-padded header. */
const headerBytes = (text: string): Buffer => {
  const json = Buffer.from(text, "utf8");
  return Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, 0x20)]);
};

const expectError = (reply: DecodedFrame, id: number | null, type: string, message: RegExp): void => {
  expect(reply.header.id).toBe(id);
  expect(reply.header.ok).toBe(false);
  const error = reply.header.error as { type: string; message: string };
  expect(error.type).toBe(type);
  expect(error.message).toMatch(message);
  expect(reply.arrays).toEqual([]);
};

/** Waits (up to 2 s) until the server's stderr matches: it is another pipe, so it may trail the reply. */
const stderrMatching = async (server: Server, pattern: RegExp): Promise<string> => {
  for (let waited = 0; waited < 2000 && !pattern.test(server.stderr); waited += 10) await new Promise((r) => setTimeout(r, 10));
  return server.stderr;
};

const expectPing = async (server: Server, id: number): Promise<void> => {
  server.request(id, "ping");
  const reply = await server.reply();
  expect(reply.header).toMatchObject({ id, ok: true, meta: { version: 1 } });
};

const sampleArray = (name: string, dtype: DType, shape: number[]): NamedArray => {
  const count = shape.reduce((a, b) => a * b, 1);
  const seq = (n: number, f: (i: number) => number): number[] => Array.from({ length: n }, (_, i) => f(i));
  switch (dtype) {
    case "float32":
      return { name, dtype, shape, data: Float32Array.from(seq(count, (i) => i * 0.5 - 3)) };
    case "float64":
      return { name, dtype, shape, data: Float64Array.from(seq(count, (i) => Math.sin(i) * 1e300)) };
    case "complex64":
      return { name, dtype, shape, data: Float32Array.from(seq(2 * count, (i) => (i % 2 ? -i : i) / 7)) };
    case "complex128":
      return { name, dtype, shape, data: Float64Array.from(seq(2 * count, (i) => (i % 2 ? -i : i) / 7)) };
    case "int32":
      return { name, dtype, shape, data: Int32Array.from(seq(count, (i) => (i % 2 ? -(2 ** 31) + i : 2 ** 31 - 1 - i))) };
    case "int64":
      return { name, dtype, shape, data: BigInt64Array.from(seq(count, (i) => i), (i) => (i % 2 ? -(2n ** 63n) + BigInt(i) : 2n ** 63n - 1n - BigInt(i))) };
    case "uint8":
      return { name, dtype, shape, data: Uint8Array.from(seq(count, (i) => (i * 37) % 256)) };
    case "bool":
      return { name, dtype, shape, data: Uint8Array.from(seq(count, (i) => i % 3 === 0 ? 1 : 0)) };
  }
};

const bytesOf = (data: NamedArray["data"]): Buffer => Buffer.from(data.buffer, data.byteOffset, data.byteLength);

const DTYPES: DType[] = ["float32", "float64", "complex64", "complex128", "int32", "int64", "uint8", "bool"];

describe("stdio server", () => {
  it("answers ping with its protocol version and ops", async () => {
    const server = new Server();
    server.request(1, "ping");
    const reply = await server.reply();
    expect(reply.header).toMatchObject({ id: 1, ok: true, meta: { version: 1 } });
    const meta = reply.header.meta as { ops: string[]; threads: number; pid: number };
    expect(meta.ops).toEqual(expect.arrayContaining(["echo", "ping", "sleep", "raise"]));
    expect(meta.pid).toBe(server.proc.pid);
    expect(await server.stop()).toBe(0);
  });

  it("serves the debug ops only with AURALIS_DSP_DEBUG_OPS=1; the public ops always", async () => {
    const server = new Server({ AURALIS_DSP_DEBUG_OPS: "0" });
    for (const [id, op] of [[1, "ping"], [2, "echo"], [3, "memory"], [4, "sleep"]] as const) {
      server.request(id, op);
      expect((await server.reply()).header).toMatchObject({ id, ok: false, error: { type: "ProtocolError", message: `unknown op ${op}` } });
    }
    server.request(5, "clear_caches");
    expect((await server.reply()).header).toMatchObject({ id: 5, ok: true });
    const y = { name: "y", dtype: "float32" as const, shape: [1, 4096], data: Float32Array.from({ length: 4096 }, (_, i) => Math.sin(0.05 * i)) };
    server.request(6, "stft", { n_fft: 512, hop_length: 128, win_length: 512, center: true, pad_mode: "constant", window: "hann", dtype: "complex64" }, [y]);
    const reply = await server.reply();
    expect(reply.header).toMatchObject({ id: 6, ok: true });
    expect(reply.arrays[0]!.shape).toEqual([33, 257, 1]);
    expect(await server.stop()).toBe(0);
  });

  it.each(DTYPES)("echoes %s arrays of every shape, bit for bit", async (dtype) => {
    const server = new Server();
    const arrays = [[5], [2, 3, 4], [0], [3, 0, 2], [], [1, 1, 1]].map((shape, i) => sampleArray(`a${i}`, dtype, shape));
    server.request(7, "echo", { dtype, big: 2 ** 40, inf: { $float: "inf" } }, arrays);
    const reply = await server.reply();
    expect(reply.header.ok).toBe(true);
    const { op_ms: opMs, ...meta } = decodeNonFinite(reply.header.meta) as Record<string, unknown>;
    expect(opMs).toBeGreaterThanOrEqual(0); // the server's own time for the op (docs/protocol.md)
    expect(meta).toEqual({ params: { dtype, big: 2 ** 40, inf: Infinity } });
    expect(reply.arrays.map((a) => [a.name, a.dtype, a.shape])).toEqual(arrays.map((a) => [a.name, a.dtype, a.shape]));
    reply.arrays.forEach((got, i) => {
      expect(got.data.byteOffset % 8).toBe(0);
      expect(bytesOf(got.data)).toEqual(bytesOf(arrays[i]!.data));
    });
    expect(await server.stop()).toBe(0);
  });

  it("answers pipelined requests in order and writes big replies whole", async () => {
    const server = new Server();
    const big = sampleArray("big", "float64", [4, 1 << 20]);
    server.send(requestBytes(1, "echo", {}, [big]), requestBytes(2, "ping"), requestBytes(3, "echo", {}, [sampleArray("x", "int32", [3])]));
    const first = await server.reply();
    expect(first.header.id).toBe(1);
    // Buffer.equals: a deep toEqual over 4M elements takes seconds.
    expect(bytesOf(first.arrays[0]!.data).equals(bytesOf(big.data))).toBe(true);
    expect((await server.reply()).header.id).toBe(2);
    expect((await server.reply()).arrays[0]!.data).toEqual(Int32Array.from([2 ** 31 - 1, -(2 ** 31) + 1, 2 ** 31 - 3]));
    expect(await server.stop()).toBe(0);
  });

  it("reports garbage once, resynchronises on the next magic and answers the good request", async () => {
    const server = new Server();
    server.send(Buffer.from("this is not a frame\n"), Buffer.from("AD"), Buffer.from("xADS"));
    server.send(requestBytes(4, "ping"));
    expectError(await server.reply(), null, "ProtocolError", /bad magic/);
    expect((await server.reply()).header).toMatchObject({ id: 4, ok: true });
    expect(await server.stop()).toBe(0);
  });

  it("rejects a wrong version and resynchronises", async () => {
    const server = new Server();
    server.send(preamble({ version: 9, headerLen: 8, payloadLen: 0n }), headerBytes("{}"), requestBytes(5, "ping"));
    expectError(await server.reply(), null, "ProtocolError", /unsupported protocol version 9/);
    expect((await server.reply()).header).toMatchObject({ id: 5, ok: true });
    await server.stop();
  });

  it("rejects an oversized payload_len before allocating and keeps serving", async () => {
    const server = new Server({ AURALIS_DSP_MAX_PAYLOAD: String(1 << 20) });
    server.send(preamble({ headerLen: 8, payloadLen: 1n << 60n }), headerBytes("{}"));
    expectError(await server.reply(), null, "ProtocolError", /payload_len 1152921504606846976 exceeds the maximum 1048576/);
    await expectPing(server, 6);
    server.send(preamble({ headerLen: 8, payloadLen: 8n << 20n }));
    expectError(await server.reply(), null, "ProtocolError", /payload_len 8388608 exceeds the maximum/);
    await expectPing(server, 7);
    server.send(preamble({ headerLen: 2 << 20, payloadLen: 0n }));
    expectError(await server.reply(), null, "ProtocolError", /header_len 2097152 exceeds 1048576/);
    await expectPing(server, 8);
    expect(server.stderr).toBe("");
    expect(await server.stop()).toBe(0);
  });

  it("skips exactly a well-delimited frame whose arrays disagree with payload_len", async () => {
    const server = new Server();
    // The payload holds a complete ping: exact skipping must not answer it.
    const hidden = requestBytes(99, "ping");
    const header = headerBytes(JSON.stringify({ id: 8, op: "echo", params: {}, arrays: [{ name: "x", dtype: "float64", shape: [3], nbytes: 24 }] }));
    server.send(preamble({ headerLen: header.length, payloadLen: BigInt(hidden.length) }), header, hidden);
    expectError(await server.reply(), 8, "ProtocolError", new RegExp(`arrays need 24 bytes \\(padded\\) but payload_len is ${hidden.length}$`));
    await expectPing(server, 9);
    await server.stop();
  });

  it("rejects inconsistent nbytes, unknown dtypes and negative shapes with the request id", async () => {
    const server = new Server();
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ name: "x", dtype: "float64", shape: [3], nbytes: 16 }, /nbytes 16 != prod\(shape\) \* itemsize = 24/],
      [{ name: "x", dtype: "float64", shape: [3, 2 ** 40], nbytes: 24 }, /needs more than payload_len 24 bytes/],
      [{ name: "x", dtype: "float16", shape: [3], nbytes: 6 }, /unknown dtype "float16"/],
      [{ name: "x", dtype: "int32", shape: [-2], nbytes: 8 }, /non-negative integers/],
    ];
    for (const [i, [descriptor, message]] of cases.entries()) {
      const header = headerBytes(JSON.stringify({ id: 20 + i, op: "echo", params: {}, arrays: [descriptor] }));
      server.send(preamble({ headerLen: header.length, payloadLen: 24n }), header, Buffer.alloc(24));
      expectError(await server.reply(), 20 + i, "ProtocolError", message);
    }
    await expectPing(server, 30);
    await server.stop();
  });

  it("answers a header that is not JSON with id null and skips its payload", async () => {
    const server = new Server();
    const header = headerBytes('{"id": 10, "op": "ping", oops}');
    server.send(preamble({ headerLen: header.length, payloadLen: 16n }), header, Buffer.alloc(16, 0x41));
    expectError(await server.reply(), null, "ProtocolError", /not valid UTF-8 JSON/);
    const noOp = headerBytes('{"id": 11, "params": {}}');
    server.send(preamble({ headerLen: noOp.length, payloadLen: 0n }), noOp);
    expectError(await server.reply(), 11, "ProtocolError", /header.op must be a string/);
    await expectPing(server, 12);
    await server.stop();
  });

  it("answers an unknown op with a ProtocolError naming it", async () => {
    const server = new Server();
    server.request(13, "no_such_op");
    expectError(await server.reply(), 13, "ProtocolError", /^unknown op no_such_op$/);
    await server.stop();
  });

  it("maps ParameterError and other throws to their wire types", async () => {
    const server = new Server();
    server.request(14, "raise", { type: "ParameterError", message: "hop_length must be > 0" });
    expectError(await server.reply(), 14, "ParameterError", /^hop_length must be > 0$/);
    server.request(15, "raise", { type: "Error", message: "boom" });
    expectError(await server.reply(), 15, "InternalError", /^boom$/);
    expect(await stderrMatching(server, /op raise failed: Error: boom/)).toMatch(/op raise failed: Error: boom/);
    await expectPing(server, 16);
    await server.stop();
  });

  it("exits cleanly when stdin ends in the middle of a frame", async () => {
    const server = new Server();
    const frame = requestBytes(17, "echo", {}, [sampleArray("x", "float64", [100])]);
    server.send(frame.subarray(0, 500));
    expect(await server.stop()).toBe(0);
    expect(server.stdoutBytes).toBe(0);
    expect(server.stderr).toMatch(/stdin closed in the middle of a frame/);
  });

  it("finishes the request in flight when stdin closes right after it", async () => {
    const server = new Server();
    server.request(18, "sleep", { seconds: 0.3 });
    server.proc.stdin.end();
    expect((await server.reply()).header).toMatchObject({ id: 18, ok: true });
    expect(await server.exited).toBe(0);
  });

  it("computes scale identically with 1 and 4 threads", async () => {
    const x = sampleArray("x", "float64", [10_001]);
    const results = [];
    for (const threads of ["1", "4"]) {
      const server = new Server({ AURALIS_DSP_THREADS: threads });
      server.request(19, "scale", { factor: 1 / 3 }, [x]);
      const reply = await server.reply();
      results.push(reply.arrays[0]!.data as Float64Array);
      server.request(20, "ping");
      expect(((await server.reply()).header.meta as { threads: number }).threads).toBe(Number(threads));
      expect(await server.stop()).toBe(0);
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[0]![5]).toBe((x.data as Float64Array)[5]! * (1 / 3));
  });

  it("exits when its parent dies even though stdin stays open", async () => {
    // sh starts the server with stdin from a long `sleep`, reports its pid, and exits. The sleep
    // outlasts the deadline below by far, so only the parent-death check can end the server in time
    // (a loaded machine can take seconds to boot Node and its workers: 5 s was not enough at load 15).
    const { stdout } = await execa("sh", ["-c", `sleep 60 2>/dev/null | "${process.execPath}" "${serverPath}" >/dev/null 2>&1 & echo $!; sleep 0.5`]);
    const pid = Number(stdout.trim());
    const gone = (): boolean => {
      try {
        return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.startsWith("Z");
      } catch {
        return true;
      }
    };
    expect(gone()).toBe(false);
    const deadline = Date.now() + 20000;
    while (!gone() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(gone()).toBe(true);
  }, 30000);
});

describe("stdio server: bulk transfer and buffer reuse", () => {
  const arenaStats = async (server: Server, id: number): Promise<{ retainedBytes: number; hits: number; misses: number }> => {
    server.request(id, "ping");
    return ((await server.reply()).header.meta as { arena: { retainedBytes: number; hits: number; misses: number } }).arena;
  };

  it("reads big payloads arriving in uneven pieces and echoes them exactly, reusing the buffers", async () => {
    const server = new Server();
    const n = 3_000_001;
    for (const [id, seed] of [[40, 1], [41, 2]] as const) {
      const x: NamedArray = { name: "x", dtype: "float64", shape: [n], data: new Float64Array(n).map((_, i) => Math.sin(i * seed) * seed) };
      const y: NamedArray = { name: "y", dtype: "uint8", shape: [5], data: Uint8Array.of(1, 2, 3, 4, 5) };
      const frame = requestBytes(id, "echo", {}, [x, y]);
      // Odd cuts and a pause: the server must stitch stream chunks and direct reads together.
      server.send(frame.subarray(0, 13), frame.subarray(13, 100_003));
      await new Promise((r) => setTimeout(r, 30));
      server.send(frame.subarray(100_003, 5_000_017), frame.subarray(5_000_017));
      const reply = await server.reply();
      expect(reply.header).toMatchObject({ id, ok: true });
      expect(bytesOf(reply.arrays[0]!.data).equals(bytesOf(x.data))).toBe(true);
      expect(Array.from(reply.arrays[1]!.data as Uint8Array)).toEqual([1, 2, 3, 4, 5]);
    }
    const stats = await arenaStats(server, 42);
    expect(stats.hits).toBeGreaterThanOrEqual(1);
    expect(stats.retainedBytes).toBeGreaterThanOrEqual(8 * n);
    expect(await server.stop()).toBe(0);
  });

  it("zero-fills a reused buffer where an op relies on zeros (istft past its frames)", async () => {
    const server = new Server({ AURALIS_DSP_THREADS: "1" });
    const length = 100_000;
    // Leaves a dirty 400 kB buffer in the arena.
    server.request(50, "echo", {}, [{ name: "junk", dtype: "float32", shape: [length], data: new Float32Array(length).fill(1e30) }]);
    await server.reply();
    const frames = 5;
    const spectrum = new Float32Array(2 * frames * 1025).map((_, i) => Math.cos(i));
    const params = { n_fft: 2048, hop_length: 512, win_length: 2048, window: "hann", center: true, length, dtype: "float32" };
    server.request(51, "istft", params, [{ name: "stft_matrix", dtype: "complex64", shape: [frames, 1025, 1], data: spectrum }]);
    const reply = await server.reply();
    expect(reply.header).toMatchObject({ id: 51, ok: true });
    const y = reply.arrays[0]!.data as Float32Array;
    expect(y.length).toBe(length);
    expect(y.subarray(0, 2048).some((v) => v !== 0)).toBe(true);
    // The last frame reaches padded sample 4 * 512 + 2048, output sample 4096 - 1024.
    expect(y.subarray(3072).every((v) => v === 0)).toBe(true);
    expect((await arenaStats(server, 52)).hits).toBeGreaterThanOrEqual(1);
    expect(await server.stop()).toBe(0);
  });

  it("serves a stdin that is a file (stream reads only, no direct reads)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "auralis-bridge-"));
    try {
      const x: NamedArray = { name: "x", dtype: "float64", shape: [400_001], data: new Float64Array(400_001).map((_, i) => i / 3) };
      const file = join(dir, "requests.bin");
      writeFileSync(file, Buffer.concat([requestBytes(80, "echo", {}, [x]), requestBytes(81, "ping"), requestBytes(82, "echo", {}, [x])]));
      const input = openSync(file, "r");
      const proc = spawn(process.execPath, [serverPath], { env: { ...process.env, AURALIS_DSP_DEBUG_OPS: "1" }, stdio: [input, "pipe", "pipe"] });
      closeSync(input);
      const parser = new FrameParser({ kind: FrameKind.reply });
      const events: FrameEvent[] = [];
      proc.stdout!.on("data", (chunk: Buffer) => events.push(...parser.push(chunk)));
      const [code] = await once(proc, "exit");
      expect(code).toBe(0);
      expect(events.map((e) => (e.type === "frame" ? e.header.id : e.message))).toEqual([80, 81, 82]);
      for (const i of [0, 2]) expect(bytesOf((events[i] as DecodedFrame).arrays[0]!.data).equals(bytesOf(x.data))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("gives memory back: unused buffers beyond the 32 MiB warm set go after 8 requests, and AURALIS_DSP_ARENA_MAX=0 keeps none", async () => {
    // 40 MiB: more than the warm set the arena keeps whatever its age (see arena.ts).
    const big: NamedArray = { name: "x", dtype: "float64", shape: [5 << 20], data: new Float64Array(5 << 20).fill(2) };
    const server = new Server();
    server.request(60, "echo", {}, [big]);
    await server.reply();
    const seen = [];
    for (let id = 61; id <= 69; id++) seen.push((await arenaStats(server, id)).retainedBytes);
    expect(seen[0]).toBeGreaterThanOrEqual(40 << 20);
    expect(seen[7]).toBeGreaterThanOrEqual(40 << 20);
    expect(seen[8]).toBe(0);
    expect(await server.stop()).toBe(0);

    const none = new Server({ AURALIS_DSP_ARENA_MAX: "0" });
    none.request(70, "echo", {}, [big]);
    expect(bytesOf((await none.reply()).arrays[0]!.data).equals(bytesOf(big.data))).toBe(true);
    expect((await arenaStats(none, 71)).retainedBytes).toBe(0);
    expect(await none.stop()).toBe(0);
  });
});
