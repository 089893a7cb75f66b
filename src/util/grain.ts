/**
 * Grains for runs of even-cost units (a grain is the fewest units a chunk gets;
 * see Runner.run in src/schedule/types.ts), for the kernel pipelines, which
 * import nothing of schedule/ but its types.
 */

/**
 * The grain that cuts a run of `count` units one chunk per thread, each of at
 * least `least` units (fewer than two of those: the caller's thread runs it all)
 * and, for long runs, at most `most` units (then more chunks than threads, which
 * balance a thread that starts late). The pool otherwise cuts up to eight blocks
 * per thread; on two cores with librosa's own call between two of ours, each
 * chunk beyond the first was another message to a worker that call left cold
 * (a 5 s yin in two chunks took 3.9 ms against 4.3 in four, a 30 s istft 14.4
 * against 15.6 in eight; docs/benchmarks.md, session 17), and with blocks claimed
 * from a shared counter instead, each costs the task's setup again (a 5 s yin in
 * eight blocks: op median 2.79 ms against 2.58 in two; session 19).
 */
export const grainPerThread = (count: number, threads: number, least: number, most = Infinity): number =>
  Math.max(least, Math.min(most, Math.floor(count / Math.max(1, threads))));
