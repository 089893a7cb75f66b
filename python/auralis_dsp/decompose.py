"""Spectrogram decompositions: drop-in ``librosa.decompose.hpss``."""
from __future__ import annotations

from typing import Any, Union

import numpy as np

from . import _backend
from ._util import spectrum_from_wire, spectrum_to_wire
from .exceptions import ParameterError

__all__ = ["hpss"]

_KernelSize = Union[int, tuple[int, int], list[int]]
_Margin = Union[float, tuple[float, float], list[float]]


def _pair(value: Any) -> tuple[Any, Any]:
    """librosa's rule: a tuple or list gives (harmonic, percussive); a scalar serves both."""
    if isinstance(value, (tuple, list)):
        return value[0], value[1]
    return value, value


def hpss_params(kernel_size: _KernelSize, power: float, mask: bool, margin: _Margin) -> dict:
    """Validate decompose.hpss's parameters as librosa (and scipy's median filter) do; return them explicit."""
    win_harm, win_perc = _pair(kernel_size)
    margin_harm, margin_perc = _pair(margin)
    if margin_harm < 1 or margin_perc < 1:
        raise ParameterError("Margins must be >= 1.0. A typical range is between 1 and 10.")
    for name, win in (("harmonic", win_harm), ("percussive", win_perc)):
        if not isinstance(win, (int, np.integer)) or isinstance(win, bool) or win < 1:
            raise ParameterError(f"kernel_size for the {name} median must be an integer >= 1, got {win!r}")
    power = float(power)
    if np.isnan(power) or power <= 0:
        raise ParameterError("power must be strictly positive")
    return {
        "win_harm": int(win_harm),
        "win_perc": int(win_perc),
        "power": power,
        "margin_harm": float(margin_harm),
        "margin_perc": float(margin_perc),
        "mask": bool(mask),
    }


def hpss(
    S: np.ndarray,
    *,
    kernel_size: _KernelSize = 31,
    power: float = 2.0,
    mask: bool = False,
    margin: _Margin = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Median-filtering harmonic percussive source separation (HPSS), as ``librosa.decompose.hpss``.

    If ``margin = 1.0``, decomposes an input spectrogram ``S = H + P`` where
    ``H`` contains the harmonic components and ``P`` the percussive ones
    (Fitzgerald, 2010). If ``margin > 1.0``, decomposes ``S = H + P + R`` where
    ``R`` contains residual components not included in ``H`` or ``P``
    (Driedger, Müller and Disch, 2014).

    Parameters
    ----------
    S : np.ndarray [shape=(..., d, n)]
        Input spectrogram. May be real (magnitude) or complex. Multi-channel is supported.
    kernel_size : int or tuple (kernel_harmonic, kernel_percussive)
        Median filter length(s): along time for the harmonic part, along
        frequency for the percussive part.
    power : float > 0 [scalar]
        Exponent of the Wiener-like soft mask; ``np.inf`` gives hard (binary) masks.
    mask : bool
        Return the masks instead of the masked spectrograms.
    margin : float or tuple (margin_harmonic, margin_percussive)
        Margins (>= 1) for the masks.

    Returns
    -------
    harmonic : np.ndarray [shape=(..., d, n)]
        Harmonic component (or mask).
    percussive : np.ndarray [shape=(..., d, n)]
        Percussive component (or mask).

    Raises
    ------
    ParameterError
        For margins below 1, kernel sizes below 1, a non-positive power, or
        ``S`` with fewer than two dimensions.

    See Also
    --------
    auralis_dsp.effects.hpss : HPSS on a waveform.
    librosa.decompose.hpss : The reference implementation.
    """
    S = np.asarray(S)
    params = hpss_params(kernel_size, power, mask, margin)
    if S.ndim < 2:
        raise ParameterError(f"S must have at least 2 dimensions (frequency, time), got shape={S.shape}")
    if np.iscomplexobj(S):
        wire_dtype = np.complex64 if S.dtype == np.complex64 else np.complex128
    else:
        wire_dtype = np.float32 if S.dtype == np.float32 else np.float64
    wire, lead = spectrum_to_wire(S, wire_dtype)
    _, result = _backend.call("hpss", params, {"S": wire})
    harm = spectrum_from_wire(result["harmonic"], lead, result["harmonic"].dtype)
    perc = spectrum_from_wire(result["percussive"], lead, result["percussive"].dtype)
    if mask and np.isinf(params["power"]):
        return harm.astype(bool), perc.astype(bool)  # librosa's hard masks are boolean
    if not mask and np.dtype(wire_dtype) != S.dtype and S.dtype.kind in "fc":
        return harm.astype(S.dtype), perc.astype(S.dtype)
    return harm, perc
