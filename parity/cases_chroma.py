"""Parity cases for chroma_cqt, cqt, estimate_tuning and chroma_stft (issue #5).

Inputs: tones on and between semitones and detuned by +-20 / +-45 cents (so
the tuning estimate moves), chords, noise, silence, plus 20 s of real music
(warzone2100-music) and espeak-ng speech when installed, plus the run's own
clips; float64 and float32; sr 22050 / 44100 / 16000, hop 256 / 512 / 1024,
bins_per_octave 12 / 24 / 36, n_octaves 5 / 7, tuning given or estimated,
norm inf / 2 / None, threshold 0 / 0.1.
"""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Iterator

import librosa
import numpy as np

import auralis_dsp

from .core import Case, Inputs, register

MUSIC = sorted(glob.glob("/usr/share/games/warzone2100/music/**/*.opus", recursive=True))
SPEECH_TEXT = ("The quick brown fox jumps over the lazy dog. "
               "Constant-Q chromagrams fold the spectrum onto twelve pitch classes.")


def _quiet(fn, *args, **kw):
    def call():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(*args, **kw)

    return call


def _tone(sr: int, n: int, midi: float, cents: float = 0.0) -> np.ndarray:
    f = 440.0 * 2 ** ((midi - 69 + cents / 100) / 12)
    return 0.6 * np.sin(2 * np.pi * f * np.arange(n) / sr + 0.2)


def _chord(sr: int, n: int, cents: float) -> np.ndarray:
    return sum(_tone(sr, n, m, cents) * a for m, a in ((60, 0.5), (64, 0.35), (67, 0.3), (72, 0.2)))


def _speech(sr: int) -> np.ndarray | None:
    exe = shutil.which("espeak-ng") or shutil.which("espeak")
    if not exe:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "speech.wav")
        subprocess.run([exe, "-w", path, SPEECH_TEXT], check=False, capture_output=True)
        if not os.path.exists(path):
            return None
        y, _ = librosa.load(path, sr=sr)
    return y.astype(np.float64)


def chroma_clips(sr: int, quick: bool) -> dict[str, np.ndarray]:
    n = 2 * sr if quick else 4 * sr
    rng = np.random.default_rng(11)
    clips = {
        "tone A4 on semitone": _tone(sr, n, 69),
        "tone between semitones (+50c)": _tone(sr, n, 64, 50),
        "tone +20c": _tone(sr, n, 62, 20),
        "tone -20c": _tone(sr, n, 57, -20),
        "chord +45c": _chord(sr, n, 45) + 0.01 * rng.standard_normal(n),
        "chord -45c": _chord(sr, n, -45) + 0.01 * rng.standard_normal(n),
        "white noise": 0.3 * rng.standard_normal(n),
        "silence": np.zeros(n),
    }
    if MUSIC:
        y, _ = librosa.load(MUSIC[len(MUSIC) // 2], sr=sr, offset=20.0, duration=8.0 if quick else 20.0)
        clips[f"music {os.path.basename(MUSIC[len(MUSIC) // 2])}"] = y.astype(np.float64)
    speech = _speech(sr)
    if speech is not None:
        clips["speech espeak-ng"] = speech
    return clips


def _all_clips(inputs: Inputs, sr: int) -> Iterator:
    yield from chroma_clips(sr, inputs.quick).items()
    if sr == 22050:
        for clip in inputs.audio:
            yield clip.label, clip.y


SCALES = (3.0, 0.3, 1.7)


def _scaled_reference(y: np.ndarray, sr: int, kw: dict):
    """Of librosa's chromas of s * y for s in SCALES (divided by s when unnormalised), the one
    farthest from librosa's chroma of y: all equal in exact arithmetic when no threshold applies
    (normalised chroma is scale-invariant), not in soxr's float32 rounding."""
    if kw.get("threshold", 0.0):
        return None

    def call():
        ref = _quiet(librosa.feature.chroma_cqt, y=y, sr=sr, **kw)()
        unscale = kw.get("norm", np.inf) is None
        alts = [_quiet(librosa.feature.chroma_cqt, y=y * s, sr=sr, **kw)() / (s if unscale else 1) for s in SCALES]
        return max(alts, key=lambda a: float(np.abs(a - ref).max()))

    return call


E2 = 82.4068892282175  # librosa.note_to_hz("E2")

CHROMA_PARAMS = [
    (22050, {}),
    (22050, {"hop_length": 256, "norm": 2, "threshold": 0.1}),
    (22050, {"hop_length": 1024, "bins_per_octave": 12, "n_octaves": 5, "norm": None}),
    (22050, {"bins_per_octave": 24, "tuning": 0.25}),
    (44100, {}),
    (16000, {"n_octaves": 5, "hop_length": 256}),
    # the top octave near Nyquist: librosa 1.0 does not halve the rate after it
    (22050, {"fmin": E2, "n_octaves": 7}),
]


@register("chroma_cqt")
def chroma_cqt_cases(inputs: Inputs) -> Iterator[Case]:
    params = CHROMA_PARAMS[:2] + CHROMA_PARAMS[4:5] if inputs.quick else CHROMA_PARAMS
    for sr, kw in params:
        for label, y64 in _all_clips(inputs, sr):
            if kw and sr == 22050 and label.startswith(("tone A4", "tone -20c", "white")):
                continue
            for dtype in (np.float64, np.float32):
                y = y64.astype(dtype)
                tag = ",".join(f"{k}={v}" for k, v in kw.items()) or "defaults"
                yield Case("chroma_cqt", f"{label} sr={sr} [{tag}]", np.dtype(dtype).name, "chroma",
                           _quiet(librosa.feature.chroma_cqt, y=y, sr=sr, **kw),
                           _quiet(auralis_dsp.chroma_cqt, y=y, sr=sr, **kw),
                           reference_alt=_scaled_reference(y, sr, kw),
                           reference_alt_what="the input scaled by 3, 0.3 or 1.7 (chroma is scale-invariant)")


CQT_PARAMS = [
    (22050, {"n_bins": 252, "bins_per_octave": 36, "tuning": None}),
    (22050, {"n_bins": 84, "hop_length": 256}),
    (44100, {"n_bins": 168, "bins_per_octave": 24, "hop_length": 1024, "tuning": None}),
    (16000, {"n_bins": 60, "bins_per_octave": 12}),
    # CQTs whose top octave reaches above ~0.4 Nyquist (librosa 1.0's octave rule differs from 0.11's)
    (22050, {"n_bins": 100}),
    (22050, {"fmin": E2, "tuning": None}),
    (16000, {"n_bins": 96, "bins_per_octave": 24}),
]
# n_bins=None (librosa 1.0 only: every bin below Nyquist; 0.11 raises a TypeError, checked in python/tests)
CQT_PARAMS_V1 = [
    (22050, {"n_bins": None}),
    (44100, {"n_bins": None, "fmin": 200.0, "bins_per_octave": 24, "tuning": None}),
]
V1 = int(librosa.__version__.split(".")[0]) >= 1


def _magnitude(fn, *args, **kw):
    inner = _quiet(fn, *args, **kw)
    return lambda: np.abs(inner())


@register("cqt")
def cqt_cases(inputs: Inputs) -> Iterator[Case]:
    params = CQT_PARAMS[:2] if inputs.quick else CQT_PARAMS + (CQT_PARAMS_V1 if V1 else [])
    for sr, kw in params:
        for label, y64 in _all_clips(inputs, sr):
            if label == "silence":
                continue
            for dtype in (np.float64, np.float32):
                y = y64.astype(dtype)
                tag = ",".join(f"{k}={v}" for k, v in kw.items())
                yield Case("cqt", f"{label} sr={sr} [{tag}] |C|", np.dtype(dtype).name, "cqt",
                           _magnitude(librosa.cqt, y, sr=sr, **kw), _magnitude(auralis_dsp.cqt, y, sr=sr, **kw))


@register("estimate_tuning")
def tuning_cases(inputs: Inputs) -> Iterator[Case]:
    for sr in (22050, 44100, 16000):
        for label, y64 in _all_clips(inputs, sr):
            for dtype in (np.float64, np.float32):
                y = y64.astype(dtype)
                for bpo in (12, 36):
                    yield Case(
                        "estimate_tuning",
                        f"{label} sr={sr} bpo={bpo}",
                        np.dtype(dtype).name,
                        "exact",
                        lambda y=y, sr=sr, bpo=bpo: np.array(
                            _quiet(librosa.estimate_tuning, y=y, sr=sr, bins_per_octave=bpo)()
                        ),
                        lambda y=y, sr=sr, bpo=bpo: np.array(
                            _quiet(auralis_dsp.estimate_tuning, y=y, sr=sr, bins_per_octave=bpo)()
                        ),
                    )


@register("chroma_stft")
def chroma_stft_cases(inputs: Inputs) -> Iterator[Case]:
    for kw in ({}, {"n_fft": 4096, "hop_length": 1024, "norm": 2}):
        for label, y64 in _all_clips(inputs, 22050):
            for dtype in (np.float64, np.float32):
                y = y64.astype(dtype)
                tag = ",".join(f"{k}={v}" for k, v in kw.items()) or "defaults"
                yield Case("chroma_stft", f"{label} [{tag}]", np.dtype(dtype).name, "chroma",
                           _quiet(librosa.feature.chroma_stft, y=y, sr=22050, **kw),
                           _quiet(auralis_dsp.feature.chroma_stft, y=y, sr=22050, **kw))
