/**
 * Shared-memory replies (docs/protocol.md): the segment header checks, the
 * placement of arrays, and the bundled server writing into a segment, refusing
 * bad ones with a ProtocolError and staying up.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { once } from "node:events";
import { closeSync, existsSync, ftruncateSync, openSync, readSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { FrameKind, FrameParser, encodeFrame, type DecodedFrame } from "../src/bridge/frame.js";
import type { NamedArray } from "../src/ops/types.js";
import { SHM_MIN_ARRAY_BYTES, SegmentSpace, placeInSegment, segmentHeaderProblem } from "../src/bridge/shm.js";
import { opResult } from "../src/bridge/inProcess.js";
import { publicOps } from "../src/ops/index.js";
import { callTask, inlineRunner, runFlow } from "../src/schedule/runner.js";
import { kernelTasks } from "../src/schedule/tasks.js";
import { setSegmentWriter } from "../src/util/segmentWriter.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const serverPath = `${root}python/auralis_dsp/_js/server.mjs`;
const haveShm = process.platform === "linux" && existsSync("/dev/shm");
const made: string[] = [];

beforeAll(async () => {
  await execa("node", ["scripts/bundle.mjs"], { cwd: root });
});

afterEach(() => {
  for (const path of made.splice(0)) if (existsSync(path)) unlinkSync(path);
});

const segmentFile = (capacity: number): string => {
  const path = `/dev/shm/auralis-dsp-test-${process.pid}-${made.length}-${Math.random().toString(16).slice(2)}`;
  writeFileSync(path, "");
  const fd = openSync(path, "r+");
  ftruncateSync(fd, capacity);
  closeSync(fd);
  made.push(path);
  return path;
};

/** Bytes of a segment file, by path or by an open descriptor (the server unlinks the path once it has opened it). */
const readAt = (file: string | number, offset: number, nbytes: number): Buffer => {
  const fd = typeof file === "number" ? file : openSync(file, "r");
  const out = Buffer.alloc(nbytes);
  readSync(fd, out, 0, nbytes, offset);
  if (typeof file !== "number") closeSync(fd);
  return out;
};

const f64 = (name: string, values: number[] | Float64Array): NamedArray => {
  const data = Float64Array.from(values);
  return { name, dtype: "float64", shape: [data.length], data };
};

describe("segment header checks", () => {
  it("accepts a well-formed offer and release list", () => {
    expect(segmentHeaderProblem({ reply_shm: { id: 3, path: "/dev/shm/x", capacity: 1024 }, shm_release: [1, 2] })).toBeUndefined();
    expect(segmentHeaderProblem({})).toBeUndefined();
  });
  it.each([
    [{ reply_shm: 5 }, /reply_shm must be an object/],
    [{ reply_shm: { id: -1, path: "/dev/shm/x", capacity: 8 } }, /id must be/],
    [{ reply_shm: { id: 1, path: "/etc/passwd", capacity: 8 } }, /under \/dev\/shm/],
    [{ reply_shm: { id: 1, path: "/dev/shm/../etc/passwd", capacity: 8 } }, /under \/dev\/shm/],
    [{ reply_shm: { id: 1, path: "/dev/shm/x", capacity: 0 } }, /capacity/],
    [{ shm_release: [1, "2"] }, /shm_release/],
  ])("rejects %j", (header, message) => {
    expect(segmentHeaderProblem(header as Record<string, unknown>)).toMatch(message);
  });
});

describe("placement", () => {
  it("claims 64-byte aligned offsets in order and refuses what does not fit or is small", () => {
    const space = new SegmentSpace({ id: 1, fd: -1, capacity: 4 * SHM_MIN_ARRAY_BYTES });
    expect(space.claim(SHM_MIN_ARRAY_BYTES + 1)).toBe(0);
    expect(space.claim(SHM_MIN_ARRAY_BYTES)).toBe(SHM_MIN_ARRAY_BYTES + 64);
    expect(space.claim(SHM_MIN_ARRAY_BYTES - 8)).toBeUndefined();
    expect(space.claim(2 * SHM_MIN_ARRAY_BYTES)).toBeUndefined();
    expect(space.claim(SHM_MIN_ARRAY_BYTES)).toBe(2 * SHM_MIN_ARRAY_BYTES + 64);
  });

  it.runIf(haveShm)("writes large arrays into the file, keeps small and unfitting ones inline", () => {
    const n = SHM_MIN_ARRAY_BYTES / 8;
    const path = segmentFile(3 * SHM_MIN_ARRAY_BYTES);
    const fd = openSync(path, "r+");
    try {
      const big = f64("big", Float64Array.from({ length: n }, (_, i) => i * 0.5 - 7));
      const small = f64("small", [1, 2, 3]);
      const huge = f64("huge", new Float64Array(4 * n));
      const second = f64("second", Float64Array.from({ length: n + 3 }, (_, i) => -i));
      const { placed, inline } = placeInSegment(new SegmentSpace({ id: 9, fd, capacity: 3 * SHM_MIN_ARRAY_BYTES }), [big, small, huge, second]);
      expect(inline.map((a) => a.name)).toEqual(["small", "huge"]);
      expect(placed.map((p) => [p.name, p.offset, p.nbytes])).toEqual([
        ["big", 0, 8 * n],
        ["second", 8 * n, 8 * (n + 3)],
      ]);
      expect(new Float64Array(readAt(path, 0, 8 * n).buffer.slice(0))).toEqual(big.data);
      expect(new Float64Array(readAt(path, 8 * n, 8 * (n + 3)).buffer.slice(0))).toEqual(second.data);
    } finally {
      closeSync(fd);
    }
  });
});

/** The inline runner, but every run cut into `chunks` chunks (as a pool would), each its own task call. */
const chunkedRunner = (chunks: number): ReturnType<typeof inlineRunner<typeof kernelTasks>> => {
  const base = inlineRunner(kernelTasks);
  return {
    ...base,
    run(task: keyof typeof kernelTasks, count: number, args: never) {
      for (let k = 0; k < chunks; k++) callTask(kernelTasks[task], Math.floor((k * count) / chunks), Math.floor(((k + 1) * count) / chunks), args);
      return undefined;
    },
  } as typeof base;
};

/** Runs `body` while segment writes land in `segment`, the `failAt`-th and later ones throwing; its value and the writes tried. */
const writingInto = async <T>(segment: Uint8Array, failAt: number, body: () => T | Promise<T>): Promise<{ value: T; writes: number }> => {
  let writes = 0;
  setSegmentWriter((_fd, bytes, offset) => {
    if (++writes >= failAt) throw new Error("ENOSPC: no space left on device");
    segment.set(bytes, offset);
  });
  try {
    return { value: await body(), writes };
  } finally {
    setSegmentWriter(undefined);
  }
};

describe("stft frames into a reply segment, on this thread", () => {
  const n = 22050 * 2 + 77;
  const y = Float32Array.from({ length: n }, (_, i) => Math.sin(0.05 * i) + 0.3 * Math.sin(0.31 * i));
  const params = { n_fft: 2048, hop_length: 512, win_length: 2048, center: true, pad_mode: "constant", window: "hann", dtype: "complex64" };
  const signal: NamedArray = { name: "y", dtype: "float32", shape: [1, n], data: y };
  /** The stft op with a segment whose writes land in `segment` at 64 bytes in; the `failAt`-th write and later ones throw. */
  const withSegment = async (failAt: number): Promise<{ array: NamedArray; segment: Uint8Array; writes: number }> => {
    const segment = new Uint8Array(8 << 20);
    const ctx = { runner: inlineRunner(kernelTasks), replySegment: { fd: 7, claim: (nbytes: number) => (nbytes <= segment.length - 64 ? 64 : undefined) } };
    const { value, writes } = await writingInto(segment, failAt, () => opResult(publicOps.stft!({ ...params }, [signal], ctx), runFlow));
    return { array: value.arrays[0]!, segment, writes };
  };

  it("go there as they are made, equal to the reply without a segment; a failed write leaves the whole array to the reply", async () => {
    const plain = (await opResult(publicOps.stft!({ ...params }, [signal], { runner: inlineRunner(kernelTasks) }), runFlow)).arrays[0]!;
    const expected = Buffer.from(plain.data.buffer, plain.data.byteOffset, plain.data.byteLength);
    const whole = await withSegment(Infinity);
    expect(whole.array.segmentOffset).toBe(64);
    // Blocks of staged frames, not one write.
    expect(whole.writes).toBeGreaterThan(4);
    expect(Buffer.compare(Buffer.from(whole.segment.buffer, 64, expected.length), expected)).toBe(0);
    const failed = await withSegment(3);
    expect(failed.array.segmentOffset).toBeUndefined();
    expect(Buffer.compare(Buffer.from(failed.array.data.buffer, failed.array.data.byteOffset, failed.array.data.byteLength), expected)).toBe(0);
  });
});

describe("istft samples into a reply segment, chunk by chunk", () => {
  const nFft = 1024;
  const hop = 256;
  const frames = 97;
  const nBins = nFft / 2 + 1;
  const channels = 2;
  // A frame-major (frames, bins, channels) complex64 spectrum.
  const spectrum = Float32Array.from({ length: 2 * frames * nBins * channels }, (_, i) => Math.sin(0.37 * i) * Math.cos(0.011 * i));
  const matrix: NamedArray = { name: "stft_matrix", dtype: "complex64", shape: [frames, nBins, channels], data: spectrum };
  const chunked = chunkedRunner(5);
  const istft = async (length: number | null, failAt?: number) => {
    const params = { n_fft: nFft, hop_length: hop, win_length: nFft, center: true, window: "hann", dtype: "float32", ...(length === null ? {} : { length }) };
    const plain = (await opResult(publicOps.istft!({ ...params }, [matrix], { runner: chunked }), runFlow)).arrays[0]!;
    if (failAt === undefined) return { plain };
    // Garbage where nothing was written: a missed range (the zeros past the frames' reach too) shows.
    const segment = new Uint8Array(1 << 20).fill(0xab);
    const ctx = { runner: chunked, replySegment: { fd: 7, claim: (nbytes: number) => (nbytes <= segment.length - 128 ? 128 : undefined) } };
    const { value, writes } = await writingInto(segment, failAt, () => opResult(publicOps.istft!({ ...params }, [matrix], ctx), runFlow));
    return { plain, result: value.arrays[0]!, segment, writes };
  };
  const bytesOf = (a: NamedArray): Buffer => Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength);

  it.each([null, 40000, 20000])("length %s: every row's samples land in the segment, equal to the plain reply", async (length) => {
    const { plain, result, segment, writes } = (await istft(length, Infinity)) as Required<Awaited<ReturnType<typeof istft>>>;
    expect(result.segmentOffset).toBe(128);
    expect(writes).toBeGreaterThanOrEqual(2 * 5);
    const expected = bytesOf(plain);
    expect(Buffer.compare(Buffer.from(segment.buffer, 128, expected.length), expected)).toBe(0);
    expect(Buffer.compare(bytesOf(result), expected)).toBe(0);
  });

  it("a failed write leaves the whole output to the reply", async () => {
    const { plain, result } = (await istft(40000, 4)) as Required<Awaited<ReturnType<typeof istft>>>;
    expect(result.segmentOffset).toBeUndefined();
    expect(Buffer.compare(bytesOf(result), bytesOf(plain))).toBe(0);
  });
});

describe("cqt frames into a reply segment, chunk by chunk", () => {
  const n = 22050 * 3 + 123;
  const y = Float32Array.from({ length: 2 * n }, (_, i) => Math.sin(0.05 * i) + 0.3 * Math.sin(0.0031 * i * (i % 7)));
  const signal: NamedArray = { name: "y", dtype: "float32", shape: [2, n], data: y };
  const params = {
    sr: 22050, hop_length: 512, fmin: null, n_bins: 84, bins_per_octave: 12, filter_scale: 1, norm: 1, sparsity: 0.01,
    window: "hann", scale: true, pad_mode: "constant", res_type: "soxr_hq", dtype: "complex64", tuning: 0.0,
  };
  const chunked = chunkedRunner(5);
  const cqt = async (failAt: number) => {
    const segment = new Uint8Array(4 << 20).fill(0xab);
    const ctx = { runner: chunked, replySegment: { fd: 7, claim: (nbytes: number) => (nbytes <= segment.length - 64 ? 64 : undefined) } };
    const { value, writes } = await writingInto(segment, failAt, () => opResult(publicOps.cqt!({ ...params }, [signal], ctx), runFlow));
    return { result: value.arrays[0]!, segment, writes };
  };
  const bytesOf = (a: NamedArray): Buffer => Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength);

  it("each chunk's frames land in the segment, equal to the reply without one; a failed write leaves the whole array to the reply", async () => {
    const plain = (await opResult(publicOps.cqt!({ ...params }, [signal], { runner: chunked }), runFlow)).arrays[0]!;
    const expected = bytesOf(plain);
    const whole = await cqt(Infinity);
    expect(whole.result.segmentOffset).toBe(64);
    expect(whole.writes).toBe(5);
    expect(Buffer.compare(Buffer.from(whole.segment.buffer, 64, expected.length), expected)).toBe(0);
    expect(Buffer.compare(bytesOf(whole.result), expected)).toBe(0);
    const failed = await cqt(3);
    expect(failed.result.segmentOffset).toBeUndefined();
    expect(failed.writes).toBe(3);
    expect(Buffer.compare(bytesOf(failed.result), expected)).toBe(0);
  });
});

/** A bundled server and a reply parser (the compact cousin of bridge.test.ts's). */
class Server {
  readonly proc: ChildProcessWithoutNullStreams;
  private readonly parser = new FrameParser({ kind: FrameKind.reply });
  private readonly replies: DecodedFrame[] = [];
  private waiting?: () => void;
  stderr = "";

  constructor() {
    this.proc = spawn(process.execPath, [serverPath], { env: { ...process.env, AURALIS_DSP_THREADS: "2", AURALIS_DSP_DEBUG_OPS: "1" }, stdio: ["pipe", "pipe", "pipe"] });
    this.proc.stdout.on("data", (chunk: Buffer) => {
      for (const event of this.parser.push(chunk)) if (event.type === "frame") this.replies.push(event);
      this.waiting?.();
    });
    this.proc.stderr.on("data", (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
  }

  async call(header: Record<string, unknown>, arrays: NamedArray[] = []): Promise<DecodedFrame> {
    for (const chunk of encodeFrame(FrameKind.request, header, arrays)) this.proc.stdin.write(chunk);
    while (this.replies.length === 0) await new Promise<void>((resolve) => (this.waiting = resolve));
    return this.replies.shift()!;
  }

  /** A request whose arrays with an `offset` are in its segment: the header lists them, the payload holds the others. */
  async callPlaced(header: Record<string, unknown>, arrays: (NamedArray & { offset?: number })[]): Promise<DecodedFrame> {
    const descriptors = arrays.map(({ name, dtype, shape, data, offset }) => ({ name, dtype, shape, nbytes: data.byteLength, ...(offset === undefined ? {} : { offset }) }));
    const inline = arrays.filter((a) => a.offset === undefined);
    const json = Buffer.from(JSON.stringify({ ...header, arrays: descriptors }));
    const head = Buffer.alloc(24 + Math.ceil(json.length / 8) * 8, 0x20);
    head.write("ADSP", 0, "latin1");
    head.writeUInt16LE(1, 4);
    head.writeUInt16LE(FrameKind.request, 6);
    head.writeUInt32LE(head.length - 24, 8);
    head.writeUInt32LE(0, 12);
    head.writeBigUInt64LE(BigInt(inline.reduce((sum, a) => sum + Math.ceil(a.data.byteLength / 8) * 8, 0)), 16);
    json.copy(head, 24);
    this.proc.stdin.write(head);
    for (const a of inline) {
      this.proc.stdin.write(Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength));
      this.proc.stdin.write(Buffer.alloc(Math.ceil(a.data.byteLength / 8) * 8 - a.data.byteLength));
    }
    while (this.replies.length === 0) await new Promise<void>((resolve) => (this.waiting = resolve));
    return this.replies.shift()!;
  }

  async stop(): Promise<void> {
    this.proc.stdin.end();
    await once(this.proc, "exit");
  }
}

/** Each request (sent with ids 10, 11, ...) gets a ProtocolError matching its message, and the server still answers a ping. */
const expectRefusals = async (server: Server, requests: [(id: number) => Promise<DecodedFrame>, RegExp][]): Promise<void> => {
  for (const [i, [send, message]] of requests.entries()) {
    const reply = await send(10 + i);
    expect(reply.header).toMatchObject({ id: 10 + i, ok: false, error: { type: "ProtocolError" } });
    expect((reply.header.error as { message: string }).message).toMatch(message);
  }
  const ping = await server.call({ id: 20, op: "ping", params: {} });
  expect(ping.header).toMatchObject({ id: 20, ok: true });
};

describe.runIf(haveShm)("the server and reply segments", () => {
  it("echoes a large array into the offered segment, a small one inline, and reuses the segment", async () => {
    const server = new Server();
    try {
      const path = segmentFile(1 << 20);
      const fd = openSync(path, "r");
      const x = Float64Array.from({ length: 20000 }, (_, i) => Math.sin(i));
      const offer = { id: 4, path, capacity: 1 << 20 };
      const reply = await server.call({ id: 1, op: "echo", params: {}, reply_shm: offer }, [f64("x", x), f64("s", [5, 6])]);
      expect(reply.header).toMatchObject({ id: 1, ok: true, shm: 4, shm_arrays: [{ name: "x", dtype: "float64", shape: [20000], nbytes: 160000, offset: 0 }] });
      expect(reply.arrays.map((a) => a.name)).toEqual(["s"]);
      expect(new Float64Array(readAt(fd, 0, 160000).buffer.slice(0))).toEqual(x);
      closeSync(fd);
      // The server unlinked the path once it had it open: the id alone serves from then on.
      expect(existsSync(path)).toBe(false);
      const y = x.map((v) => -v);
      const again = await server.call({ id: 2, op: "echo", params: {}, reply_shm: offer }, [f64("y", y)]);
      expect(again.header).toMatchObject({ ok: true, shm: 4 });
      // Released: a later offer of the same id must be opened afresh, and its path is gone.
      const refused = await server.call({ id: 3, op: "echo", params: {}, shm_release: [4], reply_shm: offer }, [f64("y", y)]);
      expect(refused.header).toMatchObject({ id: 3, ok: false, error: { type: "ProtocolError" } });
      expect((refused.header.error as { message: string }).message).toMatch(/cannot open reply segment/);
    } finally {
      await server.stop();
    }
  });

  it("stft's workers write their frames straight into the segment, equal to the inline reply", async () => {
    const server = new Server();
    try {
      const n = 22050 * 3;
      const y = Float32Array.from({ length: n }, (_, i) => Math.sin(0.05 * i) + 0.3 * Math.sin(0.31 * i));
      const params = { n_fft: 2048, hop_length: 512, win_length: 2048, center: true, pad_mode: "constant", window: "hann", dtype: "complex64" };
      const signal: NamedArray = { name: "y", dtype: "float32", shape: [1, n], data: y };
      await server.call({ id: 1, op: "ping", params: {} }); // workers booted
      const inline = await server.call({ id: 2, op: "stft", params }, [signal]);
      const path = segmentFile(8 << 20);
      const fd = openSync(path, "r");
      const shared = await server.call({ id: 3, op: "stft", params, reply_shm: { id: 1, path, capacity: 8 << 20 } }, [signal]);
      const placed = (shared.header.shm_arrays as { nbytes: number; offset: number; shape: number[] }[])[0]!;
      expect(placed.shape).toEqual(inline.arrays[0]!.shape);
      const bytes = readAt(fd, placed.offset, placed.nbytes);
      closeSync(fd);
      const expected = inline.arrays[0]!.data as Float32Array;
      expect(Buffer.compare(bytes, Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength))).toBe(0);
    } finally {
      await server.stop();
    }
  });

  it("reads a request's arrays from the segment (large ones across the pool's threads), as if they came inline", async () => {
    const server = new Server();
    try {
      await server.call({ id: 1, op: "ping", params: {} }); // workers booted
      // 9.6 MB: five 2 MiB blocks, so both workers read; the reply reuses the segment's first bytes.
      const x = Float64Array.from({ length: 1_200_000 }, (_, i) => Math.sin(0.001 * i) * (i % 7));
      const small = Float64Array.from({ length: 100_000 }, (_, i) => i);
      const capacity = 16 << 20;
      const path = segmentFile(capacity);
      const fd = openSync(path, "r+");
      const at = 64;
      writeSync(fd, new Uint8Array(x.buffer), 0, x.byteLength, at);
      writeSync(fd, new Uint8Array(small.buffer), 0, small.byteLength, 12 << 20);
      const offer = { id: 9, path, capacity };
      const reply = await server.callPlaced({ id: 2, op: "echo", params: {}, reply_shm: offer }, [
        { ...f64("x", x), offset: at },
        f64("tiny", [1, 2, 3]),
        { ...f64("small", small), offset: 12 << 20 },
      ]);
      expect(reply.header).toMatchObject({ id: 2, ok: true, shm: 9 });
      const placed = reply.header.shm_arrays as { name: string; offset: number; nbytes: number }[];
      expect(placed.map((a) => a.name)).toEqual(["x", "small"]);
      expect(Buffer.compare(readAt(fd, placed[0]!.offset, placed[0]!.nbytes), Buffer.from(x.buffer))).toBe(0);
      expect(Buffer.compare(readAt(fd, placed[1]!.offset, placed[1]!.nbytes), Buffer.from(small.buffer))).toBe(0);
      expect(Array.from(reply.arrays[0]!.data as Float64Array)).toEqual([1, 2, 3]);

      // An op's answer is the same whichever way its input came.
      const n = 22050 * 4;
      const y = Float32Array.from({ length: n }, (_, i) => Math.sin(0.07 * i) + 0.2 * Math.sin(0.9 * i));
      writeSync(fd, new Uint8Array(y.buffer), 0, y.byteLength, 0);
      const params = { n_fft: 2048, hop_length: 512, win_length: 2048, center: true, pad_mode: "constant", window: "hann", dtype: "complex64" };
      const signal: NamedArray = { name: "y", dtype: "float32", shape: [1, n], data: y };
      const inline = await server.call({ id: 3, op: "stft", params }, [signal]);
      const fromSegment = await server.callPlaced({ id: 4, op: "stft", params, reply_shm: offer }, [{ ...signal, offset: 0 }]);
      expect(inline.header).toMatchObject({ id: 3, ok: true });
      expect(fromSegment.header).toMatchObject({ id: 4, ok: true, shm: 9 });
      const frames = (fromSegment.header.shm_arrays as { nbytes: number; offset: number }[])[0]!;
      const expected = inline.arrays[0]!.data as Float32Array;
      expect(Buffer.compare(readAt(fd, frames.offset, frames.nbytes), Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength))).toBe(0);
      closeSync(fd);
    } finally {
      await server.stop();
    }
  });

  it("refuses request arrays in the segment without one, past its capacity or misaligned, and keeps serving", async () => {
    const server = new Server();
    try {
      const path = segmentFile(1 << 20);
      const offer = { id: 2, path, capacity: 1 << 20 };
      const x = new Float64Array(20_000);
      const placed = (extra: Record<string, unknown>, offset: number) => (id: number) => server.callPlaced({ id, op: "echo", params: {}, ...extra }, [{ ...f64("x", x), offset }]);
      await expectRefusals(server, [
        [placed({}, 0), /offers no segment/],
        [placed({ reply_shm: offer }, (1 << 20) - 8), /past the segment's capacity/],
        [placed({ reply_shm: offer }, 12), /multiple of 8/],
      ]);
    } finally {
      await server.stop();
    }
  });

  it("refuses segments outside /dev/shm, missing or too small, with a ProtocolError, and keeps serving", async () => {
    const server = new Server();
    try {
      const small = segmentFile(4096);
      const offered = (offer: Record<string, unknown>) => (id: number) => server.call({ id, op: "echo", params: {}, reply_shm: offer }, [f64("x", [1])]);
      await expectRefusals(server, [
        [offered({ id: 1, path: "/etc/passwd", capacity: 8 }), /under \/dev\/shm/],
        [offered({ id: 2, path: "/dev/shm/auralis-dsp-test-missing", capacity: 8 }), /cannot open/],
        [offered({ id: 3, path: small, capacity: 1 << 20 }), /below capacity/],
      ]);
    } finally {
      await server.stop();
    }
  });
});
