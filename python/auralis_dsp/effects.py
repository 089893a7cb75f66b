"""Time-domain effects: drop-in ``librosa.effects.hpss``, ``harmonic`` and ``percussive``."""
from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np

from . import _backend
from ._compat import is_v1
from ._util import signal_from_wire, signal_to_wire
from .decompose import _KernelSize, _Margin, hpss_params
from .spectrum import _stft_params

__all__ = ["hpss", "harmonic", "percussive"]

def _effects_hpss(which: str, y: np.ndarray, kernel_size, power, mask, margin, n_fft, hop_length, win_length,
                  window, center, pad_mode) -> dict:
    """stft -> decompose.hpss -> istft(length=len(y)) in one request; returns the named parts.

    librosa 1.0 passes ``window`` to its stft and istft; 0.11 always uses Hann.
    """
    params, arrays = _stft_params(y, n_fft, hop_length, win_length, window if is_v1() else "hann", center, pad_mode,
                                  stacklevel=5)
    params.update(hpss_params(kernel_size, power, mask, margin), which=which)
    wire, lead = signal_to_wire(y)
    arrays["y"] = wire
    _, result = _backend.call("effects.hpss", params, arrays)
    return {name: signal_from_wire(arr, lead, y.dtype) for name, arr in result.items()}


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
    hop_length: Optional[int] = None,
    win_length: Optional[int] = None,
    window: Any = "hann",
    center: bool = True,
    pad_mode: Any = "constant",
) -> Tuple[np.ndarray, np.ndarray]:
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
    parts = _effects_hpss("both", y, kernel_size, power, mask, margin, n_fft, hop_length, win_length, window, center,
                          pad_mode)
    return parts["harmonic"], parts["percussive"]


def harmonic(
    y: np.ndarray,
    *,
    kernel_size: _KernelSize = 31,
    power: float = 2.0,
    mask: bool = False,
    margin: _Margin = 1.0,
    n_fft: int = 2048,
    hop_length: Optional[int] = None,
    win_length: Optional[int] = None,
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
    return _effects_hpss("harmonic", y, kernel_size, power, mask, margin, n_fft, hop_length, win_length, window,
                         center, pad_mode)["harmonic"]


def percussive(
    y: np.ndarray,
    *,
    kernel_size: _KernelSize = 31,
    power: float = 2.0,
    mask: bool = False,
    margin: _Margin = 1.0,
    n_fft: int = 2048,
    hop_length: Optional[int] = None,
    win_length: Optional[int] = None,
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
    return _effects_hpss("percussive", y, kernel_size, power, mask, margin, n_fft, hop_length, win_length, window,
                         center, pad_mode)["percussive"]


for _f in (hpss, harmonic, percussive):
    _f.__doc__ = (_f.__doc__ or "").replace("{params}", _DOC_PARAMS)
