/**
 * How kernels write into a reply segment (docs/protocol.md) without importing
 * a Node built-in: the module graph of src/index.ts must stay free of them
 * (the Pyodide bundle). The stdio server's bundle, which every pool worker
 * runs too, installs the writer at load; elsewhere there is none, and no op
 * is ever given a segment.
 */

type SegmentWriter = (fd: number, bytes: Uint8Array, offset: number) => void;

let writer: SegmentWriter | undefined;

export const setSegmentWriter = (fn: SegmentWriter | undefined): void => {
  writer = fn;
};

/** Writes `bytes` to segment `fd` at `offset`; throws when this thread has no writer. */
export const writeToSegment = (fd: number, bytes: Uint8Array, offset: number): void => {
  if (!writer) throw new Error("no reply segment writer on this thread");
  writer(fd, bytes, offset);
};
