/**
 * pyin's Viterbi kernels in WebAssembly (scalar: the comparisons are sequential),
 * each the operation of its JavaScript twin in viterbi.ts on the same float64
 * values in the same order, so the decoded states are the same to the bit
 * (`selectRows` and `unvoicedValues` skip rows whose outcome is known, which
 * their twins compute: the same rows and values).
 * Byte addresses; counts in elements.
 */
import { kernelsOverMemory } from "../util/kernelMemory.js";
import {
  F64, F64_ADD, F64_EQ, F64_GE, F64_GT, F64_LOAD, F64_LT, F64_MAX, F64_MIN, F64_STORE, F64X2_ADD, F64X2_EXTRACT_LANE, F64X2_GT, F64X2_SPLAT,
  I32, I32_AND, I32_DIV_U, I32_EQ, I32_EQZ, I32_GE_S, I32_GT_S, I32_LE_S, I32_LOAD, I32_LOAD8_U, I32_LT_S, I32_OR, I32_SHR_S, I32_STORE, I32_STORE16,
  I32_STORE8, I32_WRAP_I64, I64_EXTEND_I32_U, I64X2_ADD, I64X2_EXTRACT_LANE, I64X2_SPLAT, RETURN, SELECT, V128, V128_BITSELECT, V128_CONST,
  MEMORY_FILL, V128_LOAD, binary, declare, f64, func, get, i32, ifElse, ifThen, set, tee, whileLoop,
  i32Add as add, i32LeU, i32LtU, i32Mul as mul, i32Shl as shl, i32Sub as sub,
} from "../util/wasm.js";
import { kernelModule } from "../util/kernelModules.js";

export interface ViterbiKernels {
  /** See viterbi.ts `bestOverRows`; `previous` the address of state 0's value, `slack` its SLACK. */
  bestOverRows(
    previous: number, base: number, banded: number, nPitch: number, half: number, rows: number, nRows: number,
    cost: number, from: number, stack: number, slack: number,
  ): void;
  /**
   * An upper bound of the voiced values' sliding maximum (window 2 half + 1) into `out`: `low`, or the
   * value of a candidate state (`candidates`, int32 bins) within half of the row where larger.
   * (Every other voiced state observes log(tiny): `low` bounds them.)
   */
  windowOfCandidates(out: number, n: number, half: number, low: number, values: number, candidates: number, nCandidates: number): void;
  /**
   * Which rows of frame t read voiced sources: `rowsSwitch` (unvoiced targets whose voiced block's bound
   * reaches their unvoiced cost), `keptCurrent` (voiced targets whose voiced block's bound reaches the
   * unvoiced twin's cost), and `rows`, the voiced sources to make exact, ascending: within half of either,
   * not yet exact, and whose value (a bound) plus the `largest` transition reaches the lowest of those
   * rows' certain costs (the others cannot win a scan or tie: see viterbiLazy). Writes the two counts to
   * `counts`; `needed` is scratch (n bytes). Where `low + largest < lowest` (`low` the window bound away
   * from the `candidates`, int32 bins in ascending order; `lowest` at most every row's certain costs),
   * only the rows within half of a candidate are tested.
   */
  selectRows(
    windowVoiced: number, costA: number, unvoicedPrevious: number, stayMax: number, switchMax: number, selfSwitch: number,
    keptCurrent: number, exactPrevious: number, rowsSwitch: number, rows: number, n: number, half: number, counts: number,
    values: number, largest: number, needed: number, low: number, lowest: number, candidates: number, nCandidates: number,
  ): void;
  /**
   * Unvoiced targets `rows[0 .. nRows)` from the voiced sources of frame t - 1 (`values`, the switching
   * table `banded`) where a candidate decides: the best over the `candidates` (int32 bins, ascending) within
   * the band, first on ties, kept as the row's `cost` / `from` when above `low` (a bound of every other
   * voiced value) plus the row's largest transition `rowMax`. Where not, and that sum is below `costA`
   * (the row's unvoiced block), the block cannot win and the row keeps no voiced source; the other rows
   * into `left`, their count returned.
   */
  switchFromCandidates(
    values: number, banded: number, n: number, half: number, rows: number, nRows: number, candidates: number, nCandidates: number,
    low: number, rowMax: number, costA: number, cost: number, from: number, left: number,
  ): number;
  /** For each row: no voiced source yet (cost -Infinity, from -1); those whose voiced block counts into `rowsVoiced`, their count returned. */
  prepareVoiced(rows: number, nRows: number, costD: number, fromD: number, keptPrevious: number, rowsVoiced: number): number;
  /**
   * The rows' voiced values made exact: the better of the two blocks (the voiced one on a tie), plus the
   * observation; their pointers and exact flags. 0 where a row has no source or `limit >= cost`.
   */
  settleVoiced(
    rows: number, nRows: number, costC: number, fromC: number, costD: number, fromD: number, limit: number,
    values: number, observed: number, pointerRow: number, exact: number,
  ): number;
  /**
   * Every unvoiced value and pointer of frame t (blocks A unvoiced, B voiced, B only on `rows` and reset
   * there after), at most the lowest value to `lowestOut`; 0 as settleVoiced.
   */
  unvoicedValues(
    costA: number, fromA: number, costB: number, fromB: number, limit: number, observed: number, values: number, pointerRow: number, n: number,
    lowestOut: number, rows: number, nRows: number,
  ): number;
  /**
   * Voiced values of frame t as bounds (their best unvoiced source bounded by `unvoicedBest`, the
   * unvoiced targets' best unvoiced cost, plus `switchLift`), their pointers unset and not exact.
   * Returns the largest bound (before the observation).
   */
  voicedBounds(
    unvoicedBest: number, windowVoiced: number, switchLift: number, stayMax: number, observed: number, outside: number,
    values: number, pointerRow: number, exact: number, n: number,
  ): number;
  /** The largest of `count` values (-Infinity if none). */
  maxOf(x: number, count: number): number;
  /**
   * bestOverRows over every target of a table whose first argmax is monotone with no slack
   * (see viterbi.ts `sweepRows`); `from` holds the previous frame's sources on entry (hints),
   * `reached` is scratch (n int32). 0 where a target has no finite source (then nothing is settled).
   */
  sweepRows(previous: number, base: number, banded: number, n: number, half: number, cost: number, from: number, reached: number, step: number): number;
}

/** A pointer not written (a voiced state never materialised). */
export const NO_POINTER = 0xffff;

const lts = binary(I32_LT_S);
const gts = binary(I32_GT_S);
const les = binary(I32_LE_S);
const flt = binary(F64_LT);
const fgt = binary(F64_GT);
const fadd = binary(F64_ADD);
const not = (a: number[]): number[] => [...a, ...I32_EQZ];
/** Little-endian int64 lanes (0, 8) and (16, 16): the two positions of a step, and the step. */
const int64Lanes = (a: number, b: number): number[] => [a, 0, 0, 0, 0, 0, 0, 0, b, 0, 0, 0, 0, 0, 0, 0];
const PAIR_OFFSETS = int64Lanes(0, 8);
const PAIR_STEP = int64Lanes(16, 16);
/** a if cond else b (both evaluated). */
const pick = (a: number[], b: number[], cond: number[]): number[] => [...a, ...b, ...cond, ...SELECT];
const loadI = (addr: number[], offset = 0): number[] => [...addr, ...I32_LOAD(offset)];
const storeI = (addr: number[], value: number[], offset = 0): number[] => [...addr, ...value, ...I32_STORE(offset)];
const loadF = (addr: number[], offset = 0): number[] => [...addr, ...F64_LOAD(offset)];
const storeF = (addr: number[], value: number[], offset = 0): number[] => [...addr, ...value, ...F64_STORE(offset)];
const loadB = (addr: number[]): number[] => [...addr, ...I32_LOAD8_U()];
const storeB = (addr: number[], value: number[]): number[] => [...addr, ...value, ...I32_STORE8()];
const store16 = (addr: number[], value: number[]): number[] => [...addr, ...value, ...I32_STORE16()];
/** The address of element `index` of the array at local `base`, elements of 8 / 4 / 2 bytes. */
const at8 = (base: string, index: number[]): number[] => add(get(base), shl(index, i32(3)));
const at4 = (base: string, index: number[]): number[] => add(get(base), shl(index, i32(2)));
const at2 = (base: string, index: number[]): number[] => add(get(base), shl(index, i32(1)));
/** The float64 / int32 / byte at element `index` (a local) of the array at local `base`. */
const F = (base: string, index: string): number[] => loadF(at8(base, get(index)));
const I = (base: string, index: string): number[] => loadI(at4(base, get(index)));
const B = (base: string, index: string): number[] => loadB(add(get(base), get(index)));
/** `count` bytes from `addr` set to `value` (memory.fill). */
const fillBytes = (addr: number[], value: number, count: number[]): number[] => [...addr, ...i32(value), ...count, ...MEMORY_FILL];
/** for (i = from; i < to; i++) body */
const forRange = (i: string, from: number[], to: number[], body: number[]): number[] => [
  ...set(i, from),
  ...whileLoop(lts(get(i), to), [...body, ...set(i, add(get(i), i32(1)))]),
];

const bestOverRows = func(
  "bestOverRows",
  [["previous", I32], ["base", I32], ["banded", I32], ["nPitch", I32], ["half", I32], ["rows", I32], ["nRows", I32], ["cost", I32], ["from", I32], ["stack", I32], ["slack", I32]],
  () => {
    declare({
      span: I32, sp: I32, lo: I32, hi: I32, kLow: I32, kHigh: I32, mid: I32, q: I32, first: I32, last: I32,
      p: I32, b: I32, end: I32, argAt: I32, arg: I32, t: I32, best: F64, c: F64, bestV: V128, argV: V128, posV: V128, cV: V128, mV: V128,
    });
    const push = (lo: number[], hi: number[], kLow: number[], kHigh: number[]): number[] => [
      ...storeI(add(get("stack"), get("sp")), lo),
      ...storeI(add(get("stack"), get("sp")), hi, 4),
      ...storeI(add(get("stack"), get("sp")), kLow, 8),
      ...storeI(add(get("stack"), get("sp")), kHigh, 12),
      ...set("sp", add(get("sp"), i32(16))),
    ];
    // The scan of row q over sources [first, last], ascending, strict comparison, two
    // sources a step: lane 0 keeps the first best of first, first + 2, ..., lane 1 of
    // first + 1, first + 3, ...; then the larger lane, the lower position on a tie.
    const lane = (v: string, i: number, kind: "f" | "i"): number[] =>
      kind === "f" ? [...get(v), ...F64X2_EXTRACT_LANE(i)] : [...get(v), ...I64X2_EXTRACT_LANE(i), ...I32_WRAP_I64];
    const scan = [
      ...set("p", at8("previous", add(get("base"), get("first")))),
      ...set("end", at8("previous", add(get("base"), get("last")))),
      ...set("b", at8("banded", add(sub(add(mul(get("q"), get("span")), get("half")), get("q")), get("first")))),
      ...set("bestV", [...f64(-Infinity), ...F64X2_SPLAT]),
      ...set("argV", [...i32(-1), ...I64_EXTEND_I32_U, ...I64X2_SPLAT]),
      ...set("posV", [...get("p"), ...I64_EXTEND_I32_U, ...I64X2_SPLAT, ...V128_CONST(PAIR_OFFSETS), ...I64X2_ADD]),
      ...whileLoop(i32LtU(get("p"), get("end")), [
        ...set("cV", [...get("p"), ...V128_LOAD(), ...get("b"), ...V128_LOAD(), ...F64X2_ADD]),
        ...set("mV", [...get("cV"), ...get("bestV"), ...F64X2_GT]),
        ...set("bestV", [...get("cV"), ...get("bestV"), ...get("mV"), ...V128_BITSELECT]),
        ...set("argV", [...get("posV"), ...get("argV"), ...get("mV"), ...V128_BITSELECT]),
        ...set("posV", [...get("posV"), ...V128_CONST(PAIR_STEP), ...I64X2_ADD]),
        ...set("p", add(get("p"), i32(16))),
        ...set("b", add(get("b"), i32(16))),
      ]),
      ...set("best", lane("bestV", 0, "f")),
      ...set("argAt", lane("argV", 0, "i")),
      // One source left (p == end): lane 0's.
      ...ifThen(i32LeU(get("p"), get("end")), [
        ...set("c", [...loadF(get("p")), ...loadF(get("b")), ...F64_ADD]),
        ...ifThen(fgt(get("c"), get("best")), [...set("best", get("c")), ...set("argAt", get("p"))]),
      ]),
      ...set("c", lane("bestV", 1, "f")),
      ...set("t", lane("argV", 1, "i")),
      ...ifElse(
        fgt(get("c"), get("best")),
        [...set("best", get("c")), ...set("argAt", get("t"))],
        ifThen([...get("c"), ...get("best"), ...F64_EQ, ...i32LtU(get("t"), get("argAt")), ...I32_AND], set("argAt", get("t"))),
      ),
    ];
    return [
      ...set("span", add(shl(get("half"), i32(1)), i32(1))),
      ...storeI(get("stack"), i32(0)),
      ...storeI(get("stack"), sub(get("nRows"), i32(1)), 4),
      ...storeI(get("stack"), i32(0), 8),
      ...storeI(get("stack"), sub(get("nPitch"), i32(1)), 12),
      ...set("sp", i32(16)),
      ...whileLoop(gts(get("sp"), i32(0)), [
        ...set("sp", sub(get("sp"), i32(16))),
        ...set("lo", loadI(add(get("stack"), get("sp")))),
        ...set("hi", loadI(add(get("stack"), get("sp")), 4)),
        ...set("kLow", loadI(add(get("stack"), get("sp")), 8)),
        ...set("kHigh", loadI(add(get("stack"), get("sp")), 12)),
        // The right halves by this loop, the left ones pushed.
        ...whileLoop(les(get("lo"), get("hi")), [
          ...set("mid", [...add(get("lo"), get("hi")), ...i32(1), ...I32_SHR_S]),
          ...set("q", loadI(at4("rows", get("mid")))),
          ...set("first", pick(get("kLow"), sub(get("q"), get("half")), gts(get("kLow"), sub(get("q"), get("half"))))),
          ...set("last", pick(get("kHigh"), add(get("q"), get("half")), lts(get("kHigh"), add(get("q"), get("half"))))),
          ...scan,
          ...storeF(at8("cost", get("q")), get("best")),
          ...ifElse(
            [...get("argAt"), ...i32(-1), ...I32_EQ],
            [
              ...storeI(at4("from", get("q")), i32(-1)),
              ...ifThen(lts(get("lo"), get("mid")), push(get("lo"), sub(get("mid"), i32(1)), get("kLow"), get("kHigh"))),
            ],
            [
              ...set("arg", sub([...sub(get("argAt"), get("previous")), ...i32(3), ...I32_SHR_S], get("base"))),
              ...storeI(at4("from", get("q")), add(get("base"), get("arg"))),
              ...ifThen(
                lts(get("lo"), get("mid")),
                push(
                  get("lo"),
                  sub(get("mid"), i32(1)),
                  get("kLow"),
                  pick(get("kHigh"), tee("t", add(get("arg"), get("slack"))), lts(get("kHigh"), get("t"))),
                ),
              ),
              ...ifThen(gts(sub(get("arg"), get("slack")), get("kLow")), set("kLow", sub(get("arg"), get("slack")))),
            ],
          ),
          ...set("lo", add(get("mid"), i32(1))),
        ]),
      ]),
    ];
  },
);

const windowOfCandidates = func(
  "windowOfCandidates",
  [["out", I32], ["n", I32], ["half", I32], ["low", F64], ["values", I32], ["candidates", I32], ["nCandidates", I32]],
  () => {
    declare({ q: I32, j: I32, c: I32, to: I32, v: F64 });
    // f64.max: these maxima only bound costs (a -0 for a +0 changes no comparison), and hold no NaN.
    return [
      ...forRange("q", i32(0), get("n"), storeF(at8("out", get("q")), get("low"))),
      ...forRange("j", i32(0), get("nCandidates"), [
        ...set("c", I("candidates", "j")),
        ...set("v", F("values", "c")),
        ...ifThen(fgt(get("v"), get("low")), [
          ...set("q", sub(get("c"), get("half"))),
          ...ifThen(lts(get("q"), i32(0)), set("q", i32(0))),
          ...set("to", add(get("c"), get("half"))),
          ...ifThen(gts(get("to"), sub(get("n"), i32(1))), set("to", sub(get("n"), i32(1)))),
          ...whileLoop(les(get("q"), get("to")), [
            ...storeF(at8("out", get("q")), [...F("out", "q"), ...get("v"), ...F64_MAX]),
            ...set("q", add(get("q"), i32(1))),
          ]),
        ]),
      ]),
    ];
  },
);

const selectRows = func(
  "selectRows",
  [
    ["windowVoiced", I32], ["costA", I32], ["unvoicedPrevious", I32], ["stayMax", I32], ["switchMax", I32], ["selfSwitch", I32],
    ["keptCurrent", I32], ["exactPrevious", I32], ["rowsSwitch", I32], ["rows", I32], ["n", I32], ["half", I32], ["counts", I32],
    ["values", I32], ["largest", F64], ["needed", I32], ["low", F64], ["lowest", F64], ["candidates", I32], ["nCandidates", I32],
  ],
  () => {
    declare({
      q: I32, k: I32, j: I32, to: I32, next: I32, nSwitch: I32, nRows: I32, reach: I32, from: I32, switching: I32, staying: I32, few: I32,
      bound: F64, floor: F64, certain: F64,
    });
    const test = [
      ...set("bound", F("windowVoiced", "q")),
      ...set("certain", F("costA", "q")),
      ...set("switching", not(flt(fadd(get("bound"), F("switchMax", "q")), get("certain")))),
      ...ifThen(get("switching"), [
        ...storeI(at4("rowsSwitch", get("nSwitch")), get("q")),
        ...set("nSwitch", add(get("nSwitch"), i32(1))),
        ...ifThen(flt(get("certain"), get("floor")), set("floor", get("certain"))),
      ]),
      ...set("certain", fadd(F("unvoicedPrevious", "q"), F("selfSwitch", "q"))),
      ...set("staying", not(flt(fadd(get("bound"), F("stayMax", "q")), get("certain")))),
      ...ifThen(get("staying"), ifThen(flt(get("certain"), get("floor")), set("floor", get("certain")))),
      ...storeB(add(get("keptCurrent"), get("q")), get("staying")),
      ...storeB(add(get("needed"), get("q")), [...get("switching"), ...get("staying"), ...I32_OR]),
    ];
    const gather = ifThen(B("needed", "q"), [
      ...set("from", sub(get("q"), get("half"))),
      ...ifThen(les(get("from"), get("reach")), set("from", add(get("reach"), i32(1)))),
      ...set("reach", add(get("q"), get("half"))),
      ...ifThen(gts(get("reach"), sub(get("n"), i32(1))), set("reach", sub(get("n"), i32(1)))),
      ...set("k", get("from")),
      ...whileLoop(les(get("k"), get("reach")), [
        ...ifThen([...not(B("exactPrevious", "k")), ...not(flt(fadd(F("values", "k"), get("largest")), get("floor"))), ...I32_AND], [
          ...storeI(at4("rows", get("nRows")), get("k")),
          ...set("nRows", add(get("nRows"), i32(1))),
        ]),
        ...set("k", add(get("k"), i32(1))),
      ]),
    ]);
    /** body over the rows within half of a candidate, ascending (the candidates are listed ascending). */
    const nearCandidates = (body: number[]): number[] => [
      ...set("next", i32(0)),
      ...set("j", i32(0)),
      ...whileLoop(lts(get("j"), get("nCandidates")), [
        ...set("q", sub(I("candidates", "j"), get("half"))),
        ...ifThen(lts(get("q"), get("next")), set("q", get("next"))),
        ...set("to", add(I("candidates", "j"), get("half"))),
        ...ifThen(gts(get("to"), sub(get("n"), i32(1))), set("to", sub(get("n"), i32(1)))),
        ...whileLoop(les(get("q"), get("to")), [...body, ...set("q", add(get("q"), i32(1)))]),
        ...ifThen(gts(add(get("to"), i32(1)), get("next")), set("next", add(get("to"), i32(1)))),
        ...set("j", add(get("j"), i32(1))),
      ]),
    ];
    return [
      ...set("nSwitch", i32(0)),
      ...set("nRows", i32(0)),
      ...set("reach", i32(-1)),
      ...set("floor", f64(Infinity)),
      // Rows away from every candidate have the window bound `low`: where even low plus the largest
      // transition stays below the lowest certain cost, their tests fail and only the candidates' rows are run.
      ...set("few", flt(fadd(get("low"), get("largest")), get("lowest"))),
      ...ifElse(
        get("few"),
        [
          ...fillBytes(get("keptCurrent"), 0, get("n")),
          ...fillBytes(get("needed"), 0, get("n")),
          ...nearCandidates(test),
          ...nearCandidates(gather),
        ],
        [...forRange("q", i32(0), get("n"), test), ...forRange("q", i32(0), get("n"), gather)],
      ),
      ...storeI(get("counts"), get("nSwitch")),
      ...storeI(get("counts"), get("nRows"), 4),
    ];
  },
);

const switchFromCandidates = func(
  "switchFromCandidates",
  [
    ["values", I32], ["banded", I32], ["n", I32], ["half", I32], ["rows", I32], ["nRows", I32], ["candidates", I32], ["nCandidates", I32],
    ["low", F64], ["rowMax", I32], ["costA", I32], ["cost", I32], ["from", I32], ["left", I32],
  ],
  () => {
    declare({ r: I32, q: I32, j: I32, c: I32, arg: I32, nLeft: I32, span: I32, best: F64, v: F64, reach: F64 });
    return [
      ...set("span", add(shl(get("half"), i32(1)), i32(1))),
      ...set("nLeft", i32(0)),
      ...forRange("r", i32(0), get("nRows"), [
        ...set("q", I("rows", "r")),
        ...set("best", f64(-Infinity)),
        ...set("arg", i32(-1)),
        ...forRange("j", i32(0), get("nCandidates"), [
          ...set("c", I("candidates", "j")),
          ...ifThen([...les(sub(get("q"), get("half")), get("c")), ...les(get("c"), add(get("q"), get("half"))), ...I32_AND], [
            ...set("v", fadd(F("values", "c"), loadF(at8("banded", add(sub(add(mul(get("q"), get("span")), get("half")), get("q")), get("c")))))),
            ...ifThen(fgt(get("v"), get("best")), [...set("best", get("v")), ...set("arg", get("c"))]),
          ]),
        ]),
        ...set("reach", fadd(get("low"), F("rowMax", "q"))),
        ...ifElse(
          fgt(get("best"), get("reach")),
          [...storeF(at8("cost", get("q")), get("best")), ...storeI(at4("from", get("q")), get("arg"))],
          ifThen(not(flt(get("reach"), F("costA", "q"))), [...storeI(at4("left", get("nLeft")), get("q")), ...set("nLeft", add(get("nLeft"), i32(1)))]),
        ),
      ]),
      ...get("nLeft"),
    ];
  },
  [I32],
);

const prepareVoiced = func(
  "prepareVoiced",
  [["rows", I32], ["nRows", I32], ["costD", I32], ["fromD", I32], ["keptPrevious", I32], ["rowsVoiced", I32]],
  () => {
    declare({ r: I32, q: I32, nVoiced: I32 });
    return [
      ...set("nVoiced", i32(0)),
      ...forRange("r", i32(0), get("nRows"), [
        ...set("q", I("rows", "r")),
        ...storeF(at8("costD", get("q")), f64(-Infinity)),
        ...storeI(at4("fromD", get("q")), i32(-1)),
        ...ifThen(B("keptPrevious", "q"), [...storeI(at4("rowsVoiced", get("nVoiced")), get("q")), ...set("nVoiced", add(get("nVoiced"), i32(1)))]),
      ]),
      ...get("nVoiced"),
    ];
  },
  [I32],
);

/** cost, k = the voiced block's (D) unless the other's (C) is larger; 0 returned where no source or limit >= cost. */
const better = (costC: string, fromC: string, costD: string, fromD: string): number[] => [
  ...set("cost", F(costD, "q")),
  ...set("k", I(fromD, "q")),
  ...ifThen(fgt(F(costC, "q"), get("cost")), [...set("cost", F(costC, "q")), ...set("k", I(fromC, "q"))]),
  ...ifThen([...lts(get("k"), i32(0)), ...get("limit"), ...get("cost"), ...F64_GE, ...I32_OR], [...i32(0), ...RETURN]),
];

const settleVoiced = func(
  "settleVoiced",
  [
    ["rows", I32], ["nRows", I32], ["costC", I32], ["fromC", I32], ["costD", I32], ["fromD", I32], ["limit", F64],
    ["values", I32], ["observed", I32], ["pointerRow", I32], ["exact", I32],
  ],
  () => {
    declare({ r: I32, q: I32, k: I32, cost: F64 });
    return [
      ...forRange("r", i32(0), get("nRows"), [
        ...set("q", I("rows", "r")),
        ...better("costC", "fromC", "costD", "fromD"),
        ...storeF(at8("values", get("q")), fadd(F("observed", "q"), get("cost"))),
        ...store16(at2("pointerRow", get("q")), get("k")),
        ...storeB(add(get("exact"), get("q")), i32(1)),
      ]),
      ...i32(1),
    ];
  },
  [I32],
);

const unvoicedValues = func(
  "unvoicedValues",
  [
    ["costA", I32], ["fromA", I32], ["costB", I32], ["fromB", I32], ["limit", F64], ["observed", F64], ["values", I32], ["pointerRow", I32], ["n", I32],
    ["lowestOut", I32], ["rows", I32], ["nRows", I32],
  ],
  () => {
    declare({ q: I32, r: I32, k: I32, bad: I32, cost: F64, v: F64, lowest: F64 });
    /** 1 where source k at `cost` is none, or the log(tiny) transitions could reach it (limit >= cost). */
    const fails = (k: number[], cost: number[]): number[] => [...lts(k, i32(0)), ...get("limit"), ...cost, ...F64_GE, ...I32_OR];
    return [
      ...set("lowest", f64(Infinity)),
      ...set("bad", i32(0)),
      // The unvoiced block's everywhere (B holds -Infinity outside the rows)...
      ...forRange("q", i32(0), get("n"), [
        ...set("cost", F("costA", "q")),
        ...set("k", I("fromA", "q")),
        ...set("bad", add(get("bad"), fails(get("k"), get("cost")))),
        ...set("v", fadd(get("observed"), get("cost"))),
        ...storeF(at8("values", get("q")), get("v")),
        ...set("lowest", [...get("lowest"), ...get("v"), ...F64_MIN]),
        ...store16(at2("pointerRow", get("q")), get("k")),
      ]),
      // ...then the voiced block's on the rows that have one, unless the unvoiced one's is larger (B reset after).
      ...forRange("r", i32(0), get("nRows"), [
        ...set("q", I("rows", "r")),
        ...ifThen(not(fgt(F("costA", "q"), F("costB", "q"))), [
          ...set("bad", sub(get("bad"), fails(I("fromA", "q"), F("costA", "q")))),
          ...set("cost", F("costB", "q")),
          ...set("k", I("fromB", "q")),
          ...set("bad", add(get("bad"), fails(get("k"), get("cost")))),
          ...storeF(at8("values", get("q")), fadd(get("observed"), get("cost"))),
          ...store16(at2("pointerRow", get("q")), get("k")),
        ]),
        ...storeF(at8("costB", get("q")), f64(-Infinity)),
        ...storeI(at4("fromB", get("q")), i32(-1)),
      ]),
      // (a voiced source only raises a value: `lowest` stays at most the lowest value)
      ...storeF(get("lowestOut"), get("lowest")),
      ...not(get("bad")),
    ];
  },
  [I32],
);

const voicedBounds = func(
  "voicedBounds",
  [
    ["unvoicedBest", I32], ["windowVoiced", I32], ["switchLift", F64], ["stayMax", I32], ["observed", I32], ["outside", F64],
    ["values", I32], ["pointerRow", I32], ["exact", I32], ["n", I32],
  ],
  () => {
    declare({ q: I32, fromUnvoiced: F64, fromVoiced: F64, bound: F64, largest: F64 });
    return [
      ...set("largest", f64(-Infinity)),
      ...forRange("q", i32(0), get("n"), [
        ...set("fromUnvoiced", fadd(F("unvoicedBest", "q"), get("switchLift"))),
        ...set("fromVoiced", fadd(F("windowVoiced", "q"), F("stayMax", "q"))),
        ...set("bound", pick(get("fromVoiced"), get("fromUnvoiced"), fgt(get("fromVoiced"), get("fromUnvoiced")))),
        ...set("bound", pick(get("outside"), get("bound"), fgt(get("outside"), get("bound")))),
        ...set("largest", [...get("largest"), ...get("bound"), ...F64_MAX]),
        ...storeF(at8("values", get("q")), fadd(F("observed", "q"), get("bound"))),
      ]),
      ...fillBytes(get("pointerRow"), NO_POINTER & 0xff, shl(get("n"), i32(1))),
      ...fillBytes(get("exact"), 0, get("n")),
      ...get("largest"),
    ];
  },
  [F64],
);

const maxOf = func(
  "maxOf",
  [["x", I32], ["count", I32]],
  () => {
    declare({ i: I32, v: F64, highest: F64 });
    return [
      ...set("highest", f64(-Infinity)),
      ...forRange("i", i32(0), get("count"), [
        ...set("v", F("x", "i")),
        ...set("highest", pick(get("v"), get("highest"), fgt(get("v"), get("highest")))),
      ]),
      ...get("highest"),
    ];
  },
  [F64],
);

/**
 * Independent runs of rows the left-to-right sweep interleaves (see viterbi.ts `sweepRows`): each
 * row's scan starts from the row before's source, a chain of loads and comparisons whose latency
 * dominates; two runs in one loop overlap theirs. A run's first row scans its whole band.
 * (Three or four measured no faster. The loops below run every run `length - tail` rows, then
 * the runs but the last `tail` more, which needs tail <= length: true for two runs of any n.)
 */
export const SWEEP_CHAINS = 2;

const sweepRows = func(
  "sweepRows",
  [["previous", I32], ["base", I32], ["banded", I32], ["n", I32], ["half", I32], ["cost", I32], ["from", I32], ["reached", I32], ["step", I32]],
  () => {
    const chains = Array.from({ length: SWEEP_CHAINS }, (_, j) => j);
    const locals: Record<string, number> = { i: I32, span: I32, length: I32, tail: I32, q: I32, row: I32, next: I32, hi: I32, best: F64, arg: I32, k: I32, pp: I32, bb: I32, pEnd: I32, c: F64, gt: I32 };
    for (const j of chains) {
      for (const name of ["q", "start", "row", "bandLo", "bandHi", "lo", "hi", "k", "p", "arg", "next", "gt", "pp", "bb", "pEnd"]) locals[`${name}${j}`] = I32;
      for (const name of ["best", "c", "c0", "c1", "c2"]) locals[`${name}${j}`] = F64;
    }
    declare(locals);
    /** Sources k = from .. to (inclusive) of the row at local `row`, ascending, into best / arg (strict comparison); locals suffixed `x`. */
    const scanTo = (x: string, from: number[], to: string): number[] => [
      ...set(`k${x}`, from),
      ...set(`pp${x}`, at8("previous", add(get("base"), get(`k${x}`)))),
      ...set(`bb${x}`, at8("banded", add(get(`row${x}`), get(`k${x}`)))),
      ...set(`pEnd${x}`, at8("previous", add(get("base"), get(to)))),
      ...whileLoop(i32LeU(get(`pp${x}`), get(`pEnd${x}`)), [
        ...set(`c${x}`, fadd(loadF(get(`pp${x}`)), loadF(get(`bb${x}`)))),
        ...set(`gt${x}`, fgt(get(`c${x}`), get(`best${x}`))),
        ...set(`best${x}`, pick(get(`c${x}`), get(`best${x}`), get(`gt${x}`))),
        ...set(`arg${x}`, pick(get(`k${x}`), get(`arg${x}`), get(`gt${x}`))),
        ...set(`k${x}`, add(get(`k${x}`), i32(1))),
        ...set(`pp${x}`, add(get(`pp${x}`), i32(8))),
        ...set(`bb${x}`, add(get(`bb${x}`), i32(8))),
      ]),
    ];
    /** While the best is the last source scanned, `step` more. */
    const gallop = (x: string): number[] =>
      whileLoop([...[...get(`arg${x}`), ...get(`hi${x}`), ...I32_EQ], ...lts(get(`hi${x}`), get(`bandHi${x}`)), ...I32_AND], [
        ...set(`next${x}`, add(get(`hi${x}`), get("step"))),
        ...ifThen(gts(get(`next${x}`), get(`bandHi${x}`)), set(`next${x}`, get(`bandHi${x}`))),
        ...scanTo(x, add(get(`hi${x}`), i32(1)), `next${x}`),
        ...set(`hi${x}`, get(`next${x}`)),
      ]);
    const rowOf = (x: string): number[] => set(`row${x}`, sub(add(mul(get(`q${x}`), get("span")), get("half")), get(`q${x}`)));
    /** The first best of three costs in locals c0, c1, c2 (sources lo, lo + 1, lo + 2) as a sequential strict scan from -Infinity finds it. */
    const firstOfThree = (x: string): number[] => [
      ...set(`gt${x}`, fgt(get(`c1${x}`), get(`c0${x}`))),
      ...set(`best${x}`, pick(get(`c1${x}`), get(`c0${x}`), get(`gt${x}`))),
      ...set(`arg${x}`, add(get(`lo${x}`), get(`gt${x}`))),
      ...set(`gt${x}`, fgt(get(`c2${x}`), get(`best${x}`))),
      ...set(`best${x}`, pick(get(`c2${x}`), get(`best${x}`), get(`gt${x}`))),
      ...set(`arg${x}`, pick(add(get(`lo${x}`), i32(2)), get(`arg${x}`), get(`gt${x}`))),
      // Nothing finite: no source (as the scan leaves it).
      ...ifThen(not(fgt(get(`best${x}`), f64(-Infinity))), set(`arg${x}`, i32(-1))),
    ];
    /** Left to right, row q of run x (its first row from `start`): from its predecessor's source, a few sources on, further while the best is the last. */
    const rowStep = (x: string): number[] => [
      ...rowOf(x),
      ...set(`bandLo${x}`, sub(get(`q${x}`), get("half"))),
      ...ifThen(lts(get(`bandLo${x}`), i32(0)), set(`bandLo${x}`, i32(0))),
      ...set(`bandHi${x}`, add(get(`q${x}`), get("half"))),
      ...ifThen(gts(get(`bandHi${x}`), sub(get("n"), i32(1))), set(`bandHi${x}`, sub(get("n"), i32(1)))),
      ...set(`lo${x}`, pick(get(`arg${x}`), get(`bandLo${x}`), gts(get(`arg${x}`), get(`bandLo${x}`)))),
      ...set(`hi${x}`, add(get(`arg${x}`), get("step"))),
      ...ifThen(gts(get(`hi${x}`), get(`bandHi${x}`)), set(`hi${x}`, get(`bandHi${x}`))),
      // A run's first row and the last row: their whole band.
      ...ifThen([...[...get(`q${x}`), ...get(`start${x}`), ...I32_EQ], ...[...get(`q${x}`), ...sub(get("n"), i32(1)), ...I32_EQ], ...I32_OR], [
        ...set(`lo${x}`, get(`bandLo${x}`)),
        ...set(`hi${x}`, get(`bandHi${x}`)),
      ]),
      // Mostly two sources then one more by the gallop: those three at once (a wider scan only
      // widens the window each first argmax holds over; see viterbi.ts sweepRows).
      ...ifElse(
        [...[...get(`hi${x}`), ...add(get(`lo${x}`), i32(1)), ...I32_EQ], ...lts(get(`hi${x}`), get(`bandHi${x}`)), ...I32_AND],
        [
          ...set(`pp${x}`, at8("previous", add(get("base"), get(`lo${x}`)))),
          ...set(`bb${x}`, at8("banded", add(get(`row${x}`), get(`lo${x}`)))),
          ...[0, 1, 2].flatMap((j) => set(`c${j}${x}`, fadd(loadF(get(`pp${x}`), 8 * j), loadF(get(`bb${x}`), 8 * j)))),
          ...firstOfThree(x),
          ...set(`hi${x}`, add(get(`lo${x}`), i32(2))),
        ],
        [...set(`best${x}`, f64(-Infinity)), ...set(`arg${x}`, i32(-1)), ...scanTo(x, get(`lo${x}`), `hi${x}`)],
      ),
      ...gallop(x),
      // The previous frame's source of this target, beyond: if better, scan up to it.
      ...set(`p${x}`, sub(loadI(at4("from", get(`q${x}`))), get("base"))),
      ...ifThen([...gts(get(`p${x}`), get(`hi${x}`)), ...les(get(`p${x}`), get(`bandHi${x}`)), ...I32_AND], [
        ...ifThen(fgt(fadd(loadF(at8("previous", add(get("base"), get(`p${x}`)))), loadF(at8("banded", add(get(`row${x}`), get(`p${x}`))))), get(`best${x}`)), [
          ...set(`next${x}`, add(get(`p${x}`), get("step"))),
          ...ifThen(gts(get(`next${x}`), get(`bandHi${x}`)), set(`next${x}`, get(`bandHi${x}`))),
          ...scanTo(x, add(get(`hi${x}`), i32(1)), `next${x}`),
          ...set(`hi${x}`, get(`next${x}`)),
          ...gallop(x),
        ]),
      ]),
      ...ifThen(lts(get(`arg${x}`), i32(0)), [...i32(0), ...RETURN]),
      ...storeF(at8("cost", get(`q${x}`)), get(`best${x}`)),
      ...storeI(at4("from", get(`q${x}`)), add(get("base"), get(`arg${x}`))),
      ...storeI(at4("reached", get(`q${x}`)), get(`hi${x}`)),
      ...set(`q${x}`, add(get(`q${x}`), i32(1))),
    ];
    const last = SWEEP_CHAINS - 1;
    return [
      ...set("span", add(shl(get("half"), i32(1)), i32(1))),
      // Run j: rows [j length, (j + 1) length), the last run `tail` rows shorter.
      ...set("length", [...add(get("n"), i32(last)), ...i32(SWEEP_CHAINS), ...I32_DIV_U]),
      ...set("tail", sub(mul(get("length"), i32(SWEEP_CHAINS)), get("n"))),
      ...chains.flatMap((j) => [...set(`start${j}`, mul(get("length"), i32(j))), ...set(`q${j}`, get(`start${j}`)), ...set(`arg${j}`, i32(0))]),
      // Every run a row at a time, then the runs but the last while they have rows.
      ...forRange("i", get("tail"), get("length"), chains.flatMap((j) => rowStep(`${j}`))),
      ...forRange("i", i32(0), get("tail"), chains.slice(0, last).flatMap((j) => rowStep(`${j}`))),
      // Right to left: each target scanned up to its successor's source (its first argmax there then holds).
      ...set("q", sub(get("n"), i32(2))),
      ...whileLoop([...get("q"), ...i32(0), ...I32_GE_S], [
        ...set("row", sub(add(mul(get("q"), get("span")), get("half")), get("q"))),
        ...set("next", sub(loadI(at4("from", add(get("q"), i32(1)))), get("base"))),
        ...ifThen(gts(get("next"), add(get("q"), get("half"))), set("next", add(get("q"), get("half")))),
        ...set("hi", loadI(at4("reached", get("q")))),
        ...ifThen(gts(get("next"), get("hi")), [
          ...set("best", loadF(at8("cost", get("q")))),
          ...set("arg", sub(loadI(at4("from", get("q"))), get("base"))),
          ...scanTo("", add(get("hi"), i32(1)), "next"),
          ...storeF(at8("cost", get("q")), get("best")),
          ...storeI(at4("from", get("q")), add(get("base"), get("arg"))),
        ]),
        ...set("q", sub(get("q"), i32(1))),
      ]),
      ...i32(1),
    ];
  },
  [I32],
);

const MODULE = kernelModule("viterbi", [bestOverRows, windowOfCandidates, selectRows, switchFromCandidates, prepareVoiced, settleVoiced, unvoicedValues, voicedBounds, maxOf, sweepRows]);

/** The kernels over a kernel memory (its instance there); null where WebAssembly is missing. */
export const viterbiKernels = kernelsOverMemory<ViterbiKernels>(MODULE);
