/**
 * `librosa.effects.hpss` between the STFT and the inverse STFT, in three
 * passes over one channel that a caller can cut across worker threads:
 *
 * 1. {@link analyseFrames}, by frame: STFT frames, their magnitudes and the
 *    percussive median (along frequency, so a frame needs only its own bins);
 * 2. {@link harmonicBins}, by frequency bin: the harmonic median (along time,
 *    all frames of a bin);
 * 3. {@link separateElements}, by element: both masks and both masked spectra,
 *    written side by side as the two channels of one spectrogram so that a
 *    single inverse STFT (one envelope, one pass) yields both parts.
 *
 * The arithmetic is that of hpss.ts, element by element, so the results are
 * those of {@link hpss} bit for bit, however the ranges are cut. Magnitudes
 * and medians are stored in the working precision (float32 values are exact
 * in a Float32Array), which halves their memory traffic and size. The medians
 * run in WebAssembly SIMD over 4 (float32) or 2 (float64) lines at once, and
 * so do the masks for the usual powers (laneMedian.ts); the scalar code serves
 * everything else. Pass 3 walks memory in order: the masks work on contiguous
 * runs copied whole into WebAssembly memory, where a pass by bin block would
 * touch a different page per frame in each of five arrays.
 */
import type { FloatArray } from "../util/alloc.js";
import { stftFrames, type SpectrumLayout, type StftPlan } from "../spectrum/stft.js";
import { complexMagnitude, percussiveIsComplement, type HpssParams } from "./hpss.js";
import { createLaneMedian, createMagnitudeKernel, createMaskKernel, type LaneMedian } from "./laneMedian.js";
import { reflectIndex, slidingMedianLine } from "./medianFilter.js";
import { roundTo, softmaskValue, tinyOf } from "./softmask.js";

/** The buffers of one channel, frame-major (`[frame][bin]`). */
export interface SeparationBuffers {
  /** The STFT, interleaved complex, `nFrames x nBins`. */
  spectrum: FloatArray;
  /** Magnitudes and the harmonic and percussive medians, `nFrames x nBins`, in the working precision. */
  mag: FloatArray;
  /**
   * May be `mag` itself: pass 2 then writes the medians over the magnitudes (each bin's line is
   * read whole before its medians are written), and pass 3 computes each magnitude again from
   * the spectrum by pass 1's function (the same values), one buffer of the signal's size less.
   */
  harm: FloatArray;
  perc: FloatArray;
  /**
   * Output: `parts.length` interleaved complex spectra side by side,
   * `[frame][bin][part]` (the wire layout with the parts as channels). Part
   * `"harmonic"` is `spectrum * maskHarm`, `"percussive"` `spectrum * maskPerc`,
   * or the masks themselves (imaginary part 0) with `returnMasks`.
   */
  out: FloatArray;
  parts: readonly ("harmonic" | "percussive")[];
  returnMasks: boolean;
}

/** Frames per block of pass 1: the block's spectrum and magnitudes stay in cache from the FFT to the median. */
const FRAME_BLOCK = 16;

/** Scalar stand-in for {@link LaneMedian} where WebAssembly SIMD is missing (exported for tests): the lanes one by one. */
export const scalarLaneMedian = (single: boolean): LaneMedian => {
  const lanes = single ? 4 : 2;
  let n = 0;
  let size = 1;
  let inputs: Float64Array[] = [];
  let outputs: Float64Array[] = [];
  const line = { values: new Float64Array(0), result: new Float64Array(0), window: new Float64Array(0) };
  return {
    lanes,
    prepare(lineLength, windowSize, groups) {
      n = lineLength;
      size = windowSize;
      inputs = Array.from({ length: groups }, () => new Float64Array((n + size - 1) * lanes));
      outputs = Array.from({ length: groups }, () => new Float64Array(n * lanes));
      line.values = new Float64Array(n + size - 1);
      line.result = new Float64Array(n);
      line.window = new Float64Array(2 * size);
      return { inputs, outputs };
    },
    run(group) {
      const input = inputs[group]!;
      const output = outputs[group]!;
      for (let l = 0; l < lanes; l++) {
        for (let k = 0; k < n + size - 1; k++) line.values[k] = input[k * lanes + l]!;
        slidingMedianLine(line.values, n, size, line.window, line.result);
        for (let i = 0; i < n; i++) output[i * lanes + l] = line.result[i]!;
      }
    },
  };
};

const laneMedianOf = (single: boolean): LaneMedian => createLaneMedian(single) ?? scalarLaneMedian(single);

/** Line positions `0 .. n + size - 2` of a window of `size` over a line of `n`, reflected as scipy does. */
const reflectedPositions = (n: number, size: number): Int32Array => {
  const half = size >> 1;
  const at = new Int32Array(n + size - 1);
  for (let k = 0; k < at.length; k++) at[k] = reflectIndex(k - half, n);
  return at;
};

/** The percussive median of pass 1 over frames `[t0, t1)`, whose magnitudes are in `b.mag`. */
interface PercussivePass {
  lanes: LaneMedian;
  size: number;
  at: Int32Array;
}

const percussivePass = (nBins: number, params: HpssParams): PercussivePass => ({
  lanes: laneMedianOf(params.precision === "float32"),
  size: params.winPerc,
  at: reflectedPositions(nBins, params.winPerc),
});

/** Called after each block's transforms: they share the kernel memory, and growing it (a first transform of a size) ends the lane views. */
const percussiveFrames = (pass: PercussivePass, b: SeparationBuffers, nBins: number, s: number, e: number): void => {
  const { lanes, size, at } = pass;
  const { inputs: [prepared], outputs: [result] } = lanes.prepare(nBins, size, 1);
  const input = prepared!;
  const output = result!;
  const L = lanes.lanes;
  const { mag, perc } = b;
  for (let g = s; g < e; g += L) {
    if (L === 4 && g + 4 <= e) {
      // Four whole frames (float32), unrolled: the index arithmetic of the general loops was most of their time.
      const r0 = g * nBins;
      const r1 = r0 + nBins;
      const r2 = r1 + nBins;
      const r3 = r2 + nBins;
      for (let k = 0, i = 0; k < at.length; k++, i += 4) {
        const a = at[k]!;
        input[i] = mag[r0 + a]!;
        input[i + 1] = mag[r1 + a]!;
        input[i + 2] = mag[r2 + a]!;
        input[i + 3] = mag[r3 + a]!;
      }
      lanes.run(0);
      for (let f = 0, j = 0; f < nBins; f++, j += 4) {
        perc[r0 + f] = output[j]!;
        perc[r1 + f] = output[j + 1]!;
        perc[r2 + f] = output[j + 2]!;
        perc[r3 + f] = output[j + 3]!;
      }
      continue;
    }
    // Lanes past the block's end repeat its last frame; their results are dropped.
    for (let l = 0; l < L; l++) {
      const row = Math.min(g + l, e - 1) * nBins;
      for (let k = 0, i = l; k < at.length; k++, i += L) input[i] = mag[row + at[k]!]!;
    }
    lanes.run(0);
    for (let l = 0; l < L && g + l < e; l++) {
      const row = (g + l) * nBins;
      for (let i = 0, j = l; i < nBins; i++, j += L) perc[row + i] = output[j]!;
    }
  }
};

/**
 * The function filling `into[at .. at + i1 - i0)` with the magnitudes of elements `[i0, i1)` of
 * `b.spectrum`: complexMagnitude, by the WebAssembly kernel on float32 (the same values).
 */
const magnitudesOf = (b: SeparationBuffers, params: HpssParams): ((i0: number, i1: number, into: FloatArray, at: number) => void) => {
  const { spectrum, mag } = b;
  const kernel = params.precision === "float32" && spectrum instanceof Float32Array && mag instanceof Float32Array ? createMagnitudeKernel() : null;
  if (kernel) return (i0, i1, into, at) => kernel.run(spectrum.subarray(2 * (i0 - at)) as Float32Array, into as Float32Array, at, at + i1 - i0);
  return (i0, i1, into, at) => complexMagnitude(spectrum, i0 - at, 1, into, params.precision, at, at + i1 - i0);
};

/** One channel of a signal and the STFT frames pass 1 makes of it. */
interface SignalFrames {
  plan: StftPlan;
  /** The channel's `length` samples. */
  signal: FloatArray;
  length: number;
  window: Float64Array;
}

/**
 * Pass 1 for frames `[t0, t1)`: the STFT frames into `b.spectrum`, their
 * magnitudes into `b.mag`, the percussive median
 * (`median_filter(mag, size=(winPerc, 1), mode="reflect")`) into `b.perc`.
 */
export const analyseFrames = (source: SignalFrames, b: SeparationBuffers, params: HpssParams, t0: number, t1: number): void => {
  const { plan, signal, length, window } = source;
  const { nBins } = plan;
  const layout: SpectrumLayout = { frameStride: nBins, binStride: 1, channelStride: 1 };
  const pass = percussivePass(nBins, params);
  const magnitudes = magnitudesOf(b, params);
  for (let s = t0; s < t1; s += FRAME_BLOCK) {
    const e = Math.min(t1, s + FRAME_BLOCK);
    stftFrames({ plan, signal, channels: 1, length, window, out: b.spectrum, layout }, s, e);
    magnitudes(s * nBins, e * nBins, b.mag, s * nBins);
    percussiveFrames(pass, b, nBins, s, e);
  }
};

/** One channel of a given (frames, bins, channels) spectrogram, interleaved complex or real (magnitudes). */
export interface GivenSpectrogram {
  data: FloatArray;
  isComplex: boolean;
  nBins: number;
  channels: number;
  channel: number;
}

/**
 * Pass 1 for frames `[t0, t1)` of a given spectrogram (`decompose.hpss`): a
 * complex one copied into `b.spectrum` and its magnitudes into `b.mag`, a real
 * one (magnitudes) into `b.mag`; then the percussive median into `b.perc`.
 */
export const loadGivenFrames = (S: GivenSpectrogram, b: SeparationBuffers, params: HpssParams, t0: number, t1: number): void => {
  const { nBins, channels, channel, data } = S;
  const pass = percussivePass(nBins, params);
  const magnitudes = magnitudesOf(b, params);
  for (let s = t0; s < t1; s += FRAME_BLOCK) {
    const e = Math.min(t1, s + FRAME_BLOCK);
    if (S.isComplex) {
      if (channels === 1 && data.constructor === b.spectrum.constructor) {
        b.spectrum.set(data.subarray(2 * s * nBins, 2 * e * nBins), 2 * s * nBins);
      } else {
        for (let i = s * nBins, at = 2 * (i * channels + channel); i < e * nBins; i++, at += 2 * channels) {
          b.spectrum[2 * i] = data[at]!;
          b.spectrum[2 * i + 1] = data[at + 1]!;
        }
      }
      magnitudes(s * nBins, e * nBins, b.mag, s * nBins);
    } else if (channels === 1 && data.constructor === b.mag.constructor) {
      b.mag.set(data.subarray(s * nBins, e * nBins), s * nBins);
    } else {
      for (let i = s * nBins, at = i * channels + channel; i < e * nBins; i++, at += channels) b.mag[i] = data[at]!;
    }
    percussiveFrames(pass, b, nBins, s, e);
  }
};

/**
 * Bins per block of pass 2: the harmonic medians of a block are gathered from,
 * and written back to, whole cache lines of each frame.
 */
const BIN_BLOCK = 16;

/**
 * harmonicBins's copies for a whole block of 16 bins in 4 groups of 4 lanes (float32), unrolled: value
 * `b0 + 4 g + l` of row `at[k]` to lane l of step k of group g (the index arithmetic of the general loop
 * was most of pass 2's time), and back from the outputs to `harm`.
 */
const gatherBins16 = (mag: FloatArray, inputs: FloatArray[], at: Int32Array, nBins: number, b0: number): void => {
  const [i0, i1, i2, i3] = inputs as [FloatArray, FloatArray, FloatArray, FloatArray];
  for (let k = 0, o = 0; k < at.length; k++, o += 4) {
    const r = at[k]! * nBins + b0;
    i0[o] = mag[r]!;
    i0[o + 1] = mag[r + 1]!;
    i0[o + 2] = mag[r + 2]!;
    i0[o + 3] = mag[r + 3]!;
    i1[o] = mag[r + 4]!;
    i1[o + 1] = mag[r + 5]!;
    i1[o + 2] = mag[r + 6]!;
    i1[o + 3] = mag[r + 7]!;
    i2[o] = mag[r + 8]!;
    i2[o + 1] = mag[r + 9]!;
    i2[o + 2] = mag[r + 10]!;
    i2[o + 3] = mag[r + 11]!;
    i3[o] = mag[r + 12]!;
    i3[o + 1] = mag[r + 13]!;
    i3[o + 2] = mag[r + 14]!;
    i3[o + 3] = mag[r + 15]!;
  }
};

const scatterBins16 = (outputs: FloatArray[], harm: FloatArray, nFrames: number, nBins: number, b0: number): void => {
  const [o0, o1, o2, o3] = outputs as [FloatArray, FloatArray, FloatArray, FloatArray];
  for (let t = 0, o = 0; t < nFrames; t++, o += 4) {
    const r = t * nBins + b0;
    harm[r] = o0[o]!;
    harm[r + 1] = o0[o + 1]!;
    harm[r + 2] = o0[o + 2]!;
    harm[r + 3] = o0[o + 3]!;
    harm[r + 4] = o1[o]!;
    harm[r + 5] = o1[o + 1]!;
    harm[r + 6] = o1[o + 2]!;
    harm[r + 7] = o1[o + 3]!;
    harm[r + 8] = o2[o]!;
    harm[r + 9] = o2[o + 1]!;
    harm[r + 10] = o2[o + 2]!;
    harm[r + 11] = o2[o + 3]!;
    harm[r + 12] = o3[o]!;
    harm[r + 13] = o3[o + 1]!;
    harm[r + 14] = o3[o + 2]!;
    harm[r + 15] = o3[o + 3]!;
  }
};

/**
 * Pass 2 for bins `[f0, f1)`, after pass 1 has run on every frame: the
 * harmonic median (`median_filter(mag, size=(1, winHarm), mode="reflect")`)
 * into `b.harm`.
 */
export const harmonicBins = (b: SeparationBuffers, nBins: number, nFrames: number, params: HpssParams, f0: number, f1: number): void => {
  const size = params.winHarm;
  const lanes = laneMedianOf(params.precision === "float32");
  const L = lanes.lanes;
  const { inputs, outputs } = lanes.prepare(nFrames, size, BIN_BLOCK / L);
  const at = reflectedPositions(nFrames, size);
  const { mag, harm } = b;
  for (let b0 = f0; b0 < f1; b0 += BIN_BLOCK) {
    const width = Math.min(BIN_BLOCK, f1 - b0);
    const groups = Math.ceil(width / L);
    if (L === 4 && width === BIN_BLOCK) {
      gatherBins16(mag, inputs, at, nBins, b0);
      for (let g = 0; g < groups; g++) lanes.run(g);
      scatterBins16(outputs, harm, nFrames, nBins, b0);
      continue;
    }
    for (let k = 0; k < at.length; k++) {
      const row = at[k]! * nBins + b0;
      for (let g = 0; g < groups; g++) {
        const input = inputs[g]!;
        // Lanes past the range's end repeat its last bin; their results are dropped.
        for (let l = 0, j = g * L; l < L; l++, j++) input[k * L + l] = mag[row + (j < width ? j : width - 1)]!;
      }
    }
    for (let g = 0; g < groups; g++) lanes.run(g);
    for (let t = 0; t < nFrames; t++) {
      const row = t * nBins + b0;
      for (let j = 0; j < width; j++) harm[row + j] = outputs[j >> (L === 4 ? 2 : 1)]![t * L + (j & (L - 1))]!;
    }
  }
};

/** Elements per run of the vector mask kernel: its six buffers stay in cache. */
const ELEMENT_BLOCK = 8192;

/**
 * Pass 3 for elements `[e0, e1)` (`t * nBins + f`), after passes 1 and 2: the
 * masks of {@link hpssMasks} and the masked spectra of {@link applyMask}, or
 * the masks themselves, written to `b.out`, whose first element is element
 * `outFirst` (a window of frames: see separateSignalFlow).
 */
export const separateElements = (b: SeparationBuffers, params: HpssParams, e0: number, e1: number, outFirst = 0): void => {
  const float32 = params.precision === "float32";
  const kernel = !b.returnMasks && b.parts.length === 2 ? createMaskKernel(float32, params.power, percussiveIsComplement(params)) : null;
  if (kernel === null) {
    maskElements(b, params, e0, e1, outFirst);
    return;
  }
  const empty = params.marginHarm === 1 && params.marginPerc === 1 ? 0.5 : 0;
  const constants = [roundTo(params.marginHarm, float32), roundTo(params.marginPerc, float32), empty, tinyOf(params.precision)];
  // The harmonic medians over the magnitudes (see SeparationBuffers.harm): each block's magnitudes again, from its spectrum.
  const again = b.harm === b.mag;
  for (let s = e0; s < e1; s = blockEnd(s, e1)) {
    const e = blockEnd(s, e1);
    const v = kernel.prepare(e - s);
    const perVector = v.constants.length / constants.length;
    constants.forEach((value, i) => v.constants.fill(value, i * perVector, (i + 1) * perVector));
    v.harm.set(b.harm.subarray(s, e));
    v.perc.set(b.perc.subarray(s, e));
    v.spectrum.set(b.spectrum.subarray(2 * s, 2 * e));
    if (!again) v.mag.set(b.mag.subarray(s, e));
    else if (!kernel.magnitudes()) complexMagnitude(v.spectrum, 0, 1, v.mag, params.precision, 0, e - s);
    kernel.run();
    b.out.set(v.out, 4 * (s - outFirst));
  }
};

/**
 * Where pass 3's block from element `s` ends: at the next multiple of ELEMENT_BLOCK (or `e1`), so
 * that after the first each block starts on an 8-byte boundary of the float32 arrays, where V8
 * copies between the shared buffers and the kernel memory by words (see keptPitch in chromaStft.ts).
 */
const blockEnd = (s: number, e1: number): number => Math.min(e1, (Math.floor(s / ELEMENT_BLOCK) + 1) * ELEMENT_BLOCK);

/** {@link separateElements} in scalar code, for any power, one part, or the masks themselves. */
const maskElements = (b: SeparationBuffers, params: HpssParams, e0: number, e1: number, outFirst: number): void => {
  if (b.harm === b.mag && !b.returnMasks) {
    // The harmonic medians over the magnitudes (see SeparationBuffers.harm): each block's magnitudes again, into a scratch block.
    const scratch = b.mag instanceof Float32Array ? new Float32Array(ELEMENT_BLOCK) : new Float64Array(ELEMENT_BLOCK);
    const magnitudes = magnitudesOf(b, params);
    for (let s = e0; s < e1; s = blockEnd(s, e1)) {
      const e = blockEnd(s, e1);
      magnitudes(s, e, scratch, 0);
      maskRange(b, params, s, e, outFirst, scratch, s);
    }
    return;
  }
  // (The masks themselves never read the magnitudes.)
  maskRange(b, params, e0, e1, outFirst, b.mag, 0);
};

/** {@link maskElements} over elements `[e0, e1)`, element i's magnitude at `mag[i - magFirst]`. */
const maskRange = (b: SeparationBuffers, params: HpssParams, e0: number, e1: number, outFirst: number, mag: FloatArray, magFirst: number): void => {
  const float32 = params.precision === "float32";
  const { spectrum, harm, perc, out, parts, returnMasks } = b;
  const nParts = parts.length;
  const harmAt = parts.indexOf("harmonic");
  const percAt = parts.indexOf("percussive");
  const { power } = params;
  const tiny = tinyOf(params.precision);
  const splitZeros = params.marginHarm === 1 && params.marginPerc === 1;
  const marginHarm = roundTo(params.marginHarm, float32);
  const marginPerc = roundTo(params.marginPerc, float32);
  const complement = percussiveIsComplement(params);
  for (let i = e0; i < e1; i++) {
    const h = harm[i]!;
    const p = perc[i]!;
    const maskHarm = softmaskValue(h, roundTo(p * marginHarm, float32), power, splitZeros, float32, tiny);
    const maskPerc = complement
      ? roundTo(1 - maskHarm, float32)
      : softmaskValue(p, roundTo(h * marginPerc, float32), power, splitZeros, float32, tiny);
    const o = 2 * (i - outFirst) * nParts;
    if (returnMasks) {
      if (harmAt >= 0) {
        out[o + 2 * harmAt] = maskHarm;
        out[o + 2 * harmAt + 1] = 0;
      }
      if (percAt >= 0) {
        out[o + 2 * percAt] = maskPerc;
        out[o + 2 * percAt + 1] = 0;
      }
      continue;
    }
    const m = mag[i - magFirst]!;
    let phaseRe = 1;
    let phaseIm = 0;
    if (m !== 0) {
      phaseRe = roundTo(spectrum[2 * i]! / m, float32);
      phaseIm = roundTo(spectrum[2 * i + 1]! / m, float32);
    }
    if (harmAt >= 0) {
      const scaled = roundTo(m * maskHarm, float32);
      out[o + 2 * harmAt] = roundTo(scaled * phaseRe, float32);
      out[o + 2 * harmAt + 1] = roundTo(scaled * phaseIm, float32);
    }
    if (percAt >= 0) {
      const scaled = roundTo(m * maskPerc, float32);
      out[o + 2 * percAt] = roundTo(scaled * phaseRe, float32);
      out[o + 2 * percAt + 1] = roundTo(scaled * phaseIm, float32);
    }
  }
};
