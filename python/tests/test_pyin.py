"""auralis_dsp.pyin against the installed librosa.pyin (0.11 or 1.0): frames, dtypes, shapes, warnings, errors."""
from __future__ import annotations

import warnings

import librosa
import numpy as np
import pytest

import auralis_dsp
from auralis_dsp import ParameterError, UnsupportedParameter
from auralis_dsp._compat import is_v1
from parity.signals import shaped, synthetic

SR = 22050
C2, C7 = 65.40639132514966, 2093.004522404789


def _both(y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return auralis_dsp.pyin(y, **kw), librosa.pyin(y, **kw)


def _equal(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a == b) | (np.isnan(a) & np.isnan(b))


def assert_pyin(ours, ref) -> None:
    """Issue 14: f0 and voiced_flag equal on >= 99.5% of frames, voiced_prob within 1e-4.

    And librosa's dtypes and shapes.
    """
    for o, r in zip(ours, ref):
        assert o.shape == r.shape and o.dtype == r.dtype
    assert np.mean(_equal(ours[0], ref[0])) >= 0.995
    assert np.mean(ours[1] == ref[1]) >= 0.995
    assert np.max(np.abs(ours[2] - ref[2]), initial=0.0) <= 1e-4


def _tone_then_silence(n: int) -> np.ndarray:
    y = 0.7 * np.sin(2 * np.pi * 196 * np.arange(n) / SR)
    y[n // 2:] = 0
    return y


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "name,kw",
    [
        ("chirp", dict(fmin=C2, fmax=C7)),
        ("fm_tone", dict(fmin=C2, fmax=C7, sr=44100)),
        ("white_noise", dict(fmin=100, fmax=1000, sr=16000, frame_length=1024, hop_length=160)),
        ("silence", dict(fmin=C2, fmax=C7)),
        ("harmonic", dict(fmin=80, fmax=1200, n_thresholds=30, beta_parameters=(1.5, 10), boltzmann_parameter=1.2,
                          resolution=0.05, max_transition_rate=20.0, switch_prob=0.05, no_trough_prob=0.02)),
        ("music_like", dict(fmin=C2, fmax=C7, center=False, fill_na=None)),
        ("am_tone", dict(fmin=C2, fmax=C7, pad_mode="reflect", fill_na=0.0)),
    ],
)
def test_matches_librosa(name, kw, dtype):
    sr = kw.get("sr", SR)
    y = synthetic(name, sr, sr).astype(dtype)
    assert_pyin(*_both(y, **kw))


def test_tone_then_silence_is_voiced_then_not():
    ours, ref = _both(_tone_then_silence(SR), fmin=C2, fmax=C7)
    assert_pyin(ours, ref)
    f0, voiced, prob = ours
    assert voiced[5] and abs(1200 * np.log2(f0[5] / 196)) < 10
    assert not voiced[-3] and np.isnan(f0[-3]) and prob[-3] == 0


@pytest.mark.parametrize("lead", [(2,), (3, 2)])
def test_multichannel(lead):
    y = shaped("fm_tone", SR, 11025, lead, np.float32)
    ours, ref = _both(y, fmin=C2, fmax=C7)
    assert ours[0].shape == lead + (ref[0].shape[-1],)
    assert_pyin(ours, ref)


def test_exact_search_of_librosa_1():
    if not is_v1():
        with pytest.raises(TypeError, match="transition_min_prob"):
            auralis_dsp.pyin(_tone_then_silence(SR), fmin=C2, fmax=C7, transition_min_prob=None)
        return
    y = synthetic("chirp", SR, SR)
    assert_pyin(*_both(y, fmin=C2, fmax=C7, transition_min_prob=None))
    assert_pyin(*_both(y, fmin=C2, fmax=C7, transition_min_prob=0.001))


def test_win_length():
    y = _tone_then_silence(SR)
    if is_v1():
        with pytest.raises(TypeError, match="win_length"):
            auralis_dsp.pyin(y, fmin=C2, fmax=C7, win_length=1024)
    else:
        with pytest.warns(FutureWarning, match="win_length"):
            auralis_dsp.pyin(y, fmin=C2, fmax=C7, win_length=1024)


def _librosa_error(y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            librosa.pyin(y, **kw)
        except librosa.util.exceptions.ParameterError as exc:
            return str(exc)
    return None


@pytest.mark.parametrize(
    "kw",
    [
        dict(fmin=C2, fmax=12000),
        dict(fmin=500, fmax=400),
        dict(fmin=0, fmax=400),
        dict(fmin=10, fmax=400),
        dict(fmin=C2, fmax=C7, hop_length=0),
        dict(fmin=C2, fmax=C7, switch_prob=2),
        dict(fmin=C2, fmax=C7, switch_prob=-0.1),
        dict(fmin=C2, fmax=C7, no_trough_prob=2),
        dict(fmin=C2, fmax=C7, max_transition_rate=1000),
        dict(fmin=100, fmax=100.5),
    ],
)
def test_errors_as_librosa(kw):
    y = _tone_then_silence(SR)
    expected = _librosa_error(y, **kw)
    assert expected is not None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ParameterError) as caught:
            auralis_dsp.pyin(y, **kw)
    assert str(caught.value) == expected
    # the bridge survives
    assert auralis_dsp.pyin(y[:4096], fmin=C2, fmax=C7)[0].shape == (9,)


def test_errors_of_librosa_1():
    y = _tone_then_silence(SR)
    if not is_v1():
        pytest.skip("transition_min_prob is librosa 1.0's")
    for tmp in (-1, 0.5):
        expected = _librosa_error(y, fmin=C2, fmax=C7, transition_min_prob=tmp)
        with pytest.raises(ParameterError) as caught:
            auralis_dsp.pyin(y, fmin=C2, fmax=C7, transition_min_prob=tmp)
        assert str(caught.value) == expected


def test_errors_where_librosa_fails_otherwise():
    y = _tone_then_silence(SR)
    with pytest.raises(ParameterError, match="resolution"):
        auralis_dsp.pyin(y, fmin=C2, fmax=C7, resolution=0)
    with pytest.raises(UnsupportedParameter, match="beta_parameters"):
        auralis_dsp.pyin(y, fmin=C2, fmax=C7, beta_parameters=(0, 18))
    with pytest.raises(UnsupportedParameter, match="boltzmann_parameter"):
        auralis_dsp.pyin(y, fmin=C2, fmax=C7, boltzmann_parameter=-1)
    with pytest.raises(TypeError):
        auralis_dsp.pyin(y, fmin=C2, fmax=C7, n_thresholds=2.5)
    with pytest.raises(ParameterError, match="must be provided"):
        auralis_dsp.pyin(y, fmin=None, fmax=C7)
    with pytest.raises(ParameterError, match="floating-point"):
        auralis_dsp.pyin(np.zeros(4096, dtype=np.int16), fmin=C2, fmax=C7)
    with pytest.raises(ParameterError, match="too short"):
        auralis_dsp.pyin(np.zeros(1000), fmin=C2, fmax=C7, center=False)


@pytest.mark.parametrize("n_thresholds", [0, 1])
def test_few_thresholds(n_thresholds):
    assert_pyin(*_both(_tone_then_silence(SR), fmin=C2, fmax=C7, n_thresholds=n_thresholds))


def test_real_music_if_installed():
    from pathlib import Path

    files = sorted(Path("/usr/share/games/warzone2100/music").rglob("*.opus"))
    if not files:
        pytest.skip("warzone2100-music not installed (scripts/test_audio.sh)")
    y, _ = librosa.load(files[0], sr=SR, duration=8.0)
    assert_pyin(*_both(y, fmin=C2, fmax=C7))


def test_real_music_states_exact_and_identical_for_any_thread_count():
    """Real music, stereo: every frame librosa's (the Viterbi path to the bit).

    Whatever the number of worker threads.
    """
    import os
    from pathlib import Path

    from auralis_dsp._backend import node as node_backend

    files = sorted(Path("/usr/share/games/warzone2100/music").rglob("*.opus"))
    if not files:
        pytest.skip("warzone2100-music not installed (scripts/test_audio.sh)")
    y, _ = librosa.load(files[-1], sr=SR, duration=6.0, mono=False)
    y = np.atleast_2d(y)[:, SR:]
    outputs = []
    for threads in ("1", "2"):
        node_backend.close()
        os.environ["AURALIS_DSP_THREADS"] = threads
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                outputs.append(auralis_dsp.pyin(y, fmin=C2, fmax=C7))
        finally:
            os.environ.pop("AURALIS_DSP_THREADS", None)
            node_backend.close()
    for a, b in zip(*outputs):
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = librosa.pyin(y, fmin=C2, fmax=C7)
    assert np.all(_equal(outputs[0][0], ref[0]))
    assert np.array_equal(outputs[0][1], ref[1])
    assert np.max(np.abs(outputs[0][2] - ref[2])) <= 1e-4
