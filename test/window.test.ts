/** Windows against scipy.signal.get_window(..., fftbins=True), and the pad-mode index map against numpy.pad. */
import { describe, expect, it } from "vitest";
import { fftWindow, getWindow, padCenter, type WindowName } from "../src/spectrum/window.js";
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

describe("fftWindow", () => {
  it("is get_window centre-padded to n_fft, one shared array per named setting, a new one per explicit array", () => {
    const w = fftWindow("hann", 1000, 1024);
    expect(Array.from(w)).toEqual(Array.from(padCenter(getWindow("hann", 1000, true), 1024)));
    // Every call of the same settings reads the same array (no per-call window to compute and collect).
    expect(fftWindow("hann", 1000, 1024)).toBe(w);
    expect(fftWindow(["kaiser", 4], 1000, 1024)).not.toBe(fftWindow(["kaiser", 8], 1000, 1024));
    expect(fftWindow("hann", 1000, 2048)).not.toBe(w);
    const explicit = Float64Array.from({ length: 1000 }, (_, i) => i);
    expect(fftWindow(explicit, 1000, 1024)).not.toBe(fftWindow(explicit, 1000, 1024));
    expect(() => fftWindow(explicit, 999, 1024)).toThrow(ParameterError);
  });
});
