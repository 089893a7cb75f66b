// `npm run bench`: set up (idempotent), then the Python benchmark, which times
// auralis_dsp through the bridge against librosa (scripts/bench.py), then pyin on
// real music beside librosa 1.0.1 (scripts/bench_pyin.py: 30 s and 180 s at 22050
// and 44100 Hz, warm and cold), then the Pyodide path against the same kernels
// called from JavaScript (scripts/pyodide_bench.mjs).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
run("./scripts/setup.sh", ["--lr10"]);
run(".venv/bin/python", ["scripts/bench.py", ...process.argv.slice(2)]);
run(".venv-lr10/bin/python", ["scripts/bench_pyin.py", "--seconds", "30,180"]);
run(process.execPath, ["scripts/pyodide_bench.mjs", ...process.argv.slice(2)]);
