"""auralis_dsp.stft / istft against librosa 0.11.0: values, dtypes, shapes, layouts, errors."""
from __future__ import annotations

import warnings

import librosa
import numpy as np
import pytest
import scipy.signal

import auralis_dsp
from auralis_dsp import ParameterError
from helpers import assert_parity
from parity.signals import shaped, synthetic

SR = 22050


@pytest.fixture(scope="module")
def music() -> np.ndarray:
    return synthetic("music_like", SR, 3 * SR)


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-6), (np.float32, 1e-4)])
@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"n_fft": 1024, "hop_length": 256, "pad_mode": "reflect"},
        {"n_fft": 1000, "win_length": 700, "window": "hamming", "center": False},
        {"n_fft": 512, "window": scipy.signal.windows.hann},  # a callable
        {"n_fft": 512, "window": np.hanning(512)},  # an explicit array
        {"n_fft": 512, "window": "parzen"},  # built by scipy, sent as an array
        {"n_fft": 512, "window": ("kaiser", 6.0)},
        {"n_fft": 512, "window": 6.0},  # a number is a Kaiser beta, as in scipy
    ],
)
def test_stft_matches_librosa(music, dtype, tol, kw):
    y = music.astype(dtype)
    ref = librosa.stft(y, **kw)
    ours = auralis_dsp.stft(y, **kw)
    assert_parity(ours, ref, tol)


@pytest.mark.parametrize("lead", [(2,), (3, 2)])
def test_stft_istft_multichannel(lead):
    y = shaped("chirp", SR, 9000, lead)
    ref = librosa.stft(y, n_fft=512)
    ours = auralis_dsp.stft(y, n_fft=512)
    assert_parity(ours, ref, 1e-6)
    assert_parity(auralis_dsp.istft(ref, length=9000), librosa.istft(ref, length=9000), 1e-6)


def test_stft_layout_is_fortran_like_librosa(music):
    ours = auralis_dsp.stft(music.astype(np.float32))
    assert ours.flags.f_contiguous and ours.dtype == np.complex64


def test_stft_dtype_override(music):
    y = music.astype(np.float32)
    ours = auralis_dsp.stft(y, dtype=np.complex128)
    assert ours.dtype == np.complex128
    assert_parity(ours, librosa.stft(y, dtype=np.complex128), 1e-6)


def test_stft_out_parameter(music):
    y = music[:5000]
    ref = librosa.stft(y, n_fft=512)
    out = np.zeros((257, ref.shape[1] + 3), dtype=np.complex128)
    got = auralis_dsp.stft(y, n_fft=512, out=out)
    assert np.shares_memory(got, out) and got.shape == ref.shape
    assert_parity(got, ref, 1e-6)
    with pytest.raises(ParameterError):
        auralis_dsp.stft(y, n_fft=512, out=np.zeros((256, 40), np.complex128))
    with pytest.raises(ParameterError):
        auralis_dsp.stft(y, n_fft=512, out=np.zeros(ref.shape, np.float64))


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-6), (np.float32, 1e-4)])
@pytest.mark.parametrize(
    "kw",
    [
        {"length": "n"},
        {},
        {"length": 1234},
        {"hop_length": 256, "n_fft": 1024, "stft_hop": 256, "stft_n_fft": 1024},
    ],
)
def test_istft_matches_librosa(music, dtype, tol, kw):
    y = music.astype(dtype)
    kw = dict(kw)
    D = librosa.stft(y, n_fft=kw.pop("stft_n_fft", 2048), hop_length=kw.pop("stft_hop", None))
    D = D * np.random.default_rng(0).uniform(0, 1, D.shape).astype(D.real.dtype)
    if kw.get("length") == "n":
        kw["length"] = len(y)
    ref = librosa.istft(D, **kw)
    ours = auralis_dsp.istft(D, **kw)
    assert_parity(ours, ref, tol)


def test_istft_c_ordered_input_and_out(music):
    D = np.ascontiguousarray(librosa.stft(music[:8000], n_fft=512))
    ref = librosa.istft(D, length=8000)
    out = np.empty(8000)
    got = auralis_dsp.istft(D, length=8000, out=out)
    assert got is out
    assert_parity(got, ref, 1e-6)


# --- bad input: librosa's conditions, as ParameterError, and the bridge keeps serving ---

@pytest.mark.parametrize(
    "y,kw",
    [
        (np.array([0.0, np.nan, 1.0] * 1000), {}),
        (np.array([0.0, np.inf] * 1000), {}),
        (np.arange(5000, dtype=np.int16), {}),
        (np.zeros(5000), {"hop_length": 0}),
        (np.zeros(5000), {"hop_length": -3}),
        (np.zeros(5000), {"hop_length": 2.5}),
        (np.zeros(100), {"center": False}),  # n_fft > len(y) without centring
        (np.zeros(5000), {"win_length": 4096}),  # window longer than the frame
        (np.zeros(5000), {"pad_mode": "wrap"}),
        (np.zeros(5000), {"window": np.ones(100)}),  # window length mismatch
        (np.float64(1.0), {}),
    ],
)
def test_stft_rejects_like_librosa(y, kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(librosa.util.exceptions.ParameterError):
            librosa.stft(y, **kw)
        with pytest.raises(librosa.util.exceptions.ParameterError):  # ours is caught by librosa's class too
            auralis_dsp.stft(y, **kw)
    assert auralis_dsp.stft(np.zeros(4096)).shape == (1025, 9)  # still serving


def test_stft_warns_like_librosa():
    with pytest.warns(UserWarning, match="n_fft=2048 is too large"):
        auralis_dsp.stft(np.zeros(1000))


def test_empty_input():
    assert auralis_dsp.stft(np.zeros(0)).shape == librosa.stft(np.zeros(0)).shape  # constant padding frames it
    with pytest.raises(ParameterError):
        auralis_dsp.stft(np.zeros(0), pad_mode="reflect")  # librosa: numpy's ValueError


def test_istft_rejects_bad_parameters():
    D = librosa.stft(np.zeros(4096))
    for kw in ({"hop_length": 0}, {"win_length": 4096}, {"n_fft": 0}):
        with pytest.raises(ParameterError):
            auralis_dsp.istft(D, **kw)
    with pytest.raises(ParameterError):
        auralis_dsp.istft(D[:, :0])
    with pytest.raises(ParameterError):
        auralis_dsp.istft(np.zeros(10, np.complex64))
