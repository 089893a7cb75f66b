"""Constant-Q transform: drop-in ``librosa.cqt``."""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from . import _backend
from ._compat import is_v1
from ._util import KERNEL_PAD_MODES, dtype_r2c, is_positive_int, signal_to_wire, spectrum_from_wire, valid_audio
from .exceptions import ParameterError, UnsupportedParameter
from .tuning import warn_if_empty

__all__ = ["cqt"]

_RES_TYPES = ("soxr_hq",)


def _window_param(window: Any) -> Any:
    """The CQT filters' window as the kernels take it: a name, or (name, parameter)."""
    if isinstance(window, str):
        return window
    if isinstance(window, tuple) and len(window) == 2 and isinstance(window[0], str) and np.isscalar(window[1]):
        return [window[0], float(window[1])]
    raise UnsupportedParameter(
        f"window={window!r}: the CQT supports windows given by name (e.g. 'hann') or (name, parameter)"
    )


def _norm_param(norm: Any) -> float | None:
    if norm is None:
        return None
    if isinstance(norm, (bool, np.bool_)) or not np.issubdtype(type(norm), np.number):
        raise ParameterError(f"Unsupported norm: {norm!r}")
    return float(norm)


def cqt_params(
    y: np.ndarray,
    *,
    sr: float,
    hop_length: int,
    fmin: float | None,
    n_bins: int | None,
    bins_per_octave: int,
    tuning: float | None,
    filter_scale: float,
    norm: float | None,
    sparsity: float,
    window: Any,
    scale: bool,
    pad_mode: Any,
    res_type: str | None,
) -> dict:
    """librosa.cqt's argument checks (cqt's keywords); the request parameters."""
    valid_audio(y)
    if res_type is None:
        # 0.11 warns and uses soxr_hq; 1.0 dropped that, and fails where it resamples (see cqt).
        if not is_v1():
            warnings.warn(
                "Support for VQT with res_type=None is deprecated in librosa 0.10\nand will be removed in version 1.0.",
                category=FutureWarning,
                stacklevel=3,
            )
        res_type = "soxr_hq"
    if res_type not in _RES_TYPES:
        raise UnsupportedParameter(f"res_type={res_type!r} is not supported; supported: {', '.join(_RES_TYPES)}")
    if not is_positive_int(hop_length):
        raise ParameterError(f"hop_length={hop_length} must be a positive integer")
    if n_bins is None and not is_v1():
        raise TypeError("float() argument must be a string or a real number, not 'NoneType'")  # as librosa 0.11
    if n_bins is not None and not is_positive_int(n_bins):
        raise ParameterError(f"n_bins={n_bins} must be a positive integer")
    if not is_positive_int(bins_per_octave):
        raise ParameterError(f"bins_per_octave={bins_per_octave} must be a positive integer")
    if filter_scale <= 0:
        raise ParameterError(f"filter_scale={filter_scale} must be positive")
    if not 0.0 <= sparsity < 1:
        raise ParameterError(f"Invalid quantile {sparsity:.2f}")
    if pad_mode not in KERNEL_PAD_MODES:
        raise ParameterError(f"pad_mode={pad_mode!r} is not supported; use one of {', '.join(KERNEL_PAD_MODES)}")
    return {
        "sr": float(sr),
        "hop_length": int(hop_length),
        "fmin": None if fmin is None else float(fmin),
        "n_bins": None if n_bins is None else int(n_bins),
        "bins_per_octave": int(bins_per_octave),
        "tuning": None if tuning is None else float(tuning),
        "filter_scale": float(filter_scale),
        "norm": _norm_param(norm),
        "sparsity": float(sparsity),
        "window": _window_param(window),
        "scale": bool(scale),
        "pad_mode": pad_mode,
        "res_type": res_type,
    }


def cqt(
    y: np.ndarray,
    *,
    sr: float = 22050,
    hop_length: int = 512,
    fmin: float | None = None,
    n_bins: int | None = 84,
    bins_per_octave: int = 12,
    tuning: float | None = 0.0,
    filter_scale: float = 1,
    norm: float | None = 1,
    sparsity: float = 0.01,
    window: Any = "hann",
    scale: bool = True,
    pad_mode: Any = "constant",
    res_type: str | None = "soxr_hq",
    dtype: Any | None = None,
) -> np.ndarray:
    """Constant-Q transform of an audio signal, as ``librosa.cqt``.

    The multirate algorithm of Schoerkhuber and Klapuri (2010): optional early
    downsampling, then per octave (top first) a centred STFT multiplied by a
    sparse frequency-domain filter basis, the rate and hop halved between
    octaves by ``resample(res_type="soxr_hq")`` while the hop is even (under librosa
    1.0 semantics, only where the next octave's top frequency is at most a fifth of
    the current rate).

    Parameters
    ----------
    y : np.ndarray [shape=(..., n)]
        Audio time series. Multi-channel is supported.
    sr : number > 0
        Sampling rate of ``y``.
    hop_length : int > 0
        Number of samples between successive CQT columns.
    fmin : float > 0 or None
        Minimum frequency; default C1 ~= 32.70 Hz.
    n_bins : int > 0 or None
        Number of frequency bins, starting at ``fmin``. ``None`` (librosa 1.0 semantics
        only): every bin whose filter stays below Nyquist.
    bins_per_octave : int > 0
        Number of bins per octave.
    tuning : None or float
        Tuning offset in fractions of a bin; None estimates it from ``y`` (``estimate_tuning``).
    filter_scale : float > 0
        Filter scale factor (smaller: shorter windows).
    norm : {inf, -inf, 0, float > 0, None}
        Normalisation of each basis filter (``librosa.util.normalize``).
    sparsity : float in [0, 1)
        Fraction of each filter's energy that may be discarded to sparsify the basis.
    window : str or (str, float)
        Window of the basis filters.
    scale : bool
        Divide each bin by sqrt(filter length) (like ``norm='ortho'`` in FFT).
    pad_mode : {"constant", "edge", "reflect", "symmetric"}
        Padding of the centred frames.
    res_type : "soxr_hq"
        Resampler for the octave halvings (the only one implemented). ``None``: under
        librosa 0.11 semantics the deprecated alias of "soxr_hq" (with its
        FutureWarning); under 1.0 semantics usable only where no resampling happens,
        else ``AttributeError`` as librosa 1.0 raises.
    dtype : np.dtype, optional
        Complex output type; default ``complex64`` for float32 input, ``complex128`` for float64.

    Returns
    -------
    CQT : np.ndarray [shape=(..., n_bins, t)]
        Constant-Q value of each frequency at each time.

    Raises
    ------
    ParameterError
        For non-floating or non-finite audio, a filter bank reaching past
        Nyquist, a signal too short for early downsampling, or an unsupported ``res_type``.

    See Also
    --------
    librosa.cqt : The reference implementation.
    """
    params = cqt_params(
        y,
        sr=sr,
        hop_length=hop_length,
        fmin=fmin,
        n_bins=n_bins,
        bins_per_octave=bins_per_octave,
        tuning=tuning,
        filter_scale=filter_scale,
        norm=norm,
        sparsity=sparsity,
        window=window,
        scale=scale,
        pad_mode=pad_mode,
        res_type=res_type,
    )
    dtype = dtype_r2c(y.dtype) if dtype is None else np.dtype(dtype)
    params["dtype"] = "complex64" if dtype == np.complex64 else "complex128"
    wire, lead = signal_to_wire(y)
    meta, result = _backend.call("cqt", params, {"y": wire})
    if res_type is None and is_v1() and meta.get("resampled"):
        # librosa 1.0 hands res_type=None to resample, which fails on None.startswith
        raise AttributeError("'NoneType' object has no attribute 'startswith'")
    warn_if_empty(meta, stacklevel=3)
    return spectrum_from_wire(result["C"], lead, dtype)
