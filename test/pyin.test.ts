/**
 * pyin kernel pieces against scipy/numpy/librosa values (fixtures/pyin/reference.json, made by
 * scripts/make_pyin_fixtures.py) and against librosa's plain Viterbi loop written out here; plus
 * the op's errors and its thread-split invariance. End-to-end parity with librosa is in
 * python/tests/test_pyin.py and the parity harness.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NamedArray } from "../src/ops/types.js";
import { runOp } from "./helpers/ops.js";
import { betaCdf } from "../src/pitch/betaCdf.js";
import { LOG_TINY, mongeGap, pitchTransitions, type PitchTransitions, TINY } from "../src/pitch/pitchTransitions.js";
import { allocObservations, observeUnits, planPyin, planTransitions, pyin, type PyinOptions } from "../src/pitch/pyin.js";
import { pyinPrior } from "../src/pitch/pyinObservations.js";
import { clearCaches } from "../src/util/clearCaches.js";
import { kernelMemoryBytes } from "../src/util/kernelMemory.js";
import { lazyFallbacks, viterbiBackend, viterbiEager, viterbiPyin, type PyinObservations } from "../src/pitch/viterbi.js";
import { numpySum } from "../src/util/pairwiseSum.js";
import { FIXTURES } from "./helpers/fixtures.js";

interface Reference {
  beta: { a: number; b: number; n: number; x: number[]; cdf: number[] }[];
  sums: { values: number[]; total: number }[];
  transitions: { n_pitch: number; width: number; switch_prob: number; local: number[]; stay: number; across: number }[];
}
const reference = JSON.parse(readFileSync(`${FIXTURES}pyin/reference.json`, "utf8")) as Reference;

describe("beta CDF (scipy.stats.beta.cdf)", () => {
  it.each(reference.beta.map((c) => [`a=${c.a} b=${c.b}`, c] as const))("%s on linspace(0, 1, n + 1)", (_label, c) => {
    c.x.forEach((x, i) => {
      const ours = betaCdf(x, c.a, c.b);
      // a few units in the last place of 1 (the CDF's scale); beta_probs are their differences
      expect(Math.abs(ours - c.cdf[i]!)).toBeLessThanOrEqual(4e-15);
    });
  });
  it("is NaN unless both shapes are positive, as scipy", () => {
    expect(betaCdf(0.5, 0, 18)).toBeNaN();
    expect(betaCdf(0.5, 2, -1)).toBeNaN();
    expect(betaCdf(0, 2, 18)).toBe(0);
    expect(betaCdf(1, 2, 18)).toBe(1);
  });
});

describe("numpySum (np.sum's pairwise summation)", () => {
  it("matches np.sum bit for bit on rows of 1 to 601 values", () => {
    for (const c of reference.sums) expect([c.values.length, numpySum((i) => c.values[i]!, c.values.length)]).toEqual([c.values.length, c.total]);
  });
  it("skipping zeros outside the non-zero range changes nothing", () => {
    const c = reference.sums.find((s) => s.values.length === 601)!;
    const masked = (i: number): number => (i >= 200 && i < 301 ? c.values[i]! : 0);
    const plain = numpySum(masked, 601);
    expect(numpySum(masked, 601, 200, 301)).toBe(plain);
  });
});

describe("pitch transitions (librosa's kron(transition_loop, transition_local), log(p + tiny))", () => {
  it.each(reference.transitions.map((c) => [`n=${c.n_pitch} width=${c.width} switch=${c.switch_prob}`, c] as const))(
    "%s: every band entry librosa's, nothing outside the band",
    (_label, c) => {
      const t = pitchTransitions(c.n_pitch, c.width, c.switch_prob, -Infinity);
      const n = c.n_pitch;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          const local = c.local[i * n + j]!;
          const offset = i - j;
          if (Math.abs(offset) > t.half) {
            expect(local).toBe(0);
            continue;
          }
          const at = j * t.span + offset + t.half;
          const expectEntry = (banded: Float64Array, p: number): void =>
            expect(banded[at]).toBe(p * local === 0 ? -Infinity : Math.log(p * local + TINY));
          expectEntry(t.logStay, c.stay);
          expectEntry(t.logSwitch, c.across);
        }
      }
    },
  );
  it("drops transitions below transition_min_prob (librosa 1.0) and refuses unreachable states", () => {
    const t = pitchTransitions(61, 41, 0.01, Math.log(1e-4 + TINY));
    expect(t.outsideBand).toBe(false);
    expect(Array.from(t.logSwitch).filter((v) => v > -Infinity).length).toBeLessThan(Array.from(t.logStay).filter((v) => v > -Infinity).length);
    expect(Array.from(t.logStay).every((v) => v === -Infinity || v >= Math.log(1e-4 + TINY))).toBe(true);
    expect(() => pitchTransitions(61, 41, 0.01, Math.log(0.5 + TINY))).toThrow(/Empty transition matrix detected for state 0/);
  });
  it("raises librosa's errors", () => {
    expect(() => pitchTransitions(1, 1, 0.01, -Infinity)).toThrow(/n_states=1 must be a positive integer > 1/);
    expect(() => pitchTransitions(10, 0, 0.01, -Infinity)).toThrow(/width=0 must be at least 1/);
    expect(() => pitchTransitions(10, 11, 0.01, -Infinity)).toThrow(/Target size \(10\) must be at least input size \(11\)/);
    expect(() => pitchTransitions(10, 3, 2, -Infinity)).toThrow(/must have values in the range \[0, 1\]/);
  });
});

/** A deterministic generator in [0, 1). */
const random = (seed: number): (() => number) => {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
};

/** librosa's dense log transition matrix from the banded one: log(0 + tiny) off the band (and, without pruning, for zeros in it). */
const denseLogTransitions = (transitions: PitchTransitions, threshold: number): Float64Array => {
  const { nPitch, half, span } = transitions;
  const nStates = 2 * nPitch;
  const logTrans = new Float64Array(nStates * nStates).fill(LOG_TINY);
  for (let k = 0; k < nStates; k++) {
    for (let j = 0; j < nStates; j++) {
      const offset = (k % nPitch) - (j % nPitch);
      if (Math.abs(offset) > half) continue;
      const banded = (k < nPitch) === (j < nPitch) ? transitions.logStay : transitions.logSwitch;
      const v = banded[(j % nPitch) * span + offset + half]!;
      logTrans[k * nStates + j] = v === -Infinity && threshold === -Infinity ? LOG_TINY : v;
    }
  }
  return logTrans;
};

/** librosa's `_viterbi`, the plain loops over all 2 nPitch predecessors (threshold: librosa 1.0's pruning). */
const plainViterbi = (logTrans: Float64Array, logObs: Float64Array, nStates: number, nFrames: number, threshold: number): Int32Array => {
  const logInit = Math.log(1 / nStates + TINY);
  let value = Float64Array.from({ length: nStates }, (_, s) => logObs[s]! + logInit);
  const ptr = new Int32Array(nFrames * nStates);
  for (let t = 1; t < nFrames; t++) {
    const next = new Float64Array(nStates);
    for (let j = 0; j < nStates; j++) {
      let best = -Infinity;
      for (let k = 0; k < nStates; k++) {
        if (logTrans[k * nStates + j]! < threshold) continue;
        const cost = value[k]! + logTrans[k * nStates + j]!;
        if (cost > best) {
          best = cost;
          ptr[t * nStates + j] = k;
        }
      }
      next[j] = logObs[t * nStates + j]! + best;
    }
    value = next;
  }
  const states = new Int32Array(nFrames);
  let last = 0;
  for (let k = 1; k < nStates; k++) if (value[k]! > value[last]!) last = k;
  states[nFrames - 1] = last;
  for (let t = nFrames - 2; t >= 0; t--) states[t] = last = ptr[(t + 1) * nStates + last]!;
  return states;
};

/** The Viterbi's WebAssembly kernels, or their JavaScript twins (run where WebAssembly is missing). */
const VITERBI_BACKENDS = [
  ["WebAssembly kernels", true],
  ["their JavaScript twins", false],
] as const;

/** Runs the enclosing describe's tests on one backend (a fresh kernel memory first). */
const useViterbiBackend = (wasm: boolean): void => {
  beforeAll(() => {
    viterbiBackend.wasm = wasm;
    clearCaches();
  });
  afterAll(() => {
    viterbiBackend.wasm = true;
  });
};

describe.each(VITERBI_BACKENDS)("Viterbi over the banded transitions (librosa's states, without the dense search), %s", (_backend, wasm) => {
  useViterbiBackend(wasm);
  const nPitch = 61;
  const width = 41;
  const nFrames = 60;
  type Frame = { count: number; unvoiced: number; centre?: number };
  const cases: [string, number, (r: () => number, t: number) => Frame][] = [
    // switch_prob 0.5 and every observation 0: each voiced predecessor ties with its unvoiced twin.
    ["voiced and unvoiced twins tie (switch_prob 0.5, nothing observed)", -Infinity, () => ({ count: 0, unvoiced: 0 })],
    ["random candidates", -Infinity, (r) => ({ count: Math.floor(r() * 4), unvoiced: r() }) ],
    ["random candidates, transitions >= 1e-4", Math.log(1e-4 + TINY), (r) => ({ count: Math.floor(r() * 4), unvoiced: r() })],
    ["silence: no candidates, ties everywhere", -Infinity, () => ({ count: 0, unvoiced: 1 })],
    ["voiced with certainty: unvoiced observations 0", -Infinity, (r) => ({ count: 1 + Math.floor(r() * 2), unvoiced: 0 })],
    ["voiced with certainty, transitions >= 1e-4", Math.log(1e-4 + TINY), (r) => ({ count: 1 + Math.floor(r() * 2), unvoiced: 0 })],
    // A steady tone with gaps: symmetric costs around its bin, where exact arithmetic ties and rounding decides.
    // Only a zero-probability transition (log tiny) joins these candidates: librosa 0.11 takes it.
    ["a candidate leaping further than the band, unvoiced impossible", -Infinity, (_r, t) => ({ count: 1, unvoiced: 0, centre: t % 2 ? 5 : 50 })],
    ["a steady tone with gaps", -Infinity, (_r, t) => (t % 10 < 6 ? { count: 1, unvoiced: 0.1, centre: 30 } : { count: 0, unvoiced: 1 })],
    ["a steady tone with gaps, transitions >= 1e-4", Math.log(1e-4 + TINY), (_r, t) => (t % 10 < 6 ? { count: 1, unvoiced: 0.1, centre: 30 } : { count: 0, unvoiced: 1 })],
  ];
  it("random sparse candidates, unvoiced often all but impossible, probabilities often near 0: the eager decoding's states", () => {
    // Where the unvoiced states observe ~log(tiny), a voiced state away from every candidate (also
    // ~log(tiny)) can be the best voiced source of an unvoiced target: the candidates' shortcut must see it.
    const r = random(1);
    let compared = 0;
    for (let trial = 0; trial < 400; trial++) {
      const w = [41, 21, 11][trial % 3]!;
      const threshold = trial % 2 ? Math.log(1e-4 + TINY) : -Infinity;
      const transitions = pitchTransitions(nPitch, w, 0.01, threshold);
      const obs: PyinObservations = { count: new Int32Array(nFrames), bin: new Int32Array(nFrames * 2), logProb: new Float64Array(nFrames * 2), logUnvoiced: new Float64Array(nFrames) };
      const mode = trial % 5;
      for (let t = 0; t < nFrames; t++) {
        const count = Math.floor(r() * 3);
        const unvoiced = [0, t % 2 ? 0 : r(), r() < 0.3 ? 0 : 1e-300, r() * 1e-200, r()][mode]!;
        obs.count[t] = count;
        obs.logUnvoiced[t] = Math.log(unvoiced / nPitch + TINY);
        for (let c = 0; c < count; c++) {
          const bin = Math.floor(r() * nPitch);
          obs.bin[c * nFrames + t] = c === 1 && bin === obs.bin[t] ? (bin + 1) % nPitch : bin;
          obs.logProb[c * nFrames + t] = Math.log((r() < 0.5 ? r() * 1e-250 : r()) + TINY);
        }
      }
      const lazy = new Int32Array(nFrames);
      const eager = new Int32Array(nFrames);
      viterbiPyin(transitions, obs, 0, nFrames, lazy);
      viterbiEager(transitions, obs, 0, nFrames, eager);
      expect(Array.from(lazy)).toEqual(Array.from(eager));
      compared++;
    }
    expect(compared).toBe(400);
  });

  it.each(cases)("%s", (label, threshold, frame) => {
    const transitions = pitchTransitions(nPitch, width, label.includes("0.5") ? 0.5 : 0.01, threshold);
    const nStates = 2 * nPitch;
    const slots = 4; // candidate rows
    const r = random(11);
    const obs: PyinObservations = {
      count: new Int32Array(nFrames),
      bin: new Int32Array(nFrames * slots),
      logProb: new Float64Array(nFrames * slots),
      logUnvoiced: new Float64Array(nFrames),
    };
    const logObs = new Float64Array(nFrames * nStates);
    let centre = 30;
    for (let t = 0; t < nFrames; t++) {
      const { count, unvoiced, centre: fixed } = frame(r, t);
      obs.count[t] = count;
      obs.logUnvoiced[t] = Math.log(unvoiced / nPitch + TINY);
      for (let s = 0; s < nStates; s++) logObs[t * nStates + s] = s < nPitch ? LOG_TINY : obs.logUnvoiced[t]!;
      centre = fixed ?? Math.min(nPitch - 1, Math.max(0, centre + Math.round((r() - 0.5) * 12)));
      for (let c = 0; c < count; c++) {
        const bin = fixed ?? Math.min(nPitch - 1, Math.max(0, centre + c * 17 - Math.floor(r() * 3)));
        obs.bin[c * nFrames + t] = bin;
        obs.logProb[c * nFrames + t] = Math.log((fixed === undefined ? r() * 0.5 : 0.9) + TINY);
        logObs[t * nStates + bin] = obs.logProb[c * nFrames + t]!;
      }
    }
    const logTrans = denseLogTransitions(transitions, threshold);
    const states = new Int32Array(nFrames);
    const fallbacks = lazyFallbacks.count;
    viterbiPyin(transitions, obs, 0, nFrames, states);
    const plain = Array.from(plainViterbi(logTrans, logObs, nStates, nFrames, threshold));
    expect(Array.from(states)).toEqual(plain);
    // The lazy decoding answers itself unless log(tiny) transitions may count (librosa's exact search).
    if (threshold > -Infinity || label.startsWith("random")) expect(lazyFallbacks.count).toBe(fallbacks);
    const eager = new Int32Array(nFrames);
    viterbiEager(transitions, obs, 0, nFrames, eager);
    expect(Array.from(eager)).toEqual(plain);
  });
});

describe.each(VITERBI_BACKENDS)("lazy voiced states on pyin's own observations (601 pitches, 2 x 601 states), %s", (_backend, wasm) => {
  useViterbiBackend(wasm);
  // Three seconds of a gliding harmonic tone over noise, with pauses: voiced runs, jumps and unvoiced stretches.
  const sr = 22050;
  const r = random(5);
  let phase = 0;
  const signal = Float64Array.from({ length: 3 * sr }, (_, i) => {
    const t = i / sr;
    const f = 110 * 2 ** (Math.sin(2 * Math.PI * 0.7 * t) + (t > 1.5 ? 1 : 0));
    phase += (2 * Math.PI * f) / sr;
    const on = t % 1 < 0.7 ? 1 : 0;
    return on * (0.5 * Math.sin(phase) + 0.2 * Math.sin(2 * phase) + 0.1 * Math.sin(3 * phase)) + 0.05 * (r() - 0.5);
  });
  it.each([
    ["librosa 0.11 (exact search)", null],
    ["librosa 1.0 (transitions >= 1e-4)", 1e-4],
  ] as const)("%s: the eager decoding's states, and librosa's plain loops on the first 40 frames", (_label, minProb) => {
    const plan = planPyin(signal.length, { ...options(sr), transitionMinProb: minProb }, false);
    const transitions = planTransitions(plan);
    const units = plan.yin.nFrames;
    const observations = allocObservations(plan, units, false);
    observeUnits(plan, signal, observations, 0, units);
    const fallbacks = lazyFallbacks.count;
    const lazy = new Int32Array(units);
    viterbiPyin(transitions, observations, 0, units, lazy);
    expect(lazyFallbacks.count).toBe(fallbacks);
    // The kernels ran in this thread's kernel memory (or not at all, for the twins).
    expect((kernelMemoryBytes().pyin ?? 0) > 0).toBe(wasm);
    const eager = new Int32Array(units);
    viterbiEager(transitions, observations, 0, units, eager);
    expect(Array.from(lazy)).toEqual(Array.from(eager));
    expect(new Set(lazy).size).toBeGreaterThan(20);
    expect(lazy.some((s) => s < plan.model.nPitch) && lazy.some((s) => s >= plan.model.nPitch)).toBe(true);

    // librosa's loops, dense, on a prefix (the decoding of a prefix is a decoding of its own).
    const nFrames = 40;
    const { nPitch } = plan.model;
    const nStates = 2 * nPitch;
    const logObs = new Float64Array(nFrames * nStates);
    for (let t = 0; t < nFrames; t++) {
      for (let s = 0; s < nStates; s++) logObs[t * nStates + s] = s < nPitch ? LOG_TINY : observations.logUnvoiced[t]!;
      for (let c = 0; c < observations.count[t]!; c++) logObs[t * nStates + observations.bin[c * units + t]!] = observations.logProb[c * units + t]!;
    }
    const threshold = minProb === null ? -Infinity : Math.log(minProb + TINY);
    const logTrans = denseLogTransitions(transitions, threshold);
    const prefix = new Int32Array(nFrames);
    viterbiPyin(transitions, observations, 0, nFrames, prefix);
    expect(Array.from(prefix)).toEqual(Array.from(plainViterbi(logTrans, logObs, nStates, nFrames, threshold)));
  });
});

const options = (sr: number): PyinOptions => ({
  sr,
  fmin: 65.40639132514966,
  fmax: 2093.004522404789,
  frameLength: 2048,
  hopLength: 512,
  center: true,
  padMode: "constant",
  nThresholds: 100,
  betaParameters: [2, 18],
  boltzmannParameter: 2,
  resolution: 0.1,
  maxTransitionRate: 35.92,
  switchProb: 0.01,
  noTroughProb: 0.01,
  transitionMinProb: null,
});

describe("pyin", () => {
  const sr = 22050;
  const tone = Float64Array.from({ length: sr }, (_, i) => (i < sr / 2 ? 0.6 * Math.sin((2 * Math.PI * 220 * i) / sr) : 0));

  it("tracks a 220 Hz tone, then calls the silence unvoiced", () => {
    const { f0, voicedFlag, voicedProb } = pyin(tone, 1, tone.length, options(sr));
    const middle = 10;
    expect(voicedFlag[middle]).toBe(1);
    expect(Math.abs(1200 * Math.log2(f0[middle]! / 220))).toBeLessThan(10);
    expect(voicedFlag[f0.length - 3]).toBe(0);
    expect(f0[f0.length - 3]).toBeNaN();
    expect(voicedProb[f0.length - 3]).toBe(0);
  });

  it("plans each setting's own prior (priors are cached by every parameter of pyinPrior)", () => {
    const settings: Partial<PyinOptions>[] = [
      {},
      { betaParameters: [1, 10] },
      { betaParameters: [2, 10] },
      { nThresholds: 50 },
      { boltzmannParameter: 3 },
      { noTroughProb: 0.2 },
      { fmin: 130.8 }, // fewer candidate slots
    ];
    for (const round of [0, 1]) {
      for (const s of settings) {
        const o = { ...options(sr), ...s };
        const { model, slots } = planPyin(tone.length, o, false);
        const fresh = pyinPrior(o.nThresholds, o.betaParameters[0], o.betaParameters[1], o.boltzmannParameter, o.noTroughProb, slots);
        expect([round, s, model.prior]).toEqual([round, s, fresh]);
      }
    }
  });

  it("gives the same observations for any cut of the frames (threads)", () => {
    const plan = planPyin(tone.length, options(sr), false);
    const units = plan.yin.nFrames;
    const whole = allocObservations(plan, units, false);
    observeUnits(plan, tone, whole, 0, units);
    const cut = allocObservations(plan, units, false);
    for (const [u0, u1] of [[0, 7], [7, 8], [8, units]]) observeUnits(plan, tone, cut, u0!, u1!);
    expect(cut.count).toEqual(whole.count);
    expect(cut.bin).toEqual(whole.bin);
    expect(cut.logProb).toEqual(whole.logProb);
    expect(cut.voicedProb).toEqual(whole.voicedProb);
  });

  it("op: refuses probabilities outside [0, 1] as librosa's Viterbi does, and checks its parameters", async () => {
    const op = (p: Record<string, unknown>, arrays: NamedArray[]) => runOp("pyin", p, arrays);
    const y = { name: "y", dtype: "float64" as const, shape: [1, tone.length], data: tone };
    const params = {
      sr, fmin: 65.4, fmax: 2093, frame_length: 2048, hop_length: 512, center: true, pad_mode: "constant", n_thresholds: 100,
      beta_parameters: [2, 18], boltzmann_parameter: 2, resolution: 0.1, max_transition_rate: 35.92, switch_prob: 0.01,
      no_trough_prob: 0.01, transition_min_prob: null,
    };
    const ok = await op(params, [y]);
    expect(ok.arrays.map((a) => [a.name, a.dtype, a.shape])).toEqual([
      ["states", "int32", [1, 44]],
      ["voiced_prob", "float64", [1, 44]],
    ]);
    await expect(op({ ...params, no_trough_prob: 2 }, [y])).rejects.toThrow(/Invalid probability values/);
    await expect(op({ ...params, resolution: 0 }, [y])).rejects.toThrow(/resolution/);
    await expect(op({ ...params, transition_min_prob: -1 }, [y])).rejects.toThrow(/Invalid transition_min_prob=-1/);
    await expect(op({ ...params, beta_parameters: [2] }, [y])).rejects.toThrow(/beta_parameters/);
    await expect(op({ ...params, fmax: 20000 }, [y])).rejects.toThrow(/Nyquist/);
  });
});

describe("mongeGap (when the Viterbi's first argmax is monotone without slack)", () => {
  const threshold = Math.log(1e-4 + TINY);
  it.each([
    [101, threshold],
    [101, -Infinity],
    [51, threshold],
    [40, -Infinity],
  ])("librosa's tables of width %i (min log prob %f): a positive margin, far above rounding", (width, minLog) => {
    const t = pitchTransitions(601, width, 0.01, minLog);
    expect(t.stayGap).toBeGreaterThan(1e-4);
    expect(t.switchGap).toBeGreaterThan(1e-4);
    expect(mongeGap(t.logStay, 601, t.half)).toBe(t.stayGap);
  });
  it("0 for a hole inside a source's interval, a convex bump, or interval ends that go back", () => {
    const t = pitchTransitions(61, 21, 0.01, -Infinity);
    const { half, span } = t;
    const hole = t.logStay.slice();
    hole[30 * span + half + 3] = -Infinity;
    expect(mongeGap(hole, 61, half)).toBe(0);
    const bump = t.logStay.slice();
    bump[30 * span + half + 5] = bump[30 * span + half + 5]! + 1;
    expect(mongeGap(bump, 61, half)).toBe(0);
    // Source 20 reaches fewer targets above it than source 19: its interval's last end goes back.
    const narrow = t.logStay.slice();
    for (let q = 20 + half - 1; q <= 20 + half; q++) narrow[q * span + half + (20 - q)] = -Infinity;
    expect(mongeGap(narrow, 61, half)).toBe(0);
    expect(mongeGap(t.logStay, 61, half)).toBeGreaterThan(0);
  });
});
