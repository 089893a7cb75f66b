/**
 * The JavaScript examples of the documentation run, and print what their comments say:
 * every ```js block of README.md and docs/js-api.md, and every `@example` of src/api.
 * `import ... from "auralis-dsp"` (or "ndarray") becomes a lookup in the sources; each
 * `console.log(...)` line whose comment gives its output is checked against it (the
 * comment's text up to a " -- note"; arrays print as `[a, b]`, strings bare).
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import ndarray from "ndarray";
import { describe, expect, it } from "vitest";
import * as auralis from "../src/index.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const MODULES: Record<string, unknown> = { "auralis-dsp": auralis, ndarray: { default: ndarray } };

/** The ```js blocks of a Markdown file. */
const markdownBlocks = (file: string): string[] => [...readFileSync(`${ROOT}${file}`, "utf8").matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);

/** The @example blocks of a TypeScript file's TSDoc comments. */
const tsdocExamples = (file: string): string[] => {
  const examples: string[] = [];
  for (const comment of readFileSync(`${ROOT}${file}`, "utf8").matchAll(/\/\*\*([\s\S]*?)\*\//g)) {
    const lines = comment[1]!.split("\n").map((l) => l.replace(/^\s*\* ?/, ""));
    let current: string[] | null = null;
    for (const line of lines) {
      if (line.startsWith("@")) {
        if (current) examples.push(current.join("\n"));
        current = line.startsWith("@example") ? [] : null;
      } else if (current) {
        current.push(line);
      }
    }
    if (current) examples.push(current.join("\n"));
  }
  return examples.filter((e) => e.trim() !== "");
};

const show = (v: unknown): string => (Array.isArray(v) ? `[${v.map(show).join(", ")}]` : String(v));

/** Runs `code` with its imports resolved; returns each console.log line and the output its comment expects. */
const run = async (code: string): Promise<{ printed: string[]; expected: (string | null)[] }> => {
  const expected: (string | null)[] = [];
  const body = code
    .split("\n")
    .map((line) => {
      const imported = /^import (?:(\w+)|\{([^}]*)\}) from "([^"]+)";$/.exec(line.trim());
      if (imported) {
        const [, name, names, from] = imported;
        if (!(from! in MODULES)) throw new Error(`example imports ${from}`);
        return name ? `const ${name} = modules[${JSON.stringify(from)}].default;` : `const {${names!.replace(/ as /g, ": ")}} = modules[${JSON.stringify(from)}];`;
      }
      if (/^\s*console\.log\(/.test(line)) {
        const comment = /\/\/\s*(.*)$/.exec(line)?.[1]?.replace(/\s+--\s.*$/, "") ?? null;
        expected.push(comment);
      }
      return line;
    })
    .join("\n");
  const printed: string[] = [];
  const log = (...args: unknown[]) => printed.push(args.map(show).join(" "));
  const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...a: string[]) => (...args: unknown[]) => Promise<void>;
  await new AsyncFunction("modules", "console", body)(MODULES, { log });
  return { printed, expected };
};

const sources = [
  ...["README.md", "docs/js-api.md"].flatMap((file) => markdownBlocks(file).map((code, k) => [`${file} block ${k + 1}`, code] as const)),
  ...readdirSync(`${ROOT}src/api`)
    .filter((f) => f.endsWith(".ts"))
    .flatMap((f) => tsdocExamples(`src/api/${f}`).map((code, k) => [`src/api/${f} example ${k + 1}`, code] as const)),
];

describe("documentation examples", () => {
  it("finds the README's and docs/js-api.md's blocks and an example for every exported function", () => {
    expect(markdownBlocks("README.md").length).toBeGreaterThanOrEqual(3);
    expect(markdownBlocks("docs/js-api.md").length).toBeGreaterThanOrEqual(1);
    const documented = sources.map(([, code]) => code).join("\n");
    for (const name of ["stft", "istft", "hpss", "harmonic", "percussive", "hpssSpectrogram", "yin", "pyin", "cqt", "estimateTuning", "chromaCqt", "chromaStft", "setWarningHandler"]) {
      expect(documented, name).toMatch(new RegExp(`\\b${name}\\(`));
    }
  });

  it.each(sources)("%s", async (_label, code) => {
    const { printed, expected } = await run(code);
    expect(printed.length).toBe(expected.length);
    printed.forEach((line, i) => {
      if (expected[i] !== null) expect(line).toBe(expected[i]);
    });
  });
});
