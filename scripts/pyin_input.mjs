// What the pyin benchmark scripts share: a mono float32 .npy read as a Float32Array, and
// pyin's settings as bench_pyin.py times them (fmin C2, fmax C7, librosa's defaults otherwise).
import { readFileSync } from "node:fs";

/** The samples of a float32 .npy (numpy.save of librosa.load(..., sr=...)). */
export const readFloat32Npy = (path) => {
  const buf = readFileSync(path);
  const headerLength = buf.readUInt16LE(8);
  if (!buf.toString("latin1", 10, 10 + headerLength).includes("'<f4'")) throw new Error(`${path}: expected a float32 .npy`);
  return new Float32Array(buf.buffer.slice(buf.byteOffset + 10 + headerLength));
};

/** pyin's options at `sr`; transitionMinProb null for librosa 0.11's exact search, 1e-4 for 1.0's default. */
export const pyinOptions = (sr, transitionMinProb) => ({
  sr, fmin: 65.40639132514966, fmax: 2093.004522404789, frameLength: 2048, hopLength: 512, center: true, padMode: "constant",
  nThresholds: 100, betaParameters: [2, 18], boltzmannParameter: 2, resolution: 0.1, maxTransitionRate: 35.92,
  switchProb: 0.01, noTroughProb: 0.01, transitionMinProb,
});
