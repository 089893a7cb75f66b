/** Reading the generated fixtures (fixtures/<group>/manifest.json + .npy files). */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "npyjs";
import type { DType, NamedArray } from "../../src/ops/types.js";

export const FIXTURES = fileURLToPath(new URL("../../fixtures/", import.meta.url));

export interface FixtureCase {
  label: string;
  op: string;
  params: Record<string, unknown>;
  /** Array name -> .npy file name. */
  arrays: Record<string, string>;
  output: string;
  expected: string;
  shape: number[];
  /** For float32 cases: librosa's answer on the same input in float64. */
  reference64?: string;
}

export const loadManifest = (group: string): FixtureCase[] =>
  JSON.parse(readFileSync(`${FIXTURES}${group}/manifest.json`, "utf8")) as FixtureCase[];

export const loadNpy = (group: string, file: string): { data: Float32Array | Float64Array; shape: number[] } => {
  const buf = readFileSync(`${FIXTURES}${group}/${file}`);
  const arr = parse(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  if (!(arr.data instanceof Float32Array || arr.data instanceof Float64Array)) throw new Error(`${file}: not float`);
  return { data: arr.data, shape: arr.shape };
};

/**
 * The request arrays of a case. Complex arrays are stored as (..., 2) float
 * views; `complexNames` says which names carry complex data.
 */
export const caseArrays = (group: string, c: FixtureCase, complexNames: readonly string[] = []): NamedArray[] =>
  Object.entries(c.arrays).map(([name, file]) => {
    const { data, shape } = loadNpy(group, file);
    const complex = complexNames.includes(name);
    const double = data instanceof Float64Array;
    const dtype: DType = complex ? (double ? "complex128" : "complex64") : double ? "float64" : "float32";
    return { name, dtype, shape: complex ? shape.slice(0, -1) : shape, data };
  });
