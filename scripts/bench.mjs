// `npm run bench`: set up (idempotent), then the Python benchmark, which times
// auralis_dsp through the bridge against librosa (scripts/bench.py), then the
// Pyodide path against the same kernels called from JavaScript (scripts/pyodide_bench.mjs).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
run("./scripts/setup.sh", []);
run(".venv/bin/python", ["scripts/bench.py", ...process.argv.slice(2)]);
run(process.execPath, ["scripts/pyodide_bench.mjs", ...process.argv.slice(2)]);
