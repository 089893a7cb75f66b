#!/usr/bin/env node
/**
 * FFT benchmark: our RealFft (src/fft; its WebAssembly path and its TypeScript engine)
 * against fft.js and numpy.fft, single thread.
 *
 *   node scripts/bench_fft.mjs [--quick]
 *
 * Bundles src/fft with esbuild to a temporary file (no TS runtime needed), checks
 * that the implementations agree, then prints ns per transform and the
 * ratios. numpy's figures come from .venv/bin/python (batch rfft/irfft over many
 * frames divided by the frame count) and are skipped if that interpreter is absent.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
import FFT from "fft.js";

const root = resolve(fileURLToPath(new URL(".", import.meta.url)), "..");
const SIZES = [512, 1024, 2048, 4096, 8192, 3000];
const quick = process.argv.includes("--quick");
const BATCH_MS = quick ? 10 : 25;
const ROUNDS = quick ? 3 : 7;
const WARMUP_MS = 50;

const loadKernels = async () => {
  const dir = mkdtempSync(join(tmpdir(), "bench-fft-"));
  const outfile = join(dir, "fft.mjs");
  try {
    await build({
      stdin: { contents: 'export * from "./src/fft/index.ts";', resolveDir: root, loader: "ts" },
      bundle: true,
      format: "esm",
      platform: "node",
      outfile,
      logLevel: "error",
    });
    return await import(pathToFileURL(outfile).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

/**
 * ns per call of each function in `cases`: after a warm-up and a run that sizes a batch to
 * about BATCH_MS, the cases are timed in turn for ROUNDS rounds and each keeps its
 * fastest batch. Interleaving plus the minimum keeps the comparison fair on a
 * machine whose other cores (and this one) are busy with other work.
 */
const timeNs = (cases) => {
  // Let the JIT reach its optimizing tier before anything is calibrated.
  for (const run of cases) {
    const end = performance.now() + WARMUP_MS;
    while (performance.now() < end) for (let i = 0; i < 16; i++) run();
  }
  const perBatch = cases.map((run) => {
    let reps = 1;
    let elapsed = 0;
    while (elapsed < BATCH_MS / 4) {
      reps *= 2;
      const start = performance.now();
      for (let i = 0; i < reps; i++) run();
      elapsed = performance.now() - start;
    }
    return Math.max(1, Math.round((reps * BATCH_MS) / elapsed));
  });
  const best = cases.map(() => Infinity);
  for (let round = 0; round < ROUNDS; round++) {
    cases.forEach((run, c) => {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < perBatch[c]; i++) run();
      best[c] = Math.min(best[c], Number(process.hrtime.bigint() - t0) / perBatch[c]);
    });
  }
  return best;
};

const randomSignal = (n) => Float64Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) + ((i * 7919) % 101) / 101 - 0.5);

/** fft.js counterparts of rfft / irfft (irfft needs the full Hermitian spectrum and a complex inverse). */
const fftJsCase = (n) => {
  const fft = new FFT(n);
  // Typed arrays rather than fft.js's createComplexArray() (plain Arrays): faster, and what we would use.
  const full = new Float64Array(2 * n);
  const complexOut = new Float64Array(2 * n);
  const real = new Float64Array(n);
  return {
    forward: (input, out) => {
      fft.realTransform(full, input);
      out.set(full.subarray(0, n + 2));
    },
    inverse: (spectrum, out) => {
      full.set(spectrum.subarray(0, n + 2));
      for (let k = 1; k < n / 2; k++) {
        full[2 * (n - k)] = spectrum[2 * k];
        full[2 * (n - k) + 1] = -spectrum[2 * k + 1];
      }
      full[1] = 0;
      full[n + 1] = 0;
      fft.inverseTransform(complexOut, full);
      for (let i = 0; i < n; i++) real[i] = complexOut[2 * i];
      out.set(real);
    },
  };
};

const numpyTimes = () => {
  const python = join(root, ".venv/bin/python");
  if (!existsSync(python)) return null;
  const code = `
import json, sys, timeit
import numpy as np
out = {}
for n in ${JSON.stringify(SIZES)}:
    frames = max(64, 2**21 // n)
    x = np.random.default_rng(0).standard_normal((frames, n))
    s = np.fft.rfft(x, axis=-1)
    f = min(timeit.repeat(lambda: np.fft.rfft(x, axis=-1), number=1, repeat=${quick ? 3 : 9})) / frames
    i = min(timeit.repeat(lambda: np.fft.irfft(s, n, axis=-1), number=1, repeat=${quick ? 3 : 9})) / frames
    out[n] = [f * 1e9, i * 1e9]
print(json.dumps({"numpy": np.__version__, "times": out}))
`;
  return JSON.parse(execFileSync(python, ["-c", code], { encoding: "utf8" }));
};

const maxRelDiff = (a, b) => {
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return worst / scale;
};

const { createRealFft, createScalarRealFft } = await loadKernels();
const numpy = numpyTimes();
const fmt = (v) => (v === undefined ? "n/a" : v.toFixed(0));
const ratio = (a, b) => (a === undefined || b === undefined ? "n/a" : (a / b).toFixed(2));

const rows = [];
for (const n of SIZES) {
  const x = randomSignal(n);
  const spectrum = new Float64Array(n + 2);
  const back = new Float64Array(n);
  const ours = createRealFft(n);
  const scalar = createScalarRealFft(n);
  ours.forward(x, 0, spectrum);
  const check = new Float64Array(n + 2);
  scalar.forward(x, 0, check);
  const diff = maxRelDiff(check, spectrum);
  if (!(diff < 1e-14)) throw new Error(`RealFft and its TypeScript engine disagree at n=${n}: ${diff}`);
  const cases = [
    () => ours.forward(x, 0, spectrum),
    () => scalar.forward(x, 0, check),
    () => ours.inverse(spectrum, 0, back, 0),
    () => scalar.inverse(spectrum, 0, back, 0),
  ];
  const row = { n };
  if ((n & (n - 1)) === 0) {
    const baseline = fftJsCase(n);
    baseline.forward(x, check);
    const fftJsDiff = maxRelDiff(check, spectrum);
    if (!(fftJsDiff < 1e-12)) throw new Error(`fft.js and RealFft disagree at n=${n}: ${fftJsDiff}`);
    [row.oursFwd, row.tsFwd, row.oursInv, row.tsInv, row.fftjsFwd, row.fftjsInv] = timeNs([
      ...cases,
      () => baseline.forward(x, check),
      () => baseline.inverse(spectrum, back),
    ]);
  } else {
    [row.oursFwd, row.tsFwd, row.oursInv, row.tsInv] = timeNs(cases);
  }
  if (numpy) [row.npFwd, row.npInv] = numpy.times[n];
  rows.push(row);
}

console.log(`node ${process.version}, ${numpy ? `numpy ${numpy.numpy}` : "numpy not found (.venv)"}; ns per transform, fastest of ${ROUNDS} interleaved batches`);
console.log("RealFft = createRealFft (WebAssembly SIMD for powers of two); TS = createScalarRealFft (the TypeScript engine)");
console.log("| n | RealFft fwd | TS fwd | fft.js fwd | numpy rfft | RealFft inv | TS inv | fft.js inv | numpy irfft | RealFft/numpy fwd | RealFft/numpy inv |");
console.log("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const r of rows) {
  console.log(
    `| ${r.n} | ${fmt(r.oursFwd)} | ${fmt(r.tsFwd)} | ${fmt(r.fftjsFwd)} | ${fmt(r.npFwd)} | ${fmt(r.oursInv)} | ${fmt(r.tsInv)} | ${fmt(r.fftjsInv)} | ${fmt(r.npInv)} | ` +
      `${ratio(r.oursFwd, r.npFwd)} | ${ratio(r.oursInv, r.npInv)} |`,
  );
}
