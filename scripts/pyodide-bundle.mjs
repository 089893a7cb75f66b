// The kernels as one classic script for Pyodide's JavaScript realm (python/auralis_dsp/_js/auralis_dsp.js):
// Python reads it and evaluates it synchronously (pyodide.code.run_js), in Node and in browsers alike,
// so nothing may import a Node built-in, and async ops must finish without the event loop:
//   - async functions are lowered to generators and esbuild's `__async` helper is replaced by
//     src/bridge/syncAsync.ts's driveAsync (reached through a well-known symbol);
//   - `node:timers/promises` (the debug sleep op) gets a setTimeout stand-in, `process` the real
//     one where it exists (Node), else an empty stand-in (browsers); no `Buffer` may remain.
import { build } from "esbuild";

const ASYNC_HELPER = /^( *)var __async = \(__this, __arguments, generator\) => \{\n[\s\S]*?\n\1\};\n/m;
const DRIVEN_HELPER =
  '$1var __async = (__this, __arguments, generator) => globalThis[Symbol.for("auralis-dsp.driveAsync")](__this, __arguments, generator);\n';

export const browserStandIns = {
  name: "browser-stand-ins",
  setup(b) {
    b.onResolve({ filter: /^node:timers\/promises$/ }, () => ({ path: "timers-promises", namespace: "stand-in" }));
    b.onLoad({ filter: /^timers-promises$/, namespace: "stand-in" }, () => ({
      contents: "export const setTimeout = (ms, value) => new Promise((resolve) => globalThis.setTimeout(() => resolve(value), ms));",
      loader: "js",
    }));
  },
};

/** Builds `${root}src/index.ts` into `outfile`, a script that leaves the module's exports in `var auralisDsp`. */
export const buildPyodideBundle = async (root, outfile) => {
  const result = await build({
    entryPoints: [`${root}src/index.ts`],
    outfile,
    bundle: true,
    platform: "neutral",
    mainFields: ["module", "main"],
    format: "iife",
    globalName: "auralisDsp",
    target: "es2022",
    supported: { "async-await": false },
    plugins: [browserStandIns],
    define: { process: "__auralisProcess" },
    // The frame codec (reached through the debug ops' PROTOCOL_VERSION) makes Node Buffers at load;
    // marked pure, the unused ones are dropped and no browser meets `Buffer`.
    pure: ["Buffer.from", "Buffer.alloc"],
    write: false,
    logLevel: "warning",
    banner: {
      js: "// auralis-dsp kernels for Pyodide, built by scripts/pyodide-bundle.mjs.\nvar __auralisProcess = globalThis.process ?? { env: {}, pid: 0 };",
    },
  });
  const { writeFile } = await import("node:fs/promises");
  const [output] = result.outputFiles;
  let text = output.text;
  if (!ASYNC_HELPER.test(text)) throw new Error("pyodide bundle: esbuild's __async helper was not found; update scripts/pyodide-bundle.mjs");
  text = text.replace(ASYNC_HELPER, DRIVEN_HELPER);
  if (/\bBuffer\./.test(text)) throw new Error("pyodide bundle: Node's Buffer is used; browsers have none");
  await writeFile(output.path, text);
};
