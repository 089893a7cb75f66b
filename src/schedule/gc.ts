/**
 * A full garbage collection on request, for returning the memory of dropped
 * SharedArrayBuffers to the system: V8 frees a backing store only once every
 * isolate that saw it (the server and each pool worker) has collected its
 * handle, and an idle isolate may not collect for a long time.
 *
 * `gc` is V8's `--expose-gc` function; without that flag it is obtained by
 * setting the flag at run time and reading `gc` from a fresh context (the flag
 * applies to contexts created afterwards, in this thread and in workers).
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/**
 * Dropped bytes (arena buffers, evicted cache entries) worth a full collection
 * to give them back. Calls with the same parameters drop nothing, so this only
 * paces loops over varied ones: at 32 MB, each thread of a server serving 2000
 * chroma_cqt calls of varied parameters on 1 s clips held 20-25 MB more garbage
 * (RSS +55 to +72 MB); at 4 MB, +17 MB, with no change in speed measured on 5 s
 * clips, fixed or varied (issue 17).
 */
export const COLLECT_AFTER_DROPPED_BYTES = 4 * 2 ** 20;

let collector: (() => void) | null | undefined;

const findCollector = (): (() => void) | null => {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === "function") return exposed;
  try {
    setFlagsFromString("--expose-gc");
    const fn = runInNewContext("gc") as unknown;
    return typeof fn === "function" ? (fn as () => void) : null;
  } catch {
    return null;
  }
};

/** Runs a full collection in this isolate; false when no collector is available. */
export const collectGarbage = (): boolean => {
  if (collector === undefined) collector = findCollector();
  if (!collector) return false;
  collector();
  return true;
};
