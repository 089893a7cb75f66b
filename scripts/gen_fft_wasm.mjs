#!/usr/bin/env node
/**
 * Generates src/fft/fftWasmModule.ts: the WebAssembly (SIMD, f64x2) kernels of
 * the power-of-two real FFT, as base64 bytes, written with the project's one
 * assembler (src/util/wasm.ts, bundled by esbuild for this script: a .mjs
 * cannot import TypeScript, and a copy of the helpers would be a second
 * definition of every byte).
 *
 *   node scripts/gen_fft_wasm.mjs          # rewrite the .ts file
 *   node scripts/gen_fft_wasm.mjs --check  # exit 1 if the committed file is stale
 *
 * Every complex value is one v128 (re, im). A complex product b·w uses the
 * twiddle stored as the pair (wr, wr), (-wi, wi): b·w = b*(wr, wr) + swap(b)*(-wi, wi),
 * which rounds exactly like the scalar `br*wr - bi*wi`, `bi*wr + br*wi`.
 * The passes are the Stockham DIF passes of src/fft/stockhamFft.ts (same
 * twiddles, same operation order), and the real split steps are those of
 * src/fft/realFft.ts with the constant factors (1/2, ±i) folded into the tables,
 * which is exact; see src/fft/wasmRealFft.ts for the memory layout. Both
 * modules import their memory (the thread's kernel memory, src/util/kernelMemory.ts).
 */
import { build } from "esbuild";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** src/util/wasm.ts as an ES module (it imports nothing, so the bundle is that file alone). */
const loadAssembler = async () => {
  const entry = fileURLToPath(new URL("../src/util/wasm.ts", import.meta.url));
  const { outputFiles } = await build({ entryPoints: [entry], bundle: true, format: "esm", write: false, logLevel: "warning" });
  const [bundled] = outputFiles;
  return import(`data:text/javascript;base64,${Buffer.from(bundled.text).toString("base64")}`);
};
const {
  F64, I32, V128, F64X2_SPLAT, F32X4_SPLAT, F32_DEMOTE_F64,
  V128_CONST, V128_ZERO, F32X4_DEMOTE_F64X2_ZERO, F64X2_PROMOTE_LOW_F32X4,
  F64X2_ADD, F64X2_SUB, F64X2_MUL, F64X2_DIV, V128_STORE64_LANE, F32X4_ADD, F32X4_SUB, F32X4_MUL, declare, doWhile, f32, f64, func, get, i32, set, wasmModule,
  BYTE_ORDER: LOW_HIGH, i32Add: add, i32Sub: sub, i32Mul: mul, i32Shl: shl, i32LtU: ltU, i32LeU: leU,
  v128Load: load, v128Store: store, v128Xor: xor, i8x16Shuffle: shuffle,
} = await loadAssembler();

/**
 * The lane arithmetic of the kernels being generated. float64: one complex
 * value per vector (re, im). float32 "pairs": two complex values per vector,
 * the same point of two transforms (re_a, im_a, re_b, im_b), so every table
 * and buffer keeps the float64 layout byte for byte (16 bytes a point, 32 a
 * twiddle pair) and a kernel is the float64 one with float32 lane operations.
 */
const FLOAT64 = {
  add: F64X2_ADD,
  sub: F64X2_SUB,
  mul: F64X2_MUL,
  splatConst: (x) => [...f64(x), ...F64X2_SPLAT],
  /** (im, re) of each complex value */
  swapLanes: [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7],
  /** sign bits of the imaginary parts */
  conj: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80],
  /** the real parts of a, zeros (from the second operand) for the imaginary ones */
  realsOnly: [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23],
  /** (re, re) of each complex value */
  realTwice: [0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7],
  /** an f64 value on the stack in every lane */
  splatF64: (expr) => [...expr, ...F64X2_SPLAT],
};
const FLOAT32_PAIRS = {
  add: F32X4_ADD,
  sub: F32X4_SUB,
  mul: F32X4_MUL,
  splatConst: (x) => [...f32(x), ...F32X4_SPLAT],
  swapLanes: [4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11],
  conj: [0, 0, 0, 0, 0, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0, 0x80],
  realsOnly: [0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 16, 17, 18, 19],
  realTwice: [0, 1, 2, 3, 0, 1, 2, 3, 8, 9, 10, 11, 8, 9, 10, 11],
  splatF64: (expr) => [...expr, ...F32_DEMOTE_F64, ...F32X4_SPLAT],
};
let lanes = FLOAT64;
const fadd = (a, b) => [...a, ...b, ...lanes.add];
const fsub = (a, b) => [...a, ...b, ...lanes.sub];
const fmul = (a, b) => [...a, ...b, ...lanes.mul];
/** (im, re) of a local. */
const swap = (local) => shuffle(get(local), get(local), lanes.swapLanes);
/** (0, -0): xor flips the sign of the imaginary part, i.e. conjugates. */
const conjugator = () => V128_CONST(lanes.conj);
/** local b times the twiddle held as the pair (wr, wr), (-wi, wi) in locals wr, wi. */
const cmul = (b, wr, wi) => fadd(fmul(get(b), get(wr)), fmul(swap(b), get(wi)));

const functions = [];
/** The float32 pair kernels: a second module over the same memory (each stays under the 4 KB browsers compile synchronously). */
const pairFunctions = [];
let emitTo = functions;
/**
 * A function with named locals (util/wasm.ts's `func`) into the module being filled, its body
 * assembled at once (`func` assembles when the body is first read; these builders read `lanes`).
 */
const emit = (...args) => {
  const f = func(...args);
  void f.body;
  emitTo.push(f);
};

/** A group's twiddles ω^{p}, ω^{2p}, ω^{3p} (pairs) from tw into w1r .. w3i, and tw moved to the next group's. */
const groupTwiddles = () => [
  ...[1, 2, 3].flatMap((k) => [...set(`w${k}r`, load(get("tw"), 32 * (k - 1))), ...set(`w${k}i`, load(get("tw"), 32 * (k - 1) + 16))]),
  ...set("tw", add(get("tw"), i32(96))),
];

/**
 * Radix-4 Stockham pass: m groups p, each with its twiddles ω^{p}, ω^{2p}, ω^{3p}
 * (96 bytes at tw, in p order), over s contiguous points q. Byte addresses.
 */
const pass4Kernel = (fnName) =>
  emit(fnName, [["src", I32], ["dst", I32], ["tw", I32], ["m", I32], ["s", I32]], () => {
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
        ...groupTwiddles(),
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

/**
 * The first radix-4 pass (s = 1): pass4's loops made one, a group per iteration (its three
 * twiddles, one butterfly): the same operations in the same order as pass4 with s = 1,
 * without an inner loop that runs once per group.
 */
const pass4FirstKernel = (fnName) =>
  emit(fnName, [["src", I32], ["dst", I32], ["tw", I32], ["m", I32]], () => {
  declare({ sb: I32, sb2: I32, sb3: I32, gap: I32, gap2: I32, gap3: I32, i: I32, o: I32, end: I32 });
  declare({ conj: V128, w1r: V128, w1i: V128, w2r: V128, w2i: V128, w3r: V128, w3i: V128 });
  declare({ a0: V128, a1: V128, a2: V128, a3: V128, t0: V128, t1: V128, t2: V128, t3: V128, b: V128 });
  return [
    ...set("conj", conjugator()),
    ...set("sb", i32(16)),
    ...set("sb2", i32(32)),
    ...set("sb3", i32(48)),
    ...set("gap", shl(get("m"), i32(4))),
    ...set("gap2", shl(get("gap"), i32(1))),
    ...set("gap3", add(get("gap2"), get("gap"))),
    ...set("i", get("src")),
    ...set("o", get("dst")),
    ...set("end", add(get("src"), get("gap"))),
    ...doWhile(
      [
        ...groupTwiddles(),
        ...radix4Butterfly(true),
        ...set("i", add(get("i"), i32(16))),
        ...set("o", add(get("o"), i32(64))),
      ],
      ltU(get("i"), get("end")),
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
  emit(fnName, [["src", I32], ["dst", I32], ["s", I32]], () => {
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
  emit(fnName, [["src", I32], ["dst", I32], ["s", I32]], () => {
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
  emit(fnName, [["src", I32], ["dst", I32], ["s", I32]], () => {
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
  emit(fnName, [["buf", I32], ["tw", I32], ["m", I32]], () => {
  declare({ pk: I32, pj: I32, conj: V128, half: V128, zero: V128, z: V128, a: V128, b: V128, e: V128, d: V128, vr: V128, vi: V128, p: V128 });
  return [
    ...set("conj", conjugator()),
    ...set("half", lanes.splatConst(0.5)),
    ...set("zero", V128_ZERO),
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
  emit(fnName, [["buf", I32], ["tw", I32], ["m", I32]], () => {
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
  emit(fnName, [["buf", I32], ["count", I32], ["scale", F64]], () => {
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
  // The pair inverse ends in swapScaleUnpackPairs32 instead of swapScale.
  const kernels = [pass4Kernel, pass4lastKernel, pass8lastKernel, pass2lastKernel, realForwardKernel, realInverseKernel, ...(kind === FLOAT64 ? [swapScaleKernel] : []), pass4FirstKernel];
  for (const kernel of kernels) kernel(kernel.name.replace("Kernel", suffix));
}
// The pair kernels' own helpers (float32 lanes still set by the loop's last round).
emitTo = pairFunctions;

/**
 * The input of a float32 pair transform: points j = 0 .. count of the float64
 * frames at a and b (byte addresses), rounded to float32, as
 * (a[2j], a[2j+1], b[2j], b[2j+1]) at dst.
 */
emit("interleavePairs32", [["a", I32], ["b", I32], ["dst", I32], ["count", I32]], () => {
  declare({ end: I32 });
  const demote = (addr) => [...load(addr), ...F32X4_DEMOTE_F64X2_ZERO];
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

/**
 * As interleavePairs32 for frames already in float32 (an even count >= 2 of
 * points, 8 bytes each, at a and b): (a[2j], a[2j+1], b[2j], b[2j+1]) at dst,
 * two points of each frame a round. The same bits as interleavePairs32 of
 * their float64 copies.
 */
emit("interleavePairs32From32", [["a", I32], ["b", I32], ["dst", I32], ["count", I32]], () => {
  declare({ end: I32, va: V128, vb: V128 });
  return [
    ...set("end", add(get("dst"), shl(get("count"), i32(4)))),
    ...doWhile(
      [
        ...set("va", load(get("a"))),
        ...set("vb", load(get("b"))),
        ...store(get("dst"), shuffle(get("va"), get("vb"), [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23])),
        ...store(add(get("dst"), i32(16)), shuffle(get("va"), get("vb"), [8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31])),
        ...set("a", add(get("a"), i32(16))),
        ...set("b", add(get("b"), i32(16))),
        ...set("dst", add(get("dst"), i32(32))),
      ],
      ltU(get("dst"), get("end")),
    ),
  ];
});

/** out = x · q per point, count >= 1 pair points: q as float32 quads (qr, qr, qr, qr), (-qi, qi, -qi, qi) (32 bytes a point). */
emit("productPairs32", [["x", I32], ["q", I32], ["out", I32], ["count", I32]], () => {
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

/**
 * The end of the pair inverse: count >= 1 points at src, each swapped and scaled in float32
 * (swapScale's step), then widened to float64 complex values, the first transform's to dstA,
 * the second's to dstB (swapScaleUnpackPairs32). With `divided` (swapScaleDividePairs32, one
 * more parameter): each widened value then divided by `divisor` in float64 and rounded to
 * float32 (outputKernels' divide32 fused in, its result stored as float32: the same operations,
 * so the same bits), 8 bytes a point to each of dstA and dstB.
 */
const unpackPairsKernel = (fnName, divided) =>
  emit(fnName, [["src", I32], ["dstA", I32], ["dstB", I32], ["count", I32], ["scale", F64], ...(divided ? [["divisor", F64]] : [])], () => {
  declare({ end: I32, factor: V128, ...(divided ? { by: V128 } : {}), v: V128 });
  const HIGH_HALF = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];
  /** The low two lanes of `a` widened to float64, stored at `dst` (divided and rounded back with `divided`). */
  const put = (dst, a) => divided
    ? [...get(dst), ...a, ...F64X2_PROMOTE_LOW_F32X4, ...get("by"), ...F64X2_DIV, ...F32X4_DEMOTE_F64X2_ZERO, ...V128_STORE64_LANE(0, 0)]
    : store(get(dst), [...a, ...F64X2_PROMOTE_LOW_F32X4]);
  const step = divided ? 8 : 16;
  return [
    ...set("factor", lanes.splatF64(get("scale"))),
    ...(divided ? set("by", [...get("divisor"), ...F64X2_SPLAT]) : []),
    ...set("end", add(get("src"), shl(get("count"), i32(4)))),
    ...doWhile(
      [
        ...set("v", load(get("src"))),
        ...set("v", fmul(swap("v"), get("factor"))),
        ...put("dstA", get("v")),
        ...put("dstB", shuffle(get("v"), get("v"), HIGH_HALF)),
        ...set("src", add(get("src"), i32(16))),
        ...set("dstA", add(get("dstA"), i32(step))),
        ...set("dstB", add(get("dstB"), i32(step))),
      ],
      ltU(get("src"), get("end")),
    ),
  ];
});
unpackPairsKernel("swapScaleUnpackPairs32", false);
unpackPairsKernel("swapScaleDividePairs32", true);

lanes = FLOAT64;
emitTo = functions;

// ---- the spectral product of resampling (src/resample/soxrHq.ts) and yin (src/pitch/yin.ts; its own kernels are in src/pitch/yinKernels.ts) ----

/** out = conj(x) y per complex value (crossAccumulate with neither phase nor previous sum). */
emit("crossProduct", [["x", I32], ["y", I32], ["out", I32], ["count", I32]], () => {
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

// ---- modules ----
/** The module of `fns`, validated (by compiling it). */
const moduleBytes = (fns) => {
  const bytes = wasmModule(fns);
  new WebAssembly.Module(bytes);
  return bytes;
};
const bytes = moduleBytes(functions);
const pairBytes = moduleBytes(pairFunctions);

const target = fileURLToPath(new URL("../src/fft/fftWasmModule.ts", import.meta.url));
const source = `// Generated by scripts/gen_fft_wasm.mjs; do not edit.
/** WebAssembly (SIMD) kernels of the power-of-two real FFT and the spectral product (memory imported as env.memory), ${bytes.length} bytes, base64. */
export const FFT_WASM_BASE64 =
  "${Buffer.from(bytes).toString("base64")}";
/** The float32 pair kernels (memory imported as env.memory), ${pairBytes.length} bytes, base64. */
export const FFT_PAIRS_WASM_BASE64 =
  "${Buffer.from(pairBytes).toString("base64")}";
`;
if (process.argv.includes("--check")) {
  if (readFileSync(target, "utf8") !== source) {
    console.error("src/fft/fftWasmModule.ts is stale: run node scripts/gen_fft_wasm.mjs");
    process.exit(1);
  }
} else {
  writeFileSync(target, source);
  console.log(`wrote ${target} (${bytes.length} + ${pairBytes.length} bytes of wasm)`);
}
