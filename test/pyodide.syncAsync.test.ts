// src/bridge/syncAsync.ts: async functions lowered to generators (as the Pyodide bundle has them)
// finish synchronously when nothing they await is really pending, and keep Promise semantics.
import { describe, expect, it } from "vitest";
import { driveAsync, ignoreRejection, settledOutcome } from "../src/bridge/syncAsync.js";

// What esbuild makes of `async (x) => { const a = await inner(x); return a + (await 1); }`.
const inner = (x: number) =>
  driveAsync(null, [x], function* (v: unknown) {
    if ((v as number) < 0) throw new RangeError("negative");
    return (v as number) * 2;
  });
const outer = (x: number) =>
  driveAsync(null, [x], function* (v: unknown) {
    const a = (yield inner(v as number)) as number;
    const b = (yield 1) as number;
    return a + b;
  });

describe("driveAsync", () => {
  it("settles at once when every awaited value is ready, and is still a Promise", async () => {
    const promise = outer(20);
    expect(settledOutcome(promise)).toEqual({ ok: true, value: 41 });
    await expect(promise).resolves.toBe(41);
  });

  it("carries a throw through awaits as a settled rejection, without an unhandled rejection", async () => {
    const caught = driveAsync(null, [], function* () {
      try {
        yield inner(-1);
      } catch (error) {
        return (error as Error).message;
      }
      return "not thrown";
    });
    expect(settledOutcome(caught)).toEqual({ ok: true, value: "negative" });
    const failed = outer(-1);
    const outcome = settledOutcome(failed);
    expect(outcome?.ok).toBe(false);
    await expect(failed).rejects.toThrow(RangeError);
  });

  it("falls back to the event loop when something awaited is really pending", async () => {
    const later = driveAsync(null, [], function* () {
      const a = (yield new Promise((resolve) => setTimeout(() => resolve(5), 5))) as number;
      const b = (yield inner(a)) as number;
      return b + 1;
    });
    expect(settledOutcome(later)).toBeUndefined();
    await expect(later).resolves.toBe(11);
  });

  it("binds this and arguments as esbuild's helper does", () => {
    const self = { k: 3 };
    const promise = driveAsync(self, [4], function* (this: typeof self, v: unknown) {
      return this.k * (v as number);
    });
    expect(settledOutcome(promise)).toEqual({ ok: true, value: 12 });
  });
});

describe("ignoreRejection", () => {
  // A reaction on an already-settled promise is a queued job holding the promise's value; in a
  // synchronous Pyodide call the queue does not run until Python returns to the event loop, so a
  // loop of calls kept every value (issue 17: chroma_cqt's octave signals, 0.33 MB a call).
  it("attaches nothing to a promise driveAsync settled, fulfilled or rejected", () => {
    for (const promise of [inner(2), inner(-1)]) {
      const attached: unknown[] = [];
      const spy = promise as Promise<unknown> & { catch: unknown; then: unknown };
      const original = promise.then.bind(promise);
      spy.then = (...args: unknown[]) => {
        attached.push(args);
        return original(...(args as [undefined, undefined]));
      };
      spy.catch = (handler: unknown) => {
        attached.push(handler);
        return original(undefined, handler as undefined);
      };
      ignoreRejection(promise);
      expect(attached).toEqual([]);
    }
  });

  it("handles the rejection of a promise that is really pending", async () => {
    let reject!: (error: Error) => void;
    const pending = new Promise<never>((_, r) => (reject = r));
    const handlers: unknown[] = [];
    const original = pending.catch.bind(pending);
    (pending as { catch: unknown }).catch = (handler: (e: unknown) => unknown) => {
      handlers.push(handler);
      return original(handler);
    };
    ignoreRejection(pending);
    expect(handlers.length).toBe(1);
    reject(new Error("later"));
    // No unhandled rejection: vitest would fail the run.
    await new Promise((resolve) => setTimeout(resolve, 5));
  });
});
