#!/usr/bin/env node
/**
 * CPU time of the chroma pipeline's ops for two builds, in one process,
 * alternating calls (robust to a loaded machine where wall times are noise):
 * process.cpuUsage() around each in-process call (no worker pool: one
 * thread), 2 untimed calls each first; medians, minima, their ratios B/A, and
 * the largest difference between the two builds' outputs.
 *
 *   npx tsc -p tsconfig.build.json --outDir /tmp/before-dist   # at the older commit
 *   npm run build                                              # this one, into dist/
 *   python -c "import numpy as np, librosa; librosa.load(F, sr=22050)[0].astype(np.float32).tofile('w1.raw')"
 *   node scripts/chroma_cpu_ab.mjs /tmp/before-dist ./dist w1.raw [repeats=8] [chroma_cqt,cqt_given,estimate_tuning,chroma_stft]
 *
 * The .raw file is float32 mono at 22050 Hz; F64=1 sends it as float64,
 * LR10=1 asks for librosa 1.0's semantics. Used for docs/benchmarks.md
 * ("Chroma", session 3).
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
const [distA, distB, file, repsArg, whichArg] = process.argv.slice(2);
const A = await import(pathToFileURL(`${resolve(distA)}/index.js`).href);
const B = await import(pathToFileURL(`${resolve(distB)}/index.js`).href);
const buf = readFileSync(file);
const y = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
const dtype = process.env.F64 ? "float64" : "float32";
const data = process.env.F64 ? Float64Array.from(y) : y;
const sig = [{ name: "y", dtype, shape: [1, y.length], data }];
const lib = { librosa: process.env.LR10 ? "1.0" : "0.11" };
const cqtBase = { sr: 22050, hop_length: 512, fmin: null, n_bins: 252, bins_per_octave: 36, filter_scale: 1, norm: 1, sparsity: 0.01, window: "hann", scale: true, pad_mode: "constant", res_type: "soxr_hq", dtype: "complex64", ...lib };
const ops = {
  estimate_tuning: ["estimate_tuning", { sr: 22050, resolution: 0.01, bins_per_octave: 36, fmin: 150, fmax: 4000, threshold: 0.1, ref: null, n_fft: 2048, hop_length: 512, win_length: 2048, window: "hann", center: true, pad_mode: "constant", ...lib }],
  cqt_given: ["cqt", { ...cqtBase, tuning: 0.0 }],
  chroma_cqt: ["chroma_cqt", { sr: 22050, hop_length: 512, fmin: null, threshold: 0.0, tuning: null, n_chroma: 12, n_octaves: 7, bins_per_octave: 36, norm: Infinity, dtype: "float32", ...lib }],
  chroma_stft: ["chroma_stft", { sr: 22050, n_fft: 2048, hop_length: 512, win_length: 2048, window: "hann", center: true, pad_mode: "constant", tuning: null, n_chroma: 12, ctroct: 5, octwidth: 2, base_c: true, norm: Infinity, dtype: "float32", fb_dtype: "float32", ...lib }],
};
const reps = Number(repsArg ?? 8);
const cpu = async (lib, op, params) => { const c0 = process.cpuUsage(); const r = await lib.callOp(op, params, sig); const c = process.cpuUsage(c0); return [(c.user + c.system) / 1000, r]; };
for (const name of (whichArg ?? "chroma_cqt").split(",")) {
  const [op, params] = ops[name];
  const ta = [], tb = [];
  let ra, rb;
  for (let i = 0; i < reps + 2; i++) {
    const [a, x] = await cpu(A, op, params); const [b, z] = await cpu(B, op, params);
    if (i >= 2) { ta.push(a); tb.push(b); } ra = x; rb = z;
  }
  const med = (t) => [...t].sort((p, q) => p - q)[t.length >> 1];
  const mn = (t) => Math.min(...t);
  let diff = 0, scale = 0;
  for (let k = 0; k < ra.arrays.length; k++) { const u = ra.arrays[k].data, v = rb.arrays[k].data; for (let i = 0; i < u.length; i++) { diff = Math.max(diff, Math.abs(u[i] - v[i])); scale = Math.max(scale, Math.abs(u[i])); } }
  console.log(`${name}: A median ${med(ta).toFixed(1)} min ${mn(ta).toFixed(1)} | B median ${med(tb).toFixed(1)} min ${mn(tb).toFixed(1)} | B/A median ${(med(tb) / med(ta)).toFixed(3)} min ${(mn(tb) / mn(ta)).toFixed(3)} | max|A-B| ${diff.toExponential(2)} (max ${scale.toExponential(2)}) meta A ${JSON.stringify(ra.meta)} B ${JSON.stringify(rb.meta)}`);
}
