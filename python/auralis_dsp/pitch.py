"""Pitch tracking: drop-in ``librosa.yin``."""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from . import _backend
from ._compat import is_v1
from ._util import KERNEL_PAD_MODES, is_positive_int, signal_to_wire, valid_audio
from .exceptions import ParameterError

__all__ = ["yin"]



class _Deprecated:
    """Placeholder default of a deprecated parameter (librosa's ``util.Deprecated``)."""

    def __repr__(self) -> str:
        return "<DEPRECATED parameter>"


_DEPRECATED = _Deprecated()


def _check_win_length(win_length: Any, function: str) -> None:
    """yin's and pyin's ``win_length``: deprecated in librosa 0.11 (FutureWarning, no effect), removed in 1.0."""
    if isinstance(win_length, _Deprecated):
        return
    if is_v1():
        raise TypeError(f"{function}() got an unexpected keyword argument 'win_length'")
    warnings.warn(
        "The win_length parameter has been deprecated in version 0.11.0 "
        "and has no effect. It will be removed in version 1.0.0.",
        category=FutureWarning,
        stacklevel=4,
    )


def _check_yin_params(*, sr: float, fmax: float, fmin: float, frame_length: int) -> None:
    """librosa's ``__check_yin_params``: errors and the two-periods warning, same messages."""
    if fmax > sr / 2:
        raise ParameterError(f"fmax={fmax:.3f} cannot exceed Nyquist frequency {sr/2}")
    if fmin >= fmax:
        raise ParameterError(f"fmin={fmin:.3f} must be less than fmax={fmax:.3f}")
    if fmin <= 0:
        raise ParameterError(f"fmin={fmin:.3f} must be strictly positive")
    if sr / fmin >= frame_length - 1:
        fmin_feasible = sr / (frame_length - 1)
        frame_length_feasible = int(np.ceil(sr / fmin) + 1)
        raise ParameterError(
            f"fmin={fmin:.3f} is too small for frame_length={frame_length} and sr={sr}. "
            f"Either increase to fmin={fmin_feasible:.3f} or frame_length={frame_length_feasible}"
        )
    if sr / fmin >= frame_length // 2:
        fmin_optimal = sr / (frame_length / 2)
        frame_length_optimal = int(np.ceil(sr / fmin) * 2 + 1)
        warnings.warn(
            f"With fmin={fmin:.3f}, sr={sr} and frame_length={frame_length}, less than two periods of fmin "
            f"fit into the frame, which can cause inaccurate pitch detection. "
            f"Consider increasing to fmin={fmin_optimal:.3f} or frame_length={frame_length_optimal}.",
            stacklevel=3,
        )


def _framing_request(
    y: np.ndarray,
    *,
    sr: float,
    fmin: float,
    fmax: float,
    frame_length: int,
    hop_length: int,
    center: bool,
    pad_mode: Any,
) -> tuple[np.ndarray, dict]:
    """yin's and pyin's audio and framing checks (librosa's ``valid_audio``, ``np.pad``, ``util.frame``)
    and the request parameters they share; ``y`` comes back padded here for pad modes the kernel lacks."""
    valid_audio(y)
    if not is_positive_int(frame_length):
        raise TypeError(f"frame_length={frame_length!r} must be an integer")
    if not isinstance(hop_length, (int, np.integer)) or isinstance(hop_length, bool):
        raise TypeError(f"hop_length={hop_length!r} must be an integer")
    if center and (pad_mode not in KERNEL_PAD_MODES or y.shape[-1] == 0):  # np.pad here, then uncentred
        padding = [(0, 0)] * y.ndim
        padding[-1] = (frame_length // 2, frame_length // 2)
        y = np.pad(y, padding, mode=pad_mode)
        center = False
    if hop_length < 1:
        raise ParameterError(f"Invalid hop_length: {hop_length:d}")
    if y.shape[-1] < frame_length and not center:
        raise ParameterError(f"Input is too short (n={y.shape[-1]:d}) for frame_length={frame_length:d}")
    params = {
        "sr": float(sr),
        "fmin": float(fmin),
        "fmax": float(fmax),
        "frame_length": int(frame_length),
        "hop_length": int(hop_length),
        "center": bool(center),
        "pad_mode": pad_mode if center else "constant",
    }
    return y, params


def yin(
    y: np.ndarray,
    *,
    fmin: float,
    fmax: float,
    sr: float = 22050,
    frame_length: int = 2048,
    win_length: Any = _DEPRECATED,
    hop_length: int | None = None,
    trough_threshold: float = 0.1,
    center: bool = True,
    pad_mode: Any = "constant",
) -> np.ndarray:
    """Fundamental frequency (F0) estimation using the YIN algorithm, as ``librosa.yin``.

    YIN is an autocorrelation based method for fundamental frequency estimation [#]_.
    First, a normalized difference function is computed over short (overlapping) frames of audio.
    Next, the first minimum in the difference function below ``trough_threshold`` is selected as
    an estimate of the signal's period; if there is none, the global minimum is taken (so every
    frame gets a positive frequency).
    Finally, the estimated period is refined using parabolic interpolation before converting
    into the corresponding frequency.

    .. [#] De Cheveigné, Alain, and Hideki Kawahara.
        "YIN, a fundamental frequency estimator for speech and music."
        The Journal of the Acoustical Society of America 111.4 (2002): 1917-1930.

    Parameters
    ----------
    y : np.ndarray [shape=(..., n)], real-valued floating point
        audio time series. Multi-channel is supported.
    fmin : number > 0 [scalar]
        minimum frequency in Hertz.
    fmax : number > fmin, <= sr/2 [scalar]
        maximum frequency in Hertz.
    sr : number > 0 [scalar]
        sampling rate of ``y`` in Hertz.
    frame_length : int > 0 [scalar]
        length of the frames in samples; any length (not only powers of two).
    win_length : Deprecated
        Under librosa 0.11 semantics: giving it raises a ``FutureWarning`` and has no effect.
        Under 1.0 semantics (where librosa removed it): giving it raises ``TypeError``.
    hop_length : None or int > 0 [scalar]
        number of audio samples between adjacent YIN predictions.
        If ``None``, defaults to ``frame_length // 4``.
    trough_threshold : number > 0 [scalar]
        absolute threshold for peak estimation.
    center : boolean
        If ``True``, ``y`` is padded by ``frame_length // 2`` on both sides so that frame
        ``t`` is centered at ``y[t * hop_length]``.
    pad_mode : string or function
        ``np.pad`` mode used when ``center=True`` (default ``"constant"``, zeros).

    Returns
    -------
    f0 : np.ndarray [shape=(..., n_frames), dtype=float64]
        time series of fundamental frequencies in Hertz, per channel. float64 for
        either input dtype, as librosa returns.

    Raises
    ------
    ParameterError
        If ``fmin`` or ``fmax`` is missing, ``fmin <= 0``, ``fmin >= fmax``,
        ``fmax > sr / 2``, ``frame_length`` cannot hold one period of ``fmin``,
        ``hop_length < 1``, the (padded) signal is shorter than a frame, or the
        audio is not floating point or not finite.

    Warns
    -----
    FutureWarning
        When ``win_length`` is given.
    UserWarning
        When fewer than two periods of ``fmin`` fit into a frame.

    See Also
    --------
    librosa.yin : The reference implementation.
    auralis_dsp.pyin : Probabilistic YIN (pYIN).

    Examples
    --------
    >>> import librosa
    >>> y = librosa.chirp(fmin=440, fmax=880, duration=5.0, sr=22050)
    >>> auralis_dsp.yin(y, fmin=440, fmax=880, sr=22050)
    array([442.66354675, 441.95299983, 441.58010963, ...,
        871.161732  , 873.99001454, 877.04297681])
    """
    if fmin is None or fmax is None:
        raise ParameterError('both "fmin" and "fmax" must be provided')
    _check_win_length(win_length, "yin")
    _check_yin_params(sr=sr, fmax=fmax, fmin=fmin, frame_length=frame_length)
    if hop_length is None:
        hop_length = frame_length // 4
    y, params = _framing_request(
        y,
        sr=sr,
        fmin=fmin,
        fmax=fmax,
        frame_length=frame_length,
        hop_length=hop_length,
        center=center,
        pad_mode=pad_mode,
    )
    params["trough_threshold"] = float(trough_threshold)
    wire, lead = signal_to_wire(y)
    _, result = _backend.call("yin", params, {"y": wire})
    f0 = result["f0"]
    return f0.reshape(lead + (f0.shape[-1],))
