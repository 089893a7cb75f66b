/**
 * The server's warm-up: while a fresh server waits for its first request, it
 * calls its own ops on a short synthetic clip, round after round, with the
 * params the Python shims send, so that V8 has compiled the kernels' code
 * (TurboFan, on every thread) before a user's calls need it.
 *
 * Why: a fresh server's first ~30 calls of an op run slower than the later
 * ones while V8 optimises the code they run (and its background compiler
 * shares the two cores with the calls). On a 5 s clip, the op time by tens of
 * calls, fresh server: stft 3.48, 1.66, 1.36, 1.32 ms; chroma_stft 8.42, 3.64,
 * 3.51, 3.37; after 15 rounds of these calls on a 2 s clip the first ten were
 * at 1.62 and 3.58 already (docs/benchmarks.md, session 20). A user who
 * analyses many short clips meets those slow calls first.
 *
 * The server stops warming up for good as soon as a request arrives (it never
 * competes with a caller's work), after {@link WARMUP_ROUNDS} rounds, or after
 * {@link WARMUP_MAX_MS}; a request that arrives during a step waits for that
 * one call on the 2 s clip. `AURALIS_DSP_WARMUP=0` turns it off.
 */
import type { NamedArray, OpContext, OpTable } from "../ops/types.js";
import { runFlow } from "../schedule/runner.js";
import { allocFloat32 } from "../util/alloc.js";
import { findOp, opResult } from "./inProcess.js";

/** Rounds of every call at most (15 rounds left the first calls at their steady speed). */
export const WARMUP_ROUNDS = 15;
/** Milliseconds of warming up at most, however many rounds are done. */
export const WARMUP_MAX_MS = 3000;

const SR = 22050;
const SAMPLES = 2 * SR;

/** The shims' default params for a call at 22050 Hz (as auralis_dsp sends them with librosa 0.11). */
const FRAMING = { n_fft: 2048, hop_length: 512, win_length: 2048, window: "hann", center: true, pad_mode: "constant" };
const LIBROSA = { librosa: "0.11" };
/** fmin C2 and fmax C7, as bench_pyin.py calls pyin. */
const C2 = 65.40639132514966;
const C7 = 2093.004522404789;

/** One op call with a clip in `y` (float32, shared memory); `stft` also feeds `istft`. */
interface Call {
  op: string;
  params: Record<string, unknown>;
}

const CALLS: readonly Call[] = [
  { op: "stft", params: { ...FRAMING, dtype: "complex64", ...LIBROSA } },
  { op: "chroma_stft", params: { sr: SR, norm: Infinity, tuning: null, n_chroma: 12, ctroct: 5.0, octwidth: 2.0, base_c: true, fb_dtype: "float32", ...FRAMING, dtype: "float32", ...LIBROSA } },
  { op: "cqt", params: { sr: SR, hop_length: 512, fmin: null, n_bins: 84, bins_per_octave: 12, tuning: 0.0, filter_scale: 1.0, norm: 1.0, sparsity: 0.01, window: "hann", scale: true, pad_mode: "constant", res_type: "soxr_hq", dtype: "complex64", ...LIBROSA } },
  { op: "chroma_cqt", params: { sr: SR, hop_length: 512, fmin: null, norm: Infinity, threshold: 0.0, tuning: null, n_chroma: 12, n_octaves: 7, bins_per_octave: 36, dtype: "float32", ...LIBROSA } },
  { op: "estimate_tuning", params: { sr: SR, resolution: 0.01, bins_per_octave: 12, fmin: 150.0, fmax: 4000.0, threshold: 0.1, ref: null, ...FRAMING, ...LIBROSA } },
  { op: "yin", params: { sr: SR, fmin: 50.0, fmax: 2000.0, frame_length: 2048, hop_length: 512, center: true, pad_mode: "constant", trough_threshold: 0.1, ...LIBROSA } },
  {
    op: "effects.hpss",
    params: { ...FRAMING, win_harm: 31, win_perc: 31, power: 2.0, margin_harm: 1.0, margin_perc: 1.0, mask: false, which: "both", ...LIBROSA },
  },
  {
    op: "pyin",
    params: {
      sr: SR, fmin: C2, fmax: C7, frame_length: 2048, hop_length: 512, center: true, pad_mode: "constant", n_thresholds: 100, beta_parameters: [2.0, 18.0],
      boltzmann_parameter: 2.0, resolution: 0.1, max_transition_rate: 35.92, switch_prob: 0.01, no_trough_prob: 0.01, transition_min_prob: null, ...LIBROSA,
    },
  },
];

/** The ops the warm-up calls. */
export const WARMUP_OPS: readonly string[] = [...CALLS.map((c) => c.op), "istft"];

/** A 2 s clip: a rising tone with two partials and a little noise (deterministic). */
let template: Float32Array | undefined;

/** The clip, copied into the current buffer source (shared memory, as a request's arrays). */
const clip = (): Float32Array => {
  if (template === undefined) {
    template = new Float32Array(SAMPLES);
    let seed = 12345;
    for (let i = 0; i < SAMPLES; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      const t = i / SR;
      const phase = 2 * Math.PI * 220 * t * (1 + 0.5 * t);
      template[i] = 0.4 * Math.sin(phase) + 0.2 * Math.sin(2 * phase) + 0.02 * (seed / 2 ** 32 - 0.5);
    }
  }
  const y = allocFloat32(SAMPLES, true, { zero: false });
  y.set(template);
  return y;
};

/**
 * The warm-up's steps in order, `rounds` rounds of every call: each step makes its
 * clip in the current buffer source (the caller installs an arena scope around it) and
 * runs one call, or the stft and the istft of its result. Errors propagate.
 */
export function* warmupSteps(ops: OpTable, ctx: OpContext, rounds = WARMUP_ROUNDS): Generator<() => Promise<void>> {
  for (let r = 0; r < rounds; r++) {
    for (const { op, params } of CALLS) {
      yield async () => {
        const handler = findOp(ops, op);
        if (!handler) throw new Error(`no op ${op}`);
        const arrays: NamedArray[] = [{ name: "y", dtype: "float32", shape: [1, SAMPLES], data: clip() }];
        const result = await opResult(handler(params, arrays, ctx), runFlow);
        if (op !== "stft") return;
        const inverse = findOp(ops, "istft");
        if (!inverse) throw new Error("no op istft");
        const { dtype, shape, data } = result.arrays[0]!;
        const { pad_mode: _, ...framing } = FRAMING;
        await opResult(inverse({ ...framing, length: SAMPLES, dtype: "float32", ...LIBROSA }, [{ name: "stft_matrix", dtype, shape, data }], ctx), runFlow);
      };
    }
  }
}
