"""The STFT part of a request, set up once for every shim that takes librosa's STFT parameters.

``librosa.stft`` checks its parameters, warns and fills in defaults; ``effects.hpss``,
``feature.chroma_stft`` and ``estimate_tuning`` reach it through ``stft`` or through
``core.spectrum._spectrogram`` (which lets a spectrogram ``S`` stand in for ``y``).
``_spectrogram_request`` does all of that the way librosa does, in librosa's order
and with its messages and warnings, and returns what the kernels need: the explicit
parameters, the named arrays (the window when it is not a name, then the signal or
the spectrogram) and the input's leading shape. ``istft`` shares the window part.
"""

from __future__ import annotations

import warnings
from typing import Any, NamedTuple

import numpy as np

from ._util import KERNEL_PAD_MODES, is_positive_int, signal_to_wire, spectrogram_to_wire, valid_audio
from .exceptions import ParameterError, UnsupportedParameter

__all__ = ["KERNEL_WINDOWS", "SpectrogramRequest", "StftArgs", "_spectrogram_request", "window_request"]

# Windows the kernels build themselves (scipy.signal.get_window names and aliases); a name
# alone, or with its parameter for those that take one ("kaiser", beta).
_PLAIN_WINDOWS = frozenset(
    {
        "hann", "han", "hamming", "hamm", "ham", "blackman", "black", "blk",
        "blackmanharris", "blackharr", "bkh", "nuttall", "nutl", "nut",
        "flattop", "flat", "flt", "boxcar", "box", "ones", "rect", "rectangular",
        "triang", "triangle", "tri", "bartlett", "bart", "brt", "cosine", "halfcosine",
    }
)  # fmt: skip
_WINDOWS_WITH_PARAM = frozenset({"kaiser", "ksr"})
KERNEL_WINDOWS = _PLAIN_WINDOWS | _WINDOWS_WITH_PARAM

# Pad modes librosa.stft refuses itself (it pads head and tail separately, which these cannot).
_STFT_REFUSED_PAD_MODES = ("wrap", "maximum", "mean", "median", "minimum")


class StftArgs(NamedTuple):
    """librosa's STFT parameters as the caller gave them (``None``: librosa's default)."""

    n_fft: Any = 2048
    hop_length: Any = None
    win_length: Any = None
    window: Any = "hann"
    center: Any = True
    pad_mode: Any = "constant"


class SpectrogramRequest(NamedTuple):
    """Parameters and named arrays of a request, and the leading shape ``(...)`` of its input."""

    params: dict[str, Any]
    arrays: dict[str, np.ndarray]
    lead: tuple[int, ...]


def _strip_suffix(name: str) -> str:
    for suffix in ("_symmetric", "_periodic"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def window_request(
    window: Any, win_length: int, n_fft: int, params: dict[str, Any], arrays: dict[str, np.ndarray]
) -> None:
    """``filters.get_window(window, win_length)`` then ``util.pad_center(..., size=n_fft)``, as a request.

    Names the kernels know travel by name; callables and arrays travel as arrays;
    other scipy windows are built here with scipy when it is installed.
    """
    params["window"] = None
    explicit: np.ndarray | None = None
    if callable(window):
        explicit = np.asarray(window(win_length), dtype=np.float64)
    elif isinstance(window, (np.ndarray, list)):
        if len(window) != win_length:
            raise ParameterError(f"Window size mismatch: {len(window):d} != {win_length:d}")
        explicit = np.asarray(window, dtype=np.float64)
    elif isinstance(window, str) and _strip_suffix(window) in _PLAIN_WINDOWS:
        params["window"] = window
    elif (
        isinstance(window, tuple)
        and len(window) == 2
        and isinstance(window[0], str)
        and _strip_suffix(window[0]) in _WINDOWS_WITH_PARAM
        and np.isscalar(window[1])
    ):
        params["window"] = [window[0], float(window[1])]
    elif np.isscalar(window) and not isinstance(window, (str, bytes)) and not isinstance(window, bool):
        params["window"] = ["kaiser", float(window)]  # scipy: a number is a Kaiser beta
    elif isinstance(window, (str, tuple)):
        try:
            import scipy.signal
        except ImportError:  # pragma: no cover - environments without scipy
            raise ParameterError(
                f"window={window!r} needs scipy; without it the supported windows are "
                f"{sorted(KERNEL_WINDOWS)} or an explicit array"
            ) from None
        explicit = np.asarray(scipy.signal.get_window(window, win_length, fftbins=True), dtype=np.float64)
    else:
        raise ParameterError(f"Invalid window specification: {window!r}")
    if explicit is not None:
        if explicit.shape != (win_length,):
            size = explicit.shape[0] if explicit.ndim else 0
            raise ParameterError(f"Window size mismatch: {size:d} != {win_length:d}")
        arrays["window"] = np.ascontiguousarray(explicit, dtype="<f8")
    if win_length > n_fft:  # util.pad_center
        raise ParameterError(f"Target size ({n_fft:d}) must be at least input size ({win_length:d})")


def _spectrogram_request(
    y: Any,
    stft: StftArgs,
    *,
    S: Any = None,
    accepts_S: bool = False,
    stacklevel: int = 2,
) -> SpectrogramRequest:
    """librosa's STFT set-up for a request: ``stft``'s checks, warning and defaults on ``y``.

    With ``accepts_S`` (shims that take ``S``, as librosa's ``_spectrogram``), a given
    ``S`` stands in for ``y``: it travels as the magnitude array ``S`` and ``n_fft``
    as given; without ``S``, ``n_fft`` and ``y`` must be there. ``stacklevel`` is the
    one the caller would give ``warnings.warn``: the short-input warning points there.
    """
    params: dict[str, Any] = {}
    arrays: dict[str, np.ndarray] = {}
    n_fft = stft.n_fft
    if accepts_S:
        if S is not None:
            arrays["S"], lead = spectrogram_to_wire(S)
            params["n_fft"] = None if n_fft is None else int(n_fft)
            return SpectrogramRequest(params, arrays, lead)
        if n_fft is None:
            raise ParameterError(f"Unable to compute spectrogram with n_fft={n_fft}")
        if y is None:
            raise ParameterError("Input signal must be provided to compute a spectrogram")
    win_length = n_fft if stft.win_length is None else stft.win_length
    hop_length = stft.hop_length
    if hop_length is None:
        hop_length = int(win_length // 4)
    elif not is_positive_int(hop_length):
        raise ParameterError(f"hop_length={hop_length} must be a positive integer")
    valid_audio(y)
    if not is_positive_int(n_fft):
        raise ParameterError(f"n_fft={n_fft} must be a positive integer")
    if not is_positive_int(win_length):
        raise ParameterError(f"win_length={win_length} must be a positive integer")
    window_request(stft.window, int(win_length), int(n_fft), params, arrays)
    if hop_length <= 0:  # the default of a window shorter than 4
        raise ParameterError(f"hop_length={hop_length} must be a positive integer")
    center, pad_mode = stft.center, stft.pad_mode
    if center:
        if pad_mode in _STFT_REFUSED_PAD_MODES:
            raise ParameterError(f"pad_mode='{pad_mode}' is not supported by librosa.stft")
        if pad_mode not in KERNEL_PAD_MODES:
            raise UnsupportedParameter(f"pad_mode={pad_mode!r} is not supported; use one of {KERNEL_PAD_MODES}")
        if n_fft > y.shape[-1]:
            warnings.warn(
                f"n_fft={n_fft} is too large for input signal of length={y.shape[-1]}", stacklevel=stacklevel + 1
            )
    elif n_fft > y.shape[-1]:
        raise ParameterError(
            f"n_fft={n_fft} is too large for uncentered analysis of input signal of length={y.shape[-1]}"
        )
    params.update(
        n_fft=int(n_fft),
        hop_length=int(hop_length),
        win_length=int(win_length),
        center=bool(center),
        pad_mode=pad_mode if center else "constant",
    )
    arrays["y"], lead = signal_to_wire(y)
    return SpectrogramRequest(params, arrays, lead)
