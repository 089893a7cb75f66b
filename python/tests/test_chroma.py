"""auralis_dsp.cqt / estimate_tuning / feature.chroma_cqt / feature.chroma_stft against librosa 0.11.0."""
from __future__ import annotations

import warnings

import librosa
import numpy as np
import pytest

import auralis_dsp
from auralis_dsp import ParameterError
from helpers import assert_parity
from parity.signals import shaped

SR = 22050


def tones(sr: int, n: int, cents: float) -> np.ndarray:
    t = np.arange(n) / sr
    y = sum(
        a * np.sin(2 * np.pi * f * 2 ** (cents / 1200) * t) for f, a in ((261.63, 0.4), (329.63, 0.3), (392.0, 0.3))
    )
    return y + 0.01 * np.random.default_rng(3).standard_normal(n)


def quiet(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kw)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cents", [0.0, 20.0, -45.0])
def test_estimate_tuning_identical(dtype, cents):
    y = tones(SR, 2 * SR, cents).astype(dtype)
    for bpo in (12, 36):
        assert auralis_dsp.estimate_tuning(y=y, sr=SR, bins_per_octave=bpo) == librosa.estimate_tuning(
            y=y, sr=SR, bins_per_octave=bpo
        )
    S = np.abs(librosa.stft(y)) ** 2
    assert auralis_dsp.estimate_tuning(S=S, sr=SR) == librosa.estimate_tuning(S=S, sr=SR)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "kw",
    [
        {"n_bins": 252, "bins_per_octave": 36, "tuning": None},
        {"n_bins": 84, "hop_length": 256},
        {"n_bins": 60, "bins_per_octave": 12, "hop_length": 1024, "sr": 44100},
        {"n_bins": 48, "hop_length": 375, "tuning": 0.2},  # odd hop: fewer halvings
    ],
)
def test_cqt(dtype, kw):
    kw = dict(kw)
    sr = kw.pop("sr", SR)
    y = tones(sr, 2 * sr, 20.0).astype(dtype)
    ref = quiet(librosa.cqt, y, sr=sr, **kw)
    ours = quiet(auralis_dsp.cqt, y, sr=sr, **kw)
    assert ours.dtype == ref.dtype
    assert_parity(np.abs(ours), np.abs(ref), 1e-4)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"norm": 2, "threshold": 0.1, "hop_length": 256},
        {"norm": None, "bins_per_octave": 12, "n_octaves": 5},
        {"tuning": 0.1, "bins_per_octave": 24, "hop_length": 1024},
    ],
)
def test_chroma_cqt(dtype, kw):
    y = tones(SR, 2 * SR, -45.0).astype(dtype)
    ref = quiet(librosa.feature.chroma_cqt, y=y, sr=SR, **kw)
    ours = quiet(auralis_dsp.chroma_cqt, y=y, sr=SR, **kw)
    assert ours.shape == ref.shape and ours.dtype == ref.dtype
    assert np.abs(ours - ref).max() <= 1e-4


def test_chroma_cqt_multichannel_and_C():
    y = shaped("harmonic", SR, SR, (3, 2), np.float32)
    ref = quiet(librosa.feature.chroma_cqt, y=y, sr=SR)
    ours = auralis_dsp.feature.chroma_cqt(y=y, sr=SR)
    assert ours.shape == ref.shape == (3, 2, 12, ref.shape[-1])
    assert np.abs(ours - ref).max() <= 1e-4
    C = np.abs(librosa.cqt(y, sr=SR, n_bins=84))
    ref = librosa.feature.chroma_cqt(C=C, bins_per_octave=12)
    ours = auralis_dsp.feature.chroma_cqt(C=C, bins_per_octave=12)
    assert ours.dtype == ref.dtype and np.abs(ours - ref).max() <= 1e-6


def test_chroma_cqt_silence():
    y = np.zeros(SR)
    ref = quiet(librosa.feature.chroma_cqt, y=y, sr=SR)
    with pytest.warns(UserWarning, match="empty frequency set"):
        ours = auralis_dsp.chroma_cqt(y=y, sr=SR)
    np.testing.assert_array_equal(ours, ref)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kw", [{}, {"n_fft": 4096, "hop_length": 1024, "norm": 2}, {"tuning": 0.0, "n_chroma": 24}])
def test_chroma_stft(dtype, kw):
    y = tones(SR, 2 * SR, 20.0).astype(dtype)
    ref = librosa.feature.chroma_stft(y=y, sr=SR, **kw)
    ours = auralis_dsp.feature.chroma_stft(y=y, sr=SR, **kw)
    assert ours.shape == ref.shape and ours.dtype == ref.dtype
    assert np.abs(ours - ref).max() <= 1e-4


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: auralis_dsp.chroma_cqt(sr=SR), "At least one of C or y"),
        (lambda: auralis_dsp.chroma_cqt(y=np.zeros(SR), bins_per_octave=30), "integer multiple of n_chroma"),
        (lambda: auralis_dsp.chroma_cqt(y=np.zeros(SR), cqt_mode="hybrid"), "hybrid"),
        (lambda: auralis_dsp.chroma_cqt(y=np.ones(SR, dtype=np.int16)), "floating-point"),
        (lambda: auralis_dsp.chroma_cqt(y=np.full(SR, np.nan)), "not finite"),
        (lambda: auralis_dsp.cqt(np.zeros(SR), n_bins=120, bins_per_octave=12, fmin=100.0), "Nyquist"),
        (lambda: auralis_dsp.cqt(np.zeros(SR), res_type="kaiser_best"), "soxr_hq"),
        (lambda: auralis_dsp.cqt(np.zeros(3), hop_length=2048, n_bins=12, fmin=100.0), "too short"),
    ],
)
def test_errors(call, match):
    with pytest.raises(ParameterError, match=match):
        call()
