/**
 * The stft/istft frames computed inside the FFT kernels' memory (the SIMD
 * kernels of src/spectrum/stftKernels.ts) against the TypeScript loops they
 * replace, bit for bit (NaN signs included): element types, layouts, hops,
 * pad modes, work cut into arbitrary unit ranges.
 */
import { describe, expect, it } from "vitest";
import { istftUnitCount, istftUnits, istftUnitsScalar, planIstft } from "../src/spectrum/istft.js";
import { type PadMode } from "../src/spectrum/pad.js";
import { frameMajorLayout, inMemoryEngine, planStft, stftFrames, stftFramesScalar, type SpectrumLayout } from "../src/spectrum/stft.js";
import { stftKernels } from "../src/spectrum/stftKernels.js";
import { fftWindow } from "../src/spectrum/window.js";
import { fftMemory } from "../src/fft/wasmRealFft.js";

type FloatArray = Float32Array | Float64Array;

let seed = 7;
const random = (): number => {
  seed = (seed * 1103515245 + 12345) >>> 0;
  return seed / 2 ** 32 - 0.5;
};

const filled = (length: number, single: boolean, specials = false): FloatArray => {
  const a = single ? new Float32Array(length) : new Float64Array(length);
  for (let i = 0; i < length; i++) a[i] = random();
  if (specials && length > 12) {
    a[3] = NaN;
    a[7] = Infinity;
    a[11] = -Infinity;
  }
  return a;
};

/** Index of the first element whose bits differ, or -1. */
const firstDifference = (a: FloatArray, b: FloatArray): number => {
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  const size = a.BYTES_PER_ELEMENT;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return Math.floor(i / size);
  return -1;
};

/** NaN exactly where `expected` is NaN, and every finite element within 2e-6 of `expected`'s largest magnitude. */
const expectFloat32Close = (actual: FloatArray, expected: FloatArray, name: string): void => {
  let peak = 0;
  let worst = 0;
  let nanMismatch = -1;
  for (let i = 0; i < expected.length; i++) {
    if (Number.isNaN(actual[i]!) !== Number.isNaN(expected[i]!) && nanMismatch < 0) nanMismatch = i;
    if (!Number.isFinite(expected[i]!)) continue;
    peak = Math.max(peak, Math.abs(expected[i]!));
    worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  }
  expect(nanMismatch, `${name}: first element NaN on one side only`).toBe(-1);
  expect(worst, name).toBeLessThanOrEqual(2e-6 * peak);
};

const layouts = (nBins: number, channels: number): [string, SpectrumLayout][] => [
  ["frame-major", frameMajorLayout(nBins, channels)],
  ["channel-blocks", { frameStride: nBins * channels, binStride: 1, channelStride: nBins }],
  ["strided", { frameStride: 2 * nBins * channels + 3, binStride: 2 * channels, channelStride: 2 }],
];

describe("stft/istft in kernel memory", () => {
  it("has the WebAssembly SIMD engine here (otherwise these tests compare the TypeScript path with itself)", () => {
    expect(inMemoryEngine(2048)).not.toBeNull();
    expect(inMemoryEngine(1000)).toBeNull();
  });

  it("windowPairs32 then forwardStagedPairs32: the pair spectrum of two window32 frames, bit for bit, each frame in its own lane", () => {
    const memory = fftMemory()!;
    const kernels = stftKernels(memory.memory!)!;
    for (let n = 4; n <= 2 ** 14; n *= 2) {
      memory.planPairs32!(n);
      const input = memory.input(n);
      // Float32 samples from an odd float32 index (4-byte aligned), the window, two float64 frames.
      const samples = memory.reserve(n + 4, "stft");
      const win = memory.reserve(n, "stft");
      const frames = memory.reserve(2 * n, "stft");
      const heap = memory.heap();
      const heap32 = new Float32Array(heap.buffer);
      const signal = filled(2 * n + 2, true, true);
      heap32.set(signal, 2 * samples + 1);
      heap.set(fftWindow("hann", n, n), win);
      const a = 4 * (2 * samples + 1);
      const b = a + 4 * (n / 2 + 1);
      kernels.window32(a, 8 * win, 8 * frames, n / 2);
      kernels.window32(b, 8 * win, 8 * (frames + n), n / 2);
      const at = memory.spectrumPairs32!(n, frames, frames + n);
      const expected = heap.slice(at, at + n + 2);
      kernels.windowPairs32(a, b, 8 * win, 8 * input, n / 2);
      const staged = memory.forwardStagedPairs32!(n);
      const actual = heap.slice(staged, staged + n + 2);
      expect(firstDifference(actual, expected), `n = ${n}`).toBe(-1);
      // Frame b alone (with itself) in both lanes: the second lane of the pair above.
      kernels.windowPairs32(b, b, 8 * win, 8 * input, n / 2);
      const alone = new Float32Array(heap.buffer, 8 * memory.forwardStagedPairs32!(n), 2 * n + 4).slice();
      const pair32 = new Float32Array(actual.buffer);
      for (let j = 0; j <= n / 2; j++) {
        expect([alone[4 * j], alone[4 * j + 1]]).toEqual([pair32[4 * j + 2], pair32[4 * j + 3]]);
        expect([alone[4 * j + 2], alone[4 * j + 3]]).toEqual([pair32[4 * j + 2], pair32[4 * j + 3]]);
      }
    }
  });

  const geometries: [number, number][] = [[4, 1], [8, 3], [64, 16], [256, 100], [512, 700], [2048, 512]];
  const padModes: PadMode[] = ["constant", "edge", "reflect", "symmetric"];
  let k = 0;
  for (const [nFft, hop] of geometries) {
    for (const center of [true, false]) {
      const channels = 1 + (k % 2);
      const padMode = padModes[k % 4]!;
      const single = k % 3 !== 0;
      const length = 3 * nFft + 5 * hop + 17;
      k++;
      it(`stft n_fft=${nFft} hop=${hop} center=${center} ${padMode} channels=${channels} ${single ? "float32" : "float64"}`, () => {
        const signal = filled(channels * length, single, true);
        const window = fftWindow("hann", nFft - (nFft > 8 ? 3 : 0), nFft);
        const plan = planStft(length, nFft, hop, center, padMode);
        for (const [name, layout] of layouts(plan.nBins, channels)) {
          const size = 2 * (layout.frameStride * (plan.nFrames - 1) + layout.binStride * (plan.nBins - 1) + layout.channelStride * (channels - 1) + 1);
          for (const outSingle of [true, false]) {
            const make = (): FloatArray => (outSingle ? new Float32Array(size) : new Float64Array(size));
            const expected = make();
            stftFramesScalar({ plan, signal, channels, length, window, out: expected, layout }, 0, plan.nFrames);
            const actual = make();
            // Uneven ranges: every range boundary starts a new staging batch.
            const cuts = [0, 1, Math.floor(plan.nFrames / 3), plan.nFrames - 1, plan.nFrames].filter((v, i, a) => v >= 0 && (i === 0 || v > a[i - 1]!));
            for (let i = 1; i < cuts.length; i++) stftFrames({ plan, signal, channels, length, window, out: actual, layout }, cuts[i - 1]!, cuts[i]!);
            expect(firstDifference(actual, expected), `${name} ${outSingle ? "complex64" : "complex128"}`).toBe(-1);
          }
        }
      });
    }
  }

  // float32Pairs: float32 transforms of two frames at once, against the float64 path (not bit for bit).
  for (const [nFft, hop] of geometries) {
    for (const channels of [1, 2]) {
      it(`stft float32Pairs n_fft=${nFft} hop=${hop} channels=${channels}: within 2e-6 of the float64 frames, NaN where they are NaN`, () => {
        const length = 3 * nFft + 5 * hop + 17;
        const window = fftWindow("hann", nFft, nFft);
        const plan = planStft(length, nFft, hop, true, "constant");
        for (const specials of [false, true]) {
          const signal = filled(channels * length, true, specials);
          for (const [name, layout] of layouts(plan.nBins, channels)) {
            const size = 2 * (layout.frameStride * (plan.nFrames - 1) + layout.binStride * (plan.nBins - 1) + layout.channelStride * (channels - 1) + 1);
            const expected = new Float32Array(size);
            stftFramesScalar({ plan, signal, channels, length, window, out: expected, layout }, 0, plan.nFrames);
            const actual = new Float32Array(size);
            const cuts = [0, 1, Math.floor(plan.nFrames / 3), plan.nFrames];
            for (let i = 1; i < cuts.length; i++) {
              if (cuts[i]! > cuts[i - 1]!) stftFrames({ plan, signal, channels, length, window, out: actual, layout, float32Pairs: true }, cuts[i - 1]!, cuts[i]!);
            }
            expectFloat32Close(actual, expected, name);
            // The pair transforms ran where the layout allows them (frames inside the signal, adjacent in the output): float32 rounding shows.
            if (!specials && nFft >= 8 && plan.nFrames > 4) expect(firstDifference(actual, expected) >= 0, name).toBe(layout.frameStride === plan.nBins * channels);
          }
        }
      });
    }
  }

  const inverseCases: [number, number, boolean, number | null, number][] = [
    [4, 1, false, null, 3],
    [8, 3, true, 100, 5],
    [64, 16, true, null, 4],
    [256, 100, true, 3000, 6],
    [512, 700, false, null, 0],
    [2048, 512, true, null, 3],
    [2048, 512, true, 40000, 3],
    [128, 3, true, null, -20],
  ];
  for (const [nFft, hop, center, length, extraBins] of inverseCases) {
    for (const channels of [1, 2]) {
      it(`istft n_fft=${nFft} hop=${hop} center=${center} length=${length} bins ${extraBins >= 0 ? "+" : ""}${extraBins} channels=${channels}`, () => {
        const nBins = Math.max(1, Math.floor(nFft / 2) + 1 + extraBins);
        const nFrames = 3 + Math.floor(20000 / hop / (1 + channels)) % 400;
        const window = fftWindow("hann", nFft, nFft);
        for (const [name, layout] of layouts(nBins, channels)) {
          const size = 2 * (layout.frameStride * (nFrames - 1) + layout.binStride * (nBins - 1) + layout.channelStride * (channels - 1) + 1);
          for (const inSingle of [true, false]) {
            const spectrum = filled(size, inSingle);
            // NaN in some frames, ±Infinity (whose transforms hold NaN of the other sign) in the next ones.
            for (let t = 0; t < Math.min(nFrames, 6); t++) {
              const at = (f: number): number => 2 * (t * layout.frameStride + Math.min(f, nBins - 1) * layout.binStride);
              if (t % 2 === 0) spectrum[at(1)] = NaN;
              else {
                spectrum[at(2)] = Infinity;
                spectrum[at(3) + 1] = -Infinity;
              }
            }
            for (const outSingle of [true, false]) {
              const plan = planIstft(nBins, nFrames, nFft, hop, center, length, outSingle);
              const units = istftUnitCount(plan);
              const make = (): FloatArray => (outSingle ? new Float32Array(channels * plan.outLength) : new Float64Array(channels * plan.outLength));
              const expected = make();
              istftUnitsScalar({ plan, spectrum, layout, channels, window, out: expected }, 0, units);
              const actual = make();
              const cuts = [0, 1, Math.floor(units / 2), units - 1, units].filter((v, i, a) => i === 0 || v > a[i - 1]!);
              for (let i = 1; i < cuts.length; i++) istftUnits({ plan, spectrum, layout, channels, window, out: actual }, cuts[i - 1]!, cuts[i]!);
              expect(firstDifference(actual, expected), `${name} in ${inSingle ? "complex64" : "complex128"} out ${outSingle ? "float32" : "float64"}`).toBe(-1);
            }
          }
        }
      });
    }
  }

  // float32Pairs: complex64 frames inverse-transformed two at a time in float32, against the float64 path.
  for (const [nFft, hop, center, length, extraBins] of inverseCases) {
    for (const channels of [1, 2]) {
      it(`istft float32Pairs n_fft=${nFft} hop=${hop} bins ${extraBins >= 0 ? "+" : ""}${extraBins} channels=${channels}: within 2e-6 of the float64 path, the same bits however the units are cut`, () => {
        const nBins = Math.max(1, Math.floor(nFft / 2) + 1 + extraBins);
        const nFrames = 3 + Math.floor(20000 / hop / (1 + channels)) % 400;
        const window = fftWindow("hann", nFft, nFft);
        for (const [name, layout] of layouts(nBins, channels)) {
          const size = 2 * (layout.frameStride * (nFrames - 1) + layout.binStride * (nBins - 1) + layout.channelStride * (channels - 1) + 1);
          const spectrum = filled(size, true);
          spectrum[2 * layout.binStride] = NaN; // frame 0, bin 1: NaN samples in frame 0's reach only
          const plan = planIstft(nBins, nFrames, nFft, hop, center, length, true);
          const units = istftUnitCount(plan);
          const expected = new Float32Array(channels * plan.outLength);
          istftUnitsScalar({ plan, spectrum, layout, channels, window, out: expected }, 0, units);
          const whole = new Float32Array(expected.length);
          istftUnits({ plan, spectrum, layout, channels, window, out: whole, float32Pairs: true }, 0, units);
          const cut = new Float32Array(expected.length);
          const cuts = [0, 1, Math.floor(units / 3), units - 1, units].filter((v, i, a) => i === 0 || v > a[i - 1]!);
          for (let i = 1; i < cuts.length; i++) istftUnits({ plan, spectrum, layout, channels, window, out: cut, float32Pairs: true }, cuts[i - 1]!, cuts[i]!);
          expect(firstDifference(cut, whole), name).toBe(-1);
          expectFloat32Close(whole, expected, name);
          // The pair transforms ran where frames are staged together (adjacent in the spectrum): float32 rounding shows.
          const adjacent = layout.frameStride === (plan.nBinsUsed - 1) * layout.binStride + 1 + (channels - 1) * layout.channelStride;
          expect(firstDifference(whole, expected) >= 0, name).toBe(adjacent && nFft >= 8);
        }
      });
    }
  }
});
