// The scheduling layer's drivers and runners (src/schedule/runner.ts): flows driven synchronously and
// asynchronously give the same values and errors, a flow started ahead holds its failure until joined,
// and the synchronous path creates no Promise (issue 17: during a synchronous Pyodide call the microtask
// queue does not run, so any reaction queued there would keep its value alive).
import { createHook } from "node:async_hooks";
import { describe, expect, it } from "vitest";
import { AsyncWorkError, inlineRunner, poolRunner, runFlow, runFlowSync, type Flow, type Runner } from "../src/schedule/runner.js";
import type { WorkerPool } from "../src/schedule/pool.js";

const tasks = {
  square: (start: number, end: number, a: { x: Float64Array; out: Float64Array }): void => {
    for (let i = start; i < end; i++) a.out[i] = a.x[i]! * a.x[i]!;
  },
  fail: (start: number, _end: number, a: { message: string }): void => {
    throw new Error(`${a.message} at ${start}`);
  },
};

type Tasks = typeof tasks;

function* squares(runner: Runner<Tasks>, n: number): Flow<number> {
  const x = Float64Array.from({ length: n }, (_, i) => i + 1);
  const out = new Float64Array(n);
  yield runner.run("square", n, { x, out });
  return out.reduce((s, v) => s + v, 0);
}

function* failing(runner: Runner<Tasks>): Flow<number> {
  yield runner.run("fail", 3, { message: "boom" });
  return 1;
}

/** A pool of one "worker" that runs each run on a later macrotask (really asynchronous). */
const laterPool = (): WorkerPool & { runs: number } => {
  const pool = {
    size: 2,
    runs: 0,
    run(name: string, count: number, args: unknown): Promise<void> {
      pool.runs++;
      return new Promise((resolve, reject) =>
        setTimeout(() => {
          try {
            (tasks[name as keyof Tasks] as (s: number, e: number, a: unknown) => void)(0, count, args);
            resolve();
          } catch (error) {
            reject(error as Error);
          }
        }, 1),
      );
    },
  };
  return pool;
};

describe("runFlowSync with the inline runner", () => {
  it("returns the flow's value at once: 1^2 + ... + 10^2 = 385", () => {
    expect(runFlowSync(squares(inlineRunner(tasks), 10))).toBe(385);
  });

  it("throws what a task throws", () => {
    expect(() => runFlowSync(failing(inlineRunner(tasks)))).toThrow("boom at 0");
  });

  it("refuses work in progress with AsyncWorkError (and closes the flow)", () => {
    let closed = false;
    function* waits(): Flow<number> {
      try {
        yield new Promise((resolve) => setTimeout(resolve, 1));
        return 1;
      } finally {
        closed = true;
      }
    }
    expect(() => runFlowSync(waits())).toThrow(AsyncWorkError);
    expect(closed).toBe(true);
  });

  it("creates no Promise, even for a flow started ahead that fails", () => {
    let created = 0;
    // Every Promise, native ones made by async functions included, while the hook is on.
    const hook = createHook({
      init(_id, type) {
        if (type === "PROMISE") created++;
      },
    });
    const runner = inlineRunner(tasks);
    function* both(): Flow<number> {
      runner.start(failing(runner));
      const kept = runner.start(squares(runner, 3));
      const value = yield* squares(runner, 2);
      return value + (yield* kept.join());
    }
    hook.enable();
    let value: number;
    try {
      value = runFlowSync(both());
    } finally {
      hook.disable();
    }
    expect(value).toBe(5 + 14);
    expect(created).toBe(0);
  });
});

describe("runFlow with a pool runner", () => {
  it("gives the value of the synchronous path, through the pool", async () => {
    const pool = laterPool();
    expect(await runFlow(squares(poolRunner(pool, tasks), 10))).toBe(385);
    expect(pool.runs).toBe(1);
  });

  it("runs small runs inline (no pool run) and rejects with a task's error", async () => {
    const pool = laterPool();
    const runner = poolRunner(pool, tasks);
    expect(await runFlow(squares(runner, 1))).toBe(1);
    expect(pool.runs).toBe(0);
    await expect(runFlow(failing(runner))).rejects.toThrow("boom at 0");
    expect(pool.runs).toBe(1);
  });

  it("a flow started ahead runs alongside the caller; its failure surfaces at join, or nowhere if never joined", async () => {
    const pool = laterPool();
    const runner = poolRunner(pool, tasks);
    const order: string[] = [];
    function* tagged(tag: string, n: number): Flow<number> {
      order.push(`${tag} start`);
      const v = yield* squares(runner, n);
      order.push(`${tag} end`);
      return v;
    }
    function* both(): Flow<number> {
      const ahead = runner.start(tagged("ahead", 4));
      runner.start(failing(runner)); // never joined: no unhandled rejection
      const mine = yield* tagged("mine", 3);
      return mine + (yield* ahead.join());
    }
    expect(await runFlow(both())).toBe(14 + 30);
    expect(order.slice(0, 2)).toEqual(["ahead start", "mine start"]);
    function* joinsFailure(): Flow<number> {
      const ahead = runner.start(failing(runner));
      return yield* ahead.join();
    }
    await expect(runFlow(joinsFailure())).rejects.toThrow("boom at 0");
  });

  it("the async path does make Promises (the hook above sees them)", async () => {
    let created = 0;
    const hook = createHook({
      init(_id, type) {
        if (type === "PROMISE") created++;
      },
    });
    hook.enable();
    try {
      await runFlow(squares(poolRunner(laterPool(), tasks), 10));
    } finally {
      hook.disable();
    }
    expect(created).toBeGreaterThan(0);
  });

  it("a flow may catch a run's failure and go on", async () => {
    function* recovers(runner: Runner<Tasks>): Flow<string> {
      try {
        yield* failing(runner);
        return "not reached";
      } catch (error) {
        return `caught ${(error as Error).message}`;
      }
    }
    expect(await runFlow(recovers(poolRunner(laterPool(), tasks)))).toBe("caught boom at 0");
    expect(runFlowSync(recovers(inlineRunner(tasks)))).toBe("caught boom at 0");
  });
});
