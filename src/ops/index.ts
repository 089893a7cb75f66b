/**
 * The op tables. `publicOps` is what every runtime serves (the stdio server,
 * the Pyodide entry, `callOp`); the debug ops (ops/debug.ts) only the stdio
 * server, and only when started with AURALIS_DSP_DEBUG_OPS=1.
 */
import { cacheOps } from "./caches.js";
import { cqtOps } from "./cqt.js";
import { hpssOps } from "./hpss.js";
import { pitchOps } from "./pitch.js";
import { spectrumOps } from "./spectrum.js";
import type { OpTable } from "./types.js";

export const publicOps: OpTable = Object.freeze({
  ...spectrumOps,
  ...hpssOps,
  ...pitchOps,
  ...cqtOps,
  ...cacheOps,
});

export type { DType, NamedArray, OpContext, OpHandler, OpResult, OpTable } from "./types.js";
