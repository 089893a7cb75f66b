/// <reference lib="dom" />
// The demo page (web/) in headless Chromium: Debian's `chromium` (as `which chromium` finds it,
// never a downloaded browser) driven by playwright-core. The page loads Pyodide from the local
// npm package, installs the auralis_dsp wheel with micropip and runs effects.hpss, yin and
// chroma_cqt from Python; this test checks the numbers it computed and saves a screenshot to
// .cache/browser/demo.png. Needs scripts/setup.sh (numpy for Pyodide, the wheel, chromium).
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../scripts/pyodide_env.mjs";
import { serveDemo } from "../scripts/pyodide_serve.mjs";

interface DemoResult {
  platform: string;
  dtypes: string[];
  shapes: number[][];
  notes_hz: number[];
  f0_per_second: number[];
  pitch_class_per_second: number[];
  reconstruction_error: number;
  percussive_share: number;
  timings_ms: Record<string, number>;
}

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const SCREENSHOT = `${ROOT}.cache/browser/demo.png`;

const chromiumPath = (): string => {
  try {
    return execFileSync("which", ["chromium"], { encoding: "utf8" }).trim();
  } catch {
    throw new Error("Debian's chromium is not installed: run scripts/setup.sh as root, or apt-get install chromium");
  }
};

let server: Awaited<ReturnType<typeof serveDemo>>;
let context: BrowserContext;
let profile: string;
let page: Page;
let result: DemoResult;
const consoleLines: string[] = [];

beforeAll(async () => {
  server = await serveDemo(0);
  profile = mkdtempSync(join(tmpdir(), "auralis-chromium-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(),
    headless: true,
    args: FLAGS,
    viewport: { width: 1000, height: 900 },
  });
  page = await context.newPage();
  page.on("console", (message) => consoleLines.push(`${message.type()}: ${message.text()}`));
  page.on("pageerror", (error) => consoleLines.push(`pageerror: ${error.message}`));
  await page.goto(server.url);
  await page.waitForFunction(() => document.body.dataset.state !== "loading", undefined, { timeout: 240_000 });
  const state = await page.evaluate(() => document.body.dataset.state);
  if (state !== "done") {
    const error = await page.evaluate(() => (window as unknown as { demoError?: string }).demoError);
    throw new Error(`demo page failed: ${error}\n${consoleLines.join("\n")}`);
  }
  result = (await page.evaluate(() => (window as unknown as { demoResult: unknown }).demoResult)) as DemoResult;
  mkdirSync(`${ROOT}.cache/browser`, { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
}, 300_000);

afterAll(async () => {
  await context?.close();
  await server?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

describe("the Pyodide demo page in headless Chromium", () => {
  it("ran the Python shims in the page (emscripten), with librosa's dtypes and shapes", () => {
    expect(result.platform).toBe("emscripten");
    expect(result.dtypes).toEqual(["float32", "float64", "float32"]);
    const [hpssShape, f0Shape, chromaShape] = result.shapes;
    expect(hpssShape).toEqual([4 * 22050]);
    expect(f0Shape).toEqual([1 + Math.floor((4 * 22050) / 512)]);
    expect(chromaShape).toEqual([12, f0Shape![0]]);
  });

  it("effects.hpss splits the clip: harmonic + percussive = the clip, the clicks go to the percussive part", () => {
    expect(result.reconstruction_error).toBeLessThan(1e-4);
    expect(result.percussive_share).toBeGreaterThan(0.005);
    expect(result.percussive_share).toBeLessThan(0.5);
  });

  it("yin finds each note of the arpeggio within 1%", () => {
    result.f0_per_second.forEach((hz, k) => expect(Math.abs(hz / result.notes_hz[k]! - 1)).toBeLessThan(0.01));
  });

  it("chroma_cqt's strongest pitch class each second is the note played: C E G C", () => {
    expect(result.pitch_class_per_second).toEqual([0, 4, 7, 0]);
  });

  it("drew both plots (the screenshot is saved)", async () => {
    const inked = await page.evaluate(() =>
      ["#chroma", "#f0"].map((id) => {
        const canvas = document.querySelector<HTMLCanvasElement>(id)!;
        const pixels = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
        let colored = 0;
        for (let i = 0; i < pixels.length; i += 4) if (pixels[i] !== pixels[i + 2]) colored++;
        return colored / (pixels.length / 4);
      }),
    );
    expect(inked[0]).toBeGreaterThan(0.05);
    expect(inked[1]).toBeGreaterThan(0.002);
  });
});
