// src/manifest.json, the names both languages share (the Python side checks the same file against its
// own tables), against the TypeScript sources it is made from.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DTYPE_LAYOUTS } from "../src/bridge/dtypes.js";
import { PROTOCOL_VERSION } from "../src/bridge/frame.js";
import { debugOps } from "../src/ops/debug.js";
import { publicOps } from "../src/ops/index.js";
import { supportedWindowNames } from "../src/spectrum/window.js";

interface Manifest {
  protocol_version: number;
  dtypes: Record<string, number>;
  windows: string[];
  ops: string[];
  debug_ops: string[];
}

const manifest = JSON.parse(readFileSync(new URL("../src/manifest.json", import.meta.url), "utf8")) as Manifest;

describe("src/manifest.json", () => {
  it("has exactly the five keys", () => {
    expect(Object.keys(manifest).sort()).toEqual(["debug_ops", "dtypes", "ops", "protocol_version", "windows"]);
  });

  it("protocol_version is the frame protocol's version", () => {
    expect(manifest.protocol_version).toBe(PROTOCOL_VERSION);
  });

  it("dtypes are the bridge's element types with their item sizes", () => {
    expect(manifest.dtypes).toEqual(Object.fromEntries(Object.entries(DTYPE_LAYOUTS).map(([name, layout]) => [name, layout.itemSize])));
  });

  it("windows are the window names the kernels build", () => {
    expect([...manifest.windows].sort()).toEqual(supportedWindowNames());
  });

  it("ops are the public op table's names and debug_ops the debug table's, disjoint", () => {
    const debug = Object.keys(debugOps({ protocolVersion: PROTOCOL_VERSION, ops: () => [] }));
    expect([...manifest.ops].sort()).toEqual(Object.keys(publicOps).sort());
    expect([...manifest.debug_ops].sort()).toEqual(debug.sort());
    expect(manifest.ops.filter((op) => manifest.debug_ops.includes(op))).toEqual([]);
  });
});
