"""auralis_dsp.yin against librosa.yin 0.11.0: values per frame, shapes, dtype, warnings, errors, real audio."""
from __future__ import annotations

import tempfile
import warnings

import librosa
import numpy as np
import pytest

import auralis_dsp
from auralis_dsp import ParameterError
from parity.cases_yin import melody_truth, render_melody, render_speech, within_cents
from parity.signals import shaped, synthetic

SR = 22050


def _both(y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return auralis_dsp.yin(y, **kw), librosa.yin(y, **kw)


def assert_f0(ours: np.ndarray, ref: np.ndarray, dtype) -> None:
    """docs/parity.md: float64 every frame within 1e-6; float32 >= 99.9% within 1e-4."""
    assert ours.shape == ref.shape and ours.dtype == ref.dtype == np.float64
    rel = np.abs(ours - ref) / ref
    if dtype == np.float64:
        assert rel.max() <= 1e-6, rel.max()
    else:
        assert np.mean(rel <= 1e-4) >= 0.999


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "name,kw",
    [
        ("chirp", dict(fmin=50, fmax=2000)),
        ("harmonic", dict(fmin=65, fmax=2093, frame_length=1024, hop_length=128, trough_threshold=0.05)),
        ("white_noise", dict(fmin=100, fmax=1000, frame_length=3000, hop_length=128, trough_threshold=0.3)),
        ("fm_tone", dict(fmin=50, fmax=2000, sr=44100)),
        ("music_like", dict(fmin=16000 / 1022 + 0.01, fmax=8000, sr=16000, frame_length=1024, hop_length=512)),
        ("silence", dict(fmin=60, fmax=1000)),
        ("am_tone", dict(fmin=60, fmax=1000, center=False)),
        ("clipped_square", dict(fmin=60, fmax=1000, pad_mode="reflect")),
        ("sine_mid", dict(fmin=60, fmax=1000, pad_mode="wrap")),
    ],
)
def test_matches_librosa(name, kw, dtype):
    y = synthetic(name, kw.get("sr", SR), 20000, dtype)
    assert_f0(*_both(y, **kw), dtype)


@pytest.mark.parametrize("lead", [(2,), (3, 2)])
def test_multichannel(lead):
    y = shaped("harmonic", SR, 12000, lead)
    ours, ref = _both(y, fmin=60, fmax=1500)
    assert ours.shape == lead + (ref.shape[-1],)
    assert_f0(ours, ref, np.float64)


@pytest.mark.parametrize("n", [0, 1, 1000, 2047, 2048, 2049])
def test_short_inputs(n):
    y = synthetic("chirp", SR, n)
    assert_f0(*_both(y, fmin=60, fmax=1500), np.float64)


def test_never_zero_and_default_hop():
    y = synthetic("white_noise", SR, 20000)
    f0 = auralis_dsp.yin(y, fmin=60, fmax=1000)
    assert f0.shape == (1 + 20000 // 512,) and np.all(f0 > 0)


def test_win_length_is_deprecated_then_removed():
    """0.11 semantics: a FutureWarning and no effect; 1.0 semantics: removed (TypeError)."""
    y = synthetic("sine_mid", SR, 5000)
    try:
        auralis_dsp.set_librosa_compat("0.11")
        with pytest.warns(FutureWarning, match="win_length parameter has been deprecated"):
            ours = auralis_dsp.yin(y, fmin=60, fmax=1000, win_length=1024)
        np.testing.assert_array_equal(ours, auralis_dsp.yin(y, fmin=60, fmax=1000))
        auralis_dsp.set_librosa_compat("1.0")
        with pytest.raises(TypeError, match="unexpected keyword argument 'win_length'"):
            auralis_dsp.yin(y, fmin=60, fmax=1000, win_length=1024)
    finally:
        auralis_dsp.set_librosa_compat(None)


def test_two_periods_warning():
    y = synthetic("sine_mid", SR, 5000)
    with pytest.warns(UserWarning, match="less than two periods of fmin"):
        auralis_dsp.yin(y, fmin=20, fmax=1000)


@pytest.mark.parametrize(
    "kw,match",
    [
        (dict(fmin=None, fmax=1000), 'both "fmin" and "fmax" must be provided'),
        (dict(fmin=60, fmax=None), 'both "fmin" and "fmax" must be provided'),
        (dict(fmin=0, fmax=1000), "must be strictly positive"),
        (dict(fmin=-5, fmax=1000), "must be strictly positive"),
        (dict(fmin=1000, fmax=1000), "must be less than fmax"),
        (dict(fmin=60, fmax=12000), "cannot exceed Nyquist frequency"),
        (dict(fmin=20, fmax=1000, frame_length=1024), "is too small for frame_length=1024"),
        (dict(fmin=60, fmax=1000, hop_length=0), "Invalid hop_length"),
        (dict(fmin=60, fmax=1000, center=False), "Input is too short"),
    ],
)
def test_parameter_errors_as_librosa(kw, match):
    y = synthetic("sine_mid", SR, 1500)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ParameterError, match=match) as ours:
            auralis_dsp.yin(y, **kw)
        with pytest.raises(librosa.util.exceptions.ParameterError) as ref:
            librosa.yin(y, **kw)
    assert str(ours.value) == str(ref.value)


@pytest.mark.parametrize(
    "y,match",
    [
        (np.arange(5000), "must be floating-point"),
        (np.array([0.0, np.nan] * 2500), "not finite everywhere"),
        (np.array([0.0, np.inf] * 2500), "not finite everywhere"),
    ],
)
def test_bad_audio(y, match):
    with pytest.raises(ParameterError, match=match):
        auralis_dsp.yin(y, fmin=60, fmax=1000)


def test_parameter_error_is_librosas():
    with pytest.raises(librosa.util.exceptions.ParameterError):
        auralis_dsp.yin(np.zeros(5000), fmin=0, fmax=1000)


def test_midi_melody_accuracy_same_as_librosa():
    with tempfile.TemporaryDirectory() as folder:
        y = render_melody(SR, folder)
    if y is None:
        pytest.skip("fluidsynth or /usr/share/sounds/sf2/FluidR3_GM.sf2 not installed: MIDI melody not rendered")
    for dtype in (np.float64, np.float32):
        ours, ref = _both(y.astype(dtype), fmin=65, fmax=2093, sr=SR)
        assert_f0(ours, ref, dtype)
        truth = melody_truth(ref.shape[-1], SR, 512)
        assert within_cents(ours, truth) == within_cents(ref, truth)
        assert within_cents(ours, truth) > 0.9


def test_speech():
    with tempfile.TemporaryDirectory() as folder:
        y = render_speech(SR, folder)
    if y is None:
        pytest.skip("espeak-ng not installed: speech not rendered")
    for dtype in (np.float64, np.float32):
        assert_f0(*_both(y.astype(dtype), fmin=60, fmax=500, sr=SR), dtype)
