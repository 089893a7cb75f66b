/**
 * Constant-Q transform, chroma and tuning estimation with librosa 0.11.0's
 * semantics (`cqt`, `feature.chroma_cqt`, `feature.chroma_stft`, `estimate_tuning`).
 */
export { C1_HZ, chromaFilterbank, cqToChroma, cqtFrequencies, filterBasis, relativeBandwidth, waveletLengths, windowBandwidth } from "./filters.js";
export { bandRows, type BandRows } from "./bands.js";
export { chromaCqtFrames, foldChromaFrames, sparseFold, type ChromaFoldParams, type SparseFold } from "./chroma.js";
export { normalizeStrided, normLength } from "./normalize.js";
export { sparsifyRows, type ComplexCsr } from "./sparse.js";
export { median, piptrackBinRange, piptrackColumn, pitchTuning, tuningFromPeaks, type PiptrackParams, type TuningEstimate } from "./tuning.js";
export { octaveSignals } from "./octaveSignals.js";
export { cqtFrames, planCqt, signalsBeforeTuning, type CqtParams, type CqtPlan, type SignalPlan } from "./vqt.js";
