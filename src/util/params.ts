/**
 * Reading explicit op parameters. The shims validate first (with librosa's
 * messages); these checks keep the kernels safe against any other caller
 * (JS users, hand-made frames) with the same ParameterError.
 */
import { ParameterError } from "./errors.js";

export type Params = Record<string, unknown>;

export const intParam = (params: Params, name: string, min = -Infinity): number => {
  const v = params[name];
  if (typeof v !== "number" || !Number.isInteger(v)) throw new ParameterError(`${name}=${JSON.stringify(v)} must be an integer`);
  if (v < min) throw new ParameterError(`${name}=${v} must be at least ${min}`);
  return v;
};

export const optionalIntParam = (params: Params, name: string, min = -Infinity): number | null =>
  params[name] === null || params[name] === undefined ? null : intParam(params, name, min);

export const numberParam = (params: Params, name: string): number => {
  const v = params[name];
  if (typeof v !== "number" || Number.isNaN(v)) throw new ParameterError(`${name}=${JSON.stringify(v)} must be a number`);
  return v;
};

export const boolParam = (params: Params, name: string): boolean => {
  const v = params[name];
  if (typeof v !== "boolean") throw new ParameterError(`${name}=${JSON.stringify(v)} must be a boolean`);
  return v;
};

export const stringParam = <T extends string>(params: Params, name: string, allowed: readonly T[]): T => {
  const v = params[name];
  if (typeof v !== "string" || !(allowed as readonly string[]).includes(v)) {
    throw new ParameterError(`${name}=${JSON.stringify(v)} must be one of ${allowed.join(", ")}`);
  }
  return v as T;
};

/** The librosa release whose behaviour an op follows where 0.11 and 1.0 differ. */
export type LibrosaSemantics = "0.11" | "1.0";

/**
 * The request's `librosa` parameter ("0.11" or "1.0"; the Python shims send
 * the active `auralis_dsp.librosa_compat()` with every request). Absent: "0.11".
 */
export const librosaParam = (params: Params): LibrosaSemantics =>
  params.librosa === undefined || params.librosa === null ? "0.11" : stringParam(params, "librosa", ["0.11", "1.0"] as const);
