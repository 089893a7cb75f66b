/**
 * Probabilistic YIN (pYIN), as librosa's `librosa.pyin` computes it: yin's
 * difference function per frame (`normalizedDifferenceUnits`), pyin's observation
 * model over pitch bins per frame (`observeFrame`, frames independent), then one
 * Viterbi decoding per channel over voiced and unvoiced pitch states
 * (`viterbiPyin`, exploiting the banded transitions librosa builds densely).
 *
 * @see {@link https://doi.org/10.1109/ICASSP.2014.6853678 | Mauch & Dixon 2014, "pYIN: A fundamental frequency estimator using probabilistic threshold distributions"}
 */
import { allocFloat64, allocInt32, allocUint8 } from "../util/alloc.js";
import { BoundedCache } from "../util/boundedCache.js";
import { ParameterError } from "../util/errors.js";
import { roundHalfEven } from "../util/round.js";
import { candidateSlots, observationScratch, observeFrame, pyinPrior, type FrameObservations, type PyinModel } from "./pyinObservations.js";
import { pitchTransitions, TINY, type PitchTransitions } from "./pitchTransitions.js";
import { viterbiPyin, type FrameWait } from "./viterbi.js";
import { normalizedDifferenceRanges, normalizedDifferenceUnits, planYin, type NormalizedFrameVisitor, type UnitRanges, type YinOptions, type YinPlan } from "./yin.js";

export interface PyinOptions extends Omit<YinOptions, "troughThreshold"> {
  nThresholds: number;
  betaParameters: [number, number];
  boltzmannParameter: number;
  resolution: number;
  /** Octaves per second. */
  maxTransitionRate: number;
  switchProb: number;
  noTroughProb: number;
  /** librosa 1.0's `transition_min_prob`; null (and 0) search every transition, as librosa 0.11 always does. */
  transitionMinProb: number | null;
}

export interface PyinPlan {
  yin: YinPlan;
  model: PyinModel;
  /** Candidate slots per frame. */
  slots: number;
  /** Local pitch transition width in bins (librosa's `transition_width`). */
  transitionWidth: number;
  switchProb: number;
  /** log(transition_min_prob + tiny), or -Infinity for the exact search. */
  minLogProb: number;
}

/**
 * Priors by settings (a few KB each): the beta CDF at every threshold took 0.5 ms of
 * each call on the server's thread, before any worker started.
 */
const priorCache = new BoundedCache<string, PyinModel["prior"]>(2 ** 20);

/**
 * Resolves librosa's pitch grid and transition width. The caller has checked the
 * yin parameters and the framing (see `yinOptions` in ops.ts). `single`: float32
 * input, whose trough probabilities librosa rounds to float32.
 */
export const planPyin = (length: number, o: PyinOptions, single: boolean): PyinPlan => {
  if (!(o.resolution > 0)) throw new ParameterError(`resolution=${o.resolution} must be positive`);
  if (o.transitionMinProb !== null && !(o.transitionMinProb >= 0)) {
    throw new ParameterError(`Invalid transition_min_prob=${o.transitionMinProb}, must be None or non-negative.`);
  }
  const yin = planYin(length, { ...o, troughThreshold: 0 });
  const binsPerSemitone = Math.ceil(1.0 / o.resolution);
  const nPitch = Math.floor(12 * binsPerSemitone * Math.log2(o.fmax / o.fmin)) + 1;
  const maxSemitonesPerFrame = roundHalfEven((o.maxTransitionRate * 12 * o.hopLength) / o.sr);
  const slots = candidateSlots(yin.maxPeriod - yin.minPeriod + 1);
  const [betaA, betaB] = o.betaParameters;
  const priorKey = [o.nThresholds, betaA, betaB, o.boltzmannParameter, o.noTroughProb, slots].join(" ");
  return {
    yin,
    model: {
      prior: priorCache.getOrCreate(priorKey, () => pyinPrior(o.nThresholds, betaA, betaB, o.boltzmannParameter, o.noTroughProb, slots)),
      sr: o.sr,
      fmin: o.fmin,
      minPeriod: yin.minPeriod,
      nPitch,
      binsPerSemitone,
      single,
    },
    slots,
    transitionWidth: maxSemitonesPerFrame * binsPerSemitone + 1,
    switchProb: o.switchProb,
    minLogProb: o.transitionMinProb ? Math.log(o.transitionMinProb + TINY) : -Infinity,
  };
};

/**
 * Transitions by settings: calls with the same settings (every chunk of a long file,
 * say) reuse them. A table is about 2 nPitch (2 half + 1) float64 (1.2 MB for C2-C7 at
 * 22050 Hz), so the bound holds a handful; each one dropped is reported as garbage
 * (see util/boundedCache.ts), so loops over varied fmin/fmax/frame lengths pace full
 * collections instead of leaving the runtime ~60 MB of old tables (issue 17).
 */
const transitionCache = new BoundedCache<string, PitchTransitions>(8 * 2 ** 20);

/** The transitions of `plan` (librosa's checks on them included). */
export const planTransitions = (plan: PyinPlan): PitchTransitions => {
  const key = [plan.model.nPitch, plan.transitionWidth, plan.switchProb, plan.minLogProb].join(" ");
  return transitionCache.getOrCreate(key, () => pitchTransitions(plan.model.nPitch, plan.transitionWidth, plan.switchProb, plan.minLogProb));
};

/** Buffers of `units` frames' observations; shared when workers fill them. */
export const allocObservations = (plan: PyinPlan, units: number, shared: boolean): FrameObservations => {
  // observeFrame writes every unit's count, probabilities and flag, and the candidates below its count, which
  // is all any reader reads: no zeroing (60 MB of candidate rows at 180 s / 44100 Hz, on the server's thread).
  const zero = false;
  return {
    count: allocInt32(units, shared, { zero }),
    bin: allocInt32(units * plan.slots, shared, { zero }),
    logProb: allocFloat64(units * plan.slots, shared, { zero }),
    logUnvoiced: allocFloat64(units, shared, { zero }),
    voicedProb: allocFloat64(units, shared, { zero }),
    invalid: allocUint8(units, shared, { zero }),
  };
};

/** The observing of each unit's d' (and its flag in `ready`, when given). */
const observer = (plan: PyinPlan, out: FrameObservations, ready: Int32Array | undefined): NormalizedFrameVisitor => {
  const scratch = observationScratch(plan.slots);
  return (u, normalized, at, memory, spare) => {
    const nTroughs = memory.troughs(at, normalized.length, spare);
    observeFrame(plan.model, normalized, memory.heap(), spare, nTroughs, u, out, scratch);
    if (ready !== undefined) {
      Atomics.store(ready, u, 1);
      Atomics.notify(ready, u);
    }
  };
};

/**
 * Observations of units [u0, u1) (yin's numbering: frame t of channel c is c nFrames + t).
 * `ready` (shared): each unit's flag set to 1 (and waiters woken) once its observations are written.
 */
export const observeUnits = (plan: PyinPlan, signal: Float32Array | Float64Array, out: FrameObservations, u0: number, u1: number, ready?: Int32Array): void => {
  normalizedDifferenceUnits(plan.yin, signal, u0, u1, observer(plan, out, ready));
};

/** As {@link observeUnits}, over each range `ranges` hands out. */
export const observeRanges = (plan: PyinPlan, signal: Float32Array | Float64Array, out: FrameObservations, ranges: UnitRanges, ready?: Int32Array): void => {
  normalizedDifferenceRanges(plan.yin, signal, ranges, observer(plan, out, ready));
};

/** librosa's Viterbi refuses observation probabilities outside [0, 1]. */
export const checkObservations = (observations: FrameObservations): void => {
  if (observations.invalid.includes(1)) throw new ParameterError("Invalid probability values: must be between 0 and 1.");
};

/** Decoded states of channels [c0, c1) into `states` (channels x nFrames); `waitFor` as viterbiPyin's. */
export const decodeChannels = (
  plan: PyinPlan,
  transitions: PitchTransitions,
  observations: FrameObservations,
  states: Int32Array,
  c0: number,
  c1: number,
  waitFor?: FrameWait,
): void => {
  const { nFrames } = plan.yin;
  for (let c = c0; c < c1; c++) viterbiPyin(transitions, observations, c * nFrames, nFrames, states, waitFor);
};

export interface PyinResult {
  /** Hz; `fillNa` where unvoiced (the unvoiced state's pitch when fillNa is null). */
  f0: Float64Array;
  voicedFlag: Uint8Array;
  voicedProb: Float64Array;
  /** Decoded states: pitch bin (voiced), nPitch + pitch bin (unvoiced). */
  states: Int32Array;
}

/** librosa's pitch-bin frequencies `fmin 2^(k / (12 binsPerSemitone))`. */
const pitchBinFrequencies = (plan: PyinPlan): Float64Array => {
  const { nPitch, binsPerSemitone, fmin } = plan.model;
  return Float64Array.from({ length: nPitch }, (_, k) => fmin * 2 ** (k / (12 * binsPerSemitone)));
};

/**
 * librosa.pyin of every channel of a (channels, length) signal, on this thread:
 * (channels, nFrames) arrays. `Math.pow` makes the bin frequencies, which may differ
 * from numpy's in the last bit; the Python shim maps `states` with numpy instead.
 */
export const pyin = (
  signal: Float32Array | Float64Array,
  channels: number,
  length: number,
  options: PyinOptions,
  fillNa: number | null = NaN,
): PyinResult => {
  const plan = planPyin(length, options, signal instanceof Float32Array);
  const units = channels * plan.yin.nFrames;
  const transitions = planTransitions(plan);
  const observations = allocObservations(plan, units, false);
  observeUnits(plan, signal, observations, 0, units);
  checkObservations(observations);
  const states = new Int32Array(units);
  decodeChannels(plan, transitions, observations, states, 0, channels);
  const freqs = pitchBinFrequencies(plan);
  const { nPitch } = plan.model;
  const f0 = new Float64Array(units);
  const voicedFlag = new Uint8Array(units);
  for (let u = 0; u < units; u++) {
    const s = states[u]!;
    voicedFlag[u] = s < nPitch ? 1 : 0;
    f0[u] = s < nPitch || fillNa === null ? freqs[s % nPitch]! : fillNa;
  }
  return { f0, voicedFlag, voicedProb: observations.voicedProb, states };
};
