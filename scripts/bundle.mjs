// Bundles the kernels for the Python distribution (python/auralis_dsp/_js/, build output):
//   server.mjs       the stdio server and pool-worker entry, for CPython (src/bridge/server.ts)
//   auralis_dsp.js   the public JS API as a classic script for Pyodide (src/index.ts; scripts/pyodide_bundle.mjs)
// Every dependency is inlined, so the wheel needs nothing but a Node >= 20 binary.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import { buildPyodideBundle } from "./pyodide_bundle.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const outdir = `${root}python/auralis_dsp/_js`;

await build({
  entryPoints: [`${root}src/bridge/server.ts`],
  outfile: `${outdir}/server.mjs`,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // CommonJS dependencies that call require() need a real one inside an ES module.
  banner: { js: 'import { createRequire as __auralisCreateRequire } from "node:module"; const require = __auralisCreateRequire(import.meta.url);' },
  logLevel: "warning",
});

await buildPyodideBundle(root, `${outdir}/auralis_dsp.js`);
console.log(`bundled into ${outdir}`);
