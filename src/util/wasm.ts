/**
 * The one WebAssembly assembler of the project: the binary format's
 * encodings, named instructions, a function builder with named locals and a
 * module builder. Every kernel module is written with it, and assembled
 * offline: the hand-written SIMD kernels (cqt/bandProduct.ts,
 * hpss/laneMedian.ts, pitch/yinKernels.ts, ...) by scripts/gen_kernel_wasm.mjs
 * into util/kernelWasmModules.ts (see util/kernelModules.ts), the FFT's by
 * scripts/gen_fft_wasm.mjs; both load the kernels' sources through esbuild, so
 * there is one definition of every byte.
 *
 * Every module imports its memory as `env.memory`: they all work in the one
 * memory of their thread (util/kernelMemory.ts instantiates them).
 *
 * This file imports nothing, so the generator can bundle it alone.
 *
 * @see https://webassembly.github.io/spec/core/binary/index.html
 */

// ---- encodings ----

/** Unsigned LEB128 of a non-negative integer below 2^32. */
const uleb = (value: number): number[] => {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
};

/** Signed LEB128 of a 32-bit integer. */
const sleb = (value: number): number[] => {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
};

/** A vector: its length, then its items. */
const vec = (items: readonly number[][]): number[] => [...uleb(items.length), ...items.flat()];

/** A module section: id, byte length, content. */
const section = (id: number, content: readonly number[]): number[] => [id, ...uleb(content.length), ...content];

/**
 * A name: its length, then its bytes. Names here are ASCII (UTF-8 is the same bytes), encoded
 * without TextEncoder, which some embeddings (a bare JavaScript context) lack.
 */
export const text = (s: string): number[] => {
  const bytes = Array.from(s, (c) => {
    const code = c.charCodeAt(0);
    if (code > 0x7f) throw new Error(`WebAssembly name ${JSON.stringify(s)}: only ASCII names are encoded here`);
    return code;
  });
  return [...uleb(bytes.length), ...bytes];
};

/** Little-endian bytes of a float64 / float32. */
const float64Bytes = (value: number): number[] => {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value, true);
  return Array.from(new Uint8Array(view.buffer));
};
const float32Bytes = (value: number): number[] => {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, value, true);
  return Array.from(new Uint8Array(view.buffer));
};

// ---- value types ----

export const I32 = 0x7f;
export const F32 = 0x7d;
export const F64 = 0x7c;
export const V128 = 0x7b;

// ---- instructions (each a byte array to spread into a body) ----

/** Structured control; `BLOCK`, `LOOP`, `IF` take no values and leave none. */
export const BLOCK = [0x02, 0x40];
export const LOOP = [0x03, 0x40];
export const IF = [0x04, 0x40];
export const ELSE = [0x05];
export const END = [0x0b];
export const BR = (depth: number): number[] => [0x0c, ...uleb(depth)];
export const BR_IF = (depth: number): number[] => [0x0d, ...uleb(depth)];
export const RETURN = [0x0f];
export const CALL = (fn: number): number[] => [0x10, ...uleb(fn)];
export const SELECT = [0x1b];

/** Loads and stores at a constant byte offset from the address on the stack (natural alignment). */
export const I32_LOAD = (offset = 0): number[] => [0x28, 2, ...uleb(offset)];
export const F32_LOAD = (offset = 0): number[] => [0x2a, 2, ...uleb(offset)];
export const F64_LOAD = (offset = 0): number[] => [0x2b, 3, ...uleb(offset)];
export const I32_STORE = (offset = 0): number[] => [0x36, 2, ...uleb(offset)];
export const I32_LOAD8_U = (offset = 0): number[] => [0x2d, 0, ...uleb(offset)];
export const I32_STORE8 = (offset = 0): number[] => [0x3a, 0, ...uleb(offset)];
export const I32_STORE16 = (offset = 0): number[] => [0x3b, 1, ...uleb(offset)];
/** memory.fill (bulk memory) of memory 0: operands destination, byte value, length. */
export const MEMORY_FILL = [0xfc, 0x0b, 0x00];
export const F64_STORE = (offset = 0): number[] => [0x39, 3, ...uleb(offset)];

export const i32 = (value: number): number[] => [0x41, ...sleb(value)];
export const f32 = (value: number): number[] => [0x43, ...float32Bytes(value)];
export const f64 = (value: number): number[] => [0x44, ...float64Bytes(value)];

export const I32_EQZ = [0x45];
export const I32_EQ = [0x46];
export const I32_LT_S = [0x48];
export const I32_LT_U = [0x49];
export const I32_GT_S = [0x4a];
export const I32_LE_S = [0x4c];
export const I32_LE_U = [0x4d];
export const I32_GE_S = [0x4e];
export const I32_GE_U = [0x4f];
export const F64_EQ = [0x61];
export const F64_LT = [0x63];
export const F64_GT = [0x64];
export const F64_GE = [0x66];
export const I32_ADD = [0x6a];
export const I32_SUB = [0x6b];
export const I32_MUL = [0x6c];
export const I32_DIV_U = [0x6e];
export const I32_AND = [0x71];
export const I32_OR = [0x72];
export const I32_SHL = [0x74];
export const I32_SHR_S = [0x75];
export const I32_SHR_U = [0x76];
export const F64_SQRT = [0x9f];
export const F64_ADD = [0xa0];
export const F64_SUB = [0xa1];
export const F64_MUL = [0xa2];
export const F64_MIN = [0xa4];
export const F64_MAX = [0xa5];
export const F32_DEMOTE_F64 = [0xb6];
export const F64_PROMOTE_F32 = [0xbb];
export const F64_CONVERT_I32_S = [0xb7];
export const I32_WRAP_I64 = [0xa7];
export const I64_EXTEND_I32_U = [0xad];

/** A SIMD instruction: the 0xfd prefix, its opcode (LEB128), then its immediates. */
export const simd = (opcode: number, ...immediates: number[]): number[] => [0xfd, ...uleb(opcode), ...immediates];

/** v128.load / v128.store with 16-byte alignment at a constant byte offset. */
export const V128_LOAD = (offset = 0): number[] => simd(0x00, 4, ...uleb(offset));
export const V128_STORE = (offset = 0): number[] => simd(0x0b, 4, ...uleb(offset));
/** v128.load64_splat: one float64 into both lanes. */
export const V128_LOAD64_SPLAT = (offset = 0): number[] => simd(0x0a, 3, ...uleb(offset));
/** v128.load64_zero: one float64 into lane 0, lane 1 zero. */
export const V128_LOAD64_ZERO = (offset = 0): number[] => simd(0x5d, 3, ...uleb(offset));
/** v128.store64_lane: lane `lane` (of two 64-bit lanes). */
export const V128_STORE64_LANE = (offset = 0, lane = 0): number[] => simd(0x5b, 3, ...uleb(offset), lane);
/** v128.const of 16 bytes. */
export const V128_CONST = (bytes: readonly number[]): number[] => simd(0x0c, ...bytes);
export const V128_ZERO = V128_CONST(new Array<number>(16).fill(0));
/** i8x16.shuffle: output byte i is byte `bytes[i]` of the pair (a, b), b's bytes numbered 16 .. 31. */
export const I8X16_SHUFFLE = (bytes: readonly number[]): number[] => simd(0x0d, ...bytes);
export const F32X4_SPLAT = simd(0x13);
export const F64X2_SPLAT = simd(0x14);
export const F64X2_EXTRACT_LANE = (lane: number): number[] => simd(0x21, lane);
export const F64X2_REPLACE_LANE = (lane: number): number[] => simd(0x22, lane);
export const F32X4_EQ = simd(0x41);
export const F32X4_LT = simd(0x43);
export const F32X4_GT = simd(0x44);
export const F64X2_EQ = simd(0x47);
export const F64X2_NE = simd(0x48);
export const F64X2_LT = simd(0x49);
export const F64X2_GT = simd(0x4a);
export const F64X2_GE = simd(0x4c);
export const V128_AND = simd(0x4e);
export const V128_OR = simd(0x50);
export const V128_XOR = simd(0x51);
export const V128_BITSELECT = simd(0x52);
export const V128_ANY_TRUE = simd(0x53);
export const F32X4_DEMOTE_F64X2_ZERO = simd(0x5e);
export const F64X2_PROMOTE_LOW_F32X4 = simd(0x5f);
/** Both float64 lanes rounded to float32 and back, as Math.fround. */
export const ROUND32 = [...F32X4_DEMOTE_F64X2_ZERO, ...F64X2_PROMOTE_LOW_F32X4];
export const I64X2_BITMASK = simd(0xc4);
export const I64X2_SPLAT = simd(0x12);
export const I64X2_EXTRACT_LANE = (lane: number): number[] => simd(0x1d, lane);
export const I64X2_ADD = simd(0xce);
export const F32X4_SQRT = simd(0xe3);
export const F32X4_ADD = simd(0xe4);
export const F32X4_SUB = simd(0xe5);
export const F32X4_MUL = simd(0xe6);
export const F32X4_DIV = simd(0xe7);
export const F32X4_PMAX = simd(0xeb);
export const F64X2_ABS = simd(0xec);
export const F64X2_SQRT = simd(0xef);
export const F64X2_ADD = simd(0xf0);
export const F64X2_SUB = simd(0xf1);
export const F64X2_MUL = simd(0xf2);
export const F64X2_DIV = simd(0xf3);
export const F64X2_MIN = simd(0xf4);
export const F64X2_PMIN = simd(0xf6);
export const F64X2_PMAX = simd(0xf7);

// ---- functions ----

/** A local: its index, or its name in the function being built by {@link func}. */
export type Local = number | string;

interface Building {
  readonly name: string;
  readonly params: number[];
  readonly locals: number[];
  readonly names: Map<string, number>;
}

let current: Building | null = null;

const indexOf = (local: Local): number => {
  if (typeof local === "number") return local;
  const at = current?.names.get(local);
  if (at === undefined) throw new Error(`unknown local ${local} in ${current?.name ?? "no function"}`);
  return at;
};

export const get = (local: Local): number[] => [0x20, ...uleb(indexOf(local))];
/** local.set, after the instructions of `expr` (which leave the value). */
export const set = (local: Local, expr: readonly number[] = []): number[] => [...expr, 0x21, ...uleb(indexOf(local))];
export const tee = (local: Local, expr: readonly number[] = []): number[] => [...expr, 0x22, ...uleb(indexOf(local))];
/** local += value (i32). */
export const addConst = (local: Local, value: number): number[] => [...get(local), ...i32(value), ...I32_ADD, ...set(local)];
/** local += other local (i32). */
export const addLocal = (local: Local, other: Local): number[] => [...get(local), ...get(other), ...I32_ADD, ...set(local)];
/** do { body } while (cond) */
export const doWhile = (body: readonly number[], cond: readonly number[]): number[] => [...LOOP, ...body, ...cond, ...BR_IF(0), ...END];

/** An expression of a two-operand instruction `op`: both operands' code, then `op` (stack order). */
export const binary =
  (op: readonly number[]) =>
  (a: readonly number[], b: readonly number[]): number[] => [...a, ...b, ...op];
export const i32Add = binary(I32_ADD);
export const i32Sub = binary(I32_SUB);
export const i32Mul = binary(I32_MUL);
export const i32Shl = binary(I32_SHL);
export const i32LtU = binary(I32_LT_U);
export const i32LeU = binary(I32_LE_U);
export const v128Xor = binary(V128_XOR);
/** The vector at `addr + offset`. */
export const v128Load = (addr: readonly number[], offset = 0): number[] => [...addr, ...V128_LOAD(offset)];
/** Stores `value` at `addr + offset`. */
export const v128Store = (addr: readonly number[], value: readonly number[], offset = 0): number[] => [...addr, ...value, ...V128_STORE(offset)];
/** The bytes of `a` and `b` picked by `bytes` (0-15 from a, 16-31 from b). */
export const i8x16Shuffle = (a: readonly number[], b: readonly number[], bytes: readonly number[]): number[] => [...a, ...b, ...I8X16_SHUFFLE(bytes)];
/** A vector's 16 bytes in order: shuffle masks are built from its halves. */
export const BYTE_ORDER: readonly number[] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
/** while (local `count` != 0) { body; count -= step } */
export const countedLoop = (count: Local, step: number, body: readonly number[]): number[] => [
  ...BLOCK,
  ...LOOP,
  ...get(count), ...I32_EQZ, ...BR_IF(1),
  ...body,
  ...get(count), ...i32(step), ...I32_SUB, ...set(count),
  ...BR(0),
  ...END,
  ...END,
];
/** if (cond) { body } */
export const ifThen = (cond: readonly number[], body: readonly number[]): number[] => [...cond, ...IF, ...body, ...END];
/** if (cond) { then } else { otherwise } */
export const ifElse = (cond: readonly number[], then: readonly number[], otherwise: readonly number[]): number[] => [...cond, ...IF, ...then, ...ELSE, ...otherwise, ...END];
/** while (cond) { body }: the condition before each pass. */
export const whileLoop = (cond: readonly number[], body: readonly number[]): number[] => [
  ...BLOCK,
  ...LOOP,
  ...cond, ...I32_EQZ, ...BR_IF(1),
  ...body,
  ...BR(0),
  ...END,
  ...END,
];

/** The locals vector of a hand-indexed body: runs of (count, type), numbered on from the parameters. */
export const locals = (...runs: (readonly [number, number])[]): number[] => vec(runs.map(([count, type]) => [...uleb(count), type]));

/** A function of a module: its export name, signature and body (its locals vector, code and `end`). */
export interface WasmFunction {
  readonly name: string;
  readonly params: readonly number[];
  readonly results: readonly number[];
  readonly body: readonly number[];
}

/**
 * A function whose locals have names: `params` name the parameters, `build`
 * declares more with {@link declare} and returns the code, whose `get`/`set`
 * may then use the names. Locals are grouped by runs of one type, in
 * declaration order.
 *
 * The body is assembled when first read: the kernels' modules come prebuilt
 * (src/util/kernelModules.ts), so at load a thread only makes these objects;
 * the assembler runs in scripts/gen_kernel_wasm.mjs, in tests, and where a
 * runtime cannot decode the prebuilt bytes.
 */
export const func = (name: string, params: readonly (readonly [string, number])[], build: () => number[], results: readonly number[] = []): WasmFunction => {
  const types = params.map(([, type]) => type);
  let body: number[] | undefined;
  return {
    name,
    params: types,
    results,
    get body(): number[] {
      return (body ??= assemble(name, params, types, build));
    },
  };
};

/** {@link func}'s body: its locals vector, the code `build` returns, and `end`. */
const assemble = (name: string, params: readonly (readonly [string, number])[], types: number[], build: () => number[]): number[] => {
  const building: Building = { name, params: types, locals: [], names: new Map() };
  params.forEach(([local], i) => building.names.set(local, i));
  const outer = current;
  current = building;
  try {
    const code = build();
    const grouped: [number, number][] = [];
    for (const type of building.locals) {
      const last = grouped[grouped.length - 1];
      if (last?.[1] === type) last[0]++;
      else grouped.push([1, type]);
    }
    return [...vec(grouped.map(([count, type]) => [...uleb(count), type])), ...code, ...END];
  } finally {
    current = outer;
  }
};

/** Declares locals (name: type) of the function being built by {@link func}. */
export const declare = (locals: Record<string, number>): void => {
  if (current === null) throw new Error("declare outside func");
  for (const [local, type] of Object.entries(locals)) {
    current.names.set(local, current.params.length + current.locals.length);
    current.locals.push(type);
  }
};

/**
 * A module exporting `functions` (function i has index i, for `CALL`), which
 * imports its memory as `env.memory`. Signatures are listed once each, in
 * order of first use.
 */
export const wasmModule = (functions: readonly WasmFunction[]): Uint8Array => {
  const types: { key: string; params: readonly number[]; results: readonly number[] }[] = [];
  const typeIndex = (params: readonly number[], results: readonly number[]): number => {
    const key = `${params.join(",")}->${results.join(",")}`;
    let at = types.findIndex((t) => t.key === key);
    if (at < 0) {
      at = types.length;
      types.push({ key, params, results });
    }
    return at;
  };
  const funcTypes = functions.map((f) => typeIndex(f.params, f.results));
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types.map(({ params, results }) => [0x60, ...vec(params.map((t) => [t])), ...vec(results.map((t) => [t]))]))),
    ...section(2, vec([[...text("env"), ...text("memory"), 0x02, 0x00, ...uleb(1)]])),
    ...section(3, vec(funcTypes.map((t) => uleb(t)))),
    ...section(7, vec(functions.map((f, i) => [...text(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(functions.map((f) => [...uleb(f.body.length), ...f.body]))),
  ]);
};
