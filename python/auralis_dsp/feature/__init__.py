"""Feature extraction: drop-in ``librosa.feature.chroma_cqt`` and ``chroma_stft``."""
from .spectral import chroma_cqt, chroma_stft

__all__ = ["chroma_cqt", "chroma_stft"]
