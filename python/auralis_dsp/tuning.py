"""Tuning estimation: drop-in ``librosa.estimate_tuning``."""
from __future__ import annotations

import warnings
from typing import Any, Optional

import numpy as np

from . import _backend
from ._util import is_positive_int, signal_to_wire, valid_audio, window_request
from .exceptions import ParameterError, UnsupportedParameter

__all__ = ["estimate_tuning"]

_PIPTRACK_DEFAULTS = {
    "hop_length": None,
    "fmin": 150.0,
    "fmax": 4000.0,
    "threshold": 0.1,
    "win_length": None,
    "window": "hann",
    "center": True,
    "pad_mode": "constant",
    "ref": None,
}


def _ref_param(ref: Any) -> Optional[float]:
    """piptrack's ``ref``: None or ``np.max`` (relative to each frame's peak) or a number."""
    if ref is None or ref is np.max or ref is np.amax:
        return None
    if callable(ref):
        raise UnsupportedParameter(f"ref={ref!r}: only None, np.max or a number are supported")
    return float(np.abs(ref))


def spectrogram_to_wire(S: np.ndarray) -> tuple:
    """(..., bins, frames) magnitudes -> C-contiguous (channels, bins, frames), and the leading shape."""
    S = np.abs(S) if np.iscomplexobj(S) else np.asarray(S)
    if S.ndim < 2:
        raise ParameterError(f"S must have at least 2 dimensions (bins, frames), got shape={S.shape}")
    lead = tuple(S.shape[:-2])
    dtype = np.dtype("<f4") if S.dtype in (np.float32, np.float16) else np.dtype("<f8")
    wire = np.ascontiguousarray(S, dtype=dtype).reshape((-1,) + S.shape[-2:])
    return wire, lead


def warn_if_empty(meta: dict, stacklevel: int) -> None:
    if meta.get("tuning_empty") or meta.get("empty"):
        warnings.warn("Trying to estimate tuning from empty frequency set.", stacklevel=stacklevel)


def estimate_tuning(
    *,
    y: Optional[np.ndarray] = None,
    sr: float = 22050,
    S: Optional[np.ndarray] = None,
    n_fft: Optional[int] = 2048,
    resolution: float = 0.01,
    bins_per_octave: int = 12,
    **kwargs: Any,
) -> float:
    """Estimate the tuning of an audio signal or spectrogram, as ``librosa.estimate_tuning`` (0.11.0).

    Peaks are picked by ``piptrack`` (parabolic interpolation of local maxima
    above ``threshold * max`` of each frame, between ``fmin`` and ``fmax``);
    those at least as strong as the median peak vote in a histogram of their
    deviation from the equal-tempered grid, and the fullest bin wins.

    Parameters
    ----------
    y : np.ndarray [shape=(..., n)] or None
        Audio signal. Multi-channel is supported (all channels vote).
    sr : number > 0
        Sampling rate of ``y``.
    S : np.ndarray [shape=(..., d, t)] or None
        Magnitude or power spectrogram (used instead of ``y``).
    n_fft : int > 0 or None
        Number of FFT bins for ``y``; with ``S``, derived from its shape when it does not fit.
    resolution : float in (0, 1)
        Resolution of the tuning as a fraction of a bin (0.01: one cent when ``bins_per_octave=12``).
    bins_per_octave : int > 0
        Number of frequency bins per octave.
    **kwargs
        ``piptrack`` parameters: ``hop_length``, ``fmin``, ``fmax``, ``threshold``,
        ``win_length``, ``window``, ``center``, ``pad_mode``, ``ref`` (None, ``np.max`` or a number).

    Returns
    -------
    tuning : float in [-0.5, 0.5)
        Estimated tuning deviation in fractions of a bin.

    See Also
    --------
    librosa.estimate_tuning : The reference implementation.
    """
    unknown = set(kwargs) - set(_PIPTRACK_DEFAULTS)
    if unknown:
        raise TypeError(f"piptrack() got unexpected keyword argument(s) {sorted(unknown)}")
    opts = dict(_PIPTRACK_DEFAULTS, **kwargs)
    params = {
        "sr": float(sr),
        "resolution": float(resolution),
        "bins_per_octave": int(bins_per_octave),
        "fmin": float(max(opts["fmin"], 0)),
        "fmax": float(min(opts["fmax"], float(sr) / 2)),
        "threshold": float(opts["threshold"]),
        "ref": _ref_param(opts["ref"]),
        "n_fft": None if n_fft is None else int(n_fft),
    }
    arrays: dict = {}
    if S is not None:
        arrays["S"], _ = spectrogram_to_wire(S)
    else:
        if n_fft is None:
            raise ParameterError(f"Unable to compute spectrogram with n_fft={n_fft}")
        if y is None:
            raise ParameterError("Input signal must be provided to compute a spectrogram")
        valid_audio(y)
        win_length = opts["win_length"] if opts["win_length"] is not None else n_fft
        hop_length = opts["hop_length"] if opts["hop_length"] is not None else int(win_length // 4)
        if not is_positive_int(hop_length):
            raise ParameterError(f"hop_length={hop_length} must be a positive integer")
        params.update(
            hop_length=int(hop_length),
            win_length=int(win_length),
            center=bool(opts["center"]),
            pad_mode=opts["pad_mode"],
        )
        window_request(opts["window"], int(win_length), params, arrays)
        arrays["y"], _ = signal_to_wire(y)
    meta, _ = _backend.call("estimate_tuning", params, arrays)
    warn_if_empty(meta, stacklevel=3)
    return float(meta["tuning"])
