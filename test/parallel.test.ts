/**
 * The worker pool: same results for any thread count, work really spread over
 * the threads, errors rejecting run().
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WorkerPool } from "../src/schedule/pool.js";
import { inlineRunner, poolRunner, runFlow, setGrainOverride } from "../src/schedule/runner.js";
import { kernelTasks } from "../src/schedule/tasks.js";
import { blockCount, chunkCount, skeletonOf, type ClosableWorkerPool } from "../src/schedule/workerPool.js";
import { setFlagsFromString } from "node:v8";
import { useWorkerPools } from "./helpers/workerPools.js";
import { ParameterError } from "../src/util/errors.js";
import { istftFlow, stftFlow } from "../src/spectrum/transforms.js";
import { checkPadMode } from "../src/spectrum/pad.js";
import { fftWindow } from "../src/spectrum/window.js";
import { PART_FRAMES_PER_CHUNK } from "../src/hpss/pipeline.js";
import { testTasks } from "./parallel.worker.js";
import { runOp } from "./helpers/ops.js";
import { hpss, type HpssParams } from "../src/hpss/hpss.js";
import type { NamedArray } from "../src/ops/types.js";
import { allocObservations, decodeChannels, observeUnits, planPyin, planTransitions, type PyinOptions } from "../src/pitch/pyin.js";
import { pipelineCells } from "../src/pitch/pipelines.js";
import { clearCaches } from "../src/util/clearCaches.js";

/** A pool's runner, or the inline one. */
const runnerOf = (p: WorkerPool | undefined) => (p ? poolRunner(p, kernelTasks) : inlineRunner(kernelTasks));

const pool = useWorkerPools({
  entryPoints: [new URL("./parallel.worker.ts", import.meta.url).pathname],
});

const bytesOf = (a: NamedArray["data"]): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** Op `name` inline and on pools of 2 and 3 workers: its first two outputs bit-identical; the inline result. */
const sameOnPools = async (name: string, params: Record<string, unknown>, arrays: NamedArray[]) => {
  const [inline, two, three] = [await runOp(name, params, arrays), await runOp(name, params, arrays, pool(2)), await runOp(name, params, arrays, pool(3))];
  for (const k of [0, 1]) {
    expect(bytesOf(two.arrays[k]!.data).equals(bytesOf(inline.arrays[k]!.data))).toBe(true);
    expect(bytesOf(three.arrays[k]!.data).equals(bytesOf(inline.arrays[k]!.data))).toBe(true);
  }
  return inline;
};

const wave = async (p: ClosableWorkerPool | undefined, n: number) => {
  const x = new Float64Array(new SharedArrayBuffer(8 * n)).map((_, i) => (i % 17) * 0.25);
  const out = new Float64Array(new SharedArrayBuffer(8 * n));
  const owner = new Int32Array(new SharedArrayBuffer(4 * n)).fill(-1);
  await (p ? p.run("test.wave", n, { x, out, owner }) : inlineRunner(testTasks).run("test.wave", n, { x, out, owner }));
  return { x, out, owner };
};

describe("createWorkerPool", () => {
  it("gives bit-identical results inline, with 1 worker and with 4", async () => {
    const n = 100_003;
    const inline = await wave(undefined, n);
    const one = await wave(pool(1), n);
    const four = await wave(pool(4), n);
    expect(Buffer.from(one.out.buffer).equals(Buffer.from(inline.out.buffer))).toBe(true);
    expect(Buffer.from(four.out.buffer).equals(Buffer.from(inline.out.buffer))).toBe(true);
    // The values themselves, from the formula, so a task that wrote nothing fails.
    for (const i of [0, 1, 5000, n - 1]) {
      expect(four.out[i]).toBe(Math.sin(0.001 * i) * Math.exp(-inline.x[i]! / 7) + Math.sqrt(i));
    }
    expect(new Set(inline.owner)).toEqual(new Set([0]));
    expect(new Set(one.owner).size).toBe(1);
    expect(four.owner.includes(-1)).toBe(false);
    expect(four.owner.includes(0)).toBe(false);
  });

  /** Which thread ran each of the `n` units of `task` on `p` (the task fills `owner`); every unit ran. */
  const ownersOf = async (p: ClosableWorkerPool, task: string, n: number, args: Record<string, unknown>): Promise<Int32Array> => {
    const owner = new Int32Array(new SharedArrayBuffer(4 * n)).fill(-1);
    await p.run(task, n, { ...args, owner });
    expect(owner.includes(-1)).toBe(false);
    return owner;
  };

  it("hands every worker a claimed run: four blocks that wait for each other all run at once", async () => {
    const owner = await ownersOf(pool(4), "test.rendezvous", 64, { started: new Int32Array(new SharedArrayBuffer(4)), want: 4 });
    expect(new Set(owner).size).toBe(4);
    expect(owner.includes(0)).toBe(false);
  });

  it("a worker held up takes one block of a claimed run and the other worker the rest", async () => {
    const owner = await ownersOf(pool(2), "test.slowFirst", 1600, { first: new Int32Array(new SharedArrayBuffer(8)), holdMs: 1500 });
    const counts = new Map<number, number>();
    for (const t of owner) counts.set(t, (counts.get(t) ?? 0) + 1);
    // 16 blocks of 100 units: the held thread did only the block it held.
    expect([...counts.values()].sort((a, b) => a - b)).toEqual([100, 1500]);
  });

  it("settles a claimed run once its blocks are done, without waiting for a busy worker's ticket", async () => {
    const p = pool(2);
    p.warm();
    await wave(p, 1000);
    // One unit: a chunk of its own on one worker, held 1.5 s.
    let heldDone = false;
    const held = p.run("test.slowFirst", 1, { owner: new Int32Array(new SharedArrayBuffer(4)), first: new Int32Array(new SharedArrayBuffer(8)), holdMs: 1500 }).then(() => {
      heldDone = true;
    });
    const claimed = await wave(p, 5000);
    expect(heldDone).toBe(false);
    expect(new Set(claimed.owner).size).toBe(1);
    expect(Array.from(claimed.out)).toEqual(Array.from((await wave(undefined, 5000)).out));
    await held;
  });

  it("clones a run's arguments once per worker, not once per chunk", async () => {
    const p = pool(2);
    for (let run = 0; run < 3; run++) {
      const seen = new Int32Array(new SharedArrayBuffer(4 * 64)).fill(-1);
      await p.run("test.argsIdentity", 64, { seen });
      // 8 chunks over 2 workers: one arguments object per worker that took part, new for each run.
      const ids = new Set(seen);
      expect(seen.includes(-1)).toBe(false);
      expect(ids.size).toBeGreaterThanOrEqual(1);
      expect(ids.size).toBeLessThanOrEqual(2);
      expect(new Set([...ids].map((id) => Math.floor(id / 1000))).size).toBe(ids.size);
    }
  });

  it("handles counts smaller than the number of chunks, and zero", async () => {
    const p = pool(3);
    for (const n of [1, 2, 7, 13]) {
      const got = await wave(p, n);
      const want = await wave(undefined, n);
      expect(Array.from(got.out)).toEqual(Array.from(want.out));
    }
    await expect(p.run("test.wave", 0, {})).resolves.toBeUndefined();
  });

  it("rejects run() when a task throws, keeps ParameterError, and keeps working", async () => {
    const p = pool(4);
    await expect(p.run("test.failAt", 1000, { failIndex: 777, parameterError: false })).rejects.toThrow("task failed at 777");
    const error = await p.run("test.failAt", 1000, { failIndex: 3, parameterError: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ParameterError);
    expect((error as Error).message).toBe("bad index 3");
    await expect(p.run("no.such.task", 10, {})).rejects.toThrow("unknown task no.such.task");
    const after = await wave(p, 1000);
    expect(after.owner.includes(-1)).toBe(false);
  });

  it("runs concurrent runs to completion", async () => {
    const p = pool(2);
    p.warm();
    const results = await Promise.all([wave(p, 5000), wave(p, 7000), wave(p, 3)]);
    for (const r of results) expect(Array.from(r.out)).toEqual(Array.from((await wave(undefined, r.out.length)).out));
  });

  it("with inlineWhileBooting, runs inline until a worker has booted, then on the workers", async () => {
    const p = pool(2, { inlineWhileBooting: true });
    expect(p.ready!()).toBe(false); // starts the workers
    const n = 4000;
    const args = () => ({ x: new Float64Array(new SharedArrayBuffer(8 * n)), out: new Float64Array(new SharedArrayBuffer(8 * n)), owner: new Int32Array(new SharedArrayBuffer(4 * n)).fill(-1) });
    const early = args();
    await poolRunner(p, testTasks).run("test.wave", n, early);
    expect(new Set(early.owner)).toEqual(new Set([0]));
    const deadline = Date.now() + 30_000;
    while (!p.ready!() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(p.ready!()).toBe(true);
    const late = args();
    await poolRunner(p, testTasks).run("test.wave", n, late);
    expect(late.owner.includes(0)).toBe(false);
    expect(late.owner.includes(-1)).toBe(false);
    expect(Buffer.from(late.out.buffer).equals(Buffer.from(early.out.buffer))).toBe(true);
  });

  it("rejects runs after close()", async () => {
    const p = pool(2);
    await wave(p, 100);
    await p.close();
    await expect(p.run("test.wave", 10, {})).rejects.toThrow("closed");
  });
});

describe("skeletonOf (what a pool worker keeps of a run's arguments)", () => {
  // V8's own test of hidden classes (functions compiled after the flag is set may use natives syntax).
  setFlagsFromString("--allow-natives-syntax");
  const sameMap = new Function("a", "b", "return %HaveSameMap(a, b);") as (a: object, b: object) => boolean;
  // As a worker receives them: a structured clone (ints, doubles, strings, booleans, null, nested objects, arrays, views).
  const received = structuredClone({
    plan: { nFrames: 216, sr: 22050.5, padMode: "constant", segments: [{ frameStart: 0, frameEnd: 3 }], window: new Float64Array(2048) },
    signal: new Float32Array(new SharedArrayBuffer(4 * 1000)),
    double: false,
    sink: null,
  });

  it("has the same hidden classes as the clone, with empty views of the same types and the primitives kept", () => {
    const skeleton = skeletonOf(received, { left: 100 }) as typeof received;
    expect(sameMap(skeleton, received)).toBe(true);
    expect(sameMap(skeleton.plan, received.plan)).toBe(true);
    expect(sameMap(skeleton.plan.segments[0]!, received.plan.segments[0]!)).toBe(true);
    expect(skeleton.signal).toBeInstanceOf(Float32Array);
    expect(skeleton.signal.length).toBe(0);
    expect(skeleton.plan.window).toBeInstanceOf(Float64Array);
    expect(skeleton.plan.window.length).toBe(0);
    expect([skeleton.plan.nFrames, skeleton.plan.sr, skeleton.plan.padMode, skeleton.double, skeleton.sink]).toEqual([216, 22050.5, "constant", false, null]);
    // The check itself tells shapes apart: the same keys in another order are another class.
    const { plan, signal, double, sink } = skeleton;
    expect(sameMap({ signal, plan, double, sink }, received)).toBe(false);
  });

  it("stops copying past its budget (objects and array elements)", () => {
    const skeleton = skeletonOf(received, { left: 2 }) as Record<string, unknown>;
    expect(skeleton.signal).toBe(null);
    expect(skeletonOf({ numbers: Array.from({ length: 100 }, (_, i) => i) }, { left: 50 })).toEqual({ numbers: null });
  });
});

/** `fn(count, size, maxChunks)` against each row's last value (maxChunks undefined: the default). */
const expectCuts = (fn: (count: number, size: number, maxChunks?: number) => number, rows: [number, number, number | undefined, number][]): void => {
  for (const [count, size, maxChunks, want] of rows) expect(fn(count, size, maxChunks), `${fn.name}(${count}, ${size}, ${maxChunks})`).toBe(want);
};

describe("blockCount", () => {
  it("cuts a claimed run into at most 8 blocks a worker and the grain's count, beyond one a worker a multiple of the workers", () => {
    expectCuts(blockCount, [
      [7752, 2, 15, 14], [7752, 2, undefined, 16], [216, 2, 2, 2], [216, 3, 2, 2], [2584, 2, 5, 4], [7, 2, undefined, 6], [3, 4, undefined, 3], [0, 2, undefined, 1],
    ]);
  });
});

describe("chunkCount", () => {
  it("cuts a run into at most 4 chunks a worker and the grain's count, beyond one a multiple of the workers", () => {
    expectCuts(chunkCount, [
      [216, 2, 216, 8], [216, 2, 3, 2], [216, 2, 5, 4], [216, 3, 5, 3], [216, 3, 2, 2], [7, 2, undefined, 6], [1, 4, undefined, 1], [0, 2, undefined, 1], [100, 1, 7, 4],
    ]);
  });
});

describe("poolRunner grain", () => {
  /** A pool that records its runs and runs nothing. */
  const recorder = (): WorkerPool & { runs: [number, number | undefined][] } => {
    const runs: [number, number | undefined][] = [];
    return { size: 2, runs, run: async (_name, count, _args, maxChunks) => void runs.push([count, maxChunks]) };
  };

  it("keeps runs of fewer than two grains inline and gives longer ones at most count / grain chunks", async () => {
    const p = recorder();
    const n = 50;
    const x = new Float64Array(n).fill(1);
    const out = new Float64Array(n);
    const owner = new Int32Array(n);
    const runner = poolRunner(p, testTasks);
    expect(runner.run("test.wave", n, { x, out, owner }, 32)).toBeUndefined();
    expect(p.runs).toEqual([]);
    expect(out[n - 1]).not.toBe(0);
    await runner.run("test.wave", 100, { x, out, owner }, 32);
    expect(p.runs).toEqual([[100, 3]]);
    setGrainOverride(1);
    try {
      await runner.run("test.wave", n, { x, out, owner }, 32);
    } finally {
      setGrainOverride(null);
    }
    expect(p.runs[1]).toEqual([n, n]);
  });
});

describe("spectrum ops on the pool", () => {
  // Short signals would stay on one thread: cut every run into as many chunks as the pool takes.
  beforeAll(() => setGrainOverride(1));
  afterAll(() => setGrainOverride(null));

  /** A stereo test signal in shared memory (so workers see it without a copy). */
  const signal = (channels: number, length: number, double: boolean): Float32Array | Float64Array => {
    const data = double ? new Float64Array(new SharedArrayBuffer(8 * channels * length)) : new Float32Array(new SharedArrayBuffer(4 * channels * length));
    for (let i = 0; i < data.length; i++) data[i] = Math.sin(0.013 * i * (1 + (i % 3))) + 0.25 * Math.cos(0.0007 * i * i);
    return data;
  };

  for (const { nFft, hop, padMode, double } of [
    { nFft: 2048, hop: 512, padMode: "constant", double: false },
    { nFft: 1000, hop: 300, padMode: "reflect", double: true },
  ]) {
    it(`stft and istft are bit-identical inline and on 2 and 4 threads (n_fft=${nFft}, ${double ? "float64" : "float32"})`, async () => {
      const channels = 2;
      const length = 60_001;
      const y = signal(channels, length, double);
      const window = fftWindow("hann", nFft, nFft);
      const pad = checkPadMode(padMode);
      const stfts = [];
      for (const p of [undefined, pool(2), pool(4)]) {
        stfts.push(await runFlow(stftFlow(runnerOf(p), { signal: y, channels, length, nFft, hopLength: hop, window, center: true, padMode: pad, double })));
      }
      const [inline, two, four] = stfts;
      expect(inline!.plan.nFrames).toBeGreaterThan(16);
      expect(bytesOf(two!.out).equals(bytesOf(inline!.out))).toBe(true);
      expect(bytesOf(four!.out).equals(bytesOf(inline!.out))).toBe(true);
      expect(inline!.out.some((v) => v !== 0)).toBe(true);

      const { nFrames, nBins } = inline!.plan;
      // A length past the frames' reach: its tail must come back as zeros.
      const wanted = length + 3 * nFft;
      const istfts = [];
      for (const p of [undefined, pool(2), pool(4)]) {
        const request = { spectrum: two!.out, layout: inline!.layout, nBins, nFrames, channels, nFft, hopLength: hop, window, center: true, length: wanted, double };
        istfts.push(await runFlow(istftFlow(runnerOf(p), request)));
      }
      const [i1, i2, i4] = istfts.map((r) => r.out);
      expect(bytesOf(i2!).equals(bytesOf(i1!))).toBe(true);
      expect(bytesOf(i4!).equals(bytesOf(i1!))).toBe(true);
      // Round trip: the signal comes back, and the padding past it is zero.
      const tolerance = double ? 1e-9 : 1e-4;
      for (const c of [0, 1]) {
        for (const i of [0, 1, 777, length >> 1, length - 1]) expect(Math.abs(i1![c * wanted + i]! - y[c * length + i]!)).toBeLessThan(tolerance);
        expect(i1!.subarray(c * wanted + length + nFft, (c + 1) * wanted).every((v) => v === 0)).toBe(true);
      }
    });
  }

  it("keeps working after its workers are asked to collect garbage", async () => {
    const p = pool(2);
    await wave(p, 1000);
    p.collectGarbage();
    const after = await wave(p, 1000);
    expect(after.owner.includes(-1)).toBe(false);
  });
});

describe("the hpss op (decompose.hpss) on the pool", () => {
  // Short spectrograms would stay on one thread: cut every run into as many chunks as the pool takes.
  beforeAll(() => setGrainOverride(1));
  afterAll(() => setGrainOverride(null));

  /** A (frames, bins, channels) spectrogram with tonal lines, clicks and noise-like texture. */
  const spectrogram = (nTime: number, nFreq: number, channels: number, complex: boolean, double: boolean): Float32Array | Float64Array => {
    const n = nTime * nFreq * channels * (complex ? 2 : 1);
    const data = double ? new Float64Array(new SharedArrayBuffer(8 * n)) : new Float32Array(new SharedArrayBuffer(4 * n));
    for (let t = 0; t < nTime; t++) {
      for (let f = 0; f < nFreq; f++) {
        for (let c = 0; c < channels; c++) {
          const tone = f % (17 + c) === 0 ? 3 : 0;
          const click = t % (11 + c) === 0 ? 2 : 0;
          const v = tone + click + 0.3 * Math.abs(Math.sin(0.37 * (t * nFreq + f) * (c + 1)));
          const i = (t * nFreq + f) * channels + c;
          if (complex) {
            data[2 * i] = v * Math.cos(0.1 * t + f);
            data[2 * i + 1] = v * Math.sin(0.1 * t + f);
          } else {
            data[i] = v;
          }
        }
      }
    }
    return data;
  };

  /** Channel c of a (frames, bins, channels) array as a planar frame-major one. */
  const channelOf = (data: Float32Array | Float64Array, channels: number, c: number, lanes: number): Float32Array | Float64Array => {
    const out = data instanceof Float32Array ? new Float32Array(data.length / channels) : new Float64Array(data.length / channels);
    for (let i = 0; i < out.length / lanes; i++) for (let k = 0; k < lanes; k++) out[lanes * i + k] = data[lanes * (i * channels + c) + k]!;
    return out;
  };

  for (const { dtype, mask } of [
    { dtype: "complex64", mask: false },
    { dtype: "complex128", mask: false },
    { dtype: "complex64", mask: true },
    { dtype: "float32", mask: false },
    { dtype: "float64", mask: false },
  ] as const) {
    it(`${dtype}${mask ? " mask=True" : ""}: bit-identical inline and on 2 and 3 threads, and to the scalar hpss() per channel`, async () => {
      const [nTime, nFreq, channels] = [53, 67, 2];
      const complex = dtype.startsWith("complex");
      const double = dtype === "complex128" || dtype === "float64";
      const S: NamedArray = { name: "S", dtype, shape: [nTime, nFreq, channels], data: spectrogram(nTime, nFreq, channels, complex, double) };
      const params = { win_harm: 9, win_perc: 7, power: 2, margin_harm: 1, margin_perc: 1, mask, librosa: "0.11" };
      const inline = await sameOnPools("hpss", params, [S]);
      const hp: HpssParams = { winHarm: 9, winPerc: 7, power: 2, marginHarm: 1, marginPerc: 1, precision: double ? "float64" : "float32" };
      const lanes = complex ? 2 : 1;
      for (let c = 0; c < channels; c++) {
        const ref = hpss(channelOf(S.data as Float32Array | Float64Array, channels, c, lanes), complex, { nFreq, nTime, order: "frame-major" }, hp, mask);
        const outLanes = mask ? 1 : lanes;
        const got = [0, 1].map((k) => channelOf(inline.arrays[k]!.data as Float32Array | Float64Array, channels, c, outLanes));
        // Masks come back in the working precision (float32 for complex64), the reference gives float64.
        const want = [ref.harmonic, ref.percussive].map((r) => (got[0] instanceof Float32Array ? Float32Array.from(r) : r));
        expect(bytesOf(got[0]!).equals(bytesOf(want[0]!))).toBe(true);
        expect(bytesOf(got[1]!).equals(bytesOf(want[1]!))).toBe(true);
        expect(got[0]!.some((v) => v !== 0)).toBe(true);
      }
    });
  }

  it.each([1, 2])("effects.hpss of %i channel(s) over many inverse-STFT chunks: bit-identical inline and on 2 threads, and to stft -> decompose.hpss -> istft", async (channels) => {
    // n_fft 256, hop 64: the parts' frames are made in three windows of PART_FRAMES_PER_CHUNK (src/hpss/pipeline.ts).
    const length = (2 * PART_FRAMES_PER_CHUNK + 300) * 64 + 13;
    const y = new Float64Array(new SharedArrayBuffer(8 * channels * length)).map((_, i) => {
      const t = i % length;
      return 0.5 * Math.sin(0.031 * t * (1 + (i >= length ? 0.5 : 0))) + (t % 2011 < 3 ? 0.9 : 0) + 0.05 * Math.sin(0.0007 * t * t);
    });
    const frame = { n_fft: 256, hop_length: 64, win_length: 256, center: true, window: "hann" };
    const params = { ...frame, pad_mode: "constant", win_harm: 17, win_perc: 9, power: 2, margin_harm: 1, margin_perc: 1, mask: false, which: "both", librosa: "0.11" };
    const Y: NamedArray = { name: "y", dtype: "float64", shape: [channels, length], data: y };
    const results = [];
    for (const p of [undefined, pool(2)]) results.push(await runOp("effects.hpss", params, [Y], p));
    const [inline, two] = results;
    for (const k of [0, 1]) expect(bytesOf(two!.arrays[k]!.data).equals(bytesOf(inline!.arrays[k]!.data))).toBe(true);

    const { arrays: [D] } = await runOp("stft", { ...frame, pad_mode: "constant", dtype: "complex128" }, [Y]);
    expect(D!.shape[0]).toBeGreaterThan(2 * PART_FRAMES_PER_CHUNK);
    const hp = { win_harm: 17, win_perc: 9, power: 2, margin_harm: 1, margin_perc: 1, mask: false, librosa: "0.11" };
    const { arrays: parts } = await runOp("hpss", hp, [{ ...D!, name: "S" }]);
    for (const k of [0, 1]) {
      const { arrays: [part] } = await runOp("istft", { ...frame, length, dtype: "float64" }, [{ ...parts[k]!, name: "stft_matrix" }]);
      expect(bytesOf(inline!.arrays[k]!.data).equals(bytesOf(part!.data))).toBe(true);
    }
    expect(inline!.arrays[1]!.data.some((v) => v !== 0)).toBe(true);

    // float32 (the SIMD float32 masks, float32 windows of frames): within float32 rounding of the float64 parts.
    const Y32: NamedArray = { ...Y, dtype: "float32", data: new Float32Array(new SharedArrayBuffer(4 * y.length)).map((_, i) => y[i]!) };
    const single = await runOp("effects.hpss", params, [Y32], pool(2));
    for (const k of [0, 1]) {
      const want = inline!.arrays[k]!.data as Float64Array;
      const got = single.arrays[k]!.data as Float32Array;
      let peak = 0;
      let worst = 0;
      for (let i = 0; i < want.length; i++) {
        peak = Math.max(peak, Math.abs(want[i]!));
        worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
      }
      expect(worst).toBeLessThan(1e-5 * peak);
    }
  });

  it("a real S with negative values fails with librosa's message on the pool too", async () => {
    const [nTime, nFreq] = [20, 30];
    const data = new Float64Array(new SharedArrayBuffer(8 * nTime * nFreq)).fill(-1);
    const params = { win_harm: 5, win_perc: 5, power: 2, margin_harm: 1, margin_perc: 1, mask: false, librosa: "0.11" };
    await expect(runOp("hpss", params, [{ name: "S", dtype: "float64", shape: [nTime, nFreq, 1], data }], pool(2))).rejects.toThrow("X and X_ref must be non-negative");
  });
});

describe("the pyin op on the pool", () => {
  /** A gliding harmonic tone with pauses over noise: voiced runs, jumps and unvoiced stretches. */
  const tone = (channels: number, length: number, sr: number): Float64Array => {
    const y = new Float64Array(new SharedArrayBuffer(8 * channels * length));
    for (let c = 0; c < channels; c++) {
      let phase = 0;
      for (let i = 0; i < length; i++) {
        const t = i / sr;
        phase += (2 * Math.PI * 140 * (c + 1) * 2 ** Math.sin(2 * Math.PI * 0.8 * t)) / sr;
        const on = t % 0.9 < 0.6 ? 1 : 0;
        y[c * length + i] = on * (0.5 * Math.sin(phase) + 0.2 * Math.sin(2 * phase)) + 0.02 * Math.sin(12345.678 * i * i);
      }
    }
    return y;
  };
  const params = {
    sr: 22050, fmin: 65.40639132514966, fmax: 2093.004522404789, frame_length: 2048, hop_length: 512, center: true, pad_mode: "constant",
    n_thresholds: 100, beta_parameters: [2, 18], boltzmann_parameter: 2, resolution: 0.1, max_transition_rate: 35.92, switch_prob: 0.01,
    no_trough_prob: 0.01, transition_min_prob: 1e-4,
  };
  const pyinOptionsOf = (p: typeof params): PyinOptions => ({
    sr: p.sr, fmin: p.fmin, fmax: p.fmax, frameLength: p.frame_length, hopLength: p.hop_length, center: p.center, padMode: "constant",
    nThresholds: p.n_thresholds, betaParameters: [2, 18], boltzmannParameter: p.boltzmann_parameter, resolution: p.resolution,
    maxTransitionRate: p.max_transition_rate, switchProb: p.switch_prob, noTroughProb: p.no_trough_prob, transitionMinProb: p.transition_min_prob,
  });

  it.each([1, 2])("%i channel(s): the same states and voiced probabilities inline and on 2 and 3 threads (one channel: decoded while observed)", async (channels) => {
    const length = 2 * 22050;
    const Y: NamedArray = { name: "y", dtype: "float64", shape: [channels, length], data: tone(channels, length, 22050) };
    const inline = await sameOnPools("pyin", params, [Y]);
    const states = inline.arrays[0]!.data as Int32Array;
    expect(states.some((s) => s < 601) && states.some((s) => s >= 601)).toBe(true);
  });

  it("the pipelined task: a decoding whose observations were abandoned gives up and flags it; with every frame observed it decodes", () => {
    const length = 22050;
    const signal = tone(1, length, 22050);
    const plan = planPyin(length, pyinOptionsOf(params), false);
    const units = plan.yin.nFrames;
    const observations = allocObservations(plan, units, true);
    const states = new Int32Array(new SharedArrayBuffer(4 * units)).fill(-7);
    const ready = new Int32Array(new SharedArrayBuffer(4 * pipelineCells(units)));
    const abandoned = units;
    const pipeline = kernelTasks["pitch.pyin.pipeline"];
    // Nothing observed, and the observer gave up: the decoding returns at once, states untouched.
    ready[abandoned] = 1;
    pipeline(1, 2, { plan, signal, observations, states, ready });
    expect(ready[abandoned]).toBe(1);
    expect(states.every((s) => s === -7)).toBe(true);
    // Both units on one thread: observe, then decode, as decodeChannels does after the observations.
    ready.fill(0);
    pipeline(0, 2, { plan, signal, observations, states, ready });
    expect(ready[abandoned]).toBe(0);
    expect(ready.subarray(0, units).every((f) => f === 1)).toBe(true);
    const want = new Int32Array(units);
    decodeChannels(plan, planTransitions(plan), observations, want, 0, 1);
    expect(Array.from(states)).toEqual(Array.from(want));
  });

  it("the pipelined task: a decoding nobody observes for takes every block itself, with the same observations and states", () => {
    const length = 3 * 22050; // 130 frames: three blocks, the last one short
    const signal = tone(1, length, 22050);
    const plan = planPyin(length, pyinOptionsOf(params), false);
    const units = plan.yin.nFrames;
    const want = allocObservations(plan, units, false);
    observeUnits(plan, signal, want, 0, units);
    const wantStates = new Int32Array(units);
    decodeChannels(plan, planTransitions(plan), want, wantStates, 0, 1);
    const observations = allocObservations(plan, units, true);
    const states = new Int32Array(new SharedArrayBuffer(4 * units)).fill(-7);
    const ready = new Int32Array(new SharedArrayBuffer(4 * pipelineCells(units)));
    // The decoding unit alone: no observer will come. In a fresh kernel memory, which its observing grows
    // after the decoding laid out its workspace (its views are then renewed).
    clearCaches();
    kernelTasks["pitch.pyin.pipeline"](1, 2, { plan, signal, observations, states, ready });
    expect(ready[units]).toBe(0);
    expect(ready.subarray(0, units).every((f) => f === 1)).toBe(true);
    expect(Array.from(states)).toEqual(Array.from(wantStates));
    for (const key of ["count", "bin", "logProb", "logUnvoiced", "voicedProb"] as const) {
      expect(Array.from(observations[key])).toEqual(Array.from(want[key]));
    }
  });

});
