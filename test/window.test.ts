/** Windows against scipy.signal.get_window(..., fftbins=True), and the pad-mode index map against numpy.pad. */
import { describe, expect, it } from "vitest";
import { getWindow, padCenter, type WindowName } from "../src/spectrum/window.js";
import { paddedIndex } from "../src/spectrum/pad.js";
import { ParameterError } from "../src/util/errors.js";
import { loadManifest, loadNpy } from "./helpers/fixtures.js";

describe("getWindow matches scipy", () => {
  // A few ulps: Kaiser's I0 is a power series here, Cephes' Chebyshev expansion in scipy.
  it.each(loadManifest("windows").map((c) => [c.label, c] as const))("%s", (_label, c) => {
    const expected = loadNpy("windows", c.expected).data;
    const w = getWindow(c.params.window as WindowName, c.params.n as number, true);
    expect(w.length).toBe(expected.length);
    for (let i = 0; i < w.length; i++) expect(Math.abs(w[i]! - expected[i]!)).toBeLessThanOrEqual(2e-15);
  });

  it("rejects unknown names and bad parameters with ParameterError", () => {
    expect(() => getWindow("nope", 8)).toThrow(ParameterError);
    expect(() => getWindow(["kaiser"] as unknown as WindowName, 8)).toThrow(ParameterError);
    expect(() => getWindow(["hann", 3], 8)).toThrow(ParameterError);
  });

  it("padCenter centres and rejects a window longer than the frame", () => {
    expect([...padCenter(Float64Array.of(1, 2, 3), 8)]).toEqual([0, 0, 1, 2, 3, 0, 0, 0]);
    expect(() => padCenter(new Float64Array(9), 8)).toThrow(ParameterError);
  });
});

describe("paddedIndex follows numpy.pad", () => {
  // numpy.pad(np.arange(L), (7, 9), mode) for L = 1..3, written out by hand from numpy 2.4.
  const numpy: Record<string, Record<number, number[]>> = {
    reflect: {
      1: Array(17).fill(0),
      2: [1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0],
      3: [1, 2, 1, 0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 2, 1],
    },
    symmetric: {
      1: Array(17).fill(0),
      2: [1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1],
      3: [0, 0, 1, 2, 2, 1, 0, 0, 1, 2, 2, 1, 0, 0, 1, 2, 2, 1, 0],
    },
    edge: { 3: [0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2] },
    constant: { 3: [-1, -1, -1, -1, -1, -1, -1, 0, 1, 2, -1, -1, -1, -1, -1, -1, -1, -1, -1] },
  };
  for (const [mode, byLength] of Object.entries(numpy)) {
    for (const [length, expected] of Object.entries(byLength)) {
      it(`${mode}, length ${length}`, () => {
        const got = expected.map((_, k) => paddedIndex(k - 7, Number(length), mode as "reflect"));
        expect(got).toEqual(expected);
      });
    }
  }
});
