// Times the HPSS median filters on a 1025 x 7752 float64 matrix (3 minutes at
// 22050 Hz, n_fft 2048, hop 512), single thread, against
// scipy.ndimage.median_filter on the same data in the parity venv.
//
//   node scripts/bench_hpss_median.mjs [--sizes 17,31,64] [--reps 3] [--no-scipy]
//
// Also times the mask pass, and two alternatives the kernels were chosen over:
// one line at a time with a memmove (copyWithin) window update instead of two
// lines with the element shift, and a full transpose + row filter + transpose
// back instead of blocked columns.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : process.argv[i + 1];
};
const sizes = arg("sizes", "31").split(",").map(Number);
const reps = Number(arg("reps", "3"));
const withScipy = !process.argv.includes("--no-scipy");

const work = mkdtempSync(join(tmpdir(), "bench-hpss-"));
const bundle = join(work, "hpss.mjs");
await build({ entryPoints: [join(root, "src/hpss/index.ts")], bundle: true, format: "esm", platform: "node", outfile: bundle, logLevel: "error" });
const { medianFilterRows, medianFilterColumns, transpose, reflectIndex, hpssMasks } = await import(pathToFileURL(bundle).href);

const nFreq = 1025;
const nTime = 7752;
// |complex Gaussian| with a falling spectral envelope: spectrogram-like magnitudes.
const mag = new Float64Array(nFreq * nTime);
let seed = 12345;
const uniform = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
for (let f = 0; f < nFreq; f++) {
  const envelope = 1 / (1 + f / 20);
  for (let t = 0; t < nTime; t++) {
    const re = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    const im = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    mag[f * nTime + t] = envelope * Math.hypot(re, im);
  }
}

/** The alternative window update: binary-search both places, memmove between them. */
const slidingMedianMemmove = (ext, n, size, window, out, outStart) => {
  for (let k = 0; k < size; k++) window[k] = ext[k];
  window.sort();
  const rank = size >> 1;
  for (let i = 0; ; i++) {
    out[outStart + i] = window[rank];
    if (i === n - 1) return;
    const leaving = ext[i];
    const entering = ext[i + size];
    if (leaving === entering) continue;
    let lo = 0;
    let hi = size - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (window[mid] < leaving) lo = mid + 1;
      else hi = mid;
    }
    const p = lo;
    if (entering > leaving) {
      hi = size;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (window[mid] < entering) lo = mid + 1;
        else hi = mid;
      }
      window.copyWithin(p, p + 1, lo);
      window[lo - 1] = entering;
    } else {
      lo = 0;
      hi = p;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (window[mid] <= entering) lo = mid + 1;
        else hi = mid;
      }
      window.copyWithin(lo + 1, lo, p);
      window[lo] = entering;
    }
  }
};
const rowsMemmove = (src, rows, cols, size, dst) => {
  const half = size >> 1;
  const ext = new Float64Array(cols + size - 1);
  const window = new Float64Array(size);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < ext.length; k++) ext[k] = src[r * cols + reflectIndex(k - half, cols)];
    slidingMedianMemmove(ext, cols, size, window, dst, r * cols);
  }
};

const out = new Float64Array(mag.length);
const check = new Float64Array(mag.length);
const scratchT = new Float64Array(mag.length);
const scratchT2 = new Float64Array(mag.length);
const time = (fn) => {
  const times = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
};
const ms = (x) => `${x.toFixed(0)} ms`;

const results = {};
for (const size of sizes) {
  const harm = time(() => medianFilterRows(mag, nFreq, nTime, size, out));
  const harmMemmove = time(() => rowsMemmove(mag, nFreq, nTime, size, check));
  if (check.some((v, i) => v !== out[i])) throw new Error("memmove variant disagrees");
  const perc = time(() => medianFilterColumns(mag, nFreq, nTime, size, out));
  const percTransposed = time(() => {
    transpose(mag, nFreq, nTime, scratchT);
    medianFilterRows(scratchT, nTime, nFreq, size, scratchT2);
    transpose(scratchT2, nTime, nFreq, check);
  });
  if (check.some((v, i) => v !== out[i])) throw new Error("transposed variant disagrees");
  results[size] = { harm, perc };
  console.log(
    `size ${size}: along time (rows) ${ms(harm)} [one line at a time, memmove update: ${ms(harmMemmove)}]; ` +
      `along freq (blocked columns) ${ms(perc)} [transpose+rows+transpose ${ms(percTransposed)}]  (median of ${reps}, one thread)`,
  );
}

// The element-wise mask pass that follows the medians, for scale (power 2, margin 1, both precisions).
for (const precision of ["float64", "float32"]) {
  medianFilterRows(mag, nFreq, nTime, 31, out);
  medianFilterColumns(mag, nFreq, nTime, 31, check);
  const params = { winHarm: 31, winPerc: 31, power: 2, marginHarm: 1, marginPerc: 1, precision };
  console.log(`masks (${precision}, power 2): ${ms(time(() => hpssMasks(out, check, params, scratchT, scratchT2)))}`);
}

if (withScipy) {
  const file = join(work, "mag.f64");
  writeFileSync(file, new Uint8Array(mag.buffer));
  const python = join(root, ".venv/bin/python");
  const code = `
import sys, time, numpy as np
from scipy.ndimage import median_filter
S = np.fromfile(sys.argv[1], dtype=np.float64).reshape(${nFreq}, ${nTime})
for size in [${sizes.join(",")}]:
    for axis, shape in (("time", (1, size)), ("freq", (size, 1))):
        t0 = time.perf_counter(); median_filter(S, size=shape, mode="reflect"); dt = time.perf_counter() - t0
        print(f"{size} {axis} {dt * 1000:.0f}")
`;
  const lines = execFileSync(python, ["-c", code, file], { encoding: "utf8" }).trim().split("\n");
  for (const line of lines) {
    const [size, axis, scipyMs] = line.split(" ");
    const ours = axis === "time" ? results[size].harm : results[size].perc;
    console.log(`size ${size} along ${axis}: scipy ${scipyMs} ms, ours ${ms(ours)}, ${(Number(scipyMs) / ours).toFixed(1)}x`);
  }
}
rmSync(work, { recursive: true, force: true });
