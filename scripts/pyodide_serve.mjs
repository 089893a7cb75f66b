// Serves the demo page (web/) on localhost, everything from this tree, nothing from the internet:
//   /            web/
//   /pyodide/    node_modules/pyodide/, then .cache/pyodide-packages/ (numpy, micropip, packaging:
//                where Pyodide's lock file expects them, next to the runtime)
//   /wheels/     .cache/wheels/ (scripts/build_wheel.sh), and /wheels/index.json listing its wheels
// usage: node scripts/pyodide_serve.mjs [PORT]   (npm run web), then open the printed address.
import { createReadStream, existsSync, readdirSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, normalize } from "node:path";
import { pathToFileURL } from "node:url";
import { PACKAGE_DIR, PYODIDE_DIR, ROOT } from "./pyodide_env.mjs";

const WHEEL_DIR = `${ROOT}.cache/wheels/`;
const ROUTES = [
  ["/pyodide/", [PYODIDE_DIR, PACKAGE_DIR]],
  ["/wheels/", [WHEEL_DIR]],
  ["/", [`${ROOT}web/`]],
];
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".mjs": "text/javascript",
  ".js": "text/javascript",
  ".json": "application/json",
  ".py": "text/x-python; charset=utf-8",
  ".wasm": "application/wasm",
  ".zip": "application/zip",
  ".whl": "application/zip",
  ".png": "image/png",
};

const findFile = (path) => {
  for (const [prefix, dirs] of ROUTES) {
    if (!path.startsWith(prefix)) continue;
    const rest = normalize(path.slice(prefix.length) || "index.html");
    if (rest.startsWith("..")) return undefined;
    for (const dir of dirs) {
      const file = join(dir, rest);
      if (existsSync(file) && statSync(file).isFile()) return file;
    }
    return undefined;
  }
  return undefined;
};

/** Starts the server on `port` (0: any free port); resolves to its address and a close function. */
export const serveDemo = (port = 0) =>
  new Promise((resolve) => {
    const server = createServer((request, response) => {
      const path = decodeURIComponent(new URL(request.url, "http://localhost").pathname);
      if (path === "/wheels/index.json") {
        const wheels = existsSync(WHEEL_DIR) ? readdirSync(WHEEL_DIR).filter((f) => f.endsWith("-py3-none-any.whl")) : [];
        response.writeHead(200, { "content-type": TYPES[".json"], "cache-control": "no-store" });
        response.end(JSON.stringify(wheels));
        return;
      }
      const file = findFile(path);
      if (!file) {
        response.writeHead(404, { "content-type": "text/plain" });
        response.end(`not found: ${path}\n`);
        return;
      }
      response.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-store" });
      createReadStream(file).pipe(response);
    });
    server.listen(port, "127.0.0.1", () => {
      const url = `http://127.0.0.1:${server.address().port}/`;
      resolve({ url, close: () => new Promise((done) => server.close(done)) });
    });
  });

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { url } = await serveDemo(Number(process.argv[2] ?? 8765));
  console.log(`auralis-dsp Pyodide demo at ${url} (Ctrl-C to stop)`);
}
