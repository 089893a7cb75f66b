/** The parity metrics of docs/parity.md, for flat arrays (complex as interleaved pairs). */
export interface Metrics {
  relL2: number;
  scaledMax: number;
  /** Flat element index (complex: pair index) of the largest difference. */
  worst: number;
}

export const parityMetrics = (ours: ArrayLike<number>, ref: ArrayLike<number>, complex = false): Metrics => {
  if (ours.length !== ref.length) throw new Error(`length mismatch: ${ours.length} vs ${ref.length}`);
  const step = complex ? 2 : 1;
  let diff2 = 0;
  let ref2 = 0;
  let maxDiff = 0;
  let maxRef = 0;
  let worst = 0;
  for (let i = 0; i < ref.length; i += step) {
    const dr = ours[i]! - ref[i]!;
    const di = complex ? ours[i + 1]! - ref[i + 1]! : 0;
    const rr = ref[i]!;
    const ri = complex ? ref[i + 1]! : 0;
    const d = dr * dr + di * di;
    const r = rr * rr + ri * ri;
    diff2 += d;
    ref2 += r;
    if (!(d <= maxDiff * maxDiff)) {
      maxDiff = Math.sqrt(d);
      worst = i / step;
    }
    maxRef = Math.max(maxRef, Math.sqrt(r));
  }
  const ratio = (num: number, den: number): number => (num === 0 ? 0 : den === 0 ? Infinity : num / den);
  return { relL2: ratio(Math.sqrt(diff2), Math.sqrt(ref2)), scaledMax: ratio(maxDiff, maxRef), worst };
};
