"""Tuning estimation: drop-in ``librosa.estimate_tuning``."""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from . import _backend
from ._request import StftArgs, _spectrogram_request
from .exceptions import UnsupportedParameter

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


def _ref_param(ref: Any) -> float | None:
    """piptrack's ``ref``: None or ``np.max`` (relative to each frame's peak) or a number."""
    if ref is None or ref is np.max or ref is np.amax:
        return None
    if callable(ref):
        raise UnsupportedParameter(f"ref={ref!r}: only None, np.max or a number are supported")
    return float(np.abs(ref))


def warn_if_empty(meta: dict, stacklevel: int) -> None:
    if meta.get("tuning_empty") or meta.get("empty"):
        warnings.warn("Trying to estimate tuning from empty frequency set.", stacklevel=stacklevel)


def estimate_tuning(
    *,
    y: np.ndarray | None = None,
    sr: float = 22050,
    S: np.ndarray | None = None,
    n_fft: int | None = 2048,
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
    }
    stft = StftArgs(n_fft, opts["hop_length"], opts["win_length"], opts["window"], opts["center"], opts["pad_mode"])
    request = _spectrogram_request(y, stft, S=S, accepts_S=True, stacklevel=2)
    params.update(request.params)
    meta, _ = _backend.call("estimate_tuning", params, request.arrays)
    warn_if_empty(meta, stacklevel=3)
    return float(meta["tuning"])
