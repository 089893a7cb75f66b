/**
 * librosa's Viterbi decoding (`sequence._viterbi`) of pyin's 2 nPitch states,
 * giving the same state sequence without visiting every transition.
 *
 * librosa: `value[t, j] = logObs[t, j] + max_k (value[t-1, k] + logTrans[k, j])`,
 * `ptr[t, j]` the first k (ascending) reaching the max, the last state the first
 * argmax, then back along `ptr`. 0.11 searches all 2 nPitch predecessors (those
 * outside the band cost log(tiny)); 1.0 by default only transitions >= 1e-4.
 *
 * Here the predecessors of j are visited by growing pitch distance d in each
 * voicing block, and a block's search stops as soon as
 * `max(value[t-1] over the band) + (largest log transition at distance >= d)`
 * is below the best cost found: rounding is monotone, so no predecessor left out
 * could reach the best. A candidate replaces the best when its cost is larger, or
 * equal with a lower k, which is the ascending search's answer whatever the visiting
 * order. Out-of-band predecessors (exact search only) are visited, largest value
 * first, only when `max(value[t-1]) + log(tiny)` reaches the best. So each state
 * and back pointer is librosa's to the bit, given the same log probabilities.
 *
 * @see {@link https://doi.org/10.1109/TIT.1967.1054010 | Viterbi 1967}
 */
import { LOG_TINY, TINY, type PitchTransitions } from "./pitchTransitions.js";

/** Observations of one channel, frame t at `first + t` of the arrays. */
export interface PyinObservations {
  /** Candidates per frame. */
  count: Int32Array;
  /** Slots per frame in `bin` and `logProb`. */
  slots: number;
  /** Voiced pitch bin of each candidate. */
  bin: Int32Array;
  /** log(probability + tiny) of each candidate. */
  logProb: Float64Array;
  /** log((1 - voiced probability) / nPitch + tiny): every unvoiced state's observation. */
  logUnvoiced: Float64Array;
}

/** van Herk / Gil-Werman: `out[q] = max(x[q - half .. q + half])` within [0, n), in O(n). */
const slidingMax = (x: Float64Array, base: number, n: number, half: number, out: Float64Array, prefix: Float64Array, suffix: Float64Array): void => {
  const w = 2 * half + 1;
  const padded = n + 2 * half;
  const at = (i: number): number => (i < half || i >= n + half ? -Infinity : x[base + i - half]!);
  for (let start = 0; start < padded; start += w) {
    const end = Math.min(start + w, padded);
    let run = -Infinity;
    for (let i = start; i < end; i++) prefix[i] = run = Math.max(run, at(i));
    run = -Infinity;
    for (let i = end - 1; i >= start; i--) suffix[i] = run = Math.max(run, at(i));
  }
  for (let q = 0; q < n; q++) out[q] = Math.max(suffix[q]!, prefix[q + w - 1]!);
};

/** The running best of one target's search. */
interface Best {
  cost: number;
  from: number;
}

const offer = (best: Best, cost: number, k: number): void => {
  if (cost > best.cost || (cost === best.cost && k < best.from)) {
    best.cost = cost;
    best.from = k;
  }
};

/** The best predecessor of pitch q among the voicing block at `base`, by growing distance. */
const searchBlock = (
  best: Best,
  previous: Float64Array,
  base: number,
  q: number,
  nPitch: number,
  half: number,
  banded: Float64Array,
  bounds: Float64Array,
  windowMax: number,
): void => {
  const span = 2 * half + 1;
  const row = q * span + half;
  const boundRow = q * (half + 1);
  for (let d = 0; d <= half; d++) {
    if (windowMax + bounds[boundRow + d]! < best.cost) return;
    if (q - d >= 0) offer(best, previous[base + q - d]! + banded[row - d]!, base + q - d);
    if (d > 0 && q + d < nPitch) offer(best, previous[base + q + d]! + banded[row + d]!, base + q + d);
  }
};

/**
 * The decoded states (0 .. nPitch - 1 voiced, nPitch .. 2 nPitch - 1 unvoiced) of
 * frames [first, first + nFrames) into `states`.
 */
export const viterbiPyin = (
  transitions: PitchTransitions,
  observations: PyinObservations,
  first: number,
  nFrames: number,
  states: Int32Array | Uint32Array,
): void => {
  const { nPitch, half, logStay, logSwitch, stayBound, switchBound, outsideBand } = transitions;
  const nStates = 2 * nPitch;
  const { count, slots, bin, logProb, logUnvoiced } = observations;
  const pointers = nStates <= 65536 ? new Uint16Array(nFrames * nStates) : new Uint32Array(nFrames * nStates);
  let previous = new Float64Array(nStates);
  let current = new Float64Array(nStates);
  const voicedObs = new Float64Array(nPitch).fill(LOG_TINY);
  const windowVoiced = new Float64Array(nPitch);
  const windowUnvoiced = new Float64Array(nPitch);
  const prefix = new Float64Array(nPitch + 2 * half);
  const suffix = new Float64Array(nPitch + 2 * half);
  const order = new Int32Array(nStates);
  const best: Best = { cost: -Infinity, from: -1 };

  const observe = (t: number): void => {
    const u = first + t;
    for (let c = 0; c < count[u]!; c++) voicedObs[bin[u * slots + c]!] = logProb[u * slots + c]!;
  };
  const forget = (t: number): void => {
    const u = first + t;
    for (let c = 0; c < count[u]!; c++) voicedObs[bin[u * slots + c]!] = LOG_TINY;
  };

  const logInit = Math.log(1 / nStates + TINY);
  observe(0);
  for (let q = 0; q < nPitch; q++) {
    previous[q] = voicedObs[q]! + logInit;
    previous[nPitch + q] = logUnvoiced[first]! + logInit;
  }
  forget(0);

  for (let t = 1; t < nFrames; t++) {
    observe(t);
    slidingMax(previous, 0, nPitch, half, windowVoiced, prefix, suffix);
    slidingMax(previous, nPitch, nPitch, half, windowUnvoiced, prefix, suffix);
    let highest = -Infinity;
    if (outsideBand) for (let k = 0; k < nStates; k++) highest = Math.max(highest, previous[k]!);
    let sorted = false;
    const unvoicedObs = logUnvoiced[first + t]!;
    const row = t * nStates;
    for (let j = 0; j < nStates; j++) {
      const voiced = j < nPitch;
      const q = voiced ? j : j - nPitch;
      // Own block first when it promises more: the other one then usually stops at once.
      const ownBase = voiced ? 0 : nPitch;
      const otherBase = voiced ? nPitch : 0;
      const ownMax = voiced ? windowVoiced[q]! : windowUnvoiced[q]!;
      const otherMax = voiced ? windowUnvoiced[q]! : windowVoiced[q]!;
      best.cost = -Infinity;
      best.from = -1;
      if (ownMax + stayBound[q * (half + 1)]! >= otherMax + switchBound[q * (half + 1)]!) {
        searchBlock(best, previous, ownBase, q, nPitch, half, logStay, stayBound, ownMax);
        searchBlock(best, previous, otherBase, q, nPitch, half, logSwitch, switchBound, otherMax);
      } else {
        searchBlock(best, previous, otherBase, q, nPitch, half, logSwitch, switchBound, otherMax);
        searchBlock(best, previous, ownBase, q, nPitch, half, logStay, stayBound, ownMax);
      }
      if (outsideBand && highest + LOG_TINY >= best.cost) {
        if (!sorted) {
          for (let k = 0; k < nStates; k++) order[k] = k;
          order.sort((a, b) => previous[b]! - previous[a]! || a - b);
          sorted = true;
        }
        for (let r = 0; r < nStates; r++) {
          const k = order[r]!;
          const cost = previous[k]! + LOG_TINY;
          if (cost < best.cost) break;
          const pk = k < nPitch ? k : k - nPitch;
          if (Math.abs(pk - q) > half) offer(best, cost, k);
        }
      }
      pointers[row + j] = best.from;
      current[j] = (voiced ? voicedObs[q]! : unvoicedObs) + best.cost;
    }
    forget(t);
    const swap = previous;
    previous = current;
    current = swap;
  }

  // The first argmax of the last frame's values, then back along the pointers.
  let last = 0;
  for (let k = 1; k < nStates; k++) if (previous[k]! > previous[last]!) last = k;
  states[first + nFrames - 1] = last;
  for (let t = nFrames - 2; t >= 0; t--) {
    last = pointers[(t + 1) * nStates + last]!;
    states[first + t] = last;
  }
};
