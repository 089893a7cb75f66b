// The Python package inside Pyodide (under Node): the shims on the fixtures against librosa's
// outputs, the CPython suites' ParameterError cases, kernel faults as Python exceptions, every
// dtype across the FFI, and the wheel installed by micropip. Python-side checks live in
// test/pyodide/*.py. Needs `npm run build` and scripts/pyodide_packages.py (scripts/setup.sh).
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, mountHostDir, startPyodide } from "../scripts/pyodide_env.mjs";
import { createPyodideCall } from "../src/bridge/pyodide.js";
import { debugOps } from "../src/ops/debug.js";
import { publicOps } from "../src/ops/index.js";

interface Check {
  label: string;
  ok: boolean;
  detail: string;
  suite?: string;
}

type Pyodide = Awaited<ReturnType<typeof startPyodide>>;

let pyodide: Pyodide;

/** Runs Python `code` whose last expression is JSON text, and parses it. */
const pyJson = <T>(code: string): T => JSON.parse(pyodide.runPython(code) as string) as T;

beforeAll(async () => {
  pyodide = await startPyodide();
  mountHostDir(pyodide, `${ROOT}fixtures`);
  mountHostDir(pyodide, `${ROOT}test/pyodide`);
  pyodide.runPython(`import sys, auralis_dsp; sys.path.insert(0, ${JSON.stringify(`${ROOT}test/pyodide`)})`);
  // The bundle has no debug ops (echo, raise, sleep, ...): the Pyodide entry over the debug table, from the
  // sources, answers those; every other op still goes to the bundle.
  const debugTable = debugOps({ protocolVersion: 1, ops: () => [] });
  pyodide.globals.set("_auralis_debug_call", createPyodideCall({ ...publicOps, ...debugTable }));
  pyodide.runPython(`
from auralis_dsp._backend import pyodide as _p
_bundle_call = _p._pyodide_call
_debug_ops = set(${JSON.stringify(Object.keys(debugTable))})
_p._pyodide_call = lambda op, *rest: (_auralis_debug_call if op in _debug_ops else _bundle_call)(op, *rest)
`);
});

describe("Pyodide: the shims against librosa's outputs on the fixtures", () => {
  let checks: Check[] = [];
  beforeAll(() => {
    checks = pyJson<Check[]>(`import json, fixture_parity; json.dumps(fixture_parity.check_all(${JSON.stringify(`${ROOT}fixtures`)}))`);
  });
  it.each([
    ["compat", "librosa 1.0 semantics by default", 1],
    ["spectrum", "stft/istft", 100],
    ["hpss", "decompose.hpss", 20],
    ["yin", "yin", 5],
    ["cqt", "estimate_tuning, cqt, chroma_cqt", 15],
  ])("%s (%s) within the CPython tolerances", (suite, _ops, atLeast) => {
    const mine = checks.filter((c) => c.suite === suite);
    expect(mine.length).toBeGreaterThanOrEqual(atLeast);
    expect(mine.filter((c) => !c.ok).map((c) => `${c.label}: ${c.detail}`)).toEqual([]);
  });
});

describe("Pyodide: bad input and faults", () => {
  it("raises ParameterError as CPython does and BridgeError with the JavaScript message, promptly", () => {
    const checks = pyJson<Check[]>("import json, bad_input; json.dumps(bad_input.check_all())");
    expect(checks.length).toBeGreaterThan(25);
    expect(checks.filter((c) => !c.ok).map((c) => `${c.label}: ${c.detail}`)).toEqual([]);
  });
});

describe("Pyodide: the bundle", () => {
  it("has every public op and no debug op, and is browser-safe (no Node built-ins, Buffer or require)", () => {
    const inPyodide = JSON.parse(pyodide.runPython("import json; from auralis_dsp._backend import pyodide as p; json.dumps(list(p._kernels.listOps()))") as string);
    expect(inPyodide).toEqual(Object.keys(publicOps).sort());
    expect(inPyodide).not.toContain("echo");
    const bundle = readFileSync(`${ROOT}python/auralis_dsp/_js/auralis_dsp.js`, "utf8");
    expect(bundle).not.toMatch(/\bfrom "node:|\brequire\(|\bBuffer\./);
  });
});

describe("Pyodide: arrays across the FFI", () => {
  it("every wire dtype and shape comes back equal (echo), as a copy independent of the input", () => {
    const failures = pyJson<string[]>(`
import json
import numpy as np
from auralis_dsp import _backend
failures = []
rng = np.random.default_rng(7)
for dtype in ("float32", "float64", "complex64", "complex128", "int32", "int64", "uint8", "bool"):
    for shape in ((), (0,), (5,), (3, 4), (2, 0, 3)):
        x = (rng.standard_normal(shape) * 100).astype(dtype)
        if np.iscomplexobj(x):
            x = x + 1j * rng.standard_normal(shape).astype(x.real.dtype)
        meta, out = _backend.call("echo", {"k": float("inf")}, {"x": x, "y": x[..., ::-1] if x.ndim else x})
        got = out["x"]
        if got.dtype != x.dtype or got.shape != x.shape or not np.array_equal(got, x):
            failures.append(f"{dtype}{shape}: {got.dtype}{got.shape}")
        if not np.array_equal(out["y"], x[..., ::-1] if x.ndim else x):
            failures.append(f"{dtype}{shape}: strided input")
        if got.size and np.shares_memory(got, x):
            failures.append(f"{dtype}{shape}: shares memory with the input")
        if meta["params"]["k"] != float("inf"):
            failures.append(f"meta {meta}")
json.dumps(failures)
`);
    expect(failures).toEqual([]);
  });

  it("multichannel input keeps librosa's leading axes and equals the channels done one by one", () => {
    const failures = pyJson<string[]>(`
import json
import numpy as np
import auralis_dsp
sr = 22050
t = np.arange(sr) / sr
y = np.stack([np.sin(2 * np.pi * f * t) for f in (220.0, 330.0, 440.0, 550.0, 660.0, 770.0)]).reshape(2, 3, sr).astype(np.float32)
failures = []
for name, fn in (("yin", lambda x: auralis_dsp.yin(x, fmin=80, fmax=1000)),
                 # tuning given: librosa estimates it from all channels at once
                 ("chroma_cqt", lambda x: auralis_dsp.chroma_cqt(y=x, sr=sr, tuning=0.0)),
                 ("effects.hpss", lambda x: auralis_dsp.effects.hpss(x)[0])):
    whole = fn(y)
    single = fn(y[1, 2])
    if whole.shape[:2] != (2, 3) or whole.shape[2:] != single.shape or whole.dtype != single.dtype:
        failures.append(f"{name}: {whole.shape} {whole.dtype} vs {single.shape} {single.dtype}")
    elif not np.allclose(whole[1, 2], single, rtol=1e-6, atol=1e-6):
        failures.append(f"{name}: channel differs")
json.dumps(failures)
`);
    expect(failures).toEqual([]);
  });
});

describe("Pyodide: the wheel", () => {
  it("micropip installs the wheel of scripts/build_wheel.sh and its shims run", async () => {
    const wheels = existsSync(`${ROOT}.cache/wheels`) ? readdirSync(`${ROOT}.cache/wheels`).filter((f) => f.endsWith("-py3-none-any.whl")) : [];
    if (wheels.length === 0) execFileSync(`${ROOT}scripts/build_wheel.sh`, { stdio: "ignore" });
    const wheel = readdirSync(`${ROOT}.cache/wheels`).find((f) => f.startsWith("auralis_dsp-") && f.endsWith("-py3-none-any.whl"))!;
    const fresh = await startPyodide({ source: false, packages: ["numpy", "micropip"] });
    fresh.FS.writeFile(`/tmp/${wheel}`, readFileSync(`${ROOT}.cache/wheels/${wheel}`));
    await fresh.runPythonAsync(`import micropip; await micropip.install("emfs:/tmp/${wheel}")`);
    const result = JSON.parse(
      fresh.runPython(`
import json
import numpy as np
import auralis_dsp
sr = 22050
y = np.sin(2 * np.pi * 261.63 * np.arange(sr) / sr)
f0 = auralis_dsp.yin(y, fmin=80, fmax=1000, sr=sr)
chroma = auralis_dsp.chroma_cqt(y=y, sr=sr)
json.dumps({"file": auralis_dsp.__file__, "f0": float(np.median(f0)), "pitch_class": int(np.argmax(chroma.mean(axis=1)))})
`) as string,
    ) as { file: string; f0: number; pitch_class: number };
    expect(result.file).toContain("site-packages/auralis_dsp/");
    expect(result.f0).toBeCloseTo(261.63, 0);
    expect(result.pitch_class).toBe(0); // C
  });
});
