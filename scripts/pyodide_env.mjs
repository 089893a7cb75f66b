// Pyodide under Node with numpy and auralis_dsp importable, offline: shared by `npm run pyodide`,
// the vitest suites and the benchmark.
//   numpy (and micropip, packaging) load from .cache/pyodide-packages/, which
//   scripts/pyodide_packages.py fills and verifies against Pyodide's lock file;
//   auralis_dsp is this tree's python/ (mounted), with the bundle `npm run build` made.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadPyodide } from "pyodide";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const PACKAGE_DIR = `${ROOT}.cache/pyodide-packages/`;
// Explicit: Pyodide's own guess (from a stack trace) fails under test runners that transform modules.
export const PYODIDE_DIR = `${ROOT}node_modules/pyodide/`;
const SOURCE_MOUNT = "/auralis-dsp/python";

/** Mounts host directory `hostDir` at the same path inside Pyodide's file system. */
export const mountHostDir = (pyodide, hostDir, at = hostDir) => {
  pyodide.FS.mkdirTree(at);
  pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: hostDir }, at);
};

/**
 * A fresh Pyodide with numpy loaded. With `source: true` (the default) this
 * tree's python/ is on sys.path, so `import auralis_dsp` finds the package.
 * `stdout`/`stderr` receive raw bytes.
 */
export const startPyodide = async ({ source = true, packages = ["numpy"], stdout, stderr } = {}) => {
  const lock = JSON.parse(readFileSync(`${PYODIDE_DIR}pyodide-lock.json`, "utf8"));
  if (!packages.every((name) => existsSync(`${PACKAGE_DIR}${lock.packages[name].file_name}`))) {
    throw new Error(`${packages.join(", ")} for Pyodide missing from ${PACKAGE_DIR}: run scripts/setup.sh (or python3 scripts/pyodide_packages.py)`);
  }
  const pyodide = await loadPyodide({ indexURL: PYODIDE_DIR, packageCacheDir: PACKAGE_DIR, fullStdLib: false });
  const sink = (write) => (write ? { write: (bytes) => (write(bytes), bytes.length) } : { batched: () => undefined });
  pyodide.setStdout(sink(stdout));
  pyodide.setStderr(sink(stderr));
  await pyodide.loadPackage(packages, { messageCallback: () => undefined });
  if (source) {
    if (!existsSync(`${ROOT}python/auralis_dsp/_js/auralis_dsp.js`)) throw new Error("python/auralis_dsp/_js/auralis_dsp.js is missing: run npm run build");
    mountHostDir(pyodide, `${ROOT}python`, SOURCE_MOUNT);
    pyodide.runPython(`import sys; sys.path.insert(0, ${JSON.stringify(SOURCE_MOUNT)})`);
  }
  return pyodide;
};
