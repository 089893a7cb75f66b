// The Pyodide path against the same kernels called directly from JavaScript, on W1 (real music at
// 22050 Hz, as scripts/bench.py loads it). Part of `npm run bench`; alone:
//   node scripts/pyodide_bench.mjs [--seconds 180] [--repeat 5] [--only yin,stft]
// Each function: the Python shim inside Pyodide (Node), timed from the Python call to the returned
// numpy array, and `callOp` of dist/index.js (in-process, no worker pool) with the very op, params
// and arrays the shim sent; one untimed call per side, then both alternately; medians and their ratio.
// Prints a Markdown table for docs/benchmarks.md ("## Pyodide").
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { ROOT, mountHostDir, startPyodide } from "./pyodide_env.mjs";

const { values } = parseArgs({
  options: { seconds: { type: "string", default: "180" }, repeat: { type: "string", default: "5" }, only: { type: "string" } },
  strict: false,
});
const seconds = Number(values.seconds);
const repeat = Number(values.repeat);
const wanted = values.only ? new Set(String(values.only).split(",")) : undefined;

// W1 exactly as scripts/bench.py makes it, saved where Pyodide can read it.
mkdirSync(`${ROOT}.cache/bench`, { recursive: true });
const w1 = `${ROOT}.cache/bench/w1-${seconds}s.npy`;
const load = spawnSync(
  `${ROOT}.venv/bin/python`,
  ["-c", `import sys, numpy as np; sys.path.insert(0, "scripts"); import bench; y, src = bench.load_music(22050, ${seconds}); np.save(${JSON.stringify(w1)}, np.ascontiguousarray(y, np.float32)); print(src)`],
  { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
);
if (load.status !== 0) process.exit(load.status ?? 1);
const source = load.stdout.trim();

const { callOp } = await import(`${ROOT}dist/index.js`);
const { DTYPE_LAYOUTS } = await import(`${ROOT}dist/bridge/dtypes.js`);
const { decodeNonFinite } = await import(`${ROOT}dist/bridge/wireJson.js`);
const pyodide = await startPyodide();
mountHostDir(pyodide, `${ROOT}.cache/bench`);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Python side: each workload as in scripts/bench.py, and a recorder of the one backend call it makes.
pyodide.runPython(`
import time, warnings
import numpy as np
import auralis_dsp
from auralis_dsp import _backend

y = np.load(${JSON.stringify(w1)})
sr = 22050
D = auralis_dsp.stft(y)
WORKLOADS = {
    "stft": lambda: auralis_dsp.stft(y),
    "istft": lambda: auralis_dsp.istft(D, length=len(y)),
    "effects.hpss": lambda: auralis_dsp.hpss(y),
    "yin": lambda: auralis_dsp.yin(y, fmin=50, fmax=2000, sr=sr),
    "feature.chroma_cqt": lambda: auralis_dsp.chroma_cqt(y=y, sr=sr),
}
_direct = _backend._call
recorded = []

def _recording(op, params, arrays):
    recorded.append((op, params, arrays))
    return _direct(op, params, arrays)

def record(name):
    """Runs workload name once (untimed), returning the backend request it made."""
    recorded.clear()
    _backend._call = _recording
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            WORKLOADS[name]()
    finally:
        _backend._call = _direct
    (request,) = recorded
    return request

def timed(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        WORKLOADS[name]()
        return time.perf_counter() - start
`);

/** The backend request Python made, as callOp's arguments (arrays copied into JavaScript memory). */
const jsRequest = (name) => {
  const request = pyodide.runPython(`
import json
from auralis_dsp._backend.node import _WIRE_NAMES, _to_wire_json
op, params, arrays = record(${JSON.stringify(name)})
wire = {k: np.ascontiguousarray(v) for k, v in arrays.items()}
(op, json.dumps(_to_wire_json(dict(params))), [(k, _WIRE_NAMES[v.dtype.newbyteorder("<")], list(v.shape), v.reshape(-1).view(np.uint8)) for k, v in wire.items()])
`);
  const [op, paramsJson, arrays] = request.toJs({ depth: 1 });
  const decoded = arrays.map((entry) => {
    const [arrayName, dtype, shape, bytesProxy] = entry.toJs({ depth: 1 });
    const bytes = bytesProxy.getBuffer("u8").data.slice();
    const { itemSize, lanes, view } = DTYPE_LAYOUTS[dtype];
    return { name: arrayName, dtype, shape: shape.toJs(), data: view(bytes.buffer, 0, (bytes.length / itemSize) * lanes) };
  });
  request.destroy();
  return { op, params: decodeNonFinite(JSON.parse(paramsJson)), arrays: decoded };
};

const timePython = pyodide.globals.get("timed");
console.log(`# Pyodide ${pyodide.version} (Node ${process.version}), numpy ${pyodide.runPython("np.__version__")}; W1: ${source}, ${seconds} s at 22050 Hz; medians of ${repeat}`);
console.log("\n| workload | call | JS direct (s) | Pyodide (s) | Pyodide / JS |");
console.log("| --- | --- | ---: | ---: | ---: |");
for (const name of ["stft", "istft", "effects.hpss", "yin", "feature.chroma_cqt"]) {
  if (wanted && !wanted.has(name)) continue;
  try {
    const { op, params, arrays } = jsRequest(name); // also the Pyodide side's untimed call
    const js = async () => {
      const start = performance.now();
      await callOp(op, params, arrays);
      return (performance.now() - start) / 1000;
    };
    await js();
    const tJs = [];
    const tPy = [];
    for (let i = 0; i < repeat; i++) {
      tJs.push(await js());
      tPy.push(timePython(name));
    }
    const [a, b] = [median(tJs), median(tPy)];
    console.log(`| W1 (22050 Hz) | ${name} | ${a.toFixed(3)} | ${b.toFixed(3)} | ${(b / a).toFixed(2)}x |`);
  } catch (error) {
    console.log(`| W1 (22050 Hz) | ${name} | failed: ${String(error.message ?? error).split("\n")[0]} | | |`);
  }
}
process.exit(0);
