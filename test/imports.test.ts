// The module graph of src/: no import cycles (type-only imports left out: they vanish at run time), and the
// layer rule of docs/architecture.md: kernel folders import neither the op adapters (ops/) nor the bridge,
// and the scheduling layer only as types.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "../src");
const KERNEL_FOLDERS = ["spectrum", "hpss", "pitch", "cqt", "feature", "resample", "fft", "util"];

const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));

interface Edge {
  to: string;
  typeOnly: boolean;
}

/** Relative imports and re-exports of a file (`import type`/`export type` marked type-only). */
const importsOf = (file: string): Edge[] => {
  const text = readFileSync(file, "utf8");
  const edges: Edge[] = [];
  const pattern = /^\s*(import|export)\s+(type\s+)?(?:[^"';]*?\sfrom\s+)?["'](\.[^"']+)["']/gm;
  for (const m of text.matchAll(pattern)) {
    const target = resolve(dirname(file), m[3]!).replace(/\.js$/, ".ts");
    edges.push({ to: target, typeOnly: m[2] !== undefined });
  }
  return edges;
};

const files = sources(SRC);
const graph = new Map(files.map((f) => [f, importsOf(f)]));
const rel = (f: string): string => relative(SRC, f);
const folderOf = (f: string): string => rel(f).split("/")[0]!;

describe("src/ imports", () => {
  it("every relative import names a file that exists", () => {
    const missing = [...graph].flatMap(([f, edges]) => edges.filter((e) => !graph.has(e.to)).map((e) => `${rel(f)} -> ${rel(e.to)}`));
    expect(missing).toEqual([]);
  });

  it("has no import cycle, type imports included", () => {
    const state = new Map<string, "open" | "done">();
    const cycles: string[] = [];
    const visit = (f: string, path: string[]): void => {
      state.set(f, "open");
      for (const e of graph.get(f) ?? []) {
        if (!graph.has(e.to)) continue;
        if (state.get(e.to) === "open") cycles.push([...path.slice(path.indexOf(e.to)), e.to].map(rel).join(" -> "));
        else if (!state.has(e.to)) visit(e.to, [...path, e.to]);
      }
      state.set(f, "done");
    };
    for (const f of files) if (!state.has(f)) visit(f, [f]);
    expect(cycles).toEqual([]);
  });

  it("kernel folders import neither ops/ nor bridge/, and of schedule/ only the types of schedule/types.ts", () => {
    const breaches = files
      .filter((f) => KERNEL_FOLDERS.includes(folderOf(f)))
      .flatMap((f) =>
        graph.get(f)!.filter((e) => ["ops", "bridge"].includes(folderOf(e.to)) || (folderOf(e.to) === "schedule" && (!e.typeOnly || rel(e.to) !== "schedule/types.ts"))).map((e) => `${rel(f)} -> ${rel(e.to)}`),
      );
    expect(breaches).toEqual([]);
  });

  it("ops/ does not import bridge/, and schedule/ imports neither ops/ nor bridge/", () => {
    const breaches = files.flatMap((f) => {
      const from = folderOf(f);
      const banned = from === "ops" ? ["bridge"] : from === "schedule" ? ["ops", "bridge"] : [];
      return graph.get(f)!.filter((e) => banned.includes(folderOf(e.to))).map((e) => `${rel(f)} -> ${rel(e.to)}`);
    });
    expect(breaches).toEqual([]);
  });

  it("util/ imports only util/, fft/ only util/ and fft/", () => {
    const allowed: Record<string, string[]> = { util: ["util"], fft: ["util", "fft"] };
    const breaches = files.flatMap((f) => {
      const ok = allowed[folderOf(f)];
      return ok ? graph.get(f)!.filter((e) => !e.typeOnly && !ok.includes(folderOf(e.to))).map((e) => `${rel(f)} -> ${rel(e.to)}`) : [];
    });
    expect(breaches).toEqual([]);
  });

  it("finds the imports it checks (the walk is not vacuous)", () => {
    expect(files.length).toBeGreaterThan(60);
    expect(graph.get(join(SRC, "schedule/tasks.ts"))!.some((e) => rel(e.to) === "spectrum/transforms.ts" && !e.typeOnly)).toBe(true);
    expect(graph.get(join(SRC, "cqt/octaveSignals.ts"))!.some((e) => rel(e.to) === "schedule/types.ts" && e.typeOnly)).toBe(true);
  });
});
