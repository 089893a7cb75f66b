#!/usr/bin/env node
/**
 * Generates src/fft/fftWasmModule.ts: the WebAssembly (SIMD, f64x2) kernels of
 * the power-of-two real FFT, as base64 bytes. No assembler dependency: this
 * script encodes the binary format itself, from small expression builders.
 *
 *   node scripts/gen-fft-wasm.mjs          # rewrite the .ts file
 *   node scripts/gen-fft-wasm.mjs --check  # exit 1 if the committed file is stale
 *
 * Every complex value is one v128 (re, im). A complex product b·w uses the
 * twiddle stored as the pair (wr, wr), (-wi, wi): b·w = b*(wr, wr) + swap(b)*(-wi, wi),
 * which rounds exactly like the scalar `br*wr - bi*wi`, `bi*wr + br*wi`.
 * The passes are the Stockham DIF passes of src/fft/stockhamFft.ts (same
 * twiddles, same operation order), and the real split steps are those of
 * src/fft/realFft.ts with the constant factors (1/2, ±i) folded into the tables,
 * which is exact; see src/fft/wasmRealFft.ts for the memory layout.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const I32 = 0x7f;
const F64 = 0x7c;
const V128 = 0x7b;

const uleb = (value) => {
  const out = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
};
const sleb = (value) => {
  const out = [];
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
const name = (text) => [...uleb(text.length), ...Buffer.from(text, "utf8")];
const vec = (items) => [...uleb(items.length), ...items.flat()];
const section = (id, body) => [id, ...uleb(body.length), ...body];

// ---- function builder: locals by name, expressions as byte arrays ----
let current;
const index = (local) => {
  const at = current.names.get(local);
  if (at === undefined) throw new Error(`unknown local ${local} in ${current.name}`);
  return at;
};
const declare = (locals) => {
  for (const [local, type] of Object.entries(locals)) {
    current.names.set(local, current.params.length + current.locals.length);
    current.locals.push(type);
  }
};
const get = (local) => [0x20, ...uleb(index(local))];
const set = (local, expr) => [...expr, 0x21, ...uleb(index(local))];
const i32 = (value) => [0x41, ...sleb(value)];
const f64 = (value) => [0x44, ...new Uint8Array(new Float64Array([value]).buffer)];
const add = (a, b) => [...a, ...b, 0x6a];
const sub = (a, b) => [...a, ...b, 0x6b];
const mul = (a, b) => [...a, ...b, 0x6c];
const shl = (a, b) => [...a, ...b, 0x74];
const ltU = (a, b) => [...a, ...b, 0x49];
const leU = (a, b) => [...a, ...b, 0x4d];
const simd = (opcode, ...immediates) => [0xfd, ...uleb(opcode), ...immediates];
const load = (addr, offset = 0) => [...addr, ...simd(0x00, 4, ...uleb(offset))];
const store = (addr, value, offset = 0) => [...addr, ...value, ...simd(0x0b, 4, ...uleb(offset))];
/**
 * The lane arithmetic of the kernels being generated. float64: one complex
 * value per vector (re, im). float32 "pairs": two complex values per vector,
 * the same point of two transforms (re_a, im_a, re_b, im_b), so every table
 * and buffer keeps the float64 layout byte for byte (16 bytes a point, 32 a
 * twiddle pair) and a kernel is the float64 one with float32 lane operations.
 */
const FLOAT64 = {
  add: 0xf0,
  sub: 0xf1,
  mul: 0xf2,
  splatConst: (x) => [...f64(x), ...simd(0x14)],
  /** (im, re) of each complex value */
  swapLanes: [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7],
  /** sign bits of the imaginary parts */
  conj: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80],
  /** the real parts of a, zeros (from the second operand) for the imaginary ones */
  realsOnly: [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23],
  /** (re, re) of each complex value */
  realTwice: [0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7],
  /** an f64 value on the stack in every lane */
  splatF64: (expr) => [...expr, ...simd(0x14)],
};
const FLOAT32_PAIRS = {
  add: 0xe4,
  sub: 0xe5,
  mul: 0xe6,
  splatConst: (x) => [0x43, ...new Uint8Array(new Float32Array([x]).buffer), ...simd(0x13)],
  swapLanes: [4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11],
  conj: [0, 0, 0, 0, 0, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0, 0x80],
  realsOnly: [0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 16, 17, 18, 19],
  realTwice: [0, 1, 2, 3, 0, 1, 2, 3, 8, 9, 10, 11, 8, 9, 10, 11],
  splatF64: (expr) => [...expr, 0xb6, ...simd(0x13)],
};
let lanes = FLOAT64;
const fadd = (a, b) => [...a, ...b, ...simd(lanes.add)];
const fsub = (a, b) => [...a, ...b, ...simd(lanes.sub)];
const fmul = (a, b) => [...a, ...b, ...simd(lanes.mul)];
const xor = (a, b) => [...a, ...b, ...simd(0x51)];
const splat = (a) => [...a, ...simd(0x14)];
const shuffle = (a, b, lanes) => [...a, ...b, ...simd(0x0d, ...lanes)];
const LOW_HIGH = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
/** (a.re, b.re) */
const LOWS = [...LOW_HIGH.slice(0, 8), 16, 17, 18, 19, 20, 21, 22, 23];
/** (im, re) of a local. */
const swap = (local) => shuffle(get(local), get(local), lanes.swapLanes);
/** (0, -0): xor flips the sign of the imaginary part, i.e. conjugates. */
const conjugator = () => simd(0x0c, ...lanes.conj);
/** local b times the twiddle held as the pair (wr, wr), (-wi, wi) in locals wr, wi. */
const cmul = (b, wr, wi) => fadd(fmul(get(b), get(wr)), fmul(swap(b), get(wi)));
/** do { body } while (cond) */
const doWhile = (body, cond) => [0x03, 0x40, ...body, ...cond, 0x0d, 0, 0x0b];

const functions = [];
/** The float32 pair kernels: a second module over the first one's memory (each stays under the 4 KB browsers compile synchronously). */
const pairFunctions = [];
let emitTo = functions;
const func = (fnName, params, build, results = []) => {
  current = { name: fnName, params: params.map(([, type]) => type), locals: [], names: new Map() };
  params.forEach(([local], i) => current.names.set(local, i));
  const body = build();
  const grouped = [];
  for (const type of current.locals) {
    const last = grouped[grouped.length - 1];
    if (last && last[1] === type) last[0]++;
    else grouped.push([1, type]);
  }
  const code = [...vec(grouped.map(([count, type]) => [...uleb(count), type])), ...body, 0x0b];
  emitTo.push({ name: fnName, type: current.params, results, code: [...uleb(code.length), ...code] });
};

/**
 * Radix-4 Stockham pass: m groups p, each with its twiddles ω^{p}, ω^{2p}, ω^{3p}
 * (96 bytes at tw, in p order), over s contiguous points q. Byte addresses.
 */
const pass4Kernel = (fnName) =>
  func(fnName, [["src", I32], ["dst", I32], ["tw", I32], ["m", I32], ["s", I32]], () => {
  declare({ sb: I32, sb2: I32, sb3: I32, gap: I32, gap2: I32, gap3: I32, p: I32, i: I32, o: I32, qEnd: I32 });
  declare({ conj: V128, w1r: V128, w1i: V128, w2r: V128, w2i: V128, w3r: V128, w3i: V128 });
  declare({ a0: V128, a1: V128, a2: V128, a3: V128, t0: V128, t1: V128, t2: V128, t3: V128, b: V128 });
  return [
    ...set("conj", conjugator()),
    ...set("sb", shl(get("s"), i32(4))),
    ...set("sb2", shl(get("sb"), i32(1))),
    ...set("sb3", add(get("sb2"), get("sb"))),
    ...set("gap", mul(get("sb"), get("m"))),
    ...set("gap2", shl(get("gap"), i32(1))),
    ...set("gap3", add(get("gap2"), get("gap"))),
    ...set("p", i32(0)),
    ...set("i", get("src")),
    ...set("o", get("dst")),
    ...doWhile(
      [
        ...set("w1r", load(get("tw"), 0)),
        ...set("w1i", load(get("tw"), 16)),
        ...set("w2r", load(get("tw"), 32)),
        ...set("w2i", load(get("tw"), 48)),
        ...set("w3r", load(get("tw"), 64)),
        ...set("w3i", load(get("tw"), 80)),
        ...set("tw", add(get("tw"), i32(96))),
        ...set("qEnd", add(get("i"), get("sb"))),
        ...doWhile(
          [
            ...radix4Butterfly(true),
            ...set("i", add(get("i"), i32(16))),
            ...set("o", add(get("o"), i32(16))),
          ],
          ltU(get("i"), get("qEnd")),
        ),
        ...set("o", add(get("o"), get("sb3"))),
        ...set("p", add(get("p"), i32(1))),
      ],
      ltU(get("p"), get("m")),
    ),
  ];
});

/** The radix-4 DIF butterfly at input i (gaps gap..gap3) and output o (gaps sb..sb3). */
function radix4Butterfly(twiddled) {
  const out = (at, local, k) =>
    twiddled ? store(at, cmul(local, `w${k}r`, `w${k}i`)) : store(at, get(local));
  return [
    ...set("a0", load(get("i"))),
    ...set("a1", load(add(get("i"), get("gap")))),
    ...set("a2", load(add(get("i"), get("gap2")))),
    ...set("a3", load(add(get("i"), get("gap3")))),
    ...set("t0", fadd(get("a0"), get("a2"))),
    ...set("t1", fsub(get("a0"), get("a2"))),
    ...set("t2", fadd(get("a1"), get("a3"))),
    // t3 = -i (a1 - a3) = (d.im, -d.re)
    ...set("t3", fsub(get("a1"), get("a3"))),
    ...set("t3", xor(swap("t3"), get("conj"))),
    ...store(get("o"), fadd(get("t0"), get("t2"))),
    ...set("b", fadd(get("t1"), get("t3"))),
    ...out(add(get("o"), get("sb")), "b", 1),
    ...set("b", fsub(get("t0"), get("t2"))),
    ...out(add(get("o"), get("sb2")), "b", 2),
    ...set("b", fsub(get("t1"), get("t3"))),
    ...out(add(get("o"), get("sb3")), "b", 3),
  ];
}

/** Last radix-4 pass (m = 1): all twiddles are 1. */
const pass4lastKernel = (fnName) =>
  func(fnName, [["src", I32], ["dst", I32], ["s", I32]], () => {
  declare({ sb: I32, sb2: I32, sb3: I32, gap: I32, gap2: I32, gap3: I32, i: I32, o: I32, qEnd: I32 });
  declare({ conj: V128, a0: V128, a1: V128, a2: V128, a3: V128, t0: V128, t1: V128, t2: V128, t3: V128, b: V128 });
  return [
    ...set("conj", conjugator()),
    ...set("sb", shl(get("s"), i32(4))),
    ...set("sb2", shl(get("sb"), i32(1))),
    ...set("sb3", add(get("sb2"), get("sb"))),
    ...set("gap", get("sb")),
    ...set("gap2", get("sb2")),
    ...set("gap3", get("sb3")),
    ...set("i", get("src")),
    ...set("o", get("dst")),
    ...set("qEnd", add(get("src"), get("sb"))),
    ...doWhile(
      [...radix4Butterfly(false), ...set("i", add(get("i"), i32(16))), ...set("o", add(get("o"), i32(16)))],
      ltU(get("i"), get("qEnd")),
    ),
  ];
});

/**
 * Last radix-8 pass (m = 1, all twiddles 1), for sizes that are odd powers of
 * two: one pass instead of a radix-4 and a radix-2 one. The butterfly is two
 * radix-4 DFTs of the even and odd inputs joined by ω_8^k, as pass8 of
 * src/fft/stockhamFft.ts.
 */
const pass8lastKernel = (fnName) =>
  func(fnName, [["src", I32], ["dst", I32], ["s", I32]], () => {
  declare({ sb: I32, i: I32, o: I32, at: I32, qEnd: I32 });
  declare({ conj: V128, sqrtHalf: V128, a0: V128, a1: V128, a2: V128, a3: V128, t0: V128, t1: V128, t2: V128, t3: V128 });
  declare({ e0: V128, e1: V128, e2: V128, e3: V128, o0: V128, o1: V128, o2: V128, o3: V128, x: V128 });
  /** DFT4 of the inputs k0, k0 + 2, k0 + 4, k0 + 6 into locals y0 .. y3. */
  const dft4 = (k0, y) => [
    ...[0, 1, 2, 3].flatMap((j) => set(`a${j}`, load(add(get("i"), mul(get("sb"), i32(k0 + 2 * j)))))),
    ...set("t0", fadd(get("a0"), get("a2"))),
    ...set("t1", fsub(get("a0"), get("a2"))),
    ...set("t2", fadd(get("a1"), get("a3"))),
    ...set("t3", fsub(get("a1"), get("a3"))),
    ...set("t3", xor(swap("t3"), get("conj"))),
    ...set(`${y}0`, fadd(get("t0"), get("t2"))),
    ...set(`${y}1`, fadd(get("t1"), get("t3"))),
    ...set(`${y}2`, fsub(get("t0"), get("t2"))),
    ...set(`${y}3`, fsub(get("t1"), get("t3"))),
  ];
  const out = (k, value) => [...set("at", k === 0 ? get("o") : add(get("at"), get("sb"))), ...store(get("at"), value)];
  return [
    ...set("conj", conjugator()),
    ...set("sqrtHalf", lanes.splatConst(Math.SQRT1_2)),
    ...set("sb", shl(get("s"), i32(4))),
    ...set("i", get("src")),
    ...set("o", get("dst")),
    ...set("qEnd", add(get("src"), get("sb"))),
    ...doWhile(
      [
        ...dft4(0, "e"),
        ...dft4(1, "o"),
        // o1 *= e^{-iπ/4}: √½ (x - i x); o2 *= -i; o3 *= e^{-3iπ/4}: √½ (-i x - x)
        ...set("x", xor(swap("o1"), get("conj"))),
        ...set("o1", fmul(get("sqrtHalf"), fadd(get("o1"), get("x")))),
        ...set("o2", xor(swap("o2"), get("conj"))),
        ...set("x", xor(swap("o3"), get("conj"))),
        ...set("o3", fmul(get("sqrtHalf"), fsub(get("x"), get("o3")))),
        ...out(0, fadd(get("e0"), get("o0"))),
        ...out(1, fadd(get("e1"), get("o1"))),
        ...out(2, fadd(get("e2"), get("o2"))),
        ...out(3, fadd(get("e3"), get("o3"))),
        ...out(4, fsub(get("e0"), get("o0"))),
        ...out(5, fsub(get("e1"), get("o1"))),
        ...out(6, fsub(get("e2"), get("o2"))),
        ...out(7, fsub(get("e3"), get("o3"))),
        ...set("i", add(get("i"), i32(16))),
        ...set("o", add(get("o"), i32(16))),
      ],
      ltU(get("i"), get("qEnd")),
    ),
  ];
});

/** Last radix-2 pass (m = 1): y[q] = x[q] + x[q+s], y[q+s] = x[q] - x[q+s]. */
const pass2lastKernel = (fnName) =>
  func(fnName, [["src", I32], ["dst", I32], ["s", I32]], () => {
  declare({ sb: I32, i: I32, o: I32, qEnd: I32, a: V128, b: V128 });
  return [
    ...set("sb", shl(get("s"), i32(4))),
    ...set("i", get("src")),
    ...set("o", get("dst")),
    ...set("qEnd", add(get("src"), get("sb"))),
    ...doWhile(
      [
        ...set("a", load(get("i"))),
        ...set("b", load(add(get("i"), get("sb")))),
        ...store(get("o"), fadd(get("a"), get("b"))),
        ...store(add(get("o"), get("sb")), fsub(get("a"), get("b"))),
        ...set("i", add(get("i"), i32(16))),
        ...set("o", add(get("o"), i32(16))),
      ],
      ltU(get("i"), get("qEnd")),
    ),
  ];
});

/**
 * Forward real split step, in place: Z[0 .. m) (the complex FFT of the samples
 * read as pairs) becomes X[0 .. m]. tw holds V_k = -i e^{-2πik/n} / 2 for
 * k = 1 .. m/2 as pairs: X[k] = (A + B)/2 + (A - B) V_k, X[m-k] = conj((A + B)/2 - (A - B) V_k)
 * with A = Z[k], B = conj Z[m-k].
 */
const realForwardKernel = (fnName) =>
  func(fnName, [["buf", I32], ["tw", I32], ["m", I32]], () => {
  declare({ pk: I32, pj: I32, conj: V128, half: V128, zero: V128, z: V128, a: V128, b: V128, e: V128, d: V128, vr: V128, vi: V128, p: V128 });
  return [
    ...set("conj", conjugator()),
    ...set("half", lanes.splatConst(0.5)),
    ...set("zero", simd(0x0c, ...new Array(16).fill(0))),
    ...set("pj", add(get("buf"), shl(get("m"), i32(4)))),
    ...set("z", load(get("buf"))),
    // X[0] = (z.re + z.im, 0), X[m] = (z.re - z.im, 0)
    ...set("a", fadd(get("z"), swap("z"))),
    ...set("b", fsub(get("z"), swap("z"))),
    ...store(get("buf"), shuffle(get("a"), get("zero"), lanes.realsOnly)),
    ...store(get("pj"), shuffle(get("b"), get("zero"), lanes.realsOnly)),
    ...set("pk", add(get("buf"), i32(16))),
    ...set("pj", sub(get("pj"), i32(16))),
    ...doWhile(
      [
        ...set("a", load(get("pk"))),
        ...set("b", xor(load(get("pj")), get("conj"))),
        ...set("e", fmul(fadd(get("a"), get("b")), get("half"))),
        ...set("d", fsub(get("a"), get("b"))),
        ...set("vr", load(get("tw"), 0)),
        ...set("vi", load(get("tw"), 16)),
        ...set("p", cmul("d", "vr", "vi")),
        ...store(get("pk"), fadd(get("e"), get("p"))),
        ...store(get("pj"), xor(fsub(get("e"), get("p")), get("conj"))),
        ...set("tw", add(get("tw"), i32(32))),
        ...set("pk", add(get("pk"), i32(16))),
        ...set("pj", sub(get("pj"), i32(16))),
      ],
      leU(get("pk"), get("pj")),
    ),
  ];
});


/**
 * Inverse real split step, in place: X[0 .. m] becomes Z[0 .. m) stored with
 * re/im exchanged, so that a forward complex FFT computes the inverse. tw holds
 * U_k = i e^{2πik/n}: Z[k] = P + Q U_k, Z[m-k] = conj(P - Q U_k) with P = A + B,
 * Q = A - B, A = X[k], B = conj X[m-k].
 */
const realInverseKernel = (fnName) =>
  func(fnName, [["buf", I32], ["tw", I32], ["m", I32]], () => {
  declare({ pk: I32, pj: I32, conj: V128, a: V128, b: V128, p: V128, q: V128, ur: V128, ui: V128, r: V128, t: V128 });
  return [
    ...set("conj", conjugator()),
    ...set("pj", add(get("buf"), shl(get("m"), i32(4)))),
    // swapped Z[0] = (x0 - xm, x0 + xm) from the real parts of X[0], X[m]
    ...set("a", load(get("buf"))),
    ...set("b", load(get("pj"))),
    ...set("a", shuffle(get("a"), get("a"), lanes.realTwice)),
    ...set("b", xor(shuffle(get("b"), get("b"), lanes.realTwice), get("conj"))),
    ...store(get("buf"), fsub(get("a"), get("b"))),
    ...set("pk", add(get("buf"), i32(16))),
    ...set("pj", sub(get("pj"), i32(16))),
    ...doWhile(
      [
        ...set("a", load(get("pk"))),
        ...set("b", xor(load(get("pj")), get("conj"))),
        ...set("p", fadd(get("a"), get("b"))),
        ...set("q", fsub(get("a"), get("b"))),
        ...set("ur", load(get("tw"), 0)),
        ...set("ui", load(get("tw"), 16)),
        ...set("r", cmul("q", "ur", "ui")),
        ...set("t", fadd(get("p"), get("r"))),
        ...store(get("pk"), swap("t")),
        ...set("t", xor(fsub(get("p"), get("r")), get("conj"))),
        ...store(get("pj"), swap("t")),
        ...set("tw", add(get("tw"), i32(32))),
        ...set("pk", add(get("pk"), i32(16))),
        ...set("pj", sub(get("pj"), i32(16))),
      ],
      leU(get("pk"), get("pj")),
    ),
  ];
});

/** buf[0 .. count) complex values: v <- swap(v) * scale (the end of the inverse's swap identity). */
const swapScaleKernel = (fnName) =>
  func(fnName, [["buf", I32], ["count", I32], ["scale", F64]], () => {
  declare({ end: I32, factor: V128, v: V128 });
  return [
    ...set("factor", lanes.splatF64(get("scale"))),
    ...set("end", add(get("buf"), shl(get("count"), i32(4)))),
    ...doWhile(
      [
        ...set("v", load(get("buf"))),
        ...store(get("buf"), fmul(swap("v"), get("factor"))),
        ...set("buf", add(get("buf"), i32(16))),
      ],
      ltU(get("buf"), get("end")),
    ),
  ];
});

// The transforms twice: float64, and float32 pairs (two transforms at once; src/fft/wasmRealFft.ts).
for (const [suffix, kind, list] of [["", FLOAT64, functions], ["Pairs32", FLOAT32_PAIRS, pairFunctions]]) {
  lanes = kind;
  emitTo = list;
  for (const kernel of [pass4Kernel, pass4lastKernel, pass8lastKernel, pass2lastKernel, realForwardKernel, realInverseKernel, swapScaleKernel]) kernel(kernel.name.replace("Kernel", suffix));
}
// The pair kernels' own helpers (float32 lanes still set by the loop's last round).
emitTo = pairFunctions;

/**
 * The input of a float32 pair transform: points j = 0 .. count of the float64
 * frames at a and b (byte addresses), rounded to float32, as
 * (a[2j], a[2j+1], b[2j], b[2j+1]) at dst.
 */
func("interleavePairs32", [["a", I32], ["b", I32], ["dst", I32], ["count", I32]], () => {
  declare({ end: I32 });
  const demote = (addr) => [...load(addr), ...simd(0x5e)];
  return [
    ...set("end", add(get("dst"), shl(get("count"), i32(4)))),
    ...doWhile(
      [
        ...store(get("dst"), shuffle(demote(get("a")), demote(get("b")), [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23])),
        ...set("a", add(get("a"), i32(16))),
        ...set("b", add(get("b"), i32(16))),
        ...set("dst", add(get("dst"), i32(16))),
      ],
      ltU(get("dst"), get("end")),
    ),
  ];
});

/** count >= 1 points of a float32 pair spectrum at src, as float64 complex values: the first transform's to dstA, the second's to dstB. */
func("unpackPairs32", [["src", I32], ["dstA", I32], ["dstB", I32], ["count", I32]], () => {
  declare({ end: I32, v: V128 });
  const promoteLow = (a) => [...a, ...simd(0x5f)];
  return [
    ...set("end", add(get("src"), shl(get("count"), i32(4)))),
    ...doWhile(
      [
        ...set("v", load(get("src"))),
        ...store(get("dstA"), promoteLow(get("v"))),
        ...store(get("dstB"), promoteLow(shuffle(get("v"), get("v"), [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15]))),
        ...set("src", add(get("src"), i32(16))),
        ...set("dstA", add(get("dstA"), i32(16))),
        ...set("dstB", add(get("dstB"), i32(16))),
      ],
      ltU(get("src"), get("end")),
    ),
  ];
});

/** out = x · q per point, count >= 1 pair points: q as float32 quads (qr, qr, qr, qr), (-qi, qi, -qi, qi) (32 bytes a point). */
func("productPairs32", [["x", I32], ["q", I32], ["out", I32], ["count", I32]], () => {
  declare({ end: I32, v: V128, wr: V128, wi: V128 });
  return [
    ...set("end", add(get("x"), shl(get("count"), i32(4)))),
    ...doWhile(
      [
        ...set("v", load(get("x"))),
        ...set("wr", load(get("q"), 0)),
        ...set("wi", load(get("q"), 16)),
        ...store(get("out"), cmul("v", "wr", "wi")),
        ...set("x", add(get("x"), i32(16))),
        ...set("q", add(get("q"), i32(32))),
        ...set("out", add(get("out"), i32(16))),
      ],
      ltU(get("x"), get("end")),
    ),
  ];
});

lanes = FLOAT64;
emitTo = functions;

// ---- spectral products (src/pitch/yin.ts builds autocorrelations from block spectra) ----

/** out[0 .. count) = (|x|², 0) per complex value: `xr*xr + xi*xi` as the scalar code rounds it. */
func("powerSpectrum", [["x", I32], ["out", I32], ["count", I32]], () => {
  declare({ end: I32, zero: V128, v: V128 });
  return [
    ...set("zero", simd(0x0c, ...new Array(16).fill(0))),
    ...set("end", add(get("x"), shl(get("count"), i32(4)))),
    ...doWhile(
      [
        ...set("v", load(get("x"))),
        ...set("v", fmul(get("v"), get("v"))),
        ...store(get("out"), shuffle(fadd(get("v"), swap("v")), get("zero"), LOWS)),
        ...set("x", add(get("x"), i32(16))),
        ...set("out", add(get("out"), i32(16))),
      ],
      ltU(get("x"), get("end")),
    ),
  ];
});

/**
 * out = prev + (conj(x) y) w per complex value, w held as pairs (wr, wr), (-wi, wi)
 * (32 bytes each). conj(x) y is y times the pair (xr, xr), (xi, -xi), which rounds
 * like the scalar `xr*yr + xi*yi`, `xr*yi - xi*yr`.
 */
func("crossAccumulate", [["x", I32], ["y", I32], ["w", I32], ["prev", I32], ["out", I32], ["count", I32]], () => {
  declare({ end: I32, conj: V128, v: V128, xr: V128, xi: V128, p: V128, wr: V128, wi: V128 });
  return [
    ...set("conj", conjugator()),
    ...set("end", add(get("x"), shl(get("count"), i32(4)))),
    ...doWhile(
      [
        ...set("v", load(get("x"))),
        ...set("xr", shuffle(get("v"), get("v"), [...LOW_HIGH.slice(0, 8), ...LOW_HIGH.slice(0, 8)])),
        ...set("xi", xor(shuffle(get("v"), get("v"), [...LOW_HIGH.slice(8), ...LOW_HIGH.slice(8)]), get("conj"))),
        ...set("v", load(get("y"))),
        ...set("p", cmul("v", "xr", "xi")),
        ...set("wr", load(get("w"), 0)),
        ...set("wi", load(get("w"), 16)),
        ...store(get("out"), fadd(load(get("prev")), cmul("p", "wr", "wi"))),
        ...set("x", add(get("x"), i32(16))),
        ...set("y", add(get("y"), i32(16))),
        ...set("w", add(get("w"), i32(32))),
        ...set("prev", add(get("prev"), i32(16))),
        ...set("out", add(get("out"), i32(16))),
      ],
      ltU(get("x"), get("end")),
    ),
  ];
});

/** out = conj(x) y per complex value (crossAccumulate with neither phase nor previous sum). */
func("crossProduct", [["x", I32], ["y", I32], ["out", I32], ["count", I32]], () => {
  declare({ end: I32, conj: V128, v: V128, xr: V128, xi: V128 });
  return [
    ...set("conj", conjugator()),
    ...set("end", add(get("x"), shl(get("count"), i32(4)))),
    ...doWhile(
      [
        ...set("v", load(get("x"))),
        ...set("xr", shuffle(get("v"), get("v"), [...LOW_HIGH.slice(0, 8), ...LOW_HIGH.slice(0, 8)])),
        ...set("xi", xor(shuffle(get("v"), get("v"), [...LOW_HIGH.slice(8), ...LOW_HIGH.slice(8)]), get("conj"))),
        ...set("v", load(get("y"))),
        ...store(get("out"), cmul("v", "xr", "xi")),
        ...set("x", add(get("x"), i32(16))),
        ...set("y", add(get("y"), i32(16))),
        ...set("out", add(get("out"), i32(16))),
      ],
      ltU(get("x"), get("end")),
    ),
  ];
});

/** dst[0 .. count) = (dst + a) + b, complex values: two accumulate steps in one pass. */
func("accumulatePair", [["dst", I32], ["a", I32], ["b", I32], ["count", I32]], () => {
  declare({ end: I32 });
  return [
    ...set("end", add(get("dst"), shl(get("count"), i32(4)))),
    ...doWhile(
      [
        ...store(get("dst"), fadd(fadd(load(get("dst")), load(get("a"))), load(get("b")))),
        ...set("dst", add(get("dst"), i32(16))),
        ...set("a", add(get("a"), i32(16))),
        ...set("b", add(get("b"), i32(16))),
      ],
      ltU(get("dst"), get("end")),
    ),
  ];
});

/** dst[0 .. count) += src[0 .. count), complex values. */
func("accumulate", [["dst", I32], ["src", I32], ["count", I32]], () => {
  declare({ end: I32 });
  return [
    ...set("end", add(get("dst"), shl(get("count"), i32(4)))),
    ...doWhile(
      [
        ...store(get("dst"), fadd(load(get("dst")), load(get("src")))),
        ...set("dst", add(get("dst"), i32(16))),
        ...set("src", add(get("src"), i32(16))),
      ],
      ltU(get("dst"), get("end")),
    ),
  ];
});

/**
 * YIN's difference function from an autocorrelation r (at acf) and the frame's first
 * samples (at head), in the scalar order of src/pitch/yin.ts: for k = 1 .. last,
 * e_k = e_{k-1} + head[k-1]², d_k = 2 (r_0 - r_k) - e_k (no e at k = 1), s_k = s_{k-1} + d_k;
 * d_k and s_k are stored at d, sums for k = first .. last (2 <= first <= last).
 */
func("differenceSums", [["acf", I32], ["head", I32], ["d", I32], ["sums", I32], ["first", I32], ["last", I32]], () => {
  declare({ k: I32, acf0: F64, energy: F64, sum: F64, x: F64, dv: F64 });
  const fload = (addr) => [...addr, 0x2b, 3, 0];
  const fstore = (addr, value) => [...addr, ...value, 0x39, 3, 0];
  const fa = (a, b) => [...a, ...b, 0xa0];
  const fs = (a, b) => [...a, ...b, 0xa1];
  const fm = (a, b) => [...a, ...b, 0xa2];
  const ifThen = (cond, body) => [...cond, 0x04, 0x40, ...body, 0x0b];
  const step = [
    ...set("x", fload(get("head"))),
    ...set("energy", fa(get("energy"), fm(get("x"), get("x")))),
    ...set("dv", fs(fm(f64(2), fs(get("acf0"), fload(get("acf")))), get("energy"))),
    ...set("sum", fa(get("sum"), get("dv"))),
    ...set("head", add(get("head"), i32(8))),
    ...set("acf", add(get("acf"), i32(8))),
    ...set("k", add(get("k"), i32(1))),
  ];
  return [
    ...set("acf0", fload(get("acf"))),
    ...set("x", fload(get("head"))),
    ...set("energy", fm(get("x"), get("x"))),
    ...set("sum", fa(f64(0), fm(f64(2), fs(get("acf0"), fload(add(get("acf"), i32(8))))))),
    ...set("head", add(get("head"), i32(8))),
    ...set("acf", add(get("acf"), i32(16))),
    ...set("k", i32(2)),
    ...ifThen(ltU(get("k"), get("first")), doWhile(step, ltU(get("k"), get("first")))),
    ...doWhile(
      [
        ...step,
        ...fstore(get("d"), get("dv")),
        ...fstore(get("sums"), get("sum")),
        ...set("d", add(get("d"), i32(8))),
        ...set("sums", add(get("sums"), i32(8))),
      ],
      leU(get("k"), get("last")),
    ),
  ];
});

/**
 * out[i] = d[i] / (sums[i] / (first + i) + guard) for i = 0 .. count, two values per
 * step (an odd count also writes out[count]): YIN's cumulative mean normalisation,
 * each division correctly rounded as in the scalar code.
 */
func("normalizeByMean", [["d", I32], ["sums", I32], ["out", I32], ["first", F64], ["count", I32], ["guard", F64]], () => {
  declare({ end: I32, lag: V128, two: V128, tiny: V128 });
  const fdiv = (a, b) => [...a, ...b, ...simd(0xf3)];
  const replaceLane1 = (v, x) => [...v, ...x, ...simd(0x22, 1)];
  return [
    ...set("lag", replaceLane1(splat(get("first")), [...get("first"), ...f64(1), 0xa0])),
    ...set("two", splat(f64(2))),
    ...set("tiny", splat(get("guard"))),
    ...set("end", add(get("d"), shl(get("count"), i32(3)))),
    ...doWhile(
      [
        ...store(get("out"), fdiv(load(get("d")), fadd(fdiv(load(get("sums")), get("lag")), get("tiny")))),
        ...set("lag", fadd(get("lag"), get("two"))),
        ...set("d", add(get("d"), i32(16))),
        ...set("sums", add(get("sums"), i32(16))),
        ...set("out", add(get("out"), i32(16))),
      ],
      ltU(get("d"), get("end")),
    ),
  ];
});

/**
 * The first index of the minimum of x[0 .. count), count >= 2 (numpy's argmin), or -1
 * when some value is below `threshold` or NaN: YIN's trough rules then decide (in the caller).
 */
func(
  "firstMinimum",
  [["x", I32], ["count", I32], ["threshold", F64]],
  () => {
    declare({ at: I32, lastPair: I32, low: V128, limit: V128, flags: V128, v: V128, lowest: F64 });
    const fmin = (a, b) => [...a, ...b, ...simd(0xf4)];
    const flt = (a, b) => [...a, ...b, ...simd(0x49)];
    const fne = (a, b) => [...a, ...b, ...simd(0x48)];
    const or = (a, b) => [...a, ...b, ...simd(0x50)];
    const lane = (local, l) => [...get(local), ...simd(0x21, l)];
    const ifThen = (cond, body) => [...cond, 0x04, 0x40, ...body, 0x0b];
    const visit = (addr) => [
      ...set("v", load(addr)),
      ...set("low", fmin(get("low"), get("v"))),
      ...set("flags", or(get("flags"), or(flt(get("v"), get("limit")), fne(get("v"), get("v"))))),
    ];
    return [
      ...set("limit", splat(get("threshold"))),
      ...set("low", load(get("x"))),
      ...set("flags", simd(0x0c, ...new Array(16).fill(0))),
      ...set("lastPair", add(get("x"), shl(sub(get("count"), i32(2)), i32(3)))),
      ...set("at", get("x")),
      ...doWhile([...visit(get("at")), ...set("at", add(get("at"), i32(16)))], leU(get("at"), get("lastPair"))),
      // the last pair again, for an odd count (a repeated value changes neither answer)
      ...visit(get("lastPair")),
      ...ifThen([...get("flags"), ...simd(0x53)], [...i32(-1), 0x0f]),
      ...set("lowest", [...lane("low", 0), ...lane("low", 1), 0xa4]),
      ...set("at", get("x")),
      ...doWhile(
        [
          ...ifThen([...get("at"), 0x2b, 3, 0, ...get("lowest"), 0x61], [...sub(get("at"), get("x")), ...i32(3), 0x76, 0x0f]),
          ...set("at", add(get("at"), i32(8))),
        ],
        leU(get("at"), add(get("lastPair"), i32(8))),
      ),
      ...i32(-1),
    ];
  },
  [I32],
);

// ---- modules ----
/** A module of `fns`: exporting its own memory, or importing env.memory (the pair kernels over the FFT's memory). */
const moduleBytes = (fns, importMemory) => {
  const types = [];
  const typeIndex = (params, results) => {
    const key = `${params.join(",")}->${results.join(",")}`;
    let at = types.findIndex((t) => t.key === key);
    if (at < 0) {
      at = types.length;
      types.push({ key, params, results });
    }
    return at;
  };
  const funcTypes = fns.map((f) => typeIndex(f.type, f.results));
  const bytes = Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types.map(({ params, results }) => [0x60, ...vec(params.map((t) => [t])), ...vec(results.map((t) => [t]))]))),
    ...(importMemory ? section(2, vec([[...name("env"), ...name("memory"), 0x02, 0x00, ...uleb(1)]])) : []),
    ...section(3, vec(funcTypes.map((t) => uleb(t)))),
    ...(importMemory ? [] : section(5, vec([[0x00, ...uleb(1)]]))),
    ...section(7, vec([...(importMemory ? [] : [[...name("memory"), 0x02, 0]]), ...fns.map((f, i) => [...name(f.name), 0x00, ...uleb(i)])])),
    ...section(10, vec(fns.map((f) => f.code))),
  ]);
  new WebAssembly.Module(bytes); // validates
  return bytes;
};
const bytes = moduleBytes(functions, false);
const pairBytes = moduleBytes(pairFunctions, true);

const target = fileURLToPath(new URL("../src/fft/fftWasmModule.ts", import.meta.url));
const source = `// Generated by scripts/gen-fft-wasm.mjs; do not edit.
/** WebAssembly (SIMD) kernels of the power-of-two real FFT and spectral products, ${bytes.length} bytes, base64. */
export const FFT_WASM_BASE64 =
  "${Buffer.from(bytes).toString("base64")}";
/** The float32 pair kernels over the first module's memory (imported as env.memory), ${pairBytes.length} bytes, base64. */
export const FFT_PAIRS_WASM_BASE64 =
  "${Buffer.from(pairBytes).toString("base64")}";
`;
if (process.argv.includes("--check")) {
  if (readFileSync(target, "utf8") !== source) {
    console.error("src/fft/fftWasmModule.ts is stale: run node scripts/gen-fft-wasm.mjs");
    process.exit(1);
  }
} else {
  writeFileSync(target, source);
  console.log(`wrote ${target} (${bytes.length} + ${pairBytes.length} bytes of wasm)`);
}
