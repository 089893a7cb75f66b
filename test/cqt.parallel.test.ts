/**
 * chroma_cqt, cqt, chroma_stft and estimate_tuning give bit-identical results inline and
 * on 2 and 3 worker threads (the resampling runs over soxr blocks alongside
 * the tuning estimate, the transform over frames), and the WebAssembly basis
 * product equals its scalar fallback.
 */
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NamedArray } from "../src/ops/types.js";
import { runOp } from "./helpers/ops.js";
import { createBandKernels, createBandProducts, scalarBandProduct, type BandOutput } from "../src/cqt/bandProduct.js";
import { fftMemory } from "../src/fft/wasmRealFft.js";
import type { BandRows } from "../src/cqt/bands.js";
import { automaticBinCount, cqtFrames, planCqt, signalsBeforeTuning } from "../src/cqt/vqt.js";
import { octaveSignals } from "../src/cqt/octaveSignals.js";
import { frameMajorLayout } from "../src/spectrum/stft.js";
import { cqToChroma, cqtFrequencies } from "../src/cqt/filters.js";
import { chromaCqtFrames, sparseFold, type SparseFold } from "../src/feature/chroma.js";
import { useWorkerPools } from "./helpers/workerPools.js";
import { inlineRunner, poolRunner, runFlow, setGrainOverride } from "../src/schedule/runner.js";
import { kernelTasks } from "../src/schedule/tasks.js";
import { tuningOfPeaks } from "../src/pitch/tuningColumns.js";
import { tuningFromPeaks } from "../src/pitch/tuning.js";

const pool = useWorkerPools({
  stdin: {
    contents: 'import { kernelTasks } from "../src/schedule/tasks.js"; import { serveTasksIfWorker } from "../src/schedule/workerPool.js"; serveTasksIfWorker(kernelTasks);',
    resolveDir: fileURLToPath(new URL(".", import.meta.url)),
    loader: "ts",
  },
});

/** A stereo tone mix, detuned (the estimated tuning is not 0), in shared memory. */
const signal = (channels: number, length: number, sr: number, double: boolean): NamedArray => {
  const data = double ? new Float64Array(new SharedArrayBuffer(8 * channels * length)) : new Float32Array(new SharedArrayBuffer(4 * channels * length));
  const detune = 2 ** (-0.3 / 12);
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < length; i++) {
      const t = i / sr;
      let v = 0;
      for (const [f, a] of [[220, 0.5], [277.18, 0.3], [329.63, 0.3], [1760, 0.1]] as const) v += a * Math.sin(2 * Math.PI * f * detune * (1 + 0.01 * c) * t);
      data[c * length + i] = v + 0.01 * Math.sin(0.37 * i * i);
    }
  }
  return { name: "y", dtype: double ? "float64" : "float32", shape: [channels, length], data };
};

const bytesOf = (a: NamedArray["data"]): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

const chromaParams = (sr: number, dtype: string) => ({ sr, hop_length: 512, fmin: null, norm: Infinity, threshold: 0, tuning: null, n_chroma: 12, n_octaves: 7, bins_per_octave: 36, dtype });
const cqtParams = (sr: number, dtype: string) => ({
  sr, hop_length: 512, fmin: null, n_bins: 84, bins_per_octave: 12, tuning: null, filter_scale: 1, norm: 1, sparsity: 0.01, window: "hann", scale: true, pad_mode: "constant", res_type: "soxr_hq", dtype,
});

describe("bit-identical for any thread count", () => {
  // Short signals would stay on one thread: cut every run into as many chunks as the pool takes.
  beforeAll(() => setGrainOverride(1));
  afterAll(() => setGrainOverride(null));
  for (const { sr, double } of [
    { sr: 22050, double: false },
    { sr: 44100, double: true },
  ]) {
    it(`chroma_cqt and cqt at ${sr} Hz (${double ? "float64" : "float32"}; ${sr === 44100 ? "early downsampling" : "no early downsampling"})`, async () => {
      const y = signal(2, Math.round(1.5 * sr), sr, double);
      const runs = [];
      for (const p of [undefined, pool(2), pool(3)]) {
        const chroma = await runOp("chroma_cqt", chromaParams(sr, double ? "float64" : "float32"), [y], p);
        const cqt = await runOp("cqt", cqtParams(sr, double ? "complex128" : "complex64"), [y], p);
        runs.push({ chroma, cqt });
      }
      const [inline, ...pooled] = runs;
      expect(inline!.chroma.meta!.tuning).not.toBe(0);
      for (const r of pooled) {
        expect(r.chroma.meta).toEqual(inline!.chroma.meta);
        expect(bytesOf(r.chroma.arrays[0]!.data).equals(bytesOf(inline!.chroma.arrays[0]!.data))).toBe(true);
        expect(bytesOf(r.cqt.arrays[0]!.data).equals(bytesOf(inline!.cqt.arrays[0]!.data))).toBe(true);
      }
    });
  }

  it("chroma_stft (signal: tuning estimated and given, float32 and float64; given spectrogram)", async () => {
    const base = { sr: 22050, n_fft: 2048, hop_length: 512, win_length: 2048, window: "hann", center: true, pad_mode: "constant", norm: Infinity, tuning: null, n_chroma: 12, ctroct: 5.0, octwidth: 2, base_c: true };
    const y32 = signal(2, 40_000, 22050, false);
    const y64 = signal(2, 40_000, 22050, true);
    const frames = 60;
    const S = new Float32Array(new SharedArrayBuffer(4 * 2 * 1025 * frames));
    for (let i = 0; i < S.length; i++) S[i] = Math.abs(Math.sin(i * 0.731) * Math.cos(i * 0.0137)) ** 3;
    const requests: [Record<string, unknown>, NamedArray[]][] = [
      [{ ...base, dtype: "float32", fb_dtype: "float32" }, [y32]],
      [{ ...base, dtype: "float32", fb_dtype: "float32", tuning: 0.21, norm: 2 }, [y32]],
      [{ ...base, dtype: "float64", fb_dtype: "float64" }, [y64]],
      [{ ...base, dtype: "float32", fb_dtype: "float32" }, [{ name: "S", dtype: "float32", shape: [2, 1025, frames], data: S }]],
    ];
    for (const [params, arrays] of requests) {
      const inline = await runOp("chroma_stft", params, arrays);
      if (params.tuning === null) expect(inline.meta!.tuning).not.toBe(0);
      for (const p of [pool(2), pool(3)]) {
        const r = await runOp("chroma_stft", params, arrays, p);
        expect(r.meta).toEqual(inline.meta);
        expect(bytesOf(r.arrays[0]!.data).equals(bytesOf(inline.arrays[0]!.data))).toBe(true);
      }
    }
  });

  it("estimate_tuning", async () => {
    const y = signal(2, 40_000, 22050, false);
    const params = { sr: 22050, resolution: 0.01, bins_per_octave: 36, fmin: 150, fmax: 4000, threshold: 0.1, ref: null, n_fft: 2048, win_length: null, hop_length: null, window: "hann", center: true, pad_mode: "constant" };
    const inline = await runOp("estimate_tuning", params, [y]);
    for (const p of [pool(2), pool(3)]) expect((await runOp("estimate_tuning", params, [y], p)).meta).toEqual(inline.meta);
  });

  it("the tuning's histogram bins computed over chunks give tuningFromPeaks's estimate", async () => {
    // Peaks around a detuned A (the fullest bin well defined), some without pitch, many chunks of BIN_GRAIN.
    const n = 100_003;
    const pitch = new Float64Array(new SharedArrayBuffer(8 * n));
    const mag = new Float64Array(new SharedArrayBuffer(8 * n));
    let seed = 7;
    const random = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let i = 0; i < n; i++) {
      const octave = 2 ** Math.floor(5 * random());
      pitch[i] = i % 97 === 0 ? 0 : 110 * octave * 2 ** ((0.23 + 0.05 * (random() - 0.5)) / 12 + Math.floor(12 * random()) / 12);
      mag[i] = random();
    }
    for (const single of [false, true]) {
      for (const bpo of [12, 36]) {
        const expected = tuningFromPeaks(pitch, mag, n, 0.01, bpo, single);
        expect(expected.tuning).not.toBe(-0.5);
        for (const runner of [inlineRunner(kernelTasks), poolRunner(pool(2), kernelTasks), poolRunner(pool(3), kernelTasks)]) {
          expect(await runFlow(tuningOfPeaks(runner, pitch, mag, n, 0.01, bpo, single))).toEqual(expected);
        }
      }
    }
    expect(await runFlow(tuningOfPeaks(inlineRunner(kernelTasks), pitch, mag, 0, 0.01, 12, false))).toEqual({ tuning: 0, empty: true });
  });
});

describe("kernels", () => {
  const base = { sr: 22050, hopLength: 512, fmin: 32.70319566257483, nBins: 252, binsPerOctave: 36, filterScale: 1, norm: 1, sparsity: 0.01, window: "hann" as const, scale: true, padMode: "constant" as const, semantics: "0.11" as const };

  it("a float32 signal's octave signals are float32, and the transform reads them as their float64 copies", async () => {
    const y = signal(2, 60_000, 22050, false).data as Float32Array;
    const plan = planCqt({ ...base, nBins: 84, binsPerOctave: 12, tuning: 0.1 }, 60_000, true);
    const runner = inlineRunner(kernelTasks);
    const signals = await runFlow(octaveSignals(runner, plan, y, 2, 60_000, true, true));
    expect(signals.length).toBeGreaterThan(2);
    // The input itself is the first octave's signal (no early downsampling here), then the halvings.
    expect(signals[0]).toBe(y);
    for (const s of signals) expect(s).toBeInstanceOf(Float32Array);
    const layout = frameMajorLayout(plan.nBins, 2);
    const transform = (octaves: Float32Array[] | Float64Array[]): Float32Array => {
      const out = new Float32Array(2 * plan.nFrames * plan.nBins * 2);
      cqtFrames(plan, octaves, 2, out, layout, 0, plan.nFrames);
      return out;
    };
    const wide = signals.map((s) => Float64Array.from(s));
    expect(Buffer.compare(Buffer.from(transform(signals as Float32Array[]).buffer), Buffer.from(transform(wide).buffer))).toBe(0);
    // And the halvings of a widened copy are the same values.
    const again = await runFlow(octaveSignals(runner, plan, Float64Array.from(y), 2, 60_000, true, true));
    for (let i = 1; i < signals.length; i++) expect(Array.from(again[i]!)).toEqual(Array.from(signals[i]!));
  });

  it.each([
    ["float32 signal, complex64 out", false, false],
    ["float32 signal, complex128 out", false, true],
    ["float64 signal, complex64 out", true, false],
  ] as const)("one channel frame-major (products straight into kernel memory) equals a bin-major layout's rows, bit for bit (%s)", async (_, double, wide) => {
    const length = 50_000;
    const y = signal(1, length, 22050, double).data as Float32Array | Float64Array;
    const plan = planCqt({ ...base, nBins: 84, binsPerOctave: 12, tuning: 0.1 }, length, !double);
    const signals = await runFlow(octaveSignals(inlineRunner(kernelTasks), plan, y, 1, length, true, !double));
    const alloc = (n: number): Float32Array | Float64Array => (wide ? new Float64Array(n) : new Float32Array(n));
    const direct = alloc(2 * plan.nFrames * plan.nBins);
    const binMajor = alloc(2 * plan.nFrames * plan.nBins);
    // Chunks that are not multiples of the 32-frame blocks, as worker chunks may be.
    for (const [t0, t1] of [[0, 45], [45, 46], [46, plan.nFrames]]) {
      cqtFrames(plan, signals, 1, direct, frameMajorLayout(plan.nBins, 1), t0!, t1!);
      cqtFrames(plan, signals, 1, binMajor, { frameStride: 1, binStride: plan.nFrames, channelStride: 0 }, t0!, t1!);
    }
    const transposed = alloc(direct.length);
    for (let t = 0; t < plan.nFrames; t++) {
      for (let k = 0; k < plan.nBins; k++) {
        transposed[2 * (t * plan.nBins + k)] = binMajor[2 * (k * plan.nFrames + t)]!;
        transposed[2 * (t * plan.nBins + k) + 1] = binMajor[2 * (k * plan.nFrames + t) + 1]!;
      }
    }
    expect(direct.some((v) => v !== 0)).toBe(true);
    expect(Buffer.compare(Buffer.from(direct.buffer), Buffer.from(transposed.buffer))).toBe(0);
  });

  it("chroma_cqt's fold summed per bin as the octaves come equals the fold of whole columns, bit for bit", async () => {
    const plan = planCqt({ ...base, tuning: -0.21 }, 40_000, true);
    const y = signal(2, 40_000, 22050, false).data as Float32Array;
    const signals = await runFlow(octaveSignals(inlineRunner(kernelTasks), plan, y, 2, 40_000, true, true));
    const fold = sparseFold(cqToChroma(252, 36, 12, 32.70319566257483, null), 12, 252);
    // The same fold with a zero weight for bin 0 in a second row too: no longer one row per bin, so folded column by column.
    const extra = fold.rowStart[1]!;
    const columnwise: SparseFold = {
      ...fold,
      rowStart: fold.rowStart.map((r, k) => (k >= 1 ? r + 1 : r)),
      bin: Int32Array.from([...fold.bin.subarray(0, extra), 0, ...fold.bin.subarray(extra)]),
      weight: Float64Array.from([...fold.weight.subarray(0, extra), 0, ...fold.weight.subarray(extra)]),
    };
    expect(columnwise.bin.filter((b) => b === 0).length).toBe(2);
    for (const [single, threshold, norm] of [[true, 0, Infinity], [false, 0.05, 2], [true, null, null]] as const) {
      const p = { nChroma: 12, nBins: 252, channels: 2, threshold, norm, single };
      const run = (f: SparseFold): Float32Array | Float64Array => {
        const out = single ? new Float32Array(plan.nFrames * 24) : new Float64Array(plan.nFrames * 24);
        // Two ranges, the second not starting on an anchor.
        chromaCqtFrames(plan, signals, f, p, out, 0, 45);
        chromaCqtFrames(plan, signals, f, p, out, 45, plan.nFrames);
        return out;
      };
      const byBin = run(fold);
      expect(byBin.some((v) => v > 0 && v < 1)).toBe(true);
      expect(bytesOf(byBin).equals(bytesOf(run(columnwise)))).toBe(true);
    }
  });

  it("the WebAssembly basis product equals the scalar one bit for bit", () => {
    const plan = planCqt({ ...base, tuning: -0.13 }, 100_000, false);
    const products = createBandProducts(plan.octaves.map((o) => o.basis));
    const spectrum = Float64Array.from({ length: 1026 }, (_, i) => Math.sin(i * 1.7) * (1 + (i % 5)));
    for (let o = 0; o < plan.octaves.length; o++) {
      const simd = new Float64Array(72);
      const scalar = new Float64Array(72);
      products[o]!.apply(spectrum, simd);
      scalarBandProduct(plan.octaves[o]!.basis).apply(spectrum, scalar);
      expect(Array.from(simd)).toEqual(Array.from(scalar));
      expect(simd.some((v) => v !== 0)).toBe(true);
    }
  });

  it("an engine reuses the last layout only for the same plan and output", async () => {
    const y = signal(1, 30_000, 22050, false).data as Float32Array;
    const layout = (p: ReturnType<typeof planCqt>) => frameMajorLayout(p.nBins, 1);
    const transform = (p: ReturnType<typeof planCqt>, signals: Float32Array[], t0: number, t1: number, out?: Float32Array): Float32Array => {
      const o = out ?? new Float32Array(2 * p.nFrames * p.nBins);
      cqtFrames(p, signals, 1, o, layout(p), t0, t1);
      return o;
    };
    const planA = planCqt({ ...base, tuning: 0.1 }, 30_000, true);
    const planB = planCqt({ ...base, nBins: 84, binsPerOctave: 12, tuning: -0.2 }, 30_000, true);
    const signalsA = (await runFlow(octaveSignals(inlineRunner(kernelTasks), planA, y, 1, 30_000, true, true))) as Float32Array[];
    const signalsB = (await runFlow(octaveSignals(inlineRunner(kernelTasks), planB, y, 1, 30_000, true, true))) as Float32Array[];
    const a = transform(planA, signalsA, 0, planA.nFrames);
    const b = transform(planB, signalsB, 0, planB.nFrames);
    // In chunks, the plans alternating (each chunk a new engine), and a magnitude chroma of plan A between.
    const a2 = new Float32Array(a.length);
    const b2 = new Float32Array(b.length);
    const fold = sparseFold(cqToChroma(252, 36, 12, 32.70319566257483, null), 12, 252);
    for (let t = 0; t < planA.nFrames; t += 7) {
      transform(planA, signalsA, t, Math.min(planA.nFrames, t + 7), a2);
      chromaCqtFrames(planA, signalsA, fold, { nChroma: 12, nBins: 252, channels: 1, threshold: 0, norm: Infinity, single: true }, new Float32Array(12 * planA.nFrames), t, Math.min(planA.nFrames, t + 7));
      if (t < planB.nFrames) transform(planB, signalsB, t, Math.min(planB.nFrames, t + 7), b2);
    }
    expect(bytesOf(a2).equals(bytesOf(a))).toBe(true);
    expect(bytesOf(b2).equals(bytesOf(b))).toBe(true);
  });

  it("the float32 pair product gives each frame's rows as float32 sums in the kernel's order", () => {
    const memory = fftMemory();
    if (memory?.spectrumPairs32 === undefined) return;
    const plan = planCqt({ ...base, tuning: 0.17 }, 100_000, true);
    const oct = plan.octaves[0]!;
    const n = oct.stft.nFft;
    memory.planPairs32!(n);
    const frames = memory.reserve(2 * n, "cqt");
    const heap = memory.heap();
    for (let i = 0; i < 2 * n; i++) heap[frames + i] = Math.fround(Math.sin(i * 0.013) * (1 + 0.5 * Math.sin(i * 0.0007)) + 0.1 * Math.sin(i * 1.3));
    /** Rows of both frames as the kernel sums them: float32 products and sums, even and odd entries apart. */
    const reference = (pair: Float32Array, basis: BandRows, scale: Float64Array, output: BandOutput): [number[], number[]] => {
      const f = Math.fround;
      const result: [number[], number[]] = [[], []];
      for (let k = 0; k < basis.rows; k++) {
        for (const frame of [0, 1]) {
          const acc = [[0, 0, 0, 0], [0, 0, 0, 0]]; // per parity: Σ xr br, Σ xi br, Σ xr bi, Σ xi bi
          for (let j = 0; j < basis.width[k]!; j++) {
            const bin = basis.first[k]! + j;
            const xr = pair[4 * bin + 2 * frame]!;
            const xi = pair[4 * bin + 2 * frame + 1]!;
            const br = f(basis.coef[2 * (basis.offset[k]! + j)]!);
            const bi = f(basis.coef[2 * (basis.offset[k]! + j) + 1]!);
            const a = acc[j % 2]!;
            a[0] = f(a[0]! + f(xr * br));
            a[1] = f(a[1]! + f(xi * br));
            a[2] = f(a[2]! + f(xr * bi));
            a[3] = f(a[3]! + f(xi * bi));
          }
          const [s0, s1, s2, s3] = acc[0]!.map((v, i) => f(v + acc[1]![i]!));
          const re = f(s0! + -s3!);
          const im = f(s1! + s2!);
          if (output === "complex") result[frame]!.push(re * scale[k]!, im * scale[k]!);
          else {
            const m = Math.sqrt(re * re + im * im) * scale[k]!;
            result[frame]!.push(output === "magnitude32" ? f(m) : m);
          }
        }
      }
      return result;
    };
    for (const output of ["complex", "magnitude", "magnitude32"] as const) {
      const [product] = createBandKernels([{ basis: oct.basis, rowScale: oct.rowScale, hop: 0, nFft: n, maxFrames: 0, pairs: true }], 1, output).products;
      const at = memory.spectrumPairs32(n, frames, frames + n / 2, true);
      const view = memory.heap();
      const pair = new Float32Array(view.buffer, view.byteOffset + 8 * at, 4 * (n / 2 + 1)).slice();
      const step = (output === "complex" ? 2 : 1) * oct.basis.rows;
      const out = new Float64Array(2 * step);
      product!.applyPair!(at, out, 0, step);
      const [a, b] = reference(pair, oct.basis, oct.rowScale, output);
      expect(Array.from(out.subarray(0, step))).toEqual(a);
      expect(Array.from(out.subarray(step))).toEqual(b);
      expect(a.some((v) => v !== 0)).toBe(true);
      expect(a).not.toEqual(b);
      // Frame b not wanted: frame a's values alone.
      const single = new Float64Array(step);
      product!.applyPair!(at, single, 0, -1);
      expect(Array.from(single)).toEqual(a);
    }
  });

  it("plans the resampling before the tuning only when the tuning cannot change it", () => {
    // 252 bins from C1 reach ~4 kHz: no early downsampling at 22050 Hz, one halving at 44100 Hz.
    const planned = planCqt({ ...base, tuning: 0.2 }, 100_000, false);
    expect(signalsBeforeTuning(base, 100_000)).toEqual({ earlyDownsample: 0, signalLengths: planned.signalLengths, octaveSignal: planned.octaveSignal });
    expect(signalsBeforeTuning({ ...base, sr: 44100 }, 100_000)?.earlyDownsample).toBe(1);
    // Where the top bin's cutoff crosses a quarter of the Nyquist frequency inside the tuning range, the tuning decides.
    let border: number | null = null;
    for (let sr = 30000; sr < 40000 && border === null; sr += 5) if (signalsBeforeTuning({ ...base, sr }, 100_000) === null) border = sr;
    expect(border).not.toBeNull();
    const p = { ...base, sr: border! };
    expect(planCqt({ ...p, tuning: -0.5 }, 100_000, false).earlyDownsample).not.toBe(planCqt({ ...p, tuning: 0.49 }, 100_000, false).earlyDownsample);
  });

  it("halves between octaves as librosa 0.11 (while the hop is even) or 1.0 (and the next top <= sr / 5)", () => {
    // 100 bins from C1 at 22050 Hz: the top octave reaches ~10 kHz. librosa 1.0 keeps the rate for the
    // octaves whose top is above sr / 5 and halves below; 0.11 halves after every octave of an even hop.
    const wide = { ...base, nBins: 100, binsPerOctave: 12, tuning: 0 };
    const old = planCqt(wide, 100_000, false);
    const v1 = planCqt({ ...wide, semantics: "1.0" }, 100_000, false);
    expect(old.octaveSignal).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    const freqs = cqtFrequencies(100, wide.fmin, 12, 0);
    let sr = 22050;
    const expected = [0];
    for (let i = 0; i < 8; i++) {
      if (freqs[100 - 12 * (i + 1) - 1]! <= sr / 5) sr /= 2;
      expected.push(Math.round(Math.log2(22050 / sr)));
    }
    expect(v1.octaveSignal).toEqual(expected);
    expect(v1.octaveSignal[1]).toBe(0);
    v1.octaves.forEach((o, i) => expect(o.sr).toBe(22050 / 2 ** expected[i]!));
  });

  it("counts librosa 1.0's bins for n_bins=None below Nyquist", () => {
    const { nBins: _, ...rest } = base;
    // C1 at 22050 Hz with 12 bins per octave: librosa 1.0.1 gives 101 bins (checked against librosa.cqt(n_bins=None)).
    expect(automaticBinCount({ ...rest, binsPerOctave: 12 }, 0)).toBe(101);
    expect(() => automaticBinCount({ ...rest, binsPerOctave: 12, fmin: 11000 }, 0)).toThrow(/Unable to construct wavelet basis/);
  });
});
