/// <reference lib="dom" />
// The ES-module browser build (scripts/build_browser.mjs) loaded where there is no Node:
// - in Node, as a vm module in a fresh context that has only `console` and `atob` (no process,
//   Buffer, require, node: modules or timers): the build must need none of them. It gives the
//   bits the sources give in this process. (`atob`, which every browser has, decodes the FFT's
//   WebAssembly; without it the FFT falls back to its TypeScript kernels, whose float32
//   rounding differs from the WebAssembly ones by ~1e-7.)
// - in headless Chromium (Debian's `chromium`, as test/browser.test.ts), from a
//   <script type="module">. Its V8 is not Node's: its Math functions may differ in the last
//   bit, so there the numbers must agree to float32 round-off, not bit for bit.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildBrowserModule } from "../scripts/build_browser.mjs";
import { chromaCqt, stft, yin } from "../src/index.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** What both runtimes compute: a tone's STFT, yin and chroma, as plain arrays. */
const PROGRAM = `
  const y = new Float32Array(8192);
  for (let i = 0; i < y.length; i++) y[i] = Math.sin((2 * Math.PI * 440 * i) / 22050) + 0.1 * Math.sin(i * 0.3);
  const D = await api.stft(y, { nFft: 1024 });
  const f0 = await api.yin(y, { fmin: 100, fmax: 2000 });
  const chroma = await api.chromaCqt({ y });
  let error = "";
  try { await api.stft(y, { hopLength: 0 }); } catch (e) { error = e.name + ": " + e.message; }
  result = { shape: D.shape, stft: Array.from(D.data), f0: Array.from(f0.data), chroma: Array.from(chroma.data), error };
`;

interface Computed {
  shape: number[];
  stft: number[];
  f0: number[];
  chroma: number[];
  error: string;
}

let dir: string;
let bundle: string;
let expected: Computed;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "auralis-browser-"));
  bundle = join(dir, "auralis-dsp.mjs");
  await buildBrowserModule(ROOT, bundle);
  const api = { stft, yin, chromaCqt };
  let result: Computed | undefined;
  await new Function("api", "setResult", `return (async () => { let result; ${PROGRAM}; setResult(result); })();`)(api, (r: Computed) => (result = r));
  expected = result!;
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the ES-module browser build", () => {
  it("has no imports, require() or Node built-ins left", () => {
    const text = readFileSync(bundle, "utf8");
    expect(text).not.toMatch(/^\s*import\s[^(]/m);
    expect(text).not.toMatch(/\brequire\(|from "node:|\bBuffer\./);
    expect(expected.shape).toEqual([513, 33, 2]);
    expect(expected.error).toBe("ParameterError: hop_length=0 must be a positive integer");
  });

  it("runs in a context with nothing but console and atob, and gives the sources' bits", () => {
    const runner = `
      import vm from "node:vm";
      import { readFileSync } from "node:fs";
      const context = vm.createContext({ console, atob });
      const mod = new vm.SourceTextModule(readFileSync(process.argv[1], "utf8"), { context, identifier: "auralis-dsp.mjs" });
      await mod.link(() => { throw new Error("the module imports something"); });
      await mod.evaluate();
      context.api = mod.namespace;
      const result = await vm.runInContext(\`(async () => { let result; ${PROGRAM.replace(/`/g, "\\`")}; return JSON.stringify(result); })()\`, context);
      process.stdout.write(result);
    `;
    const run = spawnSync(process.execPath, ["--experimental-vm-modules", "--no-warnings", "--input-type=module", "-e", runner, bundle], { encoding: "utf8", maxBuffer: 64 << 20 });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    // The values come back as JSON, which writes -0 as 0: the sources' values go through JSON too.
    expect(JSON.parse(run.stdout)).toEqual(JSON.parse(JSON.stringify(expected)));
  });

  it("runs from a <script type=\"module\"> in headless Chromium, and agrees with the sources to float32 round-off", async () => {
    const executablePath = execFileSync("which", ["chromium"], { encoding: "utf8" }).trim();
    const profile = mkdtempSync(join(tmpdir(), "auralis-chromium-"));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      // Served from memory: the page and the module, nothing else (no network).
      await page.route("http://auralis.test/**", (route) => {
        const url = new URL(route.request().url());
        if (url.pathname === "/auralis-dsp.mjs") return route.fulfill({ body: readFileSync(bundle, "utf8"), contentType: "text/javascript" });
        const html = `<!doctype html><script type="module">
          import * as api from "./auralis-dsp.mjs";
          let result;
          try { ${PROGRAM} window.result = JSON.stringify(result); } catch (e) { window.result = "failed: " + e; }
        </script>`;
        return route.fulfill({ body: html, contentType: "text/html" });
      });
      await page.goto("http://auralis.test/index.html");
      await page.waitForFunction(() => (window as unknown as { result?: string }).result !== undefined, undefined, { timeout: 60_000 });
      const text = await page.evaluate(() => (window as unknown as { result: string }).result);
      expect(errors).toEqual([]);
      const got = JSON.parse(text) as Computed;
      expect(got.shape).toEqual(expected.shape);
      expect(got.error).toBe(expected.error);
      for (const key of ["stft", "f0", "chroma"] as const) {
        expect(got[key].length).toBe(expected[key].length);
        const scale = Math.max(...expected[key].map(Math.abs));
        const worst = Math.max(...got[key].map((v, i) => Math.abs(v - expected[key][i]!)));
        expect(worst / scale, key).toBeLessThanOrEqual(key === "f0" ? 1e-12 : 1e-6);
      }
    } finally {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    }
  }, 120_000);
});
