"""Validation (librosa.util's rules and messages) and array marshalling for the backend."""
from __future__ import annotations

from typing import Any

import numpy as np

from .exceptions import ParameterError

__all__ = [
    "KERNEL_PAD_MODES",
    "valid_audio",
    "is_positive_int",
    "dtype_r2c",
    "dtype_c2r",
    "signal_to_wire",
    "signal_from_wire",
    "spectrum_to_wire",
    "spectrum_from_wire",
    "spectrogram_to_wire",
]


# The numpy.pad modes the kernels read virtually from the unpadded signal (stft, cqt, yin, pyin).
KERNEL_PAD_MODES = ("constant", "edge", "reflect", "symmetric")


def valid_audio(y: Any) -> bool:
    """``librosa.util.valid_audio``: a floating-point ndarray, at least 1-D, finite everywhere."""
    if not isinstance(y, np.ndarray):
        raise ParameterError("Audio data must be of type numpy.ndarray")
    if not np.issubdtype(y.dtype, np.floating):
        raise ParameterError("Audio data must be floating-point")
    if y.ndim == 0:
        raise ParameterError(f"Audio data must be at least one-dimensional, given y.shape={y.shape}")
    if not np.isfinite(y).all():
        raise ParameterError("Audio buffer is not finite everywhere")
    return True


def is_positive_int(x: Any) -> bool:
    """``librosa.util.is_positive_int``."""
    return isinstance(x, (int, np.integer)) and not isinstance(x, bool) and x > 0


def dtype_r2c(d: Any, default: Any = np.complex64) -> np.dtype:
    """``librosa.util.dtype_r2c``: float32 -> complex64, float64 -> complex128."""
    dt = np.dtype(d)
    if dt.kind == "c":
        return dt
    mapping = {np.dtype(np.float32): np.complex64, np.dtype(np.float64): np.complex128}
    return np.dtype(mapping.get(dt, default))


def dtype_c2r(d: Any, default: Any = np.float32) -> np.dtype:
    """``librosa.util.dtype_c2r``: complex64 -> float32, complex128 -> float64."""
    dt = np.dtype(d)
    if dt.kind == "f":
        return dt
    mapping = {np.dtype(np.complex64): np.float32, np.dtype(np.complex128): np.float64}
    return np.dtype(mapping.get(dt, default))


def _wire_float(dtype: np.dtype) -> np.dtype:
    """The precision a signal travels in: float32 stays float32, everything else float64."""
    return np.dtype(np.float32) if dtype == np.float32 else np.dtype(np.float64)


def signal_to_wire(y: np.ndarray) -> tuple[np.ndarray, tuple[int, ...]]:
    """(..., n) -> C-contiguous little-endian (channels, n), and the leading shape."""
    lead = tuple(y.shape[:-1])
    wire = np.ascontiguousarray(y, dtype=_wire_float(y.dtype).newbyteorder("<"))
    return wire.reshape(int(np.prod(lead, dtype=np.int64)), y.shape[-1]), lead


def signal_from_wire(y: np.ndarray, lead: tuple[int, ...], dtype: Any) -> np.ndarray:
    """(channels, n) -> (..., n) in ``dtype``."""
    out = y.reshape(lead + (y.shape[-1],))
    return out if out.dtype == np.dtype(dtype) else out.astype(dtype)


def spectrum_to_wire(S: np.ndarray, complex_dtype: Any) -> tuple[np.ndarray, tuple[int, ...]]:
    """(..., bins, frames) -> (frames, bins, channels) C-contiguous; free for librosa's F-ordered output."""
    lead = tuple(S.shape[:-2])
    axes = (S.ndim - 1, S.ndim - 2) + tuple(range(S.ndim - 2))
    wire = np.ascontiguousarray(S.transpose(axes), dtype=np.dtype(complex_dtype).newbyteorder("<"))
    return wire.reshape(S.shape[-1], S.shape[-2], -1), lead


def spectrum_from_wire(S: np.ndarray, lead: tuple[int, ...], dtype: Any) -> np.ndarray:
    """(frames, bins, channels) -> (..., bins, frames), a view in numpy's F order as librosa returns."""
    full = S.reshape(S.shape[:2] + lead)
    nlead = len(lead)
    out = full.transpose(tuple(range(2, 2 + nlead)) + (1, 0))
    return out if out.dtype == np.dtype(dtype) else out.astype(dtype)


def spectrogram_to_wire(S: np.ndarray) -> tuple[np.ndarray, tuple[int, ...]]:
    """(..., bins, frames) magnitudes -> C-contiguous (channels, bins, frames), and the leading shape."""
    S = np.abs(S) if np.iscomplexobj(S) else np.asarray(S)
    if S.ndim < 2:
        raise ParameterError(f"S must have at least 2 dimensions (bins, frames), got shape={S.shape}")
    lead = tuple(S.shape[:-2])
    dtype = np.dtype("<f4") if S.dtype in (np.float32, np.float16) else np.dtype("<f8")
    wire = np.ascontiguousarray(S, dtype=dtype).reshape((-1,) + S.shape[-2:])
    return wire, lead
