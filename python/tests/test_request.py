"""The STFT set-up every shim shares (auralis_dsp._request): librosa's messages and warnings.

Each shim that takes librosa's STFT parameters (stft, istft's window, effects.hpss,
harmonic, percussive, feature.chroma_stft, estimate_tuning) is called beside librosa
with the same bad or borderline parameters; the exception's class and text and the
warnings' categories and texts must be librosa's, for the installed librosa (0.11 or 1.0).
"""

from __future__ import annotations

import warnings
from typing import Any, Callable

import librosa
import numpy as np
import pytest

import auralis_dsp

N = 4000
NOISE = np.random.default_rng(16).standard_normal(N).astype(np.float32)

# (label, y, keyword arguments): each one raises or warns in librosa.stft, or must not.
STFT_CASES = [
    ("win_length > n_fft", NOISE, {"n_fft": 512, "win_length": 1024}),
    ("n_fft > len(y), centred: warning", NOISE, {"n_fft": 8192}),
    ("n_fft > len(y), uncentred", NOISE, {"n_fft": 8192, "center": False}),
    ("hop_length 0", NOISE, {"hop_length": 0}),
    ("hop_length negative", NOISE, {"hop_length": -3}),
    ("hop_length not an integer", NOISE, {"hop_length": 2.5}),
    ("pad_mode refused by librosa.stft", NOISE, {"pad_mode": "wrap"}),
    ("pad_mode ignored without centring", NOISE, {"n_fft": 512, "center": False, "pad_mode": "wrap"}),
    ("window length mismatch", NOISE, {"n_fft": 512, "window": np.ones(100)}),
    ("window not a window", NOISE, {"n_fft": 512, "window": None}),
    ("NaN in y", np.array([0.0, np.nan] * (N // 2)), {}),
    ("inf in y", np.array([0.0, np.inf] * (N // 2)), {}),
    ("integer y", np.arange(N, dtype=np.int16), {}),
    ("0-d y", np.float64(1.0), {}),
    ("y not an array", [0.0] * N, {}),
]


def _outcome(call: Callable[[], Any]) -> tuple:
    """(exception class or None, its text, [(warning category, text), ...])."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            call()
            error: BaseException | None = None
        except Exception as exc:  # compared below, class and text
            error = exc
    seen = [(w.category, str(w.message)) for w in caught if not issubclass(w.category, DeprecationWarning)]
    return (type(error) if error else None), (str(error) if error else ""), seen


def _assert_same(ours: Callable[[], Any], theirs: Callable[[], Any]) -> None:
    ours_class, ours_text, ours_warnings = _outcome(ours)
    ref_class, ref_text, ref_warnings = _outcome(theirs)
    if ref_class is None:
        assert ours_class is None, ours_text
    else:
        assert ours_class is not None and issubclass(ours_class, ref_class), (ours_class, ref_class, ours_text)
        assert ours_class.__name__ == ref_class.__name__
        assert ours_text == ref_text
    assert ours_warnings == ref_warnings


@pytest.mark.parametrize("label,y,kw", STFT_CASES, ids=[c[0] for c in STFT_CASES])
def test_stft(label, y, kw):
    _assert_same(lambda: auralis_dsp.stft(y, **kw), lambda: librosa.stft(y, **kw))


@pytest.mark.parametrize("name", ["hpss", "harmonic", "percussive"])
@pytest.mark.parametrize("label,y,kw", STFT_CASES, ids=[c[0] for c in STFT_CASES])
def test_effects_hpss(name, label, y, kw):
    ours, theirs = getattr(auralis_dsp.effects, name), getattr(librosa.effects, name)
    _assert_same(lambda: ours(y, **kw), lambda: theirs(y, **kw))


@pytest.mark.parametrize("label,y,kw", STFT_CASES, ids=[c[0] for c in STFT_CASES])
def test_chroma_stft(label, y, kw):
    _assert_same(
        lambda: auralis_dsp.feature.chroma_stft(y=y, sr=22050, **kw),
        lambda: librosa.feature.chroma_stft(y=y, sr=22050, **kw),
    )


@pytest.mark.parametrize("label,y,kw", STFT_CASES, ids=[c[0] for c in STFT_CASES])
def test_estimate_tuning(label, y, kw):
    _assert_same(
        lambda: auralis_dsp.estimate_tuning(y=y, sr=22050, **kw),
        lambda: librosa.estimate_tuning(y=y, sr=22050, **kw),
    )


@pytest.mark.parametrize(
    "kw",
    [
        {"n_fft": None},  # without S: "Unable to compute spectrogram"
        {},  # neither y nor S
        {"n_fft": None, "S": np.abs(librosa.stft(NOISE, n_fft=512))},  # S given: n_fft from its shape
    ],
    ids=["n_fft None", "no input", "S with n_fft None"],
)
@pytest.mark.parametrize("name", ["feature.chroma_stft", "estimate_tuning"])
def test_spectrogram_input(name, kw):
    ours, theirs = auralis_dsp, librosa
    for part in name.split("."):
        ours, theirs = getattr(ours, part), getattr(theirs, part)
    _assert_same(lambda: ours(sr=22050, **kw), lambda: theirs(sr=22050, **kw))


@pytest.mark.parametrize(
    "kw",
    [
        {"win_length": 4096},
        {"win_length": 4096, "hop_length": 0},  # librosa checks the window first
        {"window": np.ones(100)},
        {"window": None},
        {"n_fft": 1024, "window": "hamming"},
    ],
)
def test_istft_window(kw):
    D = librosa.stft(NOISE.astype(np.float64))
    _assert_same(lambda: auralis_dsp.istft(D, **kw), lambda: librosa.istft(D, **kw))


def test_same_request_for_every_shim(monkeypatch):
    """stft, effects.hpss, chroma_stft and estimate_tuning send the same STFT parameters for the same arguments."""
    sent: dict = {}
    keys = ("n_fft", "hop_length", "win_length", "center", "pad_mode", "window")

    def record(op, params, arrays):
        sent[op] = ({k: params[k] for k in keys}, {name: a.shape for name, a in arrays.items()})
        raise _Recorded

    monkeypatch.setattr(auralis_dsp._backend, "call", record)
    kw = {"n_fft": 1000, "hop_length": 300, "win_length": 700, "window": "hann", "center": False, "pad_mode": "edge"}
    for call in (
        lambda: auralis_dsp.stft(NOISE, **kw),
        lambda: auralis_dsp.effects.hpss(NOISE, **kw),
        lambda: auralis_dsp.feature.chroma_stft(y=NOISE, **kw),
        lambda: auralis_dsp.estimate_tuning(y=NOISE, **kw),
    ):
        with pytest.raises(_Recorded):
            call()
    request = {"n_fft": 1000, "hop_length": 300, "win_length": 700, "center": False, "pad_mode": "constant"}
    expected = ({**request, "window": "hann"}, {"y": (1, N)})
    assert sent == {op: expected for op in ("stft", "effects.hpss", "chroma_stft", "estimate_tuning")}


class _Recorded(Exception):
    """Stops a call at the backend, once its request is recorded."""
