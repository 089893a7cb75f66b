/** Pitch and tuning (`librosa.yin`, `librosa.pyin`, `librosa.estimate_tuning`, `librosa.pitch_tuning`, `librosa.piptrack`). */
export { yin, type YinOptions } from "./yin.js";
export { pyin, type PyinOptions, type PyinResult } from "./pyin.js";
export { median, piptrackBinRange, piptrackColumn, pitchTuning, tuningFromPeaks, type PiptrackParams, type TuningEstimate } from "./tuning.js";
