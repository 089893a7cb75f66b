// The prebuilt kernel modules (src/util/kernelWasmModules.ts) are the assembler's output for the kernels as
// written now: a kernel edited without running scripts/gen_kernel_wasm.mjs would otherwise run its old bytes.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import "../src/cqt/bandProduct.js";
import "../src/feature/foldKernels.js";
import "../src/hpss/laneMedian.js";
import "../src/pitch/tuningKernels.js";
import "../src/pitch/viterbiKernels.js";
import "../src/pitch/yinKernels.js";
import "../src/resample/outputKernels.js";
import "../src/spectrum/stftKernels.js";
import { functionNames, kernelModule, kernelModuleFunctions } from "../src/util/kernelModules.js";
import { KERNEL_WASM } from "../src/util/kernelWasmModules.js";
import { func, i32, I32, wasmModule } from "../src/util/wasm.js";

const decode = (base64: string): Uint8Array => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));

describe("prebuilt kernel modules", () => {
  it("hold, for every kernel module, the bytes its functions assemble to now", () => {
    const modules = kernelModuleFunctions();
    expect([...modules.keys()].sort()).toEqual(Object.keys(KERNEL_WASM).sort());
    for (const [name, functions] of modules) {
      const stored = KERNEL_WASM[name]!;
      expect(stored.names, `${name}: run node scripts/gen_kernel_wasm.mjs`).toBe(functionNames(functions));
      expect(decode(stored.base64), `${name}: run node scripts/gen_kernel_wasm.mjs`).toEqual(wasmModule(functions));
      expect(WebAssembly.validate(decode(stored.base64) as BufferSource)).toBe(true);
    }
  });

  it("is the output of scripts/gen_kernel_wasm.mjs", () => {
    const script = fileURLToPath(new URL("../scripts/gen_kernel_wasm.mjs", import.meta.url));
    expect(() => execFileSync(process.execPath, [script, "--check"], { stdio: "pipe" })).not.toThrow();
  });

  it("assembles a module whose functions are not the stored ones", () => {
    const functions = [func("answer", [["x", I32]], () => i32(42), [I32])];
    const viterbi = kernelModuleFunctions().get("viterbi")!;
    const bytes = kernelModule("viterbi", functions);
    kernelModule("viterbi", viterbi);
    expect(bytes).toEqual(wasmModule(functions));
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes as BufferSource), { env: { memory: new WebAssembly.Memory({ initial: 1 }) } });
    expect((instance.exports.answer as (x: number) => number)(0)).toBe(42);
  });
});
