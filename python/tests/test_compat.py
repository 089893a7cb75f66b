"""librosa 0.11 and 1.0 semantics: the shims follow the installed librosa, or the one pinned.

Each behaviour librosa 1.0 changed is checked against the librosa installed in this
venv (CI runs the suite under 0.11.0 and 1.0.1), and the pin is checked by showing
that the other version's semantics give the other answer.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import warnings

import librosa
import numpy as np
import pytest

import auralis_dsp
from auralis_dsp import ParameterError
from helpers import assert_parity

V1 = int(librosa.__version__.split(".")[0]) >= 1
SR = 22050


@pytest.fixture
def music():
    rng = np.random.default_rng(7)
    t = np.arange(3 * SR) / SR
    y = sum(np.sin(2 * np.pi * f * t) * a for f, a in ((220.0, 0.6), (1760.0, 0.3), (6500.0, 0.2)))
    return (y + 0.05 * rng.standard_normal(t.size)).astype(np.float32)


@pytest.fixture
def pinned():
    """Undo a set_librosa_compat() after the test."""
    yield auralis_dsp.set_librosa_compat
    auralis_dsp.set_librosa_compat(None)


def test_follows_the_installed_librosa():
    assert auralis_dsp.librosa_compat() == ("1.0" if V1 else "0.11")


def test_pin_by_function_and_environment(pinned):
    pinned("0.11")
    assert auralis_dsp.librosa_compat() == "0.11"
    pinned("1.0.1")
    assert auralis_dsp.librosa_compat() == "1.0"
    pinned(None)
    assert auralis_dsp.librosa_compat() == ("1.0" if V1 else "0.11")
    with pytest.raises(ParameterError, match="expected one of 0.11, 1.0"):
        pinned("0.9")
    code = "import auralis_dsp; print(auralis_dsp.librosa_compat())"
    for value, expected in (("0.11", "0.11"), ("1.0", "1.0")):
        env = dict(os.environ, AURALIS_DSP_LIBROSA_COMPAT=value)
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        assert out.stdout.strip() == expected


def _outcome(fn):
    """('ok', result) or (exception type, message), with warnings recorded."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = ("ok", fn())
        except Exception as exc:  # noqa: BLE001 - the type and message are what is compared
            result = (type(exc), str(exc))
    return result, sorted({(w.category.__name__, str(w.message)) for w in caught})


@pytest.mark.parametrize("call", [
    lambda m, y: m.yin(y, fmin=80, fmax=800, sr=SR, win_length=1024),
    lambda m, y: m.cqt(y, sr=SR, res_type=None),
    lambda m, y: m.cqt(y, sr=SR, n_bins=12, fmin=2000, res_type=None),
    lambda m, y: m.cqt(y, sr=SR, fmin=12000.0),
])
def test_removed_and_changed_parameters_raise_and_warn_as_librosa(call, music):
    """yin(win_length), cqt(res_type=None) and the tuned-fmin check, as the installed librosa has them."""
    ours, our_warnings = _outcome(lambda: call(auralis_dsp, music))
    ref, ref_warnings = _outcome(lambda: call(librosa, music))
    if ref[0] == "ok":
        assert ours[0] == "ok", ours
        assert_parity(np.abs(ours[1]), np.abs(ref[1]), 1e-4)
    else:
        assert issubclass(ours[0], ref[0]) and ours[1] == ref[1], (ours, ref)
    assert [w for w in our_warnings if w[0] == "FutureWarning"] == [w for w in ref_warnings if w[0] == "FutureWarning"]


def test_cqt_n_bins_none(music):
    if V1:
        ref = librosa.cqt(music, sr=SR, n_bins=None)
        ours = auralis_dsp.cqt(music, sr=SR, n_bins=None)
        assert ours.shape == ref.shape == (101, ref.shape[-1])
        assert_parity(np.abs(ours), np.abs(ref), 1e-4)
        ref = librosa.cqt(music, sr=SR, n_bins=None, fmin=5000.0, bins_per_octave=24, tuning=None)
        assert_parity(np.abs(auralis_dsp.cqt(music, sr=SR, n_bins=None, fmin=5000.0, bins_per_octave=24, tuning=None)),
                      np.abs(ref), 1e-4)
    else:
        with pytest.raises(TypeError) as theirs:
            librosa.cqt(music, sr=SR, n_bins=None)
        with pytest.raises(TypeError, match=re.escape(str(theirs.value))):
            auralis_dsp.cqt(music, sr=SR, n_bins=None)


@pytest.mark.parametrize("kw", [
    {"n_bins": 100},
    {"fmin": float(librosa.note_to_hz("E2"))},
    {"n_bins": 96, "bins_per_octave": 24, "sr": 16000},
])
def test_cqt_reaching_near_nyquist(kw, music):
    """librosa 1.0 halves the rate only where the next octave's top is at most sr / 5."""
    kw = {"sr": SR, **kw}
    assert_parity(np.abs(auralis_dsp.cqt(music, **kw)), np.abs(librosa.cqt(music, **kw)), 1e-4)


def test_chroma_cqt_reaching_near_nyquist(music):
    kw = {"sr": SR, "fmin": float(librosa.note_to_hz("E2")), "n_octaves": 7}
    ours, ref = auralis_dsp.feature.chroma_cqt(y=music, **kw), librosa.feature.chroma_cqt(y=music, **kw)
    assert np.max(np.abs(ours - ref)) <= 1e-4


def test_pinning_the_other_version_gives_the_other_answer(music, pinned):
    """The octave rule is the largest difference: pinned to the other semantics, cqt(n_bins=100) moves by percents."""
    pinned("0.11" if V1 else "1.0")
    ours = np.abs(auralis_dsp.cqt(music, sr=SR, n_bins=100))
    ref = np.abs(librosa.cqt(music, sr=SR, n_bins=100))
    assert np.linalg.norm(ours - ref) / np.linalg.norm(ref) > 1e-2


@pytest.mark.parametrize("window", ["boxcar", "hamming", ("kaiser", 8.0)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_effects_hpss_window(window, dtype, music):
    """librosa 1.0 passes `window` to the stft and istft; 0.11 uses Hann whatever is given."""
    y = music.astype(dtype)
    tol = 1e-6 if dtype == np.float64 else 1e-4
    for ours, ref in zip(auralis_dsp.effects.hpss(y, window=window), librosa.effects.hpss(y, window=window)):
        assert ours.dtype == ref.dtype
        assert_parity(ours, ref, tol)
    assert_parity(auralis_dsp.effects.percussive(y, window=window), librosa.effects.percussive(y, window=window), tol)


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
def test_decompose_hpss_masks(dtype, music):
    """librosa 1.0's percussive mask is 1 - the harmonic mask when both margins are 1."""
    D = librosa.stft(music.astype(np.float64)).astype(dtype)
    for kw in ({"mask": True}, {"mask": True, "margin": 2.0}, {}):
        for ours, ref in zip(auralis_dsp.decompose.hpss(D, **kw), librosa.decompose.hpss(D, **kw)):
            assert ours.dtype == ref.dtype
            np.testing.assert_array_equal(ours, ref)


def test_effects_hpss_short_input_warns_as_librosa():
    y = np.random.default_rng(1).standard_normal(1000)
    with pytest.warns(UserWarning, match="n_fft=2048 is too large for input signal of length=1000"):
        auralis_dsp.effects.hpss(y)
    with pytest.raises(ParameterError, match=r"Target size \(1024\) must be at least input size \(2048\)"):
        auralis_dsp.effects.hpss(y, n_fft=1024, win_length=2048)
