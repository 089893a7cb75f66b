/**
 * Small WebAssembly modules written out in TypeScript (the SIMD kernels of
 * cqt/bandProduct.ts and hpss/laneMedian.ts) and their loading, shared with
 * the FFT's generated module: byte helpers for the binary format, and an
 * instantiation that answers null where WebAssembly or SIMD is missing, so
 * callers fall back to their TypeScript loops.
 *
 * @see https://webassembly.github.io/spec/core/binary/index.html
 */

/** The part of the WebAssembly JS API used here (the project's `lib` setting has no wasm types). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { readonly exports: unknown };
}

/** Unsigned LEB128 encoding of a non-negative integer. */
export const uleb = (value: number): number[] => {
  const out: number[] = [];
  let v = value;
  do {
    out.push((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
    v >>>= 7;
  } while (v > 0);
  return out;
};

/** A module section: id, byte length, content. */
export const section = (id: number, content: number[]): number[] => [id, ...uleb(content.length), ...content];

/** A name (length-prefixed ASCII). */
export const text = (s: string): number[] => [s.length, ...Array.from(s, (ch) => ch.charCodeAt(0))];

/**
 * The exports of `bytes` compiled synchronously (modules under 4 KB may be,
 * even on a browser's main thread), or null where WebAssembly is absent or
 * rejects the module (e.g. no SIMD: `validate` is false).
 */
export const instantiateIfSupported = (bytes: Uint8Array): unknown | null => {
  try {
    const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    if (api === undefined || !api.validate(bytes)) return null;
    return new api.Instance(new api.Module(bytes)).exports;
  } catch {
    return null;
  }
};
