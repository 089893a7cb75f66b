/**
 * The CQT's sliding DFT (src/cqt/bandProduct.ts, ResponseEngine in
 * src/cqt/vqt.ts): low octaves slide the bins their basis reads from frame
 * to frame instead of transforming every frame. Checked against a plain FFT
 * of every frame, between its WebAssembly kernel and its scalar twin, and for
 * independence from the order and ranges frames are asked in.
 */
import { describe, expect, it } from "vitest";
import { createBandKernels, scalarSlidingBand } from "../src/cqt/bandProduct.js";
import { interiorFrameStart, loadFrame } from "../src/spectrum/frames.js";
import { ANCHOR_INTERVAL, planCqt, ResponseEngine, slidesOctave, type CqtPlan } from "../src/cqt/vqt.js";
import { getRealFft } from "../src/fft/index.js";
import { fftMemory } from "../src/fft/wasmRealFft.js";

const base = { hopLength: 512, fmin: 32.70319566257483, nBins: 252, binsPerOctave: 36, tuning: -0.21, filterScale: 1, norm: 1, sparsity: 0.01, window: "hann" as const, scale: true, padMode: "constant" as const, semantics: "0.11" as const };

/** Music-like test signals per octave: tones, a loud burst, then digital silence, then a faint tone. */
const octaveSignal = (length: number, seed: number): Float64Array => {
  const x = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    let v = 0.3 * Math.sin(0.11 * i + seed) + 0.2 * Math.sin(0.0313 * i * (1 + 1e-6 * i));
    if (i > length * 0.3 && i < length * 0.35) v += 50 * Math.sin(0.7 * i) * Math.sin(1e-3 * i);
    if (i >= length * 0.5 && i < length * 0.75) v = 0;
    if (i >= length * 0.75 && i < length * 0.8) v = 1e-6 * Math.sin(0.2 * i);
    x[i] = v;
  }
  return x;
};

const setup = (sr: number, length: number): { plan: CqtPlan; signals: Float64Array[] } => {
  const plan = planCqt({ ...base, sr }, length, false);
  const signals = plan.signalLengths.map((n, i) => octaveSignal(n, i));
  return { plan, signals };
};

/** Octave o's responses of every frame by one FFT per frame (the reference). */
const byFft = (plan: CqtPlan, signals: Float64Array[], o: number): Float64Array => {
  const oct = plan.octaves[o]!;
  const rows = oct.basis.rows;
  const n = oct.stft.nFft;
  const fft = getRealFft(n);
  const product = createBandKernels([{ basis: oct.basis, rowScale: oct.rowScale, hop: 0, nFft: 0, maxFrames: 0 }], 1, "complex").products[0]!;
  const frame = new Float64Array(n);
  const spectrum = new Float64Array(n + 2);
  const out = new Float64Array(2 * rows * plan.nFrames);
  for (let t = 0; t < plan.nFrames; t++) {
    const start = interiorFrameStart(oct.stft, 0, t);
    if (start >= 0) fft.forward(signals[oct.signal]!, start, spectrum);
    else {
      loadFrame(oct.stft, signals[oct.signal]!, 0, t, frame);
      fft.forward(frame, 0, spectrum);
    }
    product.apply(spectrum, out, 0, 2 * rows * t);
  }
  return out;
};

const rowsOf = (plan: CqtPlan, o: number): number => plan.octaves[o]!.basis.rows;

const byEngine = (plan: CqtPlan, signals: Float64Array[], o: number, ranges: [number, number][]): Float64Array => {
  const engine = new ResponseEngine(plan, signals, 1, "complex");
  const rows = plan.octaves[o]!.basis.rows;
  const out = new Float64Array(2 * rows * plan.nFrames);
  for (const [t0, t1] of ranges) {
    const part = new Float64Array(2 * rows * (t1 - t0));
    engine.responses(o, 0, t0, t1, part);
    out.set(part, 2 * rows * t0);
  }
  return out;
};

describe("sliding DFT of the low octaves", () => {
  for (const sr of [22050, 16000]) {
    it(`matches an FFT per frame to round-off, loud bursts and silence included (${sr} Hz)`, () => {
      const { plan, signals } = setup(sr, 400_000);
      const sliding = plan.octaves.filter((oct) => slidesOctave(oct, false)).length;
      expect(sliding).toBeGreaterThan(0);
      for (let o = 0; o < plan.octaves.length; o++) {
        const ref = byFft(plan, signals, o);
        const got = byEngine(plan, signals, o, [[0, plan.nFrames]]);
        let scale = 0;
        for (const v of ref) scale = Math.max(scale, Math.abs(v));
        let worst = 0;
        for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(got[i]! - ref[i]!));
        // Slid values differ by round-off relative to the loudest frame nearby, never more.
        expect(worst / scale).toBeLessThan(1e-13);
        if (!slidesOctave(plan.octaves[o]!, false)) expect(Array.from(got)).toEqual(Array.from(ref));
        // Frames of digital silence are exactly zero, as an FFT gives them.
        let silent = 0;
        for (let t = 0; t < plan.nFrames; t++) {
          const zero = ref.subarray(2 * rowsOf(plan, o) * t, 2 * rowsOf(plan, o) * (t + 1)).every((v) => v === 0);
          if (!zero) continue;
          silent++;
          expect(got.subarray(2 * rowsOf(plan, o) * t, 2 * rowsOf(plan, o) * (t + 1)).every((v) => v === 0)).toBe(true);
        }
        if (slidesOctave(plan.octaves[o]!, false)) expect(silent).toBeGreaterThan(0);
      }
    });
  }

  it("slides hops up to 32 against float64 transforms, only hop 8 against the float32 pair transforms", () => {
    const plan = planCqt({ ...base, sr: 22050 }, 400_000, true);
    const hops = plan.octaves.map((o) => o.hopLength);
    expect(hops.slice(-3)).toEqual([32, 16, 8]);
    expect(plan.octaves.map((o) => slidesOctave(o, false))).toEqual(hops.map((h) => h <= 32));
    expect(plan.octaves.map((o) => slidesOctave(o, true))).toEqual(hops.map((h) => h <= 8));
  });

  it("gives the same values whatever ranges and order the frames are asked in", () => {
    const { plan, signals } = setup(22050, 60_000);
    const n = plan.nFrames;
    expect(n).toBeGreaterThan(ANCHOR_INTERVAL * 2 + 7);
    for (let o = 0; o < plan.octaves.length; o++) {
      if (!slidesOctave(plan.octaves[o]!, false)) continue;
      const whole = byEngine(plan, signals, o, [[0, n]]);
      const cuts = [0, 5, 33, 34, ANCHOR_INTERVAL * 2 - 1, ANCHOR_INTERVAL * 2 + 7, n].filter((t) => t <= n);
      const pieces: [number, number][] = [];
      for (let i = 0; i + 1 < cuts.length; i++) if (cuts[i]! < cuts[i + 1]!) pieces.push([cuts[i]!, cuts[i + 1]!]);
      expect(Array.from(byEngine(plan, signals, o, pieces.reverse()))).toEqual(Array.from(whole));
      expect(Array.from(byEngine(plan, signals, o, pieces.reverse()))).toEqual(Array.from(whole));
    }
  });

  it("the WebAssembly kernel equals its scalar twin bit for bit, for each output", () => {
    const { plan, signals } = setup(22050, 40_000);
    for (const output of ["complex", "magnitude", "magnitude32"] as const)
    for (const oct of plan.octaves.filter((oct) => slidesOctave(oct, false))) {
      const spec = { basis: oct.basis, rowScale: oct.rowScale, hop: oct.hopLength, nFft: oct.stft.nFft, maxFrames: ANCHOR_INTERVAL };
      const simd = createBandKernels([spec], 1, output).sliding[0]![0]!;
      const scalar = scalarSlidingBand(spec, output);
      const signal = signals[oct.signal]!;
      const spectrum = new Float64Array(oct.stft.nFft + 2);
      getRealFft(oct.stft.nFft).forward(signal, 1000, spectrum);
      simd.anchor(spectrum, 0);
      scalar.anchor(spectrum, 0);
      const rows = oct.basis.rows;
      const a = new Float64Array(2 * rows * ANCHOR_INTERVAL);
      const b = new Float64Array(2 * rows * ANCHOR_INTERVAL);
      simd.run(signal, 1000, ANCHOR_INTERVAL, a, 0);
      scalar.run(signal, 1000, ANCHOR_INTERVAL, b, 0);
      expect(Array.from(a)).toEqual(Array.from(b));
      const start = 1000 + (ANCHOR_INTERVAL - 1) * oct.hopLength;
      simd.slide(signal, start);
      scalar.slide(signal, start);
      simd.run(signal, start + oct.hopLength, 1, a, 0);
      scalar.run(signal, start + oct.hopLength, 1, b, 0);
      expect(Array.from(a.subarray(0, 2 * rows))).toEqual(Array.from(b.subarray(0, 2 * rows)));
      expect(a.some((v) => v !== 0)).toBe(true);
    }
  });
});

describe("kernel memory", () => {
  it("does not grow from one transform to the next (the staging stretch is reused)", () => {
    const memory = fftMemory();
    if (memory === null) return;
    const { plan, signals } = setup(22050, 100_000);
    const sizes: number[] = [];
    for (let call = 0; call < 6; call++) {
      for (let o = 0; o < plan.octaves.length; o++) byEngine(plan, signals, o, [[0, plan.nFrames]]);
      sizes.push(memory.heap().length);
    }
    expect(new Set(sizes.slice(1)).size).toBe(1);
  });
});
