/**
 * Turns one decoded request into its reply frame: looks the op up, decodes
 * non-finite params, runs it, checks what it returned and maps whatever it
 * throws to a wire error. Never throws.
 */
import { ParameterError } from "../util/errors.js";
import { arrayMismatch } from "./dtypes.js";
import { FrameKind, encodeFrame, frameId, type WireErrorType } from "./frame.js";
import type { NamedArray, OpContext, OpTable } from "../ops/types.js";
import { runFlow } from "../schedule/runner.js";
import { findOp, opResult } from "./inProcess.js";
import { SegmentSpace, placeInSegment, segmentHeaderProblem, type ReplySegment } from "./shm.js";
import { decodeNonFinite } from "./wireJson.js";

const log = (message: string): void => {
  process.stderr.write(`auralis-dsp server: ${message}\n`);
};

/** Request checks beyond the frame's own (run before the payload is allocated). */
export const validateRequestHeader = (header: Record<string, unknown>): string | undefined => {
  if (frameId(header) === null) return "header.id must be a non-negative integer";
  if (typeof header.op !== "string") return "header.op must be a string";
  const params = header.params ?? {};
  if (params === null || typeof params !== "object" || Array.isArray(params)) return "header.params must be an object";
  return segmentHeaderProblem(header);
};

/** An error reply to request `id` (null when the request's id could not be read). */
export const errorReply = (id: number | null, type: WireErrorType, message: string): Uint8Array[] =>
  encodeFrame(FrameKind.reply, { id, ok: false, error: { type, message } });

const resultProblem = (arrays: readonly NamedArray[]): string | undefined => {
  const names = new Set<string>();
  for (const array of arrays) {
    if (names.has(array.name)) return `array name ${array.name} appears twice`;
    names.add(array.name);
    const mismatch = arrayMismatch(array);
    if (mismatch) return mismatch;
  }
  return undefined;
};

/**
 * Runs a request whose header passed `validateRequestHeader` and returns the reply's chunks.
 * With `segment` (the request's `reply_shm`), large result arrays are written there instead of inline.
 */
export const handleRequest = async (
  ops: OpTable,
  header: Record<string, unknown>,
  arrays: NamedArray[],
  ctx: OpContext,
  segment?: ReplySegment,
): Promise<Uint8Array[]> => {
  const id = frameId(header);
  const name = header.op as string;
  const op = findOp(ops, name);
  if (!op) return errorReply(id, "ProtocolError", `unknown op ${name}`);
  try {
    const params = decodeNonFinite(header.params ?? {}) as Record<string, unknown>;
    const space = segment ? new SegmentSpace(segment) : undefined;
    const started = performance.now();
    const result = await opResult(op(params, arrays, space ? { ...ctx, replySegment: space } : ctx), runFlow);
    const opMs = performance.now() - started;
    const problem = resultProblem(result.arrays);
    if (problem) throw new Error(`op ${name} returned a malformed result: ${problem}`);
    const meta = { ...result.meta, op_ms: opMs };
    if (space) {
      let placement: ReturnType<typeof placeInSegment> | undefined;
      try {
        placement = placeInSegment(space, result.arrays);
      } catch (error) {
        // A full tmpfs (ENOSPC) or a segment gone bad: the pipe still works (every array's data is still in memory).
        log(`reply segment ${space.segment.id} unusable (${(error as Error).message}); replying inline`);
        for (const a of result.arrays) delete a.segmentOffset;
      }
      if (placement && placement.placed.length > 0) {
        return encodeFrame(FrameKind.reply, { id, ok: true, meta, shm: space.segment.id, shm_arrays: placement.placed }, placement.inline);
      }
    }
    return encodeFrame(FrameKind.reply, { id, ok: true, meta }, result.arrays);
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    // By name as well: a ParameterError rebuilt from a worker thread or thrown by another bundle copy.
    if (e instanceof ParameterError || e.name === "ParameterError") return errorReply(id, "ParameterError", e.message);
    log(`op ${name} failed: ${e.stack ?? e.message}`);
    return errorReply(id, "InternalError", e.message);
  }
};
