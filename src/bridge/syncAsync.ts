/**
 * Synchronous completion of async ops, for callers that cannot wait for a
 * Promise: Python inside Pyodide calls the kernels from a synchronous shim, and
 * nothing lets JavaScript run the microtask queue on demand.
 *
 * Ops are `async` because in the Node server they may await worker threads.
 * In-process there is no pool: every `await` meets a value that is already
 * there. The Pyodide bundle is built with async functions lowered to
 * generators (esbuild `supported: {"async-await": false}`), and its
 * `__async` helper is replaced by `driveAsync` (see scripts/pyodide-bundle.mjs),
 * which runs the generator to its end at once as long as each awaited value is
 * plain or a Promise that `driveAsync` itself settled. It still returns a
 * Promise, so every caller keeps working; `settledOutcome` reads that
 * Promise's outcome synchronously. Only a genuinely pending Promise (real
 * asynchronous work) makes the rest of the body continue the ordinary way.
 */

/** The outcome of a Promise that was settled synchronously. */
export type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

const outcomes = new WeakMap<object, Outcome>();

const settle = (outcome: Outcome): Promise<unknown> => {
  const promise = outcome.ok ? Promise.resolve(outcome.value) : Promise.reject(outcome.error);
  // Read synchronously instead of awaited: without a handler a rejection would count as unhandled.
  if (!outcome.ok) promise.catch(() => undefined);
  outcomes.set(promise, outcome);
  return promise;
};

/** The outcome of `promise` if `driveAsync` settled it synchronously, else undefined. */
export const settledOutcome = (promise: unknown): Outcome | undefined =>
  promise !== null && typeof promise === "object" ? outcomes.get(promise) : undefined;

/**
 * Marks a rejection of `promise` as handled, for work started ahead whose
 * failure is reported elsewhere. A promise `driveAsync` settled needs nothing
 * (a rejected one already has a handler): attaching one would queue a
 * reaction job holding its value, and during a synchronous Pyodide call the
 * microtask queue does not run until Python gives control back to the event
 * loop, so a loop of calls would keep every such value (issue 17: chroma_cqt's
 * octave signals, 0.33 MB a call).
 */
export const ignoreRejection = (promise: Promise<unknown>): void => {
  if (settledOutcome(promise) === undefined) promise.catch(() => undefined);
};

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  value !== null && (typeof value === "object" || typeof value === "function") && typeof (value as { then?: unknown }).then === "function";

/**
 * Runs an async function lowered to a generator: same contract as esbuild's
 * `__async(this, arguments, generatorFunction)` helper.
 */
export const driveAsync = (self: unknown, args: unknown, body: (...a: unknown[]) => Generator<unknown, unknown, unknown>): Promise<unknown> => {
  let generator: Generator<unknown, unknown, unknown>;
  let step: IteratorResult<unknown, unknown>;
  try {
    generator = body.apply(self, (args ?? []) as unknown[]);
    step = generator.next();
  } catch (error) {
    return settle({ ok: false, error });
  }
  for (;;) {
    if (step.done) return settle({ ok: true, value: step.value });
    const awaited = step.value;
    const known = settledOutcome(awaited);
    if (isThenable(awaited) && known === undefined) return continueLater(generator, awaited);
    const outcome: Outcome = known ?? { ok: true, value: awaited };
    try {
      step = outcome.ok ? generator.next(outcome.value) : generator.throw(outcome.error);
    } catch (error) {
      return settle({ ok: false, error });
    }
  }
};

/** The ordinary asynchronous continuation, from the first awaited value that is really pending. */
const continueLater = (generator: Generator<unknown, unknown, unknown>, pending: PromiseLike<unknown>): Promise<unknown> =>
  new Promise((resolve, reject) => {
    const advance = (next: () => IteratorResult<unknown, unknown>): void => {
      let step: IteratorResult<unknown, unknown>;
      try {
        step = next();
      } catch (error) {
        reject(error);
        return;
      }
      if (step.done) resolve(step.value);
      else wait(step.value);
    };
    const wait = (value: unknown): void => {
      Promise.resolve(value).then(
        (v) => advance(() => generator.next(v)),
        (e: unknown) => advance(() => generator.throw(e)),
      );
    };
    wait(pending);
  });

/** Where the Pyodide bundle's `__async` helper finds `driveAsync` (independent of bundler renaming). */
export const ASYNC_DRIVER = Symbol.for("auralis-dsp.driveAsync");

/** Makes `driveAsync` reachable through `ASYNC_DRIVER`; the bundle entry calls this before any op runs. */
export const installAsyncDriver = (): void => {
  (globalThis as Record<symbol, unknown>)[ASYNC_DRIVER] = driveAsync;
};
