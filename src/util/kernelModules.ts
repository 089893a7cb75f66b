/**
 * The kernels' WebAssembly modules, prebuilt. Each module is written with the
 * assembler of wasm.ts (its source of truth), and scripts/gen_kernel_wasm.mjs
 * stores the assembled bytes in kernelWasmModules.ts; a thread decodes those
 * instead of assembling every module again at load. Assembling ran in each of
 * the server's three isolates and made V8 compile the assembler itself with
 * TurboFan on its helper threads (`wasmModule` 50-72 ms, `section`, `vec`, ...)
 * during a fresh server's first calls, beside the kernels' own work on two cores.
 *
 * A module whose function names differ from the stored ones (a kernel added or
 * renamed and the file not generated again), or a runtime without `atob`, is
 * assembled here as before; test/kernelModules.test.ts fails on any stale byte.
 */
import { KERNEL_WASM } from "./kernelWasmModules.js";
import { wasmModule, type WasmFunction } from "./wasm.js";

const registered = new Map<string, readonly WasmFunction[]>();

/** Every module {@link kernelModule} has been asked for so far, by name (the generator and the test read them). */
export const kernelModuleFunctions = (): ReadonlyMap<string, readonly WasmFunction[]> => registered;

/** The function names a module's entry records (comma-separated). */
export const functionNames = (functions: readonly WasmFunction[]): string => functions.map((f) => f.name).join(",");

const decode = (base64: string): Uint8Array => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));

/** The bytes of kernel module `name` made of `functions`: the prebuilt ones when they match, else assembled now. */
export const kernelModule = (name: string, functions: readonly WasmFunction[]): Uint8Array => {
  registered.set(name, functions);
  const stored = KERNEL_WASM[name];
  if (stored !== undefined && typeof atob === "function" && stored.names === functionNames(functions)) return decode(stored.base64);
  return wasmModule(functions);
};
