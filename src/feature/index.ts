/** Chroma features (`librosa.feature.chroma_cqt`, `librosa.feature.chroma_stft`): folding a spectrum onto pitch classes. */
export { chromaCqtFrames, foldChromaFrames, sparseFold, type ChromaFoldParams, type SparseFold } from "./chroma.js";
