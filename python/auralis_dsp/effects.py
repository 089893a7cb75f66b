"""Time-domain effects: drop-in ``librosa.effects.hpss``, ``harmonic`` and ``percussive``."""
from __future__ import annotations

from typing import Any

import numpy as np

from . import _backend
from ._compat import is_v1
from ._request import StftArgs, _spectrogram_request
from ._util import signal_from_wire
from .decompose import _KernelSize, _Margin, hpss_params

__all__ = ["hpss", "harmonic", "percussive"]

def _effects_hpss(which: str, y: np.ndarray, stft: StftArgs, **hpss: Any) -> dict[str, np.ndarray]:
    """stft -> decompose.hpss -> istft(length=len(y)) in one request; returns the named parts.

    ``hpss`` holds decompose.hpss's parameters. librosa 1.0 passes ``window`` to its
    stft and istft; 0.11 always uses Hann.
    """
    request = _spectrogram_request(y, stft if is_v1() else stft._replace(window="hann"), stacklevel=3)
    request.params.update(hpss_params(**hpss), which=which)
    _, result = _backend.call("effects.hpss", request.params, request.arrays)
    return {name: signal_from_wire(arr, request.lead, y.dtype) for name, arr in result.items()}


_DOC_PARAMS = """
    Parameters
    ----------
    y : np.ndarray [shape=(..., n)]
        Audio time series, floating point. Multi-channel is supported.
    kernel_size, power, mask, margin
        As in ``auralis_dsp.decompose.hpss``.
    n_fft, hop_length, win_length, center, pad_mode
        As in ``auralis_dsp.stft``.
    window
        The STFT's window, as in ``auralis_dsp.stft``, under librosa 1.0 semantics; under
        0.11 semantics accepted and not used (the STFT uses Hann), as librosa 0.11 does.
"""


def hpss(
    y: np.ndarray,
    *,
    kernel_size: _KernelSize = 31,
    power: float = 2.0,
    mask: bool = False,
    margin: _Margin = 1.0,
    n_fft: int = 2048,
    hop_length: int | None = None,
    win_length: int | None = None,
    window: Any = "hann",
    center: bool = True,
    pad_mode: Any = "constant",
) -> tuple[np.ndarray, np.ndarray]:
    """Decompose an audio time series into harmonic and percussive components, as ``librosa.effects.hpss``.

    Computes ``stft -> decompose.hpss -> istft(length=len(y))`` for both parts
    in one call to the kernels.
    {params}
    Returns
    -------
    y_harmonic : np.ndarray [shape=(..., n)]
        Harmonic component, in ``y``'s dtype.
    y_percussive : np.ndarray [shape=(..., n)]
        Percussive component, in ``y``'s dtype.

    Raises
    ------
    ParameterError
        For non-floating or non-finite audio, margins below 1, kernel sizes
        below 1, or bad STFT parameters, as librosa.

    See Also
    --------
    harmonic, percussive, auralis_dsp.decompose.hpss, librosa.effects.hpss
    """
    parts = _effects_hpss(
        "both", y, StftArgs(n_fft, hop_length, win_length, window, center, pad_mode),
        kernel_size=kernel_size, power=power, mask=mask, margin=margin,
    )
    return parts["harmonic"], parts["percussive"]


def harmonic(
    y: np.ndarray,
    *,
    kernel_size: _KernelSize = 31,
    power: float = 2.0,
    mask: bool = False,
    margin: _Margin = 1.0,
    n_fft: int = 2048,
    hop_length: int | None = None,
    win_length: int | None = None,
    window: Any = "hann",
    center: bool = True,
    pad_mode: Any = "constant",
) -> np.ndarray:
    """Extract harmonic elements from an audio time series, as ``librosa.effects.harmonic``.
    {params}
    Returns
    -------
    y_harmonic : np.ndarray [shape=(..., n)]
        Harmonic component, in ``y``'s dtype.
    """
    parts = _effects_hpss(
        "harmonic", y, StftArgs(n_fft, hop_length, win_length, window, center, pad_mode),
        kernel_size=kernel_size, power=power, mask=mask, margin=margin,
    )
    return parts["harmonic"]


def percussive(
    y: np.ndarray,
    *,
    kernel_size: _KernelSize = 31,
    power: float = 2.0,
    mask: bool = False,
    margin: _Margin = 1.0,
    n_fft: int = 2048,
    hop_length: int | None = None,
    win_length: int | None = None,
    window: Any = "hann",
    center: bool = True,
    pad_mode: Any = "constant",
) -> np.ndarray:
    """Extract percussive elements from an audio time series, as ``librosa.effects.percussive``.
    {params}
    Returns
    -------
    y_percussive : np.ndarray [shape=(..., n)]
        Percussive component, in ``y``'s dtype.
    """
    parts = _effects_hpss(
        "percussive", y, StftArgs(n_fft, hop_length, win_length, window, center, pad_mode),
        kernel_size=kernel_size, power=power, mask=mask, margin=margin,
    )
    return parts["percussive"]


for _f in (hpss, harmonic, percussive):
    _f.__doc__ = (_f.__doc__ or "").replace("{params}", _DOC_PARAMS)
