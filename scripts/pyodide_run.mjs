// npm run pyodide -- FILE.py [ARGS...]
// Runs a Python file inside Pyodide under Node, with numpy and auralis_dsp importable, as
// `python FILE.py ARGS...` would: its stdout and stderr are this process's, sys.argv is
// [FILE, ARGS...], the working directory is this one (mounted at the same path), and the exit
// status is the script's (1 after an uncaught exception, with its traceback on stderr).
import { dirname, resolve } from "node:path";
import { mountHostDir, startPyodide } from "./pyodide_env.mjs";

const [file, ...args] = process.argv.slice(2);
if (!file) {
  process.stderr.write("usage: npm run pyodide -- FILE.py [ARGS...]\n");
  process.exit(2);
}
const script = resolve(file);
const cwd = process.cwd();

const pyodide = await startPyodide({
  stdout: (bytes) => process.stdout.write(bytes),
  stderr: (bytes) => process.stderr.write(bytes),
});
mountHostDir(pyodide, cwd);
if (!script.startsWith(`${cwd}/`)) mountHostDir(pyodide, dirname(script));

const run = pyodide.runPython(`
def _run(path, argv, cwd):
    import os, runpy, sys, traceback
    os.chdir(cwd)
    sys.argv = [path, *argv]
    sys.path.insert(0, os.path.dirname(path))
    try:
        runpy.run_path(path, run_name="__main__")
    except SystemExit as stop:
        if stop.code is None or isinstance(stop.code, int):
            return stop.code or 0
        print(stop.code, file=sys.stderr)
        return 1
    except BaseException:
        traceback.print_exc()
        return 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    return 0
_run
`);
const status = run(script, pyodide.toPy(args), cwd);
// Exit once the output is flushed, as Python does, even if the script left JavaScript timers behind.
process.stdout.write("", () => process.stderr.write("", () => process.exit(status)));
