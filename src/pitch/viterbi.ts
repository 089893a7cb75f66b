/**
 * librosa's Viterbi decoding (`sequence._viterbi`) of pyin's 2 nPitch states,
 * giving the same state sequence without visiting every transition.
 *
 * librosa: `value[t, j] = logObs[t, j] + max_k (value[t-1, k] + logTrans[k, j])`,
 * `ptr[t, j]` the first k (ascending) reaching the max, the last state the first
 * argmax, then back along `ptr`. 0.11 searches all 2 nPitch predecessors (those
 * outside the band cost log(tiny)); 1.0 by default only transitions >= 1e-4.
 *
 * Here each block of predecessors (voiced or unvoiced) of each block of targets is
 * searched by divide and conquer over the monotone first argmax (`bestOverRows`);
 * a voiced block is searched only for rows where a bound of it (window maximum plus
 * largest transition; rounding is monotone) reaches a cost the row certainly has, and
 * voiced values are computed only where a later frame reads them (`viterbiLazy`).
 * Out-of-band predecessors (exact search only) are visited, largest value first, only
 * when `max(value[t-1]) + log(tiny)` reaches the best (`viterbiEager`). So each state
 * and back pointer on the path is librosa's to the bit, given the same log probabilities.
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

/**
 * van Herk / Gil-Werman: `out[q] = max(x[base + q - half .. base + q + half])` within [0, n), in O(n).
 * `padded`, `prefix`, `suffix`: n + 2 half entries each, `padded` -Infinity outside [half, n + half).
 */
const slidingMax = (
  x: Float64Array,
  base: number,
  n: number,
  half: number,
  out: Float64Array,
  padded: Float64Array,
  prefix: Float64Array,
  suffix: Float64Array,
): void => {
  const w = 2 * half + 1;
  const length = n + 2 * half;
  padded.set(x.subarray(base, base + n), half);
  for (let start = 0; start < length; start += w) {
    const end = start + w < length ? start + w : length;
    let run = -Infinity;
    for (let i = start; i < end; i++) {
      const v = padded[i]!;
      run = v > run ? v : run;
      prefix[i] = run;
    }
    run = -Infinity;
    for (let i = end - 1; i >= start; i--) {
      const v = padded[i]!;
      run = v > run ? v : run;
      suffix[i] = run;
    }
  }
  for (let q = 0; q < n; q++) {
    const a = suffix[q]!;
    const b = prefix[q + w - 1]!;
    out[q] = a > b ? a : b;
  }
};

/**
 * Real-arithmetic ties between neighbouring predecessors are common here (the log
 * triangle kernels differ by the same log ratio), so the float answer may sit a
 * bin away from where monotonicity puts it: each half keeps this many bins of slack.
 */
const SLACK = 2;

/**
 * For every target pitch q in `rows[0 .. nRows)` (ascending), the best cost
 * `previous[base + k] + banded(k -> q)` over source pitches k and its first k, into
 * `cost` / `from` (absolute state numbers; -Infinity / -1 when no k is in reach).
 * `banded` is the log of a concave kernel of q - k times a factor per k (librosa's
 * row normalisation), so the first argmax does not decrease with q (a Monge matrix),
 * on any subset of rows too: divide and conquer over the rows, each row scanned
 * exactly, in ascending k with a strict comparison as librosa scans, within the
 * range its neighbours leave. Iterative, over an explicit `stack` (4 entries a level).
 */
const bestOverRows = (
  previous: Float64Array,
  base: number,
  banded: Float64Array,
  nPitch: number,
  half: number,
  rows: Int32Array,
  nRows: number,
  cost: Float64Array,
  from: Int32Array,
  stack: Int32Array,
): void => {
  const span = 2 * half + 1;
  stack[0] = 0;
  stack[1] = nRows - 1;
  stack[2] = 0;
  stack[3] = nPitch - 1;
  let sp = 4;
  while (sp > 0) {
    sp -= 4;
    let lo = stack[sp]!;
    const hi = stack[sp + 1]!;
    let kLow = stack[sp + 2]!;
    const kHigh = stack[sp + 3]!;
    // The right halves by this loop, the left ones pushed.
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const q = rows[mid]!;
      const first = kLow > q - half ? kLow : q - half;
      const last = kHigh < q + half ? kHigh : q + half;
      const row = q * span + half - q;
      let best = -Infinity;
      let arg = -1;
      const end = base + last;
      for (let p = base + first, b = row + first; p <= end; p++, b++) {
        const c = previous[p]! + banded[b]!;
        if (c > best) {
          best = c;
          arg = p;
        }
      }
      if (arg >= 0) arg -= base;
      cost[q] = best;
      if (arg < 0) {
        from[q] = -1;
        if (lo < mid) {
          stack[sp] = lo;
          stack[sp + 1] = mid - 1;
          stack[sp + 2] = kLow;
          stack[sp + 3] = kHigh;
          sp += 4;
        }
      } else {
        from[q] = base + arg;
        if (lo < mid) {
          stack[sp] = lo;
          stack[sp + 1] = mid - 1;
          stack[sp + 2] = kLow;
          stack[sp + 3] = kHigh < arg + SLACK ? kHigh : arg + SLACK;
          sp += 4;
        }
        if (arg - SLACK > kLow) kLow = arg - SLACK;
      }
      lo = mid + 1;
    }
  }
};

/**
 * Transitions of probability 0 cost log(tiny) (exact search only): the best of `cost`
 * (from state `k`) and those predecessors, visited largest value first (`order`) while
 * they can compete, into `best` as [cost, state].
 */
const outsideBandBest = (
  transitions: PitchTransitions,
  previous: Float64Array,
  order: Int32Array,
  q: number,
  voicedTarget: boolean,
  cost: number,
  k: number,
  best: Float64Array,
): void => {
  const { nPitch, half, span, logStay, logSwitch } = transitions;
  for (let r = 0; r < order.length; r++) {
    const s = order[r]!;
    const c = previous[s]! + LOG_TINY;
    if (c < cost) break;
    const offset = (s < nPitch ? s : s - nPitch) - q;
    const banded = s < nPitch === voicedTarget ? logStay : logSwitch;
    const inBand = Math.abs(offset) <= half && banded[q * span + half + offset]! > -Infinity;
    if (!inBand && (c > cost || s < k)) {
      cost = c;
      k = s;
    }
  }
  best[0] = cost;
  best[1] = k;
};

/**
 * The decoded states (0 .. nPitch - 1 voiced, nPitch .. 2 nPitch - 1 unvoiced) of
 * frames [first, first + nFrames) into `states`, every state's value computed
 * (see {@link viterbiPyin}).
 */
export const viterbiEager = (
  transitions: PitchTransitions,
  observations: PyinObservations,
  first: number,
  nFrames: number,
  states: Int32Array | Uint32Array,
): void => {
  const { nPitch, half, logStay, logSwitch, stayMax, switchMax, outsideBand } = transitions;
  const nStates = 2 * nPitch;
  const { count, slots, bin, logProb, logUnvoiced } = observations;
  const pointers = nStates <= 65536 ? new Uint16Array(nFrames * nStates) : new Uint32Array(nFrames * nStates);
  let previous = new Float64Array(nStates);
  let current = new Float64Array(nStates);
  const voicedObs = new Float64Array(nPitch).fill(LOG_TINY);
  // Best cost into each pitch from the voiced and from the unvoiced block, and from where.
  const fromVoicedCost = new Float64Array(nPitch);
  const fromVoiced = new Int32Array(nPitch);
  const fromUnvoicedCost = new Float64Array(nPitch);
  const fromUnvoiced = new Int32Array(nPitch);
  const order = new Int32Array(nStates);
  const voicedWindowMax = new Float64Array(nPitch);
  const padded = new Float64Array(nPitch + 2 * half).fill(-Infinity);
  const prefix = new Float64Array(nPitch + 2 * half);
  const suffix = new Float64Array(nPitch + 2 * half);
  const allRows = Int32Array.from({ length: nPitch }, (_, q) => q);
  const liveRows = new Int32Array(nPitch);
  const stack = new Int32Array(4 * (nPitch + 1));
  const rowPointers = new Int32Array(nStates);
  const best = new Float64Array(2);

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
    let highest = -Infinity;
    if (outsideBand) for (let k = 0; k < nStates; k++) highest = Math.max(highest, previous[k]!);
    let sorted = false;
    slidingMax(previous, 0, nPitch, half, voicedWindowMax, padded, prefix, suffix);
    const unvoicedObs = logUnvoiced[first + t]!;
    const row = t * nStates;
    for (let target = 0; target < 2; target++) {
      const voicedTarget = target === 0;
      const fromVoicedBand = voicedTarget ? logStay : logSwitch;
      bestOverRows(previous, nPitch, voicedTarget ? logSwitch : logStay, nPitch, half, allRows, nPitch, fromUnvoicedCost, fromUnvoiced, stack);
      // Voiced states are log(tiny) away from the rest except near the few candidates:
      // rows whose best possible voiced cost is below the unvoiced one are left out.
      const kernelMax = voicedTarget ? stayMax : switchMax;
      let nLive = 0;
      for (let q = 0; q < nPitch; q++) {
        if (voicedWindowMax[q]! + kernelMax[q]! < fromUnvoicedCost[q]!) {
          fromVoicedCost[q] = -Infinity;
          fromVoiced[q] = -1;
        } else {
          liveRows[nLive++] = q;
        }
      }
      if (nLive > 0) bestOverRows(previous, 0, fromVoicedBand, nPitch, half, liveRows, nLive, fromVoicedCost, fromVoiced, stack);
      for (let q = 0; q < nPitch; q++) {
        // Equal costs: the voiced predecessor, whose state number is lower.
        let cost = fromVoicedCost[q]!;
        let k = fromVoiced[q]!;
        if (fromUnvoicedCost[q]! > cost) {
          cost = fromUnvoicedCost[q]!;
          k = fromUnvoiced[q]!;
        }
        if (outsideBand && highest + LOG_TINY >= cost) {
          if (!sorted) {
            for (let s = 0; s < nStates; s++) order[s] = s;
            order.sort((a, b) => previous[b]! - previous[a]! || a - b);
            sorted = true;
          }
          outsideBandBest(transitions, previous, order, q, voicedTarget, cost, k, best);
          cost = best[0]!;
          k = best[1]!;
        }
        const j = voicedTarget ? q : nPitch + q;
        rowPointers[j] = k;
        current[j] = (voicedTarget ? voicedObs[q]! : unvoicedObs) + cost;
      }
    }
    pointers.set(rowPointers, row);
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

/** How often {@link viterbiPyin} handed a channel to {@link viterbiEager} (tests read it). */
export const lazyFallbacks = { count: 0 };

/** A pointer not written (a voiced state never materialised): the path must not meet one. */
const NO_POINTER = 0xffff;

/**
 * The decoded states of frames [first, first + nFrames) into `states`: librosa's
 * path to the bit, as {@link viterbiEager}, computing fewer voiced values.
 *
 * Voiced states away from the frame's candidates observe log(tiny), so their values
 * sit some 700 below the rest and rarely take part. Frame t's voiced values are first
 * kept as upper bounds (`obs + max(window max of frame t - 1 + largest transition)`,
 * monotone rounding makes them bounds of the float values), and made exact one frame
 * later only where frame t + 1 scans them: within `half` of a row whose voiced block
 * is not excluded by those bounds. The exclusions test bounds against a cost the row
 * certainly reaches (an unvoiced predecessor's), so an excluded block cannot win or
 * tie. Making frame t - 1 exact scans frame t - 2's voiced values only for rows that
 * frame t's test kept, whose sources were made exact in the step before. Unvoiced
 * values are always exact. The path only meets exact states (each pointer it follows
 * was the winner of a scan over exact values); `NO_POINTER` marks the others.
 *
 * Answers false (and leaves `states` to the caller) where librosa's exact search
 * would need the log(tiny) transitions outside the band, which this does not follow.
 */
const viterbiLazy = (
  transitions: PitchTransitions,
  observations: PyinObservations,
  first: number,
  nFrames: number,
  states: Int32Array | Uint32Array,
): boolean => {
  const { nPitch: n, half, span, logStay, logSwitch, stayMax, switchMax, outsideBand } = transitions;
  const nStates = 2 * n;
  if (nStates >= NO_POINTER || nFrames < 2) return false;
  const { count, slots, bin, logProb, logUnvoiced } = observations;
  const pointers = new Uint16Array(nFrames * nStates);
  // Values of frames t - 2, t - 1 and t: voiced states first (exact where `exact*`, else bounds), then unvoiced ones.
  let older = new Float64Array(nStates);
  let previous = new Float64Array(nStates);
  let current = new Float64Array(nStates);
  let exactPrevious = new Uint8Array(n).fill(1);
  let exactCurrent = new Uint8Array(n);
  // Rows of frame t - 1 / t whose voiced -> voiced block was not excluded.
  let keptPrevious = new Uint8Array(n);
  let keptCurrent = new Uint8Array(n);
  // Voiced observations of frames t - 1 and t.
  let obsPrevious = new Float64Array(n).fill(LOG_TINY);
  let obsCurrent = new Float64Array(n).fill(LOG_TINY);
  const windowVoiced = new Float64Array(n);
  const windowUnvoiced = new Float64Array(n);
  const padded = new Float64Array(n + 2 * half).fill(-Infinity);
  const prefix = new Float64Array(n + 2 * half);
  const suffix = new Float64Array(n + 2 * half);
  const allRows = Int32Array.from({ length: n }, (_, q) => q);
  const rows = new Int32Array(n);
  const rowsVoiced = new Int32Array(n);
  const rowsSwitch = new Int32Array(n);
  const costA = new Float64Array(n);
  const fromA = new Int32Array(n);
  const costB = new Float64Array(n);
  const fromB = new Int32Array(n);
  // The same for frame t - 1's voiced targets.
  const costC = new Float64Array(n);
  const fromC = new Int32Array(n);
  const costD = new Float64Array(n);
  const fromD = new Int32Array(n);
  const levels = new Int32Array(4 * (n + 1));
  // log P(unvoiced q -> voiced q), read once a frame per pitch.
  const selfSwitch = Float64Array.from({ length: n }, (_, q) => logSwitch[q * span + half]!);

  const setObs = (target: Float64Array, t: number, on: boolean): void => {
    const u = first + t;
    for (let c = 0; c < count[u]!; c++) target[bin[u * slots + c]!] = on ? logProb[u * slots + c]! : LOG_TINY;
  };

  /**
   * Makes the voiced values of frame `t` (in `previous`, predecessors in `older`)
   * exact on `rows[0 .. nRows)`; `keptPrevious`: its rows whose voiced block counts.
   * False where the log(tiny) transitions could take part (exact search).
   */
  const materialise = (t: number, nRows: number, highestOlder: number): boolean => {
    if (nRows === 0) return true;
    bestOverRows(older, n, logSwitch, n, half, rows, nRows, costC, fromC, levels);
    let nVoiced = 0;
    for (let r = 0; r < nRows; r++) {
      const q = rows[r]!;
      costD[q] = -Infinity;
      fromD[q] = -1;
      if (keptPrevious[q] === 1) rowsVoiced[nVoiced++] = q;
    }
    if (nVoiced > 0) bestOverRows(older, 0, logStay, n, half, rowsVoiced, nVoiced, costD, fromD, levels);
    const row = t * nStates;
    for (let r = 0; r < nRows; r++) {
      const q = rows[r]!;
      // Equal costs: the voiced predecessor, whose state number is lower.
      let cost = costD[q]!;
      let k = fromD[q]!;
      if (costC[q]! > cost) {
        cost = costC[q]!;
        k = fromC[q]!;
      }
      if (k < 0 || (outsideBand && highestOlder + LOG_TINY >= cost)) return false;
      previous[q] = obsPrevious[q]! + cost;
      pointers[row + q] = k;
      exactPrevious[q] = 1;
    }
    return true;
  };

  const logInit = Math.log(1 / nStates + TINY);
  setObs(obsPrevious, 0, true);
  for (let q = 0; q < n; q++) {
    previous[q] = obsPrevious[q]! + logInit;
    previous[n + q] = logUnvoiced[first]! + logInit;
  }
  let highestOlder = -Infinity;

  for (let t = 1; t < nFrames; t++) {
    setObs(obsCurrent, t, true);
    slidingMax(previous, 0, n, half, windowVoiced, padded, prefix, suffix);
    slidingMax(previous, n, n, half, windowUnvoiced, padded, prefix, suffix);
    let highest = -Infinity;
    if (outsideBand) for (let k = 0; k < nStates; k++) highest = previous[k]! > highest ? previous[k]! : highest;
    // Unvoiced targets from unvoiced sources: every row.
    bestOverRows(previous, n, logStay, n, half, allRows, n, costA, fromA, levels);
    // Rows whose voiced sources may count: unvoiced targets (against the exact unvoiced
    // cost) and voiced ones (against the unvoiced source of the same pitch).
    let nSwitch = 0;
    let nRows = 0;
    let reach = -1;
    for (let q = 0; q < n; q++) {
      const bound = windowVoiced[q]!;
      const switching = bound + switchMax[q]! < costA[q]! ? 0 : 1;
      if (switching === 1) rowsSwitch[nSwitch++] = q;
      const staying = bound + stayMax[q]! < previous[n + q]! + selfSwitch[q]! ? 0 : 1;
      keptCurrent[q] = staying;
      // Their sources within half must be exact: those not yet exact, in ascending order.
      if (switching + staying > 0) {
        const from = q - half > reach + 1 ? q - half : reach + 1;
        reach = q + half < n - 1 ? q + half : n - 1;
        for (let k = from; k <= reach; k++) if (exactPrevious[k] === 0) rows[nRows++] = k;
      }
    }
    if (!materialise(t - 1, nRows, highestOlder)) return false;
    // Unvoiced targets from voiced sources, then the unvoiced values.
    costB.fill(-Infinity);
    fromB.fill(-1);
    if (nSwitch > 0) bestOverRows(previous, 0, logSwitch, n, half, rowsSwitch, nSwitch, costB, fromB, levels);
    const row = t * nStates;
    const unvoicedObs = logUnvoiced[first + t]!;
    for (let q = 0; q < n; q++) {
      let cost = costB[q]!;
      let k = fromB[q]!;
      if (costA[q]! > cost) {
        cost = costA[q]!;
        k = fromA[q]!;
      }
      if (k < 0 || (outsideBand && highest + LOG_TINY >= cost)) return false;
      current[n + q] = unvoicedObs + cost;
      pointers[row + n + q] = k;
    }
    // Voiced targets: bounds for now (with the exact search, any state's log(tiny) transition is one more source).
    const outside = highest + LOG_TINY;
    for (let q = 0; q < n; q++) {
      const fromUnvoiced = windowUnvoiced[q]! + switchMax[q]!;
      const fromVoiced = windowVoiced[q]! + stayMax[q]!;
      const bound = fromVoiced > fromUnvoiced ? fromVoiced : fromUnvoiced;
      current[q] = obsCurrent[q]! + (outside > bound ? outside : bound);
    }
    pointers.fill(NO_POINTER, row, row + n);
    exactCurrent.fill(0);
    // Frame t becomes frame t - 1.
    setObs(obsPrevious, t - 1, false);
    [obsPrevious, obsCurrent] = [obsCurrent, obsPrevious];
    [older, previous, current] = [previous, current, older];
    [exactPrevious, exactCurrent] = [exactCurrent, exactPrevious];
    [keptPrevious, keptCurrent] = [keptCurrent, keptPrevious];
    highestOlder = highest;
  }
  // The last frame exact everywhere, its first argmax, then back along the pointers.
  let nRows = 0;
  for (let q = 0; q < n; q++) if (exactPrevious[q] === 0) rows[nRows++] = q;
  if (!materialise(nFrames - 1, nRows, highestOlder)) return false;
  let last = 0;
  for (let k = 1; k < nStates; k++) if (previous[k]! > previous[last]!) last = k;
  states[first + nFrames - 1] = last;
  for (let t = nFrames - 2; t >= 0; t--) {
    last = pointers[(t + 1) * nStates + last]!;
    if (last === NO_POINTER) return false;
    states[first + t] = last;
  }
  return true;
};

/**
 * The decoded states (0 .. nPitch - 1 voiced, nPitch .. 2 nPitch - 1 unvoiced) of
 * frames [first, first + nFrames) into `states`: librosa's `_viterbi` path, ties to
 * the first argmax, by {@link viterbiLazy}, else {@link viterbiEager}.
 */
export const viterbiPyin = (
  transitions: PitchTransitions,
  observations: PyinObservations,
  first: number,
  nFrames: number,
  states: Int32Array | Uint32Array,
): void => {
  if (viterbiLazy(transitions, observations, first, nFrames, states)) return;
  if (nFrames >= 2) lazyFallbacks.count++;
  viterbiEager(transitions, observations, first, nFrames, states);
};
