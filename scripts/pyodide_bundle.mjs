// The kernels as one classic script for Pyodide's JavaScript realm (python/auralis_dsp/_js/auralis_dsp.js):
// Python reads it and evaluates it synchronously (pyodide.code.run_js), in Node and in browsers alike,
// so nothing may import a Node built-in and no `Buffer` may remain; `process` is the real one where it
// exists (Node), else an empty stand-in (browsers). Calls complete synchronously without any rewriting:
// the entry runs each op's flow with the in-process runner (src/schedule/runner.ts).
import { build } from "esbuild";

/** Builds `entry` (default `${root}src/index.ts`) into `outfile`, a script that leaves the module's exports in `var auralisDsp`. */
export const buildPyodideBundle = async (root, outfile, entry = `${root}src/index.ts`) => {
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "neutral",
    mainFields: ["module", "main"],
    format: "iife",
    globalName: "auralisDsp",
    target: "es2022",
    define: { process: "__auralisProcess" },
    // Node Buffers made at module load (none today) would be dropped when unused.
    pure: ["Buffer.from", "Buffer.alloc"],
    write: false,
    logLevel: "warning",
    banner: {
      js: "// auralis-dsp kernels for Pyodide, built by scripts/pyodide_bundle.mjs.\nvar __auralisProcess = globalThis.process ?? { env: {}, pid: 0 };",
    },
  });
  const { writeFile } = await import("node:fs/promises");
  const [output] = result.outputFiles;
  const text = output.text;
  if (/\bBuffer\./.test(text)) throw new Error("pyodide bundle: Node's Buffer is used; browsers have none");
  if (/\bfrom "node:|\brequire\(/.test(text)) throw new Error("pyodide bundle: a Node built-in is imported; browsers have none");
  await writeFile(output.path, text);
};
