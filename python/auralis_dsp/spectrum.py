"""Short-time Fourier transforms: drop-in ``librosa.stft`` and ``librosa.istft``."""
from __future__ import annotations

from typing import Any, Callable, Union

import numpy as np

from . import _backend
from ._request import StftArgs, _spectrogram_request, window_request
from ._util import dtype_c2r, dtype_r2c, is_positive_int, signal_from_wire, spectrum_from_wire, spectrum_to_wire
from .exceptions import ParameterError

__all__ = ["stft", "istft"]

_WindowSpec = Union[str, tuple, float, Callable[[int], np.ndarray], list, np.ndarray]


def stft(
    y: np.ndarray,
    *,
    n_fft: int = 2048,
    hop_length: int | None = None,
    win_length: int | None = None,
    window: _WindowSpec = "hann",
    center: bool = True,
    dtype: Any | None = None,
    pad_mode: Any = "constant",
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Short-time Fourier transform (STFT), as ``librosa.stft`` (librosa 0.11.0).

    Parameters
    ----------
    y : np.ndarray [shape=(..., n)], real-valued floating point
        Input signal. Multi-channel input is transformed channel by channel.
    n_fft : int > 0 [scalar]
        Length of the windowed signal after padding with zeros.
    hop_length : int > 0 [scalar]
        Number of audio samples between adjacent STFT columns; default ``win_length // 4``.
    win_length : int <= n_fft [scalar]
        Window length; the window is centre-padded with zeros to ``n_fft``. Default ``n_fft``.
    window : string, tuple, number, function, or np.ndarray [shape=(win_length,)]
        As ``scipy.signal.get_window(window, win_length, fftbins=True)``.
    center : bool
        If True, ``y`` is padded so that frame ``t`` is centred at ``y[t * hop_length]``.
    dtype : np.dtype, optional
        Complex output type; default ``complex64`` for float32 input, ``complex128`` for float64.
    pad_mode : {"constant", "edge", "reflect", "symmetric"}
        Padding mode when ``center=True``.
    out : np.ndarray, optional
        A complex array of the output's shape (or with more frames) to write into.

    Returns
    -------
    D : np.ndarray [shape=(..., 1 + n_fft/2, n_frames), dtype=dtype]
        Complex STFT matrix, in numpy's Fortran order as librosa returns it.

    Raises
    ------
    ParameterError
        For non-floating or non-finite audio, a bad hop or window length, an
        unsupported ``pad_mode``, or ``n_fft > len(y)`` without centring.

    See Also
    --------
    istft : Inverse STFT.
    librosa.stft : The reference implementation.
    """
    request = _spectrogram_request(
        y, StftArgs(n_fft, hop_length, win_length, window, center, pad_mode), stacklevel=2
    )
    if dtype is None:
        dtype = dtype_r2c(y.dtype)
    dtype = np.dtype(dtype)
    request.params["dtype"] = "complex64" if dtype == np.complex64 else "complex128"
    _, result = _backend.call("stft", request.params, request.arrays)
    D = spectrum_from_wire(result["stft"], request.lead, dtype)
    if out is None:
        return D
    if not (np.allclose(out.shape[:-1], D.shape[:-1]) and out.shape[-1] >= D.shape[-1]):
        raise ParameterError(
            f"Shape mismatch for provided output array out.shape={out.shape} and target shape={list(D.shape)}"
        )
    if not np.iscomplexobj(out):
        raise ParameterError(f"output with dtype={out.dtype} is not of complex type")
    target = out if out.shape == D.shape else out[..., : D.shape[-1]]
    target[...] = D
    return target


def istft(
    stft_matrix: np.ndarray,
    *,
    hop_length: int | None = None,
    win_length: int | None = None,
    n_fft: int | None = None,
    window: _WindowSpec = "hann",
    center: bool = True,
    dtype: Any | None = None,
    length: int | None = None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Inverse short-time Fourier transform (ISTFT), as ``librosa.istft`` (librosa 0.11.0).

    Overlap-adds the windowed inverse FFT of each frame and divides by the
    window's sum-square envelope (Griffin and Lim, 1984).

    Parameters
    ----------
    stft_matrix : np.ndarray [shape=(..., 1 + n_fft//2, t)]
        STFT matrix from ``stft``.
    hop_length : int > 0 [scalar]
        Default ``win_length // 4``.
    win_length : int <= n_fft [scalar]
        Default ``n_fft``.
    n_fft : int > 0 or None
        Frame length; inferred as ``2 * (bins - 1)`` when not given.
    window : string, tuple, number, function, np.ndarray [shape=(win_length,)]
        The window used by ``stft``.
    center : bool
        Whether ``stft_matrix`` has centred frames.
    dtype : numeric type
        Real output type; default float32 for complex64 input, float64 for complex128.
    length : int > 0, optional
        If given, the output is zero-padded or clipped to exactly ``length`` samples.
    out : np.ndarray, optional
        An array of the output's shape to write into.

    Returns
    -------
    y : np.ndarray [shape=(..., n)]
        Time-domain signal.

    See Also
    --------
    stft : Short-time Fourier transform.
    librosa.istft : The reference implementation.
    """
    S = np.asarray(stft_matrix)
    if S.ndim < 2:
        raise ParameterError(f"stft_matrix must have at least 2 dimensions (bins, frames), got shape={S.shape}")
    if n_fft is None:
        n_fft = 2 * (S.shape[-2] - 1)
    if not is_positive_int(n_fft):
        raise ParameterError(f"n_fft={n_fft} must be a positive integer (stft_matrix has {S.shape[-2]} bins)")
    if win_length is None:
        win_length = n_fft
    if not is_positive_int(win_length):
        raise ParameterError(f"win_length={win_length} must be a positive integer")
    params: dict = {}
    arrays: dict = {}
    window_request(window, int(win_length), int(n_fft), params, arrays)
    if hop_length is None:
        hop_length = int(win_length // 4)
    if not is_positive_int(hop_length):
        raise ParameterError(f"hop_length={hop_length} must be a positive integer")
    if length is not None and not (isinstance(length, (int, np.integer)) and length >= 0):
        raise ParameterError(f"length={length} must be a non-negative integer")
    if S.shape[-1] == 0:
        raise ParameterError(f"stft_matrix has no frames (shape={S.shape})")
    if dtype is None:
        dtype = dtype_c2r(S.dtype)
    dtype = np.dtype(dtype)
    complex_dtype = np.complex64 if S.dtype in (np.complex64, np.float32) else np.complex128
    params.update(
        n_fft=int(n_fft),
        hop_length=int(hop_length),
        win_length=int(win_length),
        center=bool(center),
        length=int(length) if length else None,
        dtype="float32" if dtype == np.float32 else "float64",
    )
    wire, lead = spectrum_to_wire(S, complex_dtype)
    arrays["stft_matrix"] = wire
    _, result = _backend.call("istft", params, arrays)
    y = signal_from_wire(result["y"], lead, dtype)
    if out is None:
        return y
    if not np.allclose(out.shape, y.shape):
        raise ParameterError(f"Shape mismatch for provided output array out.shape={out.shape} != {list(y.shape)}")
    out[...] = y
    return out
