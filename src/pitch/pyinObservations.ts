/**
 * pyin's observation model per frame (librosa's `__pyin_helper`), from yin's
 * cumulative mean normalised difference d':
 * 1. troughs: librosa's `localmin` with the first bin a trough when below the second;
 * 2. for each of n thresholds θ_m (linspace(0, 1, n + 1)[1:]), the troughs below it
 *    share the threshold's beta probability by a Boltzmann prior over their rank
 *    (smaller periods first); the global minimum also gets `noTroughProb` times the
 *    beta mass of the thresholds it is not below;
 * 3. every trough with a non-zero probability is a candidate: parabolic refinement,
 *    f0 = sr / period, pitch bin `round(12 binsPerSemitone log2(f0 / fmin))` clipped
 *    to [0, nPitch] (bin nPitch is an unvoiced state, which librosa overwrites);
 *    a later candidate in the same bin replaces an earlier one, as numpy's fancy
 *    assignment does;
 * 4. voiced probability: the candidates' sum (in bin order), clipped to [0, 1];
 *    each unvoiced state observes (1 - voiced) / nPitch.
 * For float32 input librosa stores the trough probabilities in float32; so do we.
 */
import { betaCdf } from "./betaCdf.js";
import { TINY } from "./pitchTransitions.js";
import { parabolicShift } from "./yin.js";
import { numpySum } from "../util/pairwiseSum.js";
import { roundHalfEven } from "../util/round.js";

interface PyinPrior {
  /** θ_1 .. θ_n. */
  thresholds: Float64Array;
  /** diff(beta.cdf(linspace(0, 1, n + 1))). */
  betaProbs: Float64Array;
  /** noTroughMass[c] = sum(betaProbs[:c]) as numpy sums. */
  noTroughMass: Float64Array;
  /** exp(-λ k), k = 0 .. slots - 1. */
  boltzmannDecay: Float64Array;
  /** (1 - exp(-λ)) / (1 - exp(-λ N)), N = 0 .. slots (index 0 unused). */
  boltzmannScale: Float64Array;
  noTroughProb: number;
}

export interface PyinModel {
  prior: PyinPrior;
  sr: number;
  fmin: number;
  minPeriod: number;
  nPitch: number;
  binsPerSemitone: number;
  /** Round probabilities to float32 (float32 input). */
  single: boolean;
}

/** At most this many troughs (and so candidates) in `count` lags: troughs are never adjacent. */
export const candidateSlots = (count: number): number => Math.ceil(count / 2);

/**
 * librosa's threshold and trough priors for `nThresholds` thresholds,
 * `beta_parameters` (a, b), Boltzmann parameter λ, and up to `slots` troughs.
 */
export const pyinPrior = (nThresholds: number, betaA: number, betaB: number, boltzmann: number, noTroughProb: number, slots: number): PyinPrior => {
  const n = Math.max(0, nThresholds);
  const step = 1 / n;
  const thresholds = new Float64Array(n);
  for (let m = 1; m <= n; m++) thresholds[m - 1] = m === n ? 1 : m * step;
  const betaProbs = new Float64Array(n);
  let below = 0;
  for (let m = 0; m < n; m++) {
    const cdf = betaCdf(thresholds[m]!, betaA, betaB);
    betaProbs[m] = cdf - below;
    below = cdf;
  }
  const noTroughMass = new Float64Array(n + 1);
  for (let c = 0; c <= n; c++) noTroughMass[c] = numpySum((i) => betaProbs[i]!, c);
  const boltzmannDecay = new Float64Array(slots);
  for (let k = 0; k < slots; k++) boltzmannDecay[k] = Math.exp(-boltzmann * k);
  const boltzmannScale = new Float64Array(slots + 1);
  for (let N = 1; N <= slots; N++) boltzmannScale[N] = (1 - Math.exp(-boltzmann)) / (1 - Math.exp(-boltzmann * N));
  return { thresholds, betaProbs, noTroughMass, boltzmannDecay, boltzmannScale, noTroughProb };
};

/** Per-frame scratch, sized for `slots` troughs. */
interface ObservationScratch {
  troughs: Int32Array;
  eligible: Int32Array;
  probs: Float64Array;
  /** Eligible troughs by the first threshold they are below (`joinAt`), ties in trough order. */
  byThreshold: Int32Array;
  joinAt: Int32Array;
  /** The troughs below the current threshold, ascending. */
  joined: Int32Array;
  /** The frame's candidates (bin, probability) before they are written out. */
  bins: Int32Array;
  chances: Float64Array;
}

export const observationScratch = (slots: number): ObservationScratch => ({
  troughs: new Int32Array(slots),
  eligible: new Int32Array(slots),
  probs: new Float64Array(slots),
  byThreshold: new Int32Array(slots),
  joinAt: new Int32Array(slots),
  joined: new Int32Array(slots),
  bins: new Int32Array(slots),
  chances: new Float64Array(slots),
});

/** The first m with x < thresholds[m] (ascending thresholds, linspace's), or thresholds.length. */
const firstAbove = (thresholds: Float64Array, x: number): number => {
  const n = thresholds.length;
  let m = Math.floor(x * n) - 1;
  m = m > 0 ? (m < n ? m : n) : 0;
  while (m > 0 && x < thresholds[m - 1]!) m--;
  while (m < n && !(x < thresholds[m]!)) m++;
  return m;
};

/**
 * Where frames' observations go: candidate c of unit u at `c * count.length + u` of `bin` /
 * `logProb` (candidate-major: frames have a few candidates, mostly, of up to `slots`, so the
 * pages of the later rows are rarely touched).
 */
export interface FrameObservations {
  count: Int32Array;
  bin: Int32Array;
  logProb: Float64Array;
  logUnvoiced: Float64Array;
  voicedProb: Float64Array;
  /** Set to 1 where a probability falls outside [0, 1] (librosa's Viterbi refuses those). */
  invalid: Uint8Array;
}

/**
 * Frame `unit`'s observations from its d' `x` (length >= 2) and its troughs (`found[at ..
 * at + nTroughs)`, ascending indices into x, as `SpectralMemory.troughs` lists them) into
 * `out`.
 */
export const observeFrame = (
  model: PyinModel,
  x: Float64Array,
  found: Float64Array,
  at: number,
  nTroughs: number,
  unit: number,
  out: FrameObservations,
  scratch: ObservationScratch,
): void => {
  const { prior, sr, fmin, minPeriod, nPitch, binsPerSemitone, single } = model;
  const { thresholds, betaProbs, noTroughMass, boltzmannDecay, boltzmannScale } = prior;
  const { troughs, eligible, probs } = scratch;
  const nThresholds = thresholds.length;
  const top = nThresholds > 0 ? thresholds[nThresholds - 1]! : -Infinity;
  let nEligible = 0;
  let lowest = 0;
  for (let r = 0; r < nTroughs; r++) {
    const i = found[at + r]!;
    const v = x[i]!;
    if (r === 0 || v < x[troughs[lowest]!]!) lowest = r;
    probs[r] = 0;
    if (v < top) eligible[nEligible++] = r;
    troughs[r] = i;
  }
  const { bins, chances } = scratch;
  let nCandidates = 0;
  let voiced = 0;
  let invalid = 0;
  if (nTroughs > 0) {
    // Thresholds in order; the troughs below each share its mass by rank (troughs join the
    // ascending list `joined` at the first threshold above them and stay: thresholds ascend).
    // Eligible troughs ordered by that threshold (`joinAt`), ties in trough order.
    const { byThreshold, joinAt, joined } = scratch;
    for (let e = 0; e < nEligible; e++) {
      const r = eligible[e]!;
      const m = firstAbove(thresholds, x[troughs[r]!]!);
      let k = e;
      for (; k > 0 && joinAt[k - 1]! > m; k--) {
        joinAt[k] = joinAt[k - 1]!;
        byThreshold[k] = byThreshold[k - 1]!;
      }
      joinAt[k] = m;
      byThreshold[k] = r;
    }
    let below = 0;
    for (let m = nEligible > 0 ? joinAt[0]! : nThresholds, next = 0; m < nThresholds; m++) {
      for (; next < nEligible && joinAt[next] === m; next++) {
        const r = byThreshold[next]!;
        let k = below++;
        for (; k > 0 && joined[k - 1]! > r; k--) joined[k] = joined[k - 1]!;
        joined[k] = r;
      }
      const scale = boltzmannScale[below]!;
      const mass = betaProbs[m]!;
      for (let rank = 0; rank < below; rank++) {
        const r = joined[rank]!;
        probs[r] = probs[r]! + scale * boltzmannDecay[rank]! * mass;
      }
    }
    const above = firstAbove(thresholds, x[troughs[lowest]!]!);
    probs[lowest] = probs[lowest]! + prior.noTroughProb * noTroughMass[above]!;
    // Candidates by ascending period, so bins do not increase: a repeated bin replaces the one before.
    let previousBin = -1;
    for (let r = 0; r < nTroughs; r++) {
      const p = single ? Math.fround(probs[r]!) : probs[r]!;
      if (p === 0) continue;
      const i = troughs[r]!;
      const f0 = sr / (minPeriod + i + parabolicShift(x, i));
      const b = Math.min(Math.max(roundHalfEven(12 * binsPerSemitone * Math.log2(f0 / fmin)), 0), nPitch);
      if (b === previousBin) nCandidates--;
      previousBin = b;
      bins[nCandidates] = b;
      chances[nCandidates] = p;
      nCandidates++;
    }
    // Bin nPitch is the first unvoiced state, which librosa overwrites: drop it (it can only be the first).
    const from = nCandidates > 0 && bins[0]! === nPitch ? 1 : 0;
    nCandidates -= from;
    // librosa sums the voiced rows in bin order, i.e. from the last candidate back.
    const stride = out.count.length;
    for (let c = nCandidates - 1; c >= 0; c--) {
      const p = chances[from + c]!;
      if (!(p >= 0 && p <= 1)) invalid = 1;
      voiced += p;
      out.bin[c * stride + unit] = bins[from + c]!;
      out.logProb[c * stride + unit] = Math.log(p + TINY);
    }
  }
  voiced = Math.min(Math.max(voiced, 0), 1);
  out.count[unit] = nCandidates;
  out.voicedProb[unit] = voiced;
  out.logUnvoiced[unit] = Math.log((1 - voiced) / nPitch + TINY);
  out.invalid[unit] = invalid;
};
