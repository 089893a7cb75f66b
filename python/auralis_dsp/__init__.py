"""auralis-dsp: drop-in replacements for librosa's slow calls, computed by TypeScript kernels.

Under CPython the kernels run in a persistent Node process (binary protocol on
stdin/stdout); under Pyodide they run in-process through the JS FFI.

>>> from auralis_dsp import hpss, yin, chroma_cqt
"""
from __future__ import annotations

from . import decompose, effects, feature
from ._compat import librosa_compat, set_librosa_compat
from ._patch import patch, patched, unpatch
from ._pyin import pyin
from .caches import clear_caches
from .constantq import cqt
from .effects import hpss
from .exceptions import BridgeError, ParameterError, UnsupportedParameter
from .feature import chroma_cqt
from .pitch import yin
from .spectrum import istft, stft
from .tuning import estimate_tuning

__version__ = "0.1.0"

__all__ = [
    "ParameterError",
    "librosa_compat",
    "set_librosa_compat",
    "BridgeError",
    "UnsupportedParameter",
    "stft",
    "istft",
    "decompose",
    "effects",
    "feature",
    "hpss",
    "yin",
    "pyin",
    "cqt",
    "estimate_tuning",
    "clear_caches",
    "chroma_cqt",
    "patch",
    "unpatch",
    "patched",
    "__version__",
]
