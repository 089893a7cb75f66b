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
 * a voiced block is searched only for rows where a bound of it (window maximum bound plus
 * largest transition; rounding is monotone) reaches a cost the row certainly has, and
 * voiced values are computed only where a later frame reads them (`viterbiLazy`).
 * Out-of-band predecessors (exact search only) are visited, largest value first, only
 * when `max(value[t-1]) + log(tiny)` reaches the best (`viterbiEager`). So each state
 * and back pointer on the path is librosa's to the bit, given the same log probabilities.
 *
 * @see {@link https://doi.org/10.1109/TIT.1967.1054010 | Viterbi 1967}
 */
import { onClearCaches } from "../util/clearCaches.js";
import { kernelMemory } from "../util/kernelMemory.js";
import { LOG_TINY, TINY, type PitchTransitions } from "./pitchTransitions.js";
import { NO_POINTER, SWEEP_CHAINS, viterbiKernels, type ViterbiKernels } from "./viterbiKernels.js";

/**
 * Called with frame u's index before its observations are read: returns once they
 * are written (the decoding follows the workers observing the frames), or throws.
 */
export type FrameWait = (u: number) => void;
const noWait: FrameWait = () => undefined;

/** Observations of one channel, frame t at `first + t` of the arrays. */
export interface PyinObservations {
  /** Candidates per frame. */
  count: Int32Array;
  /** Voiced pitch bin of each candidate: candidate c of frame u at `c * count.length + u` (here and in `logProb`). */
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
 * Bins of slack each half of the divide and conquer keeps around a neighbour's argmax
 * where monotonicity is not certain: a table whose Monge margin is 0 (librosa 1.0's
 * threshold narrows the band near the range's ends; even widths) or too small for the
 * rounding of values this large. Where the margin holds (see `mongeGap`), none.
 */
const SLACK = 2;

/** The rounding two sums of values over nFrames frames can move (values stay within 2 log(tiny) a frame of 0). */
const roundingOver = (nFrames: number): number => 4 * -2 * LOG_TINY * (nFrames + 1) * Number.EPSILON;

/** The slack for a table of Monge margin `gap` over nFrames frames. */
const slackFor = (gap: number, nFrames: number): number => (gap > roundingOver(nFrames) ? 0 : SLACK);

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
  slack: number,
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
          stack[sp + 3] = kHigh < arg + slack ? kHigh : arg + slack;
          sp += 4;
        }
        if (arg - slack > kLow) kLow = arg - slack;
      }
      lo = mid + 1;
    }
  }
};

/**
 * {@link bestOverRows} over every target q = 0 .. nPitch - 1 of a table whose first
 * argmax a(q) is monotone with no slack (`mongeGap`), by two sweeps instead of divide
 * and conquer. Left to right, g(q) is the first best of row q over sources from g(q - 1)
 * to `step` further, extended while the best is the last source scanned, and up to the
 * previous frame's source of q (read from `from` on entry) plus `step` when that one is
 * better (the sources jump there, a frame rarely moves them much); the first and last
 * rows scan their whole band. Right to left, each row is scanned on up to g(q + 1)
 * (which only raises g(q), never above g(q + 1)). Then every g(q) is the first argmax of
 * its row over [g(q - 1), g(q + 1)] within the band, and that makes g the true first
 * argmax: were a(q) > g(q) for some q, the Monge margin carries row q's strict
 * preference of a(q) over lower sources to the last row r >= q with g(r) < a(q), whose
 * window holds a(q) (g(r + 1) >= a(q), or r is the last row, scanned to its band's end):
 * g(r) would not be its first argmax. Were a(q) < g(q), the (weak) preference of a(q)
 * over higher sources carries down to the first row r <= q with g(r) > a(q), whose window
 * holds a(q), and ties go to the lower source. (The rectangle between the two finite
 * corners is finite by the table's interval shape, and the margin exceeds the rounding.)
 * About 3 candidate costs per row instead of ~8, with no stack. False where a row has
 * no finite source (nothing settled: divide and conquer then).
 * The left-to-right pass may also start afresh at any row that scans from its band's start
 * (the kernel runs SWEEP_CHAINS such runs side by side, their latencies overlapping): each
 * row's g stays at most its first argmax (a row whose window starts at or below a(q) and
 * holds it finds it, else stops below it), so a run's first row, exact over its whole band,
 * is at least the g before it, g stays monotone, and the right-to-left pass and the
 * argument above are unchanged.
 */
const sweepRows = (
  previous: Float64Array,
  base: number,
  banded: Float64Array,
  nPitch: number,
  half: number,
  cost: Float64Array,
  from: Int32Array,
  reached: Int32Array,
  step: number,
): boolean => {
  const span = 2 * half + 1;
  let best = -Infinity;
  let arg = 0;
  let row = 0;
  const scanTo = (k0: number, k1: number): void => {
    for (let k = k0; k <= k1; k++) {
      const c = previous[base + k]! + banded[row + k]!;
      if (c > best) {
        best = c;
        arg = k;
      }
    }
  };
  const gallop = (hi: number, bandHi: number): number => {
    while (arg === hi && hi < bandHi) {
      const next = hi + step < bandHi ? hi + step : bandHi;
      scanTo(hi + 1, next);
      hi = next;
    }
    return hi;
  };
  // The kernel runs the rows in SWEEP_CHAINS runs of `length` side by side; each run's first row scans its whole band.
  const length = Math.ceil(nPitch / SWEEP_CHAINS);
  for (let q = 0; q < nPitch; q++) {
    row = q * span + half - q;
    const bandLo = q - half > 0 ? q - half : 0;
    const bandHi = q + half < nPitch - 1 ? q + half : nPitch - 1;
    const whole = q % length === 0 || q === nPitch - 1;
    const lo = arg > bandLo && !whole ? arg : bandLo;
    let hi = whole ? bandHi : arg + step < bandHi ? arg + step : bandHi;
    best = -Infinity;
    arg = -1;
    scanTo(lo, hi);
    hi = gallop(hi, bandHi);
    const hint = from[q]! - base;
    if (hint > hi && hint <= bandHi && previous[base + hint]! + banded[row + hint]! > best) {
      const next = hint + step < bandHi ? hint + step : bandHi;
      scanTo(hi + 1, next);
      hi = gallop(next, bandHi);
    }
    if (arg < 0) return false;
    cost[q] = best;
    from[q] = base + arg;
    reached[q] = hi;
  }
  for (let q = nPitch - 2; q >= 0; q--) {
    row = q * span + half - q;
    const successor = from[q + 1]! - base;
    const next = successor < q + half ? successor : q + half;
    if (next <= reached[q]!) continue;
    best = cost[q]!;
    arg = from[q]! - base;
    scanTo(reached[q]! + 1, next);
    cost[q] = best;
    from[q] = base + arg;
  }
  return true;
};

/** Sources scanned past the predecessor's by {@link sweepRows} before it extends. */
const SWEEP_STEP = 1;

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
  waitFor: FrameWait = noWait,
): void => {
  const { nPitch, half, logStay, logSwitch, stayMax, switchMax, outsideBand } = transitions;
  const staySlack = slackFor(transitions.stayGap, nFrames);
  const switchSlack = slackFor(transitions.switchGap, nFrames);
  const nStates = 2 * nPitch;
  const { count, bin, logProb, logUnvoiced } = observations;
  const stride = count.length;
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
    waitFor(u);
    for (let c = 0; c < count[u]!; c++) voicedObs[bin[c * stride + u]!] = logProb[c * stride + u]!;
  };
  const forget = (t: number): void => {
    const u = first + t;
    for (let c = 0; c < count[u]!; c++) voicedObs[bin[c * stride + u]!] = LOG_TINY;
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
      bestOverRows(previous, nPitch, voicedTarget ? logSwitch : logStay, nPitch, half, allRows, nPitch, fromUnvoicedCost, fromUnvoiced, stack, voicedTarget ? switchSlack : staySlack);
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
      if (nLive > 0) bestOverRows(previous, 0, fromVoicedBand, nPitch, half, liveRows, nLive, fromVoicedCost, fromVoiced, stack, voicedTarget ? staySlack : switchSlack);
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

/**
 * The JavaScript twins of viterbiKernels.ts over a plain buffer (same byte
 * addresses, same operations in the same order), where WebAssembly is missing.
 */
const scalarKernels = (buffer: ArrayBuffer): ViterbiKernels => {
  const f64 = new Float64Array(buffer);
  const i32 = new Int32Array(buffer);
  const u16 = new Uint16Array(buffer);
  const u8 = new Uint8Array(buffer);
  /** cost and source of row q: the voiced block's (d) unless the other's (c) is larger; null where none or limit >= cost. */
  const better = (q: number, costC: number, fromC: number, costD: number, fromD: number, limit: number): [number, number] | null => {
    let cost = f64[(costD >> 3) + q]!;
    let k = i32[(fromD >> 2) + q]!;
    if (f64[(costC >> 3) + q]! > cost) {
      cost = f64[(costC >> 3) + q]!;
      k = i32[(fromC >> 2) + q]!;
    }
    return k < 0 || limit >= cost ? null : [cost, k];
  };
  return {
    bestOverRows(previous, base, banded, nPitch, half, rows, nRows, cost, from, stack, slack) {
      const [values, table, cells, costs, sources, levels] = [f64.subarray(previous >> 3), f64.subarray(banded >> 3), i32.subarray(rows >> 2), f64.subarray(cost >> 3), i32.subarray(from >> 2), i32.subarray(stack >> 2)];
      bestOverRows(values, base, table, nPitch, half, cells, nRows, costs, sources, levels, slack);
    },
    windowOfCandidates(out, n, half, low, values, candidates, nCandidates) {
      f64.fill(low, out >> 3, (out >> 3) + n);
      for (let j = 0; j < nCandidates; j++) {
        const c = i32[(candidates >> 2) + j]!;
        const v = f64[(values >> 3) + c]!;
        if (!(v > low)) continue;
        const to = c + half < n - 1 ? c + half : n - 1;
        for (let q = c - half > 0 ? c - half : 0; q <= to; q++) if (v > f64[(out >> 3) + q]!) f64[(out >> 3) + q] = v;
      }
    },
    // Every row tested (the kernel's shortcut near the candidates gives the same rows).
    selectRows(windowVoiced, costA, unvoicedPrevious, stayMax, switchMax, selfSwitch, keptCurrent, exactPrevious, rowsSwitch, rows, n, half, counts, values, largest, needed) {
      let nSwitch = 0;
      let floor = Infinity;
      for (let q = 0; q < n; q++) {
        const bound = f64[(windowVoiced >> 3) + q]!;
        let certain = f64[(costA >> 3) + q]!;
        const switching = bound + f64[(switchMax >> 3) + q]! < certain ? 0 : 1;
        if (switching === 1) {
          i32[(rowsSwitch >> 2) + nSwitch++] = q;
          if (certain < floor) floor = certain;
        }
        certain = f64[(unvoicedPrevious >> 3) + q]! + f64[(selfSwitch >> 3) + q]!;
        const staying = bound + f64[(stayMax >> 3) + q]! < certain ? 0 : 1;
        if (staying === 1 && certain < floor) floor = certain;
        u8[keptCurrent + q] = staying;
        u8[needed + q] = switching | staying;
      }
      let nRows = 0;
      let reach = -1;
      for (let q = 0; q < n; q++) {
        if (u8[needed + q] === 0) continue;
        const from = q - half > reach + 1 ? q - half : reach + 1;
        reach = q + half < n - 1 ? q + half : n - 1;
        for (let k = from; k <= reach; k++) {
          if (u8[exactPrevious + k] === 0 && !(f64[(values >> 3) + k]! + largest < floor)) i32[(rows >> 2) + nRows++] = k;
        }
      }
      i32[counts >> 2] = nSwitch;
      i32[(counts >> 2) + 1] = nRows;
    },
    switchFromCandidates(values, banded, n, half, rows, nRows, candidates, nCandidates, low, rowMax, costA, cost, from, left) {
      const span = 2 * half + 1;
      let nLeft = 0;
      for (let r = 0; r < nRows; r++) {
        const q = i32[(rows >> 2) + r]!;
        let best = -Infinity;
        let arg = -1;
        for (let j = 0; j < nCandidates; j++) {
          const c = i32[(candidates >> 2) + j]!;
          if (c < q - half || c > q + half) continue;
          const v = f64[(values >> 3) + c]! + f64[(banded >> 3) + q * span + half - q + c]!;
          if (v > best) {
            best = v;
            arg = c;
          }
        }
        const reach = low + f64[(rowMax >> 3) + q]!;
        if (best > reach) {
          f64[(cost >> 3) + q] = best;
          i32[(from >> 2) + q] = arg;
        } else if (!(reach < f64[(costA >> 3) + q]!)) i32[(left >> 2) + nLeft++] = q;
      }
      return nLeft;
    },
    prepareVoiced(rows, nRows, costD, fromD, keptPrevious, rowsVoiced) {
      let nVoiced = 0;
      for (let r = 0; r < nRows; r++) {
        const q = i32[(rows >> 2) + r]!;
        f64[(costD >> 3) + q] = -Infinity;
        i32[(fromD >> 2) + q] = -1;
        if (u8[keptPrevious + q] === 1) i32[(rowsVoiced >> 2) + nVoiced++] = q;
      }
      return nVoiced;
    },
    settleVoiced(rows, nRows, costC, fromC, costD, fromD, limit, values, observed, pointerRow, exact) {
      for (let r = 0; r < nRows; r++) {
        const q = i32[(rows >> 2) + r]!;
        const found = better(q, costC, fromC, costD, fromD, limit);
        if (found === null) return 0;
        f64[(values >> 3) + q] = f64[(observed >> 3) + q]! + found[0];
        u16[(pointerRow >> 1) + q] = found[1];
        u8[exact + q] = 1;
      }
      return 1;
    },
    // Every row's two blocks compared (the kernel visits B's rows only: elsewhere B holds -Infinity).
    unvoicedValues(costA, fromA, costB, fromB, limit, observed, values, pointerRow, n, lowestOut) {
      let lowest = Infinity;
      for (let q = 0; q < n; q++) {
        const found = better(q, costA, fromA, costB, fromB, limit);
        if (found === null) return 0;
        const v = observed + found[0];
        if (v < lowest) lowest = v;
        f64[(values >> 3) + q] = v;
        u16[(pointerRow >> 1) + q] = found[1];
        f64[(costB >> 3) + q] = -Infinity;
        i32[(fromB >> 2) + q] = -1;
      }
      f64[lowestOut >> 3] = lowest;
      return 1;
    },
    voicedBounds(unvoicedBest, windowVoiced, switchLift, stayMax, observed, outside, values, pointerRow, exact, n) {
      let largest = -Infinity;
      for (let q = 0; q < n; q++) {
        const fromUnvoiced = f64[(unvoicedBest >> 3) + q]! + switchLift;
        const fromVoiced = f64[(windowVoiced >> 3) + q]! + f64[(stayMax >> 3) + q]!;
        const bound = fromVoiced > fromUnvoiced ? fromVoiced : fromUnvoiced;
        const within = outside > bound ? outside : bound;
        if (within > largest) largest = within;
        f64[(values >> 3) + q] = f64[(observed >> 3) + q]! + within;
        u16[(pointerRow >> 1) + q] = NO_POINTER;
        u8[exact + q] = 0;
      }
      return largest;
    },
    sweepRows(previous, base, banded, n, half, cost, from, reached, step) {
      const [values, table, costs, sources, scanned] = [f64.subarray(previous >> 3), f64.subarray(banded >> 3), f64.subarray(cost >> 3), i32.subarray(from >> 2), i32.subarray(reached >> 2)];
      return sweepRows(values, base, table, n, half, costs, sources, scanned, step) ? 1 : 0;
    },
    maxOf(x, count) {
      let highest = -Infinity;
      for (let i = 0; i < count; i++) highest = f64[(x >> 3) + i]! > highest ? f64[(x >> 3) + i]! : highest;
      return highest;
    },
  };
};

/**
 * The lazy decoding's pointers, one row per frame, every element written before it is
 * read: the buffer of the last call is kept for the next (fresh pages cost a fault
 * each, ~2 ms for 30 s at 44100 Hz, 20-30 ms for 180 s), up to this many bytes (180 s
 * at 44100 Hz: 37 MB). Pointer rows in a shared buffer from the request's arena
 * instead cost 3-4 % at 22050 Hz (copies into shared memory are slower).
 */
const SPARE_POINTER_BYTES = 40 * 2 ** 20;
let sparePointers: Uint16Array | null = null;
onClearCaches(() => {
  sparePointers = null;
});
const pointerRows = (length: number): Uint16Array => {
  if (sparePointers !== null && sparePointers.length >= length) return sparePointers.subarray(0, length);
  const fresh = new Uint16Array(length);
  if (2 * length <= SPARE_POINTER_BYTES) sparePointers = fresh;
  return fresh;
};

/** How often {@link viterbiPyin} handed a channel to {@link viterbiEager} (tests read it). */
export const lazyFallbacks = { count: 0 };

/** Whether the lazy decoding uses the WebAssembly kernels where they run (tests turn it off to run the twins). */
export const viterbiBackend = { wasm: true };

/**
 * The lazy decoding's arrays (byte addresses), laid out by `take`: voiced states
 * first in each frame's values, then unvoiced ones.
 */
const layOut = (n: number, half: number, take: (bytes: number) => number) => {
  const nStates = 2 * n;
  const span = 2 * half + 1;
  const doubles = (count: number): number => take(8 * count);
  const ints = (count: number): number => take(8 * Math.ceil(count / 2));
  const shorts = (count: number): number => take(8 * Math.ceil(count / 4));
  const bytes = (count: number): number => take(8 * Math.ceil(count / 8));
  return {
    // Values of frames t - 2, t - 1 and t (rotated): exact where `exact*`, else bounds, for voiced states.
    values: [doubles(nStates), doubles(nStates), doubles(nStates)],
    // Voiced observations of frames t - 1 and t (rotated), and their candidates' bins.
    observed: [doubles(n), doubles(n)],
    candidates: [ints(n), ints(n)],
    // Exact voiced values of frames t - 1 and t; rows of frames t - 1 and t whose voiced -> voiced block counts.
    exact: [bytes(n), bytes(n)],
    kept: [bytes(n), bytes(n)],
    needed: bytes(n),
    // Pointers of frames t - 1 and t, written as the values become exact.
    pointerRows: [shorts(nStates), shorts(nStates)],
    stay: doubles(n * span),
    across: doubles(n * span),
    stayMax: doubles(n),
    switchMax: doubles(n),
    // log P(unvoiced q -> voiced q).
    selfSwitch: doubles(n),
    windowVoiced: doubles(n),
    // Best costs into each target and their sources: A unvoiced -> unvoiced, B voiced -> unvoiced, C unvoiced -> voiced, D voiced -> voiced.
    costA: doubles(n),
    costB: doubles(n),
    costC: doubles(n),
    costD: doubles(n),
    fromA: ints(n),
    fromB: ints(n),
    fromC: ints(n),
    fromD: ints(n),
    allRows: ints(n),
    rows: ints(n),
    rowsVoiced: ints(n),
    rowsSwitch: ints(n),
    reached: ints(n),
    levels: ints(4 * (n + 1)),
    counts: ints(2),
    lowestUnvoiced: doubles(1),
  };
};

/** Views of a workspace's buffer. */
const viewsOf = (buffer: ArrayBufferLike) => ({ f64: new Float64Array(buffer), i32: new Int32Array(buffer), u8: new Uint8Array(buffer), u16: new Uint16Array(buffer) });

/**
 * The lazy decoding's workspace: one area of this thread's kernel memory with
 * its WebAssembly kernels, else a plain buffer with their twins. Its address stays
 * valid while the decoding runs; the views do until something else on this thread
 * grows the kernel memory (the pipelined task observing frames while it waits):
 * `views` gives them anew then.
 */
const workspace = (n: number, half: number) => {
  let size = 0;
  layOut(n, half, (bytes) => (size += bytes) - bytes);
  const memory = viterbiBackend.wasm ? kernelMemory() : null;
  const wasm = memory === null ? null : viterbiKernels(memory);
  const base = memory !== null && wasm !== null ? memory.area("pyin", "viterbi", size) : 0;
  const buffer = memory !== null && wasm !== null ? memory.memory.buffer : new ArrayBuffer(size);
  let next = base;
  const at = layOut(n, half, (bytes) => (next += bytes) - bytes);
  const current = (): ArrayBufferLike => (memory !== null && wasm !== null ? memory.memory.buffer : buffer);
  const views = viewsOf(buffer);
  // A plain literal (no spread: a spread's map is a transition V8 holds weakly, and a collection that frees it
  // throws away viterbiLazy's optimised code).
  return { at, kernels: wasm ?? scalarKernels(buffer), f64: views.f64, i32: views.i32, u8: views.u8, u16: views.u16, views: () => viewsOf(current()), current };
};

/**
 * The decoded states of frames [first, first + nFrames) into `states`: librosa's
 * path to the bit, as {@link viterbiEager}, computing fewer voiced values.
 *
 * Voiced states away from the frame's candidates observe log(tiny), so their values
 * sit some 700 below the rest and rarely take part. Frame t's voiced values are first
 * kept as upper bounds (the observation plus the larger of a bound of frame t - 1's voiced
 * window maximum plus the largest staying transition and the unvoiced target's best cost
 * plus the switching table's lift; monotone rounding makes them bounds of the float values).
 * That window bound (`windowOfCandidates`) is the window's candidate values where they are
 * larger, else log(tiny) plus frame t - 1's largest bound: every other voiced state observed
 * log(tiny), so its value is at most that (and bounds need not be tight, only above),
 * and made exact one frame later only where frame t + 1 scans them: within `half` of a
 * row whose voiced block is not excluded by those bounds, and only those whose bound
 * plus the largest transition reaches the lowest cost such a row certainly reaches.
 * The exclusions test bounds against a cost the row certainly reaches (an unvoiced
 * predecessor's), so an excluded block, or a source left as a bound, cannot win or tie:
 * its scanned cost is below that certain cost, which the row's final comparison then
 * takes. Making frame t - 1 exact scans frame t - 2's voiced values only for rows that
 * frame t's test kept, whose sources were made exact in the step before. Unvoiced
 * values are always exact. The path only meets exact states (each pointer it follows
 * was the winner of a scan over exact values); `NO_POINTER` marks the others.
 * The per-frame passes are the kernels of viterbiKernels.ts.
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
  waitFor: FrameWait,
): boolean => {
  const { nPitch: n, half, logStay, logSwitch, stayMax, switchMax, outsideBand } = transitions;
  const nStates = 2 * n;
  if (nStates >= NO_POINTER || nFrames < 2) return false;
  const { count, bin, logProb, logUnvoiced } = observations;
  const stride = count.length;
  const pointers = pointerRows(nFrames * nStates);
  const space = workspace(n, half);
  const { at, kernels: k } = space;
  let { f64, i32, u8, u16 } = space;
  /** waitFor, then views anew if the kernel memory grew meanwhile. */
  const observed = (u: number): void => {
    waitFor(u);
    if (f64.buffer !== space.current()) ({ f64, i32, u8, u16 } = space.views());
  };
  const staySlack = slackFor(transitions.stayGap, nFrames);
  const switchSlack = slackFor(transitions.switchGap, nFrames);
  // The largest transition of either table: a voiced bound this far below every certain cost cannot win.
  const largest = Math.max(...stayMax, ...switchMax);
  // A voiced target's best unvoiced source costs at most the unvoiced target's best unvoiced cost (costA,
  // over the staying table, whose band holds the switching one) plus this, with the sums' rounding.
  const switchLift = transitions.switchLift + 2 * roundingOver(nFrames);
  f64.set(logStay, at.stay >> 3);
  f64.set(logSwitch, at.across >> 3);
  f64.set(stayMax, at.stayMax >> 3);
  f64.set(switchMax, at.switchMax >> 3);
  // The lowest self transition of either table: every row's certain costs (selectRows) are at least the
  // previous frame's lowest unvoiced value plus this (costA through the unvoiced source of the same pitch,
  // the voiced target's through the switch from its unvoiced twin).
  const lowestSelf = prepareRows(transitions, at, f64, i32);
  for (const o of at.observed) f64.fill(LOG_TINY, o >> 3, (o >> 3) + n);
  u8.fill(1, at.exact[0]!, at.exact[0]! + n);
  // The rotating arrays of frames t (current), t - 1 (previous) and t - 2 (older): frame f's values in
  // values[(f + 1) % 3], its other arrays in [f & 1] (`toFrame` points them at frame t).
  let [older, previous, current] = at.values as [number, number, number];
  let [obsPrevious, obsCurrent] = at.observed as [number, number];
  let [candidatesPrevious, candidatesCurrent] = at.candidates as [number, number];
  let [exactPrevious, exactCurrent] = at.exact as [number, number];
  let [keptPrevious, keptCurrent] = at.kept as [number, number];
  let [rowPrevious, rowCurrent] = at.pointerRows as [number, number];
  const toFrame = (t: number): void => {
    older = at.values[(t + 2) % 3]!;
    previous = at.values[t % 3]!;
    current = at.values[(t + 1) % 3]!;
    const now = t & 1;
    const before = now ^ 1;
    obsCurrent = at.observed[now]!;
    obsPrevious = at.observed[before]!;
    candidatesCurrent = at.candidates[now]!;
    candidatesPrevious = at.candidates[before]!;
    exactCurrent = at.exact[now]!;
    exactPrevious = at.exact[before]!;
    keptCurrent = at.kept[now]!;
    keptPrevious = at.kept[before]!;
    rowCurrent = at.pointerRows[now]!;
    rowPrevious = at.pointerRows[before]!;
  };

  const setObs = (target: number, t: number, on: boolean): void => {
    const u = first + t;
    for (let c = 0; c < count[u]!; c++) f64[(target >> 3) + bin[c * stride + u]!] = on ? logProb[c * stride + u]! : LOG_TINY;
  };
  /** Frame t's candidate bins into `list`, ascending: its voiced states that observe more than log(tiny). */
  const listCandidates = (list: number, t: number): void => {
    const u = first + t;
    const at = list >> 2;
    for (let c = 0; c < count[u]!; c++) {
      const b = bin[c * stride + u]!;
      let j = c;
      for (; j > 0 && i32[at + j - 1]! > b; j--) i32[at + j] = i32[at + j - 1]!;
      i32[at + j] = b;
    }
  };
  const scan = (values: number, offset: number, banded: number, rows: number, nRows: number, cost: number, from: number): void =>
    k.bestOverRows(values, offset, banded, n, half, rows, nRows, cost, from, at.levels, banded === at.stay ? staySlack : switchSlack);

  /**
   * Makes the voiced values of frame `t` (at `previous`, predecessors at `older`)
   * exact on `rows[0 .. nRows)`, then frame t's pointers are complete.
   * False where the log(tiny) transitions could take part (exact search).
   */
  const materialise = (t: number, nRows: number, highestOlder: number): boolean => {
    if (nRows > 0) {
      scan(older, n, at.across, at.rows, nRows, at.costC, at.fromC);
      const nVoiced = k.prepareVoiced(at.rows, nRows, at.costD, at.fromD, keptPrevious, at.rowsVoiced);
      if (nVoiced > 0) scan(older, 0, at.stay, at.rowsVoiced, nVoiced, at.costD, at.fromD);
      const limit = outsideBand ? highestOlder + LOG_TINY : -Infinity;
      if (k.settleVoiced(at.rows, nRows, at.costC, at.fromC, at.costD, at.fromD, limit, previous, obsPrevious, rowPrevious, exactPrevious) === 0) return false;
    }
    pointers.set(u16.subarray(rowPrevious >> 1, (rowPrevious >> 1) + nStates), t * nStates);
    return true;
  };

  const logInit = Math.log(1 / nStates + TINY);
  observed(first);
  setObs(obsPrevious, 0, true);
  listCandidates(candidatesPrevious, 0);
  // The previous frame's voiced values outside its candidates are at most this (log(tiny) observed).
  let lowPrevious = LOG_TINY + logInit;
  // Its lowest unvoiced value (all equal in frame 0).
  let lowestUnvoiced = logUnvoiced[first]! + logInit;
  startValues(f64, previous >> 3, obsPrevious >> 3, n, logInit, logUnvoiced[first]! + logInit);
  u16.fill(0, rowPrevious >> 1, (rowPrevious >> 1) + nStates);
  let highestOlder = -Infinity;

  /**
   * One frame of the forward pass, t >= 1 (false as materialise's). Its own function so that V8
   * optimises it while the first call runs (it is called once a frame): left in the loop, it
   * made this whole function hot only around a fresh server's fifth call of 30 s, whose
   * TurboFan compilations (45-55 ms, and an OSR one of 30) then took a core from the calls
   * bench_pyin.py times.
   */
  const advance = (t: number): boolean => {
    observed(first + t);
    setObs(obsCurrent, t, true);
    listCandidates(candidatesCurrent, t);
    const nCandidates = count[first + t - 1]!;
    k.windowOfCandidates(at.windowVoiced, n, half, lowPrevious, previous, candidatesPrevious, nCandidates);
    const highest = outsideBand ? k.maxOf(previous, nStates) : -Infinity;
    // Unvoiced targets from unvoiced sources: every row (fromA holds frame t - 1's sources, hints for the sweep).
    if (staySlack !== 0 || k.sweepRows(previous, n, at.stay, n, half, at.costA, at.fromA, at.reached, SWEEP_STEP) === 0) {
      scan(previous, n, at.stay, at.allRows, n, at.costA, at.fromA);
    }
    // Rows whose voiced sources may count: unvoiced targets (against the exact unvoiced
    // cost) and voiced ones (against the unvoiced source of the same pitch); the sources
    // within half of them made exact.
    // (rounding is monotone: the sum with the lowest self transition is the lowest of the sums)
    k.selectRows(
      at.windowVoiced, at.costA, previous + 8 * n, at.stayMax, at.switchMax, at.selfSwitch, keptCurrent, exactPrevious, at.rowsSwitch, at.rows, n, half,
      at.counts, previous, largest, at.needed, lowPrevious, lowestUnvoiced + lowestSelf, candidatesPrevious, nCandidates,
    );
    const nSwitch = i32[at.counts >> 2]!;
    if (!materialise(t - 1, i32[(at.counts >> 2) + 1]!, highestOlder)) return false;
    // Unvoiced targets from voiced sources (where a candidate is above every other voiced value's reach, it decides), then the unvoiced values.
    if (nSwitch > 0) {
      const nLeft = k.switchFromCandidates(previous, at.across, n, half, at.rowsSwitch, nSwitch, candidatesPrevious, nCandidates, lowPrevious, at.switchMax, at.costA, at.costB, at.fromB, at.rows);
      if (nLeft > 0) scan(previous, 0, at.across, at.rows, nLeft, at.costB, at.fromB);
    }
    const limit = outsideBand ? highest + LOG_TINY : -Infinity;
    if (k.unvoicedValues(at.costA, at.fromA, at.costB, at.fromB, limit, logUnvoiced[first + t]!, current + 8 * n, rowCurrent + 2 * n, n, at.lowestUnvoiced, at.rowsSwitch, nSwitch) === 0) {
      return false;
    }
    lowestUnvoiced = f64[at.lowestUnvoiced >> 3]!;
    // Voiced targets: bounds for now (with the exact search, any state's log(tiny) transition is one more source).
    lowPrevious = LOG_TINY + k.voicedBounds(at.costA, at.windowVoiced, switchLift, at.stayMax, obsCurrent, highest + LOG_TINY, current, rowCurrent, exactCurrent, n);
    // Frame t becomes frame t - 1.
    setObs(obsPrevious, t - 1, false);
    toFrame(t + 1);
    highestOlder = highest;
    return true;
  };
  for (let t = 1; t < nFrames; t++) if (!advance(t)) return false;
  // The last frame exact everywhere, its first argmax, then back along the pointers.
  if (!materialise(nFrames - 1, inexactRows(u8, exactPrevious, i32, at.rows >> 2, n), highestOlder)) return false;
  return backtrack(f64.subarray(previous >> 3, (previous >> 3) + nStates), pointers, first, nFrames, states);
};

// viterbiLazy's loops over states and frames outside the forward pass, each its own function: loops in
// viterbiLazy itself would make it hot (and compiled, 45-55 ms of TurboFan) only after a few calls.

/** The workspace's rows and sources before the first frame; the lowest self transition of either table. */
const prepareRows = (transitions: PitchTransitions, at: ReturnType<typeof layOut>, f64: Float64Array, i32: Int32Array): number => {
  const { nPitch: n, half, span, logStay, logSwitch } = transitions;
  let lowestSelf = Infinity;
  for (let q = 0; q < n; q++) {
    f64[(at.selfSwitch >> 3) + q] = logSwitch[q * span + half]!;
    lowestSelf = Math.min(lowestSelf, logStay[q * span + half]!, logSwitch[q * span + half]!);
    i32[(at.allRows >> 2) + q] = q;
    f64[(at.costB >> 3) + q] = -Infinity;
    i32[(at.fromB >> 2) + q] = -1;
    i32[(at.fromA >> 2) + q] = -1;
  }
  return lowestSelf;
};

/** Frame 0's values at element `values`: voiced ones its observations (at `observed`) plus logInit, unvoiced ones `unvoiced`. */
const startValues = (f64: Float64Array, values: number, observed: number, n: number, logInit: number, unvoiced: number): void => {
  for (let q = 0; q < n; q++) {
    f64[values + q] = f64[observed + q]! + logInit;
    f64[values + n + q] = unvoiced;
  }
};

/** The voiced states not yet exact (flag 0 at byte `exact`) into the int32 list at element `rows`; their count. */
const inexactRows = (u8: Uint8Array, exact: number, i32: Int32Array, rows: number, n: number): number => {
  let nRows = 0;
  for (let q = 0; q < n; q++) if (u8[exact + q] === 0) i32[rows + nRows++] = q;
  return nRows;
};

/** The last frame's first argmax over `values`, then back along `pointers`; false where a pointer was never written. */
const backtrack = (values: Float64Array, pointers: Uint16Array, first: number, nFrames: number, states: Int32Array | Uint32Array): boolean => {
  const nStates = values.length;
  let last = 0;
  for (let s = 1; s < nStates; s++) if (values[s]! > values[last]!) last = s;
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
  waitFor: FrameWait = noWait,
): void => {
  if (viterbiLazy(transitions, observations, first, nFrames, states, waitFor)) return;
  if (nFrames >= 2) lazyFallbacks.count++;
  viterbiEager(transitions, observations, first, nFrames, states, waitFor);
};
