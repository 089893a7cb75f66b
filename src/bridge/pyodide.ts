/**
 * The entry Python uses inside Pyodide (python/auralis_dsp/_backend/pyodide.py).
 * Input arrays arrive as PyProxies of numpy arrays and are read in place, as
 * typed-array views of the WebAssembly heap (`PyProxy.getBuffer`): no copy.
 * The call is synchronous (the in-process runner runs every task inline and
 * the flow is driven to its end at once): it returns the op's result, or a
 * fault, before Python continues.
 */
import type { NamedArray, OpTable } from "../ops/types.js";
import { AsyncWorkError, runFlowSync } from "../schedule/runner.js";
import { DTYPE_LAYOUTS, elementCount, isDType } from "./dtypes.js";
import { checkResult, faultOf, findOp, inProcessRunner, opResult, type CallFault } from "./inProcess.js";
import { decodeNonFinite, stringifyWireJson } from "./wireJson.js";

/** The part of Pyodide's PyProxy of a buffer-protocol object that this entry uses. */
export interface PyBufferProxy {
  getBuffer(type: "u8"): { data: Uint8Array; c_contiguous: boolean; release(): void };
}

/** Name, wire dtype and shape of each array, in the order of the buffers passed. */
interface ArrayDescriptor {
  name: string;
  dtype: string;
  shape: number[];
}

/** A result array as Python receives it: its elements as bytes, which Python copies into a numpy array. */
interface ReplyArray {
  name: string;
  dtype: string;
  shape: number[];
  bytes: Uint8Array;
}

/** What Python receives: `meta` as wire JSON, or a fault. */
export type PyodideReply = { ok: true; meta: string; arrays: ReplyArray[] } | ({ ok: false } & CallFault);

const viewOf = (descriptor: ArrayDescriptor, bytes: Uint8Array): NamedArray => {
  const { name, dtype, shape } = descriptor;
  if (!isDType(dtype)) throw new Error(`array ${name} has unsupported dtype ${dtype}`);
  const layout = DTYPE_LAYOUTS[dtype];
  const length = elementCount(shape) * layout.lanes;
  if (bytes.byteLength !== (length * layout.itemSize) / layout.lanes) {
    throw new Error(`array ${name}: ${bytes.byteLength} bytes do not hold ${dtype} of shape [${shape.join(", ")}]`);
  }
  return { name, dtype, shape, data: layout.view(bytes.buffer, bytes.byteOffset, length) };
};

/** The Pyodide entry's call function. */
type PyodideCall = (op: string, paramsJson: string, descriptorsJson: string, ...buffers: PyBufferProxy[]) => PyodideReply;

/**
 * The entry over the ops of `ops`: runs `op` with `paramsJson` (wire JSON,
 * non-finite numbers as `{"$float": ...}`) on the numpy arrays `buffers`,
 * described by `descriptorsJson`. Never throws: every failure comes back as
 * `{ok: false, type, message}`.
 */
export const createPyodideCall = (ops: OpTable): PyodideCall => (op, paramsJson, descriptorsJson, ...buffers) => {
  const held: { release(): void }[] = [];
  try {
    const handler = findOp(ops, op);
    if (!handler) return { ok: false, type: "ProtocolError", message: `unknown op ${op}` };
    const params = decodeNonFinite(JSON.parse(paramsJson)) as Record<string, unknown>;
    const descriptors = JSON.parse(descriptorsJson) as ArrayDescriptor[];
    if (descriptors.length !== buffers.length) throw new Error(`${descriptors.length} array descriptors for ${buffers.length} buffers`);
    const arrays = descriptors.map((descriptor, i) => {
      const buffer = buffers[i]!.getBuffer("u8");
      held.push(buffer);
      if (!buffer.c_contiguous) throw new Error(`array ${descriptor.name} is not C-contiguous`);
      return viewOf(descriptor, buffer.data);
    });
    const result = checkResult(op, opResult(handler(params, arrays, { runner: inProcessRunner }), runFlowSync));
    // An output that aliases an input lives in the WebAssembly heap, which Python's next allocation may move.
    const inputs = new Set<ArrayBufferLike>(arrays.map((a) => a.data.buffer));
    const outputs = result.arrays.map(({ name, dtype, shape, data }) => {
      const own = inputs.has(data.buffer) ? data.slice() : data;
      return { name, dtype, shape, bytes: new Uint8Array(own.buffer, own.byteOffset, own.byteLength) };
    });
    return { ok: true, meta: stringifyWireJson(result.meta ?? {}), arrays: outputs };
  } catch (error) {
    if (error instanceof AsyncWorkError) {
      return { ok: false, type: "InternalError", message: `op ${op} waited for asynchronous work, which a synchronous call from Python cannot wait for` };
    }
    return { ok: false, ...faultOf(error) };
  } finally {
    for (const buffer of held) buffer.release();
  }
};
