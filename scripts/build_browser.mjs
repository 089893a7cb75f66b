// The package as one ES module for browsers and other runtimes without Node (dist/browser/auralis-dsp.mjs):
// src/index.ts with every dependency inlined (ndarray included), platform neutral, no Node built-ins,
// no imports left. `import { stft } from "./auralis-dsp.mjs"` in a <script type="module"> works as is.
// Unlike the Pyodide script (scripts/pyodide_bundle.mjs) async functions stay native: callers await them.
// usage: node scripts/build_browser.mjs [OUTFILE]   (part of npm run build)
import { build } from "esbuild";
import { readFile } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";

/** Builds `${root}src/index.ts` into `outfile`, an ES module; throws if Node built-ins or imports remain. */
export const buildBrowserModule = async (root, outfile) => {
  await build({
    entryPoints: [`${root}src/index.ts`],
    outfile,
    bundle: true,
    platform: "neutral",
    mainFields: ["module", "main"],
    format: "esm",
    target: "es2022",
    define: { process: "__auralisProcess" },
    // As in the Pyodide script: Node Buffers made at module load (none today) would be dropped when unused.
    pure: ["Buffer.from", "Buffer.alloc"],
    logLevel: "warning",
    banner: { js: "// auralis-dsp as an ES module for browsers, built by scripts/build_browser.mjs.\nvar __auralisProcess = globalThis.process ?? { env: {}, pid: 0 };" },
  });
  const text = await readFile(outfile, "utf8");
  if (/\bBuffer\./.test(text)) throw new Error("browser build: Node's Buffer is used; browsers have none");
  if (/^\s*import\s[^(]/m.test(text) || /\brequire\(/.test(text)) throw new Error("browser build: an import or require() is left; every dependency must be inlined");
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const outfile = process.argv[2] ?? `${root}dist/browser/auralis-dsp.mjs`;
  await buildBrowserModule(root, outfile);
  console.log(`browser module: ${outfile}`);
}
