"""Time-domain effects: drop-in ``librosa.effects.hpss``, ``harmonic`` and ``percussive``."""
from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np

from . import _backend
from ._util import is_positive_int, signal_from_wire, signal_to_wire, valid_audio
from .decompose import _KernelSize, _Margin, hpss_params
from .exceptions import ParameterError

__all__ = ["hpss", "harmonic", "percussive"]

_PAD_MODES = ("constant", "edge", "reflect", "symmetric")


def _effects_hpss(which: str, y: np.ndarray, kernel_size, power, mask, margin, n_fft, hop_length, win_length,
                  center, pad_mode) -> dict:
    """stft -> decompose.hpss -> istft(length=len(y)) in one request; returns the named parts."""
    valid_audio(y)
    params = hpss_params(kernel_size, power, mask, margin)
    if not is_positive_int(n_fft):
        raise ParameterError(f"n_fft={n_fft} must be a positive integer")
    if win_length is None:
        win_length = n_fft
    if not is_positive_int(win_length) or win_length > n_fft:
        raise ParameterError(f"win_length={win_length} must be a positive integer <= n_fft={n_fft}")
    if hop_length is None:
        hop_length = int(win_length // 4)
    elif not is_positive_int(hop_length):
        raise ParameterError(f"hop_length={hop_length} must be a positive integer")
    if center:
        if pad_mode not in _PAD_MODES:
            raise ParameterError(f"pad_mode={pad_mode!r} is not supported by librosa.stft; use one of {_PAD_MODES}")
    elif n_fft > y.shape[-1]:
        raise ParameterError(
            f"n_fft={n_fft} is too large for uncentered analysis of input signal of length={y.shape[-1]}"
        )
    params.update(
        n_fft=int(n_fft), hop_length=int(hop_length), win_length=int(win_length), center=bool(center),
        pad_mode=pad_mode if center else "constant", which=which,
    )
    wire, lead = signal_to_wire(y)
    _, result = _backend.call("effects.hpss", params, {"y": wire})
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
        Accepted and, as in librosa 0.11.0, not used: the STFT uses a Hann window.
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
    parts = _effects_hpss("both", y, kernel_size, power, mask, margin, n_fft, hop_length, win_length, center, pad_mode)
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
    return _effects_hpss("harmonic", y, kernel_size, power, mask, margin, n_fft, hop_length, win_length, center,
                         pad_mode)["harmonic"]


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
    return _effects_hpss("percussive", y, kernel_size, power, mask, margin, n_fft, hop_length, win_length, center,
                         pad_mode)["percussive"]


for _f in (hpss, harmonic, percussive):
    _f.__doc__ = (_f.__doc__ or "").replace("{params}", _DOC_PARAMS)
