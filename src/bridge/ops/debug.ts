/**
 * Harmless ops for testing the bridge. `ping`, `echo` and `scale` always exist;
 * `sleep`, `raise` and `exit` only with AURALIS_DSP_DEBUG_OPS=1 (they let tests
 * kill the server mid-call and exercise error mapping and crash reports).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { allocFloat64 } from "../../parallel/alloc.js";
import { runTask } from "../../parallel/pool.js";
import { registerTask } from "../../parallel/tasks.js";
import { ParameterError } from "../../util/errors.js";
import { PROTOCOL_VERSION } from "../frame.js";
import { listOps, registerOp } from "../registry.js";

const finiteNumber = (params: Record<string, unknown>, key: string): number => {
  const value = params[key];
  if (typeof value !== "number" || !Number.isFinite(value)) throw new ParameterError(`${key} must be a finite number, got ${JSON.stringify(value)}`);
  return value;
};

registerOp("ping", (_params, _arrays, ctx) => ({
  arrays: [],
  meta: {
    version: PROTOCOL_VERSION,
    ops: listOps(),
    threads: ctx.pool?.size ?? 1,
    pid: process.pid,
    ...(ctx.arena ? { arena: ctx.arena.stats() } : {}),
  },
}));

registerOp("echo", (params, arrays) => ({ arrays, meta: { params } }));

registerTask("debug.scale", (start, end, args) => {
  const { x, out, factor } = args as { x: Float64Array; out: Float64Array; factor: number };
  for (let i = start; i < end; i++) out[i] = x[i]! * factor;
});

/** `scale` {factor} on float64 array `x`: `x * factor`, computed by the worker pool when there is one. */
registerOp("scale", async (params, arrays, ctx) => {
  const factor = finiteNumber(params, "factor");
  const x = arrays.find((a) => a.name === "x");
  if (!x || !(x.data instanceof Float64Array) || x.dtype !== "float64") throw new ParameterError("scale needs a float64 array x");
  const out = allocFloat64(x.data.length, ctx.pool !== undefined, { zero: false });
  await runTask(ctx.pool, "debug.scale", x.data.length, { x: x.data, out, factor });
  return { arrays: [{ name: "out", dtype: "float64", shape: x.shape, data: out }] };
});

if (process.env.AURALIS_DSP_DEBUG_OPS === "1") {
  registerOp("sleep", async (params) => {
    await sleep(finiteNumber(params, "seconds") * 1000);
    return { arrays: [] };
  });

  registerOp("raise", (params) => {
    const message = String(params.message ?? "raised on request");
    throw params.type === "ParameterError" ? new ParameterError(message) : new Error(message);
  });

  registerOp("exit", (params) => {
    process.stderr.write(`${String(params.message ?? "exiting on request")}\n`);
    process.exit(finiteNumber(params, "code"));
  });
}
