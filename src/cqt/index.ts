/**
 * The constant-Q transform (`librosa.cqt`, `librosa.filters.constant_q` and
 * its helpers) with the semantics of the librosa the caller asks for.
 */
export { C1_HZ, chromaFilterbank, cqToChroma, cqtFrequencies, filterBasis, relativeBandwidth, waveletLengths, windowBandwidth } from "./filters.js";
export { bandRows, type BandRows } from "./bands.js";
export { octaveSignals } from "./octaveSignals.js";
export { cqtFrames, planCqt, signalsBeforeTuning, type CqtParams, type CqtPlan, type SignalPlan } from "./vqt.js";
