/**
 * pyin's transition matrix over 2 nPitch states (voiced pitch bins, then
 * unvoiced ones), as librosa builds it densely:
 * `kron(transition_loop(2, 1 - switchProb), transition_local(nPitch, width, window="triangle"))`,
 * then `log(transition + tiny)`. Only the band |i - j| <= width // 2 of the local
 * matrix is non-zero, so it is kept as two banded log matrices, one for staying
 * in the same voicing and one for switching, each indexed by target state:
 * `logStay[j * span + (i - j + half)]` is log P(i -> j), span = 2 half + 1.
 * Each value is librosa's to the bit (same window, same row sums, same products),
 * with `Math.log` for numpy's log.
 */
import { getWindow, padCenter } from "../spectrum/window.js";
import { ParameterError } from "../util/errors.js";
import { numpySum } from "../util/pairwiseSum.js";

/** numpy's `finfo(float64).tiny`: librosa's Viterbi adds it before every log. */
export const TINY = 2.2250738585072014e-308;
/** log(0 + tiny): a zero probability in librosa's log domain. */
export const LOG_TINY = Math.log(TINY);

export interface PitchTransitions {
  nPitch: number;
  /** width // 2: the largest pitch-bin step with a non-zero local probability. */
  half: number;
  /** 2 half + 1 entries per target. */
  span: number;
  /** log P(i -> j) within one voicing; -Infinity outside the pitch range, where P is 0 and where the threshold drops a transition. */
  logStay: Float64Array;
  /** log P(i -> j) across voicing; same layout. */
  logSwitch: Float64Array;
  /** Per target, the largest logStay / logSwitch into it. */
  stayMax: Float64Array;
  switchMax: Float64Array;
  /** {@link mongeGap} of logStay / logSwitch. */
  stayGap: number;
  switchGap: number;
  /** The most logSwitch exceeds logStay between the same pitches (Infinity where only the switch is finite). */
  switchLift: number;
  /**
   * Whether transitions outside the band (probability 0, log LOG_TINY) take part:
   * true for librosa's exact search (0.11, or 1.0 with `transition_min_prob` None or 0).
   */
  outsideBand: boolean;
}

/**
 * Row i of `transition_local(nPitch, width, window="triangle", wrap=False)` before
 * normalisation, at column j: the centre-padded triangle rolled to i, zero outside
 * [i - width // 2, i + width // 2].
 */
const localRow = (padded: Float64Array, nPitch: number, width: number, i: number): ((j: number) => number) => {
  const shift = Math.floor(nPitch / 2) + i + 1;
  const low = Math.max(0, i - Math.floor(width / 2));
  const high = Math.min(nPitch, i + Math.floor(width / 2) + 1);
  return (j) => (j < low || j >= high ? 0 : padded[(((j - shift) % nPitch) + nPitch) % nPitch]!);
};

/**
 * A band entry: log(p + tiny), or -Infinity when the search leaves it out (below
 * `minLogProb`) or p is 0 (the Viterbi treats those as out of band: they cost log(tiny)).
 */
const bandEntry = (p: number, minLogProb: number): number => {
  const value = Math.log(p + TINY);
  return p === 0 || value < minLogProb ? -Infinity : value;
};

/**
 * librosa's pyin transitions. `minLogProb`: log(transition_min_prob + tiny) under
 * librosa 1.0's approximate search (transitions below it are dropped), or
 * -Infinity for the exact search.
 *
 * @throws ParameterError as librosa: nPitch < 2, width < 1 or wider than nPitch,
 *   switchProb outside [0, 1], or (approximate search) a state no transition reaches.
 */
export const pitchTransitions = (nPitch: number, width: number, switchProb: number, minLogProb: number): PitchTransitions => {
  if (!Number.isInteger(nPitch) || nPitch < 2) throw new ParameterError(`n_states=${nPitch} must be a positive integer > 1`);
  if (!Number.isInteger(width) || width < 1) throw new ParameterError(`width=${width} must be at least 1`);
  const stay = 1 - switchProb;
  if (!(stay >= 0 && stay <= 1)) throw new ParameterError(`prob=[${stay} ${stay}] must have values in the range [0, 1]`);
  const across = (1.0 - stay) / 1;
  const padded = padCenter(getWindow("triangle", width, false), nPitch);
  const half = Math.floor(width / 2);
  const span = 2 * half + 1;
  const logStay = new Float64Array(nPitch * span).fill(-Infinity);
  const logSwitch = new Float64Array(nPitch * span).fill(-Infinity);
  for (let i = 0; i < nPitch; i++) {
    const row = localRow(padded, nPitch, width, i);
    const sum = numpySum(row, nPitch, Math.max(0, i - half), Math.min(nPitch, i + half + 1));
    for (let j = Math.max(0, i - half); j <= Math.min(nPitch - 1, i + half); j++) {
      const local = row(j) / sum;
      const at = j * span + (i - j + half);
      logStay[at] = bandEntry(stay * local, minLogProb);
      logSwitch[at] = bandEntry(across * local, minLogProb);
    }
  }
  const outsideBand = minLogProb <= LOG_TINY;
  if (!outsideBand) {
    // librosa 1.0 refuses a state without predecessors; states are voiced 0 .. nPitch - 1, then unvoiced.
    for (let j = 0; j < nPitch; j++) {
      let reached = false;
      for (let o = 0; o < span && !reached; o++) reached = logStay[j * span + o]! > -Infinity || logSwitch[j * span + o]! > -Infinity;
      if (!reached) {
        throw new ParameterError(
          `Empty transition matrix detected for state ${j} in Viterbi. Try reducing your minimum transition probability threshold.`,
        );
      }
    }
  }
  return {
    nPitch,
    half,
    span,
    logStay,
    logSwitch,
    stayMax: rowMaxima(logStay, nPitch, span),
    switchMax: rowMaxima(logSwitch, nPitch, span),
    stayGap: mongeGap(logStay, nPitch, half),
    switchGap: mongeGap(logSwitch, nPitch, half),
    switchLift: liftOver(logSwitch, logStay),
    outsideBand,
  };
};

/**
 * How far a banded table is from breaking the Monge inequality
 * `M(k1, q1) + M(k2, q2) >= M(k1, q2) + M(k2, q1)` (k1 < k2, q1 < q2; M(k, q) = log P(k -> q)):
 * the smallest margin over adjacent sources and targets with all four entries finite,
 * or 0 unless each source reaches an interval of targets [first(k), last(k)] whose ends
 * do not decrease with k. With that shape, any k1 < k2, q1 < q2 with M(k2, q1) and
 * M(k1, q2) finite have their whole rectangle finite (first(k) <= first(k2) <= q1,
 * last(k) >= last(k1) >= q2), so its margin is a sum of adjacent ones; then over any
 * values v the first argmax of `v[k] + M(k, q)` does not decrease with q unless
 * rounding the sums moves them by half that margin. A triangle kernel's log is strictly
 * concave: the margin is at least ~1 / width², where the sums' rounding is ~1e-16 of
 * the values. librosa 1.0's threshold leaves sources near the range's ends (rows
 * normalised by smaller sums) a wider interval, which keeps this shape.
 */
export const mongeGap = (banded: Float64Array, nPitch: number, half: number): number => {
  const span = 2 * half + 1;
  const at = (k: number, q: number): number => (q >= 0 && q < nPitch && Math.abs(q - k) <= half ? banded[q * span + (k - q + half)]! : -Infinity);
  let gap = Infinity;
  let lastFirst = -Infinity;
  let lastLast = -Infinity;
  for (let k = 0; k < nPitch; k++) {
    let first = -1;
    let last = -1;
    for (let q = k - half; q <= k + half; q++) {
      if (at(k, q) === -Infinity) continue;
      if (first < 0) first = q;
      else if (last !== q - 1) return 0;
      last = q;
    }
    if (first < 0 || first < lastFirst || last < lastLast) return 0;
    lastFirst = first;
    lastLast = last;
    for (let q = first; q < last && k + 1 < nPitch; q++) {
      const corners = [at(k, q), at(k + 1, q + 1), at(k, q + 1), at(k + 1, q)];
      if (corners.every((c) => c > -Infinity)) gap = Math.min(gap, corners[0]! + corners[1]! - corners[2]! - corners[3]!);
    }
  }
  return gap > 0 ? gap : 0;
};

/** The largest upper - lower over entries where upper is finite (Infinity where lower is not). */
const liftOver = (upper: Float64Array, lower: Float64Array): number => {
  let lift = -Infinity;
  for (let i = 0; i < upper.length; i++) {
    if (upper[i]! === -Infinity) continue;
    if (lower[i]! === -Infinity) return Infinity;
    lift = Math.max(lift, upper[i]! - lower[i]!);
  }
  return lift;
};

const rowMaxima = (banded: Float64Array, nPitch: number, span: number): Float64Array =>
  Float64Array.from({ length: nPitch }, (_, j) => Math.max(...banded.subarray(j * span, (j + 1) * span)));
