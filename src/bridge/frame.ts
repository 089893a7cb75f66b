/**
 * The stdio frame (docs/protocol.md): a 24-byte preamble, a space-padded JSON
 * header, then the arrays' bytes, each padded to 8. `encodeFrame` writes one;
 * `FrameParser` reads a byte stream incrementally, validating every size before
 * it allocates, and delivers arrays as 8-aligned views into one
 * SharedArrayBuffer per frame so ops can pass them to worker threads as is.
 * A request's array with an `offset` is in the request's segment, not the
 * payload: the parser gives it a buffer of its own, which the server fills
 * from the segment (`DecodedFrame.fromSegment`).
 */
import type { NamedArray } from "../ops/types.js";
import { DTYPE_LAYOUTS, elementCount, isDType, pad8 } from "./dtypes.js";
import { stringifyWireJson } from "./wireJson.js";

export const MAGIC = Buffer.from("ADSP", "latin1");
export const PROTOCOL_VERSION = 1;
export const PREAMBLE_BYTES = 24;
const MAX_HEADER_BYTES = 1 << 20;
export const DEFAULT_MAX_PAYLOAD_BYTES = 16 * 2 ** 30;

export const FrameKind = { request: 1, reply: 2 } as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

export type WireErrorType = "ParameterError" | "ProtocolError" | "InternalError";

/** An array whose bytes are in the request's segment: `bytes` (the array's own buffer) is still to be read from `offset`. */
export interface SegmentRead {
  offset: number;
  bytes: Uint8Array<SharedArrayBuffer>;
}

/** A complete frame: its JSON header and its arrays (views into `payload`, or into buffers of their own when in `fromSegment`). */
export interface DecodedFrame {
  type: "frame";
  header: Record<string, unknown>;
  arrays: NamedArray[];
  /** The buffer holding the inline arrays' bytes (from `allocatePayload` when one was given). */
  payload: SharedArrayBuffer;
  /** Arrays the header placed in the request's segment (an `offset`), in header order; empty when none. */
  fromSegment: SegmentRead[];
}

/** A frame that could not be accepted; `id` is the request id when the header was readable. */
interface FrameFault {
  type: "fault";
  id: number | null;
  errorType: WireErrorType;
  message: string;
}

export type FrameEvent = DecodedFrame | FrameFault;

const ZERO_PADDING = new Uint8Array(8);

/**
 * Encodes a frame as a list of byte chunks to write in order: preamble and header
 * first, then each array's bytes (views of the caller's memory, not copies) and
 * its padding. `header.arrays` is filled in from `arrays`.
 */
export const encodeFrame = (kind: FrameKind, header: Record<string, unknown>, arrays: readonly NamedArray[] = []): Uint8Array[] => {
  const descriptors = arrays.map((a) => ({
    name: a.name,
    dtype: a.dtype,
    shape: a.shape,
    nbytes: elementCount(a.shape) * DTYPE_LAYOUTS[a.dtype].itemSize,
  }));
  const json = Buffer.from(stringifyWireJson({ ...header, arrays: descriptors }), "utf8");
  const headerLength = pad8(json.length);
  if (headerLength > MAX_HEADER_BYTES) throw new Error(`frame header of ${headerLength} bytes exceeds ${MAX_HEADER_BYTES}`);
  const payloadLength = descriptors.reduce((sum, d) => sum + pad8(d.nbytes), 0);

  const head = Buffer.alloc(PREAMBLE_BYTES + headerLength, 0x20);
  MAGIC.copy(head, 0);
  head.writeUInt16LE(PROTOCOL_VERSION, 4);
  head.writeUInt16LE(kind, 6);
  head.writeUInt32LE(headerLength, 8);
  head.writeUInt32LE(0, 12);
  head.writeBigUInt64LE(BigInt(payloadLength), 16);
  json.copy(head, PREAMBLE_BYTES);

  const chunks: Uint8Array[] = [head];
  arrays.forEach((a, i) => {
    const nbytes = descriptors[i]!.nbytes;
    if (nbytes > 0) chunks.push(new Uint8Array(a.data.buffer, a.data.byteOffset, nbytes));
    if (pad8(nbytes) > nbytes) chunks.push(ZERO_PADDING.subarray(0, pad8(nbytes) - nbytes));
  });
  return chunks;
};

/** Reads the request/reply id from a parsed header when it is a valid one. */
export const frameId = (header: unknown): number | null => {
  const id = (header as { id?: unknown } | null)?.id;
  return Number.isSafeInteger(id) && (id as number) >= 0 ? (id as number) : null;
};

interface ArrayDescriptor {
  name: string;
  dtype: NamedArray["dtype"];
  shape: number[];
  nbytes: number;
  /** Where the array is in the request's segment; undefined for an array in the payload. */
  offset?: number;
}

/**
 * Validates the header's array list against `payloadLength` (arrays with an
 * `offset` are in the request's segment, bounded by `maxSegmentBytes` instead);
 * returns the descriptors or a complaint.
 */
const readArrayDescriptors = (header: Record<string, unknown>, payloadLength: number, maxSegmentBytes: number): ArrayDescriptor[] | string => {
  const list = header.arrays ?? [];
  if (!Array.isArray(list)) return "header.arrays must be a list";
  const names = new Set<string>();
  const descriptors: ArrayDescriptor[] = [];
  let total = 0;
  for (const [i, raw] of list.entries()) {
    const d = raw as Partial<Record<keyof ArrayDescriptor, unknown>> | null;
    if (d === null || typeof d !== "object") return `header.arrays[${i}] must be an object`;
    if (typeof d.name !== "string") return `header.arrays[${i}].name must be a string`;
    if (names.has(d.name)) return `array name ${d.name} appears twice`;
    names.add(d.name);
    if (!isDType(d.dtype)) return `array ${d.name} has unknown dtype ${JSON.stringify(d.dtype)}`;
    if (!Array.isArray(d.shape) || !d.shape.every((n) => Number.isSafeInteger(n) && n >= 0)) {
      return `array ${d.name}: shape must be a list of non-negative integers`;
    }
    const shape = d.shape as number[];
    const inSegment = d.offset !== undefined;
    if (inSegment && !(Number.isSafeInteger(d.offset) && (d.offset as number) >= 0 && (d.offset as number) % 8 === 0)) {
      return `array ${d.name}: offset must be a non-negative multiple of 8`;
    }
    const bound = inSegment ? maxSegmentBytes : payloadLength;
    // Multiply step by step so a huge shape is rejected before the product loses precision.
    let expected = shape.includes(0) ? 0 : DTYPE_LAYOUTS[d.dtype].itemSize;
    for (const n of shape) {
      expected *= n;
      if (expected > bound) {
        return `array ${d.name}: shape [${shape.join(", ")}] needs more than ${inSegment ? `the maximum ${bound}` : `payload_len ${bound}`} bytes`;
      }
    }
    if (d.nbytes !== expected) return `array ${d.name}: nbytes ${JSON.stringify(d.nbytes)} != prod(shape) * itemsize = ${expected}`;
    if (inSegment) {
      descriptors.push({ name: d.name, dtype: d.dtype, shape, nbytes: expected, offset: d.offset as number });
      continue;
    }
    total += pad8(expected);
    if (total > payloadLength) return `arrays need more than payload_len ${payloadLength} bytes`;
    descriptors.push({ name: d.name, dtype: d.dtype, shape, nbytes: expected });
  }
  if (total !== payloadLength) return `arrays need ${total} bytes (padded) but payload_len is ${payloadLength}`;
  return descriptors;
};

interface FrameParserOptions {
  /** The kind of frame this end accepts. */
  kind: FrameKind;
  /** Largest payload accepted, in bytes. */
  maxPayloadBytes?: number;
  /** Extra checks on a parsed header (e.g. a request's op and params), run before the payload is allocated. */
  validateHeader?: (header: Record<string, unknown>) => string | undefined;
  /** Where payloads go (default: a fresh SharedArrayBuffer each); may return a larger buffer. */
  allocatePayload?: (bytes: number) => SharedArrayBuffer;
}

type ParserState =
  | { stage: "preamble" }
  | { stage: "header"; header: Buffer; filled: number; payloadLength: number }
  | { stage: "payload"; header: Record<string, unknown>; descriptors: ArrayDescriptor[]; payload: SharedArrayBuffer; bytes: Uint8Array; filled: number }
  | { stage: "skip"; remaining: number };

/**
 * Incremental frame reader. Feed it stream chunks with `push`; it returns the
 * frames and faults completed by that chunk, in stream order.
 */
export class FrameParser {
  private readonly kind: FrameKind;
  private readonly maxPayloadBytes: number;
  private readonly validateHeader?: (header: Record<string, unknown>) => string | undefined;
  private readonly allocatePayload: (bytes: number) => SharedArrayBuffer;
  private state: ParserState = { stage: "preamble" };
  /** Preamble bytes gathered so far (fewer than PREAMBLE_BYTES). */
  private preamble = Buffer.alloc(0);
  /** True while scanning garbage for the next magic; the fault was already reported. */
  private resyncing = false;

  constructor(options: FrameParserOptions) {
    this.kind = options.kind;
    this.maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    this.validateHeader = options.validateHeader;
    this.allocatePayload = options.allocatePayload ?? ((bytes) => new SharedArrayBuffer(bytes));
  }

  /** True when the stream stopped inside a frame (or inside garbage). */
  get midFrame(): boolean {
    return this.state.stage !== "preamble" || this.preamble.length > 0 || this.resyncing;
  }

  push(chunk: Uint8Array): FrameEvent[] {
    const events: FrameEvent[] = [];
    let data = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    while (data.length > 0) {
      switch (this.state.stage) {
        case "preamble":
          data = this.readPreamble(data, events);
          break;
        case "header":
          data = this.readHeader(data, events);
          break;
        case "payload":
          data = this.readPayload(data, events);
          break;
        case "skip": {
          const n = Math.min(this.state.remaining, data.length);
          this.state.remaining -= n;
          data = data.subarray(n);
          if (this.state.remaining === 0) this.state = { stage: "preamble" };
          break;
        }
      }
    }
    return events;
  }

  /**
   * While a payload is being received, the part of it still to be filled, so a
   * reader can read the stream straight into it (then call `commitDirect`)
   * instead of through `push`; undefined otherwise.
   */
  directTarget(): Uint8Array | undefined {
    if (this.state.stage !== "payload") return undefined;
    return this.state.bytes.subarray(this.state.filled);
  }

  /** Records that `n` bytes were written into `directTarget()`; returns the events completed. */
  commitDirect(n: number): FrameEvent[] {
    const state = this.state;
    if (state.stage !== "payload" || n < 0 || state.filled + n > state.bytes.length) throw new Error(`commitDirect(${n}) outside a payload`);
    state.filled += n;
    const events: FrameEvent[] = [];
    if (state.filled === state.bytes.length) this.finishPayload(events);
    return events;
  }

  private readPreamble(data: Buffer, events: FrameEvent[]): Buffer {
    if (this.preamble.length > 0) {
      data = Buffer.concat([this.preamble, data]);
      this.preamble = Buffer.alloc(0);
    }
    const start = data.indexOf(MAGIC);
    if (start < 0) {
      // No magic yet: everything but a trailing partial magic (which the next
      // chunk may complete) is garbage, reported once per run.
      const keep = partialMagicLength(data);
      if (data.length > keep) this.fault(events, "bad magic: expected ADSP");
      this.preamble = Buffer.from(data.subarray(data.length - keep));
      return Buffer.alloc(0);
    }
    if (start > 0) {
      this.fault(events, "bad magic: expected ADSP");
      data = data.subarray(start);
    }
    if (data.length < PREAMBLE_BYTES) {
      this.preamble = Buffer.from(data);
      return Buffer.alloc(0);
    }
    const problem = this.checkPreamble(data);
    if (problem) {
      this.fault(events, problem);
      return data.subarray(1);
    }
    this.resyncing = false;
    const headerLength = data.readUInt32LE(8);
    const payloadLength = Number(data.readBigUInt64LE(16));
    this.state = { stage: "header", header: Buffer.alloc(headerLength), filled: 0, payloadLength };
    return data.subarray(PREAMBLE_BYTES);
  }

  private checkPreamble(data: Buffer): string | undefined {
    const version = data.readUInt16LE(4);
    if (version !== PROTOCOL_VERSION) return `unsupported protocol version ${version} (this server speaks ${PROTOCOL_VERSION})`;
    const kind = data.readUInt16LE(6);
    if (kind !== this.kind) return `unexpected frame kind ${kind} (expected ${this.kind})`;
    const headerLength = data.readUInt32LE(8);
    if (headerLength > MAX_HEADER_BYTES) return `header_len ${headerLength} exceeds ${MAX_HEADER_BYTES}`;
    if (headerLength % 8 !== 0 || headerLength === 0) return `header_len ${headerLength} is not a positive multiple of 8`;
    if (data.readUInt32LE(12) !== 0) return "reserved preamble field is not 0";
    const payloadLength = data.readBigUInt64LE(16);
    if (payloadLength > BigInt(this.maxPayloadBytes)) return `payload_len ${payloadLength} exceeds the maximum ${this.maxPayloadBytes}`;
    if (payloadLength % 8n !== 0n) return `payload_len ${payloadLength} is not a multiple of 8`;
    return undefined;
  }

  private readHeader(data: Buffer, events: FrameEvent[]): Buffer {
    const state = this.state as Extract<ParserState, { stage: "header" }>;
    const n = data.copy(state.header, state.filled, 0);
    state.filled += n;
    if (state.filled < state.header.length) return data.subarray(n);

    const { header, payloadLength } = state;
    const skipFrame = (id: number | null, message: string, errorType: WireErrorType = "ProtocolError"): void => {
      events.push({ type: "fault", id, errorType, message });
      this.state = payloadLength > 0 ? { stage: "skip", remaining: payloadLength } : { stage: "preamble" };
    };
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(header));
    } catch (error) {
      skipFrame(null, `header is not valid UTF-8 JSON: ${(error as Error).message}`);
      return data.subarray(n);
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      skipFrame(null, "header must be a JSON object");
      return data.subarray(n);
    }
    const headerObject = parsed as Record<string, unknown>;
    const id = frameId(headerObject);
    const descriptors = readArrayDescriptors(headerObject, payloadLength, this.maxPayloadBytes);
    if (typeof descriptors === "string") {
      skipFrame(id, descriptors);
      return data.subarray(n);
    }
    const problem = this.validateHeader?.(headerObject);
    if (problem !== undefined) {
      skipFrame(id, problem);
      return data.subarray(n);
    }
    let payload: SharedArrayBuffer;
    try {
      payload = this.allocatePayload(payloadLength);
    } catch (error) {
      skipFrame(id, `cannot allocate a ${payloadLength}-byte payload: ${(error as Error).message}`, "InternalError");
      return data.subarray(n);
    }
    this.state = { stage: "payload", header: headerObject, descriptors, payload, bytes: new Uint8Array(payload, 0, payloadLength), filled: 0 };
    if (payloadLength === 0) this.finishPayload(events);
    return data.subarray(n);
  }

  private readPayload(data: Buffer, events: FrameEvent[]): Buffer {
    const state = this.state as Extract<ParserState, { stage: "payload" }>;
    const n = Math.min(data.length, state.bytes.length - state.filled);
    state.bytes.set(data.subarray(0, n), state.filled);
    state.filled += n;
    if (state.filled === state.bytes.length) this.finishPayload(events);
    return data.subarray(n);
  }

  private finishPayload(events: FrameEvent[]): void {
    const { header, descriptors, payload } = this.state as Extract<ParserState, { stage: "payload" }>;
    this.state = { stage: "preamble" };
    let offset = 0;
    const fromSegment: SegmentRead[] = [];
    try {
      const arrays = descriptors.map((d): NamedArray => {
        const layout = DTYPE_LAYOUTS[d.dtype];
        const elements = (d.nbytes / layout.itemSize) * layout.lanes;
        if (d.offset !== undefined) {
          // Its own buffer (the arena's, like the payload), filled by the server from the segment.
          const own = this.allocatePayload(Math.max(8, pad8(d.nbytes)));
          fromSegment.push({ offset: d.offset, bytes: new Uint8Array(own, 0, d.nbytes) });
          return { name: d.name, dtype: d.dtype, shape: d.shape, data: layout.view(own, 0, elements) };
        }
        const data = layout.view(payload, offset, elements);
        offset += pad8(d.nbytes);
        return { name: d.name, dtype: d.dtype, shape: d.shape, data };
      });
      events.push({ type: "frame", header, arrays, payload, fromSegment });
    } catch (error) {
      // A typed array longer than this engine allows.
      events.push({ type: "fault", id: frameId(header), errorType: "InternalError", message: `cannot view the payload: ${(error as Error).message}` });
    }
  }

  private fault(events: FrameEvent[], message: string): void {
    if (!this.resyncing) events.push({ type: "fault", id: null, errorType: "ProtocolError", message });
    this.resyncing = true;
  }
}

/** Length of the longest suffix of `data` that is a proper prefix of MAGIC. */
const partialMagicLength = (data: Buffer): number => {
  for (let k = Math.min(MAGIC.length - 1, data.length); k > 0; k--) {
    if (data.subarray(data.length - k).equals(MAGIC.subarray(0, k))) return k;
  }
  return 0;
};
