"""Backend selection: the Node stdio server under CPython, Pyodide's FFI under emscripten.

Every shim makes exactly one ``call`` per librosa call.
"""
from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

import numpy as np

from .._compat import librosa_compat

__all__ = ["call"]

if sys.platform == "emscripten":  # pragma: no cover - Pyodide only
    from .pyodide import call as _call
else:
    from .node import call as _call


def call(
    op: str, params: Mapping[str, Any], arrays: Mapping[str, np.ndarray]
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Run kernel op ``op`` with explicit ``params`` on named ``arrays``.

    Every request also carries ``librosa``: the semantics the kernels follow
    where librosa 0.11 and 1.0 differ (``auralis_dsp.librosa_compat()``).

    Returns the op's JSON metadata and its named result arrays. Raises
    ``ParameterError`` for bad parameters and ``BridgeError`` for faults.
    """
    return _call(op, {**params, "librosa": librosa_compat()}, arrays)
