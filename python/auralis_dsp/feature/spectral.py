"""Chromagrams: drop-in ``librosa.feature.chroma_cqt`` and ``librosa.feature.chroma_stft``."""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import _backend
from .._request import StftArgs, _spectrogram_request
from .._util import is_positive_int, signal_to_wire, spectrogram_to_wire, spectrum_from_wire, valid_audio
from ..constantq import _norm_param
from ..exceptions import ParameterError, UnsupportedParameter
from ..tuning import warn_if_empty

__all__ = ["chroma_cqt", "chroma_stft"]


def chroma_cqt(
    *,
    y: np.ndarray | None = None,
    sr: float = 22050,
    C: np.ndarray | None = None,
    hop_length: int = 512,
    fmin: float | None = None,
    norm: float | None = np.inf,
    threshold: float = 0.0,
    tuning: float | None = None,
    n_chroma: int = 12,
    n_octaves: int = 7,
    window: np.ndarray | None = None,
    bins_per_octave: int | None = 36,
    cqt_mode: str = "full",
) -> np.ndarray:
    """Constant-Q chromagram, as ``librosa.feature.chroma_cqt`` (librosa 0.11.0).

    With ``C`` absent, computes ``|cqt(y)|`` over ``n_octaves * bins_per_octave``
    bins (estimating the tuning when ``tuning`` is None), folds the bins onto
    ``n_chroma`` pitch classes (``filters.cq_to_chroma``), zeroes values below
    ``threshold`` and normalises each frame with ``norm``. All of it is one
    request to the kernels.

    Parameters
    ----------
    y : np.ndarray [shape=(..., n)] or None
        Audio time series. Multi-channel is supported.
    sr : number > 0
        Sampling rate of ``y``.
    C : np.ndarray [shape=(..., d, t)] or None
        A pre-computed (magnitude) constant-Q spectrogram.
    hop_length : int > 0
        Number of samples between successive chroma frames.
    fmin : float > 0 or None
        Minimum frequency of the CQT; default C1 ~= 32.70 Hz.
    norm : int > 0, +-np.inf, 0 or None
        Column-wise normalisation of the chromagram.
    threshold : float or None
        Pre-normalisation threshold: smaller values become 0.
    tuning : float or None
        Deviation from A440 in fractions of a CQT bin; None estimates it.
    n_chroma : int > 0
        Number of chroma bins.
    n_octaves : int > 0
        Number of octaves above ``fmin``.
    window : None or np.ndarray
        Optional window convolved with the CQT-to-chroma map along the CQT axis.
    bins_per_octave : int > 0 or None
        CQT bins per octave, an integer multiple of ``n_chroma``; None means ``n_chroma``.
    cqt_mode : "full"
        Only the full CQT is implemented; "hybrid" raises ParameterError.

    Returns
    -------
    chromagram : np.ndarray [shape=(..., n_chroma, t)]

    See Also
    --------
    chroma_stft
    librosa.feature.chroma_cqt : The reference implementation.
    """
    if bins_per_octave is None:
        bins_per_octave = n_chroma
    elif np.remainder(bins_per_octave, n_chroma) != 0:
        raise ParameterError(
            f"bins_per_octave={bins_per_octave} must be an integer multiple of n_chroma={n_chroma}"
        )
    if cqt_mode == "hybrid":
        raise UnsupportedParameter("cqt_mode='hybrid' is not implemented yet in auralis_dsp; use cqt_mode='full'")
    if cqt_mode != "full":
        raise ParameterError(f"cqt_mode={cqt_mode!r} must be 'full' or 'hybrid'")
    if not is_positive_int(n_chroma):
        raise ParameterError(f"n_chroma={n_chroma} must be a positive integer")
    params: dict = {
        "sr": float(sr),
        "hop_length": int(hop_length) if is_positive_int(hop_length) else hop_length,
        "fmin": None if fmin is None else float(fmin),
        "norm": _norm_param(norm),
        "threshold": None if threshold is None else float(threshold),
        "tuning": None if tuning is None else float(tuning),
        "n_chroma": int(n_chroma),
        "n_octaves": int(n_octaves),
        "bins_per_octave": int(bins_per_octave),
    }
    arrays: dict = {}
    if window is not None:
        arrays["window"] = np.ascontiguousarray(np.asarray(window, dtype=np.float64).ravel(), dtype="<f8")
    if C is None:
        if y is None:
            raise ParameterError("At least one of C or y must be provided to compute chroma")
        valid_audio(y)
        if not is_positive_int(hop_length):
            raise ParameterError(f"hop_length={hop_length} must be a positive integer")
        if not is_positive_int(n_octaves):
            raise ParameterError(f"n_octaves={n_octaves} must be a positive integer")
        wire, lead = signal_to_wire(y)
        arrays["y"] = wire
        out_dtype = np.dtype(np.float32) if wire.dtype == np.float32 else np.dtype(np.float64)
    else:
        C = np.asarray(C)
        if np.iscomplexobj(C):
            raise UnsupportedParameter("C must be a real-valued (magnitude) constant-Q spectrogram")
        arrays["C"], lead = spectrogram_to_wire(C)
        out_dtype = np.result_type(np.float32, C.dtype)
    params["dtype"] = "float32" if out_dtype == np.float32 else "float64"
    meta, result = _backend.call("chroma_cqt", params, arrays)
    warn_if_empty(meta, stacklevel=3)
    return spectrum_from_wire(result["chroma"], lead, out_dtype)


_CHROMA_FB_DEFAULTS = {"ctroct": 5.0, "octwidth": 2, "base_c": True, "dtype": np.float32}


def chroma_stft(
    *,
    y: np.ndarray | None = None,
    sr: float = 22050,
    S: np.ndarray | None = None,
    norm: float | None = np.inf,
    n_fft: int = 2048,
    hop_length: int = 512,
    win_length: int | None = None,
    window: Any = "hann",
    center: bool = True,
    pad_mode: Any = "constant",
    tuning: float | None = None,
    n_chroma: int = 12,
    **kwargs: Any,
) -> np.ndarray:
    """Chromagram from a power spectrogram, as ``librosa.feature.chroma_stft`` (librosa 0.11.0).

    Not a substitute for ``chroma_cqt``: it is the STFT-based chromagram
    (Ellis' chroma filter bank over ``|stft(y)|**2``), a different answer.

    Parameters
    ----------
    y : np.ndarray [shape=(..., n)] or None
        Audio time series. Multi-channel is supported.
    sr : number > 0
        Sampling rate of ``y``.
    S : np.ndarray [shape=(..., d, t)] or None
        Power spectrogram (used instead of ``y``).
    norm : float or None
        Column-wise normalisation (``librosa.util.normalize``).
    n_fft, hop_length, win_length, window, center, pad_mode
        STFT parameters when ``y`` is given.
    tuning : float or None
        Deviation from A440 in fractions of a chroma bin; None estimates it from the spectrogram.
    n_chroma : int > 0
        Number of chroma bins.
    **kwargs
        ``filters.chroma`` parameters: ``ctroct``, ``octwidth``, ``base_c``, ``dtype``.

    Returns
    -------
    chromagram : np.ndarray [shape=(..., n_chroma, t)]

    See Also
    --------
    chroma_cqt
    librosa.feature.chroma_stft : The reference implementation.
    """
    unknown = set(kwargs) - set(_CHROMA_FB_DEFAULTS)
    if unknown:
        raise TypeError(f"chroma() got unexpected keyword argument(s) {sorted(unknown)}")
    fb = dict(_CHROMA_FB_DEFAULTS, **kwargs)
    fb_dtype = np.dtype(fb["dtype"])
    if fb_dtype not in (np.float32, np.float64):
        raise UnsupportedParameter(
            f"dtype={fb_dtype} is not supported for the chroma filter bank; use float32 or float64"
        )
    if not is_positive_int(n_chroma):
        raise ParameterError(f"n_chroma={n_chroma} must be a positive integer")
    params: dict = {
        "sr": float(sr),
        "norm": _norm_param(norm),
        "tuning": None if tuning is None else float(tuning),
        "n_chroma": int(n_chroma),
        "ctroct": float(fb["ctroct"]),
        "octwidth": None if fb["octwidth"] is None else float(fb["octwidth"]),
        "base_c": bool(fb["base_c"]),
        "fb_dtype": fb_dtype.name,
    }
    request = _spectrogram_request(
        y, StftArgs(n_fft, hop_length, win_length, window, center, pad_mode), S=S, accepts_S=True, stacklevel=2
    )
    params.update(request.params)
    out_dtype = np.result_type(fb_dtype, (request.arrays["S"] if S is not None else request.arrays["y"]).dtype)
    params["dtype"] = "float32" if out_dtype == np.float32 else "float64"
    meta, result = _backend.call("chroma_stft", params, request.arrays)
    if tuning is None:
        warn_if_empty(meta, stacklevel=3)
    return spectrum_from_wire(result["chroma"], request.lead, out_dtype)
