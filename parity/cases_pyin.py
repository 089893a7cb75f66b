"""Parity cases for pyin.

The rule (issue 14): f0 equal to librosa's on >= 99.5% of frames (both NaN where
unvoiced counts as equal), voiced_flag equal on >= 99.5%, voiced_prob within 1e-4.
``judge_frames`` applies the first two and lists the frames that differ; for each
it says whether librosa itself moves there when the input is scaled by 3 (d' is
scale invariant, so such a frame is decided by round-off: a near tie in the Viterbi
or a threshold crossed at rounding level) and, for float32, whether librosa's
float32 answer leaves its float64 one there.

librosa's pyin is slow (0.11: about 0.3 s per second of audio), so the default run
is 1 s clips: eight with librosa's defaults, two for each other parameter set; real music
(``--audio``), the MIDI melody and speech of cases_yin run only with ``--audio``.
"""
from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from typing import Callable

import librosa
import numpy as np

import auralis_dsp

from .cases_yin import _quiet, melody_truth, render_melody, render_speech, within_cents
from .core import Case, Inputs, register
from .signals import shaped, synthetic

C2, C7 = 65.40639132514966, 2093.004522404789
SHARE = 0.995
OUTPUTS = ("f0", "voiced_flag", "voiced_prob")


def _equal(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a == b) | (np.isnan(a) & np.isnan(b)) if a.dtype.kind == "f" else a == b


def judge_frames(output: int, alt: Callable[[], tuple], r64: Callable[[], tuple] | None = None,
                 extra: Callable[[np.ndarray, np.ndarray], str] | None = None):
    """``Case.judge`` for output ``output`` (0: f0, 1: voiced_flag): the share of equal frames."""

    def judge(ours: np.ndarray, ref: np.ndarray) -> tuple[bool, str]:
        if ours.shape != ref.shape:
            return False, f"shape {ours.shape} != {ref.shape}"
        same = _equal(ours, ref).ravel()
        share = float(np.mean(same)) if same.size else 1.0
        note = f"{OUTPUTS[output]} equal on {share:.2%} of {same.size} frames"
        bad = np.flatnonzero(~same)
        if bad.size:
            ref_flat = ref.ravel()
            moved = ~_equal(np.asarray(alt()[output]).ravel()[bad], ref_flat[bad])
            note += (
                f"; differ at {bad[:10].tolist()}{'...' if bad.size > 10 else ''}: {int(moved.sum())} "
                "where librosa moves with the input x3 (round-off)"
            )
            if r64 is not None:
                flips = ~_equal(np.asarray(r64()[output]).ravel()[bad], ref_flat[bad])
                note += f", {int(flips.sum())} where librosa float32 leaves librosa float64"
        if extra is not None:
            note += "; " + extra(ours, ref)
        return share >= SHARE, note

    return judge


def _case(label: str, y: np.ndarray, kw: dict, extra=None) -> Case:
    dtype = np.dtype(y.dtype).name
    alt = _quiet(librosa.pyin, y * 3, **kw)
    r64 = _quiet(librosa.pyin, y.astype(np.float64), **kw) if dtype == "float32" else None
    tag = ",".join(f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}" for k, v in kw.items())
    return Case(
        "pyin",
        f"{label} [{tag}]",
        dtype,
        "pyin",
        _quiet(librosa.pyin, y, **kw),
        _quiet(auralis_dsp.pyin, y, **kw),
        output_names=OUTPUTS,
        judge=(judge_frames(0, alt, r64, extra), judge_frames(1, alt, r64), None),
    )


def _vibrato(sr: int, n: int) -> np.ndarray:
    """330 Hz with a 5.5 Hz vibrato of +-20 Hz (about a semitone)."""
    t = np.arange(n) / sr
    return 0.6 * np.sin(2 * np.pi * 330 * t + (20 / 5.5) * np.sin(2 * np.pi * 5.5 * t))


def _tone_then_silence(sr: int, n: int) -> np.ndarray:
    y = 0.7 * np.sin(2 * np.pi * 196 * np.arange(n) / sr)
    y[n // 2:] = 0
    return y


def _clips(sr: int, n: int, few: bool):
    """1 s clips: tones, chirp, vibrato, silence, noise (``few``: a chirp and a tone then silence)."""
    if not few:
        names = ("chirp", "fm_tone", "silence", "white_noise", "harmonic", "music_like")
        yield from ((f"synthetic/{name}", synthetic(name, sr, n)) for name in names)
        yield "synthetic/vibrato 330 Hz", _vibrato(sr, n)
    else:
        yield "synthetic/chirp", synthetic("chirp", sr, n)
    yield "synthetic/tone then silence", _tone_then_silence(sr, n)


def _params() -> list:
    """(sr, keyword arguments): librosa's defaults, then a spread of the others (librosa 1.0: its exact search too)."""
    spread = [
        (16000, dict(fmin=80, fmax=1000, frame_length=1024, hop_length=160)),
        (44100, dict(fmin=C2, fmax=C7, frame_length=4096)),
        (22050, dict(fmin=100, fmax=1600, frame_length=1024, hop_length=200, n_thresholds=40, beta_parameters=(1.5, 12),
                     boltzmann_parameter=1.3, resolution=0.05, max_transition_rate=20.0, switch_prob=0.05,
                     no_trough_prob=0.02, fill_na=None, center=False)),
    ]
    if auralis_dsp.librosa_compat() == "1.0":
        spread.append((22050, dict(fmin=C2, fmax=C7, transition_min_prob=None)))
    return [(22050, dict(fmin=C2, fmax=C7))] + spread


@register("pyin")
def pyin_cases(inputs: Inputs) -> Iterator[Case]:
    params = _params()
    for index, (sr, kw) in enumerate(params if not inputs.quick else params[:1]):
        kw = dict(kw, sr=sr)
        for label, y in _clips(sr, sr, few=inputs.quick or index > 0):
            for dtype in (np.float64, np.float32):
                yield _case(f"{label} sr={sr}", y.astype(dtype), kw)
    for dtype in (np.float64, np.float32):
        yield _case("synthetic/fm_tone (3, 2)", shaped("fm_tone", 22050, 11025, (3, 2), dtype), dict(fmin=C2, fmax=C7))
    if not inputs.audio:
        return
    for clip in inputs.audio:
        for dtype in (np.float64, np.float32):
            yield _case(clip.label, clip.y.astype(dtype), dict(fmin=C2, fmax=C7, sr=clip.sr))
    yield from _rendered_cases()


def _rendered_cases() -> Iterator[Case]:
    folder = tempfile.mkdtemp(prefix="auralis-pyin-")
    sr = 22050
    melody = render_melody(sr, folder)
    if melody is None:
        print("# pyin: fluidsynth or FluidR3_GM missing, MIDI melody skipped")
    else:
        def accuracy(ours: np.ndarray, ref: np.ndarray) -> str:
            truth = melody_truth(ref.shape[-1], sr, 512)
            return (f"voiced and within 50 cents of the MIDI pitch: ours {within_cents(ours, truth):.2%}, "
                    f"librosa {within_cents(ref, truth):.2%}")

        for dtype in (np.float64, np.float32):
            yield _case(
                "midi/melody (fluidsynth, FluidR3_GM piano)",
                melody.astype(dtype),
                dict(fmin=C2, fmax=C7, sr=sr),
                extra=accuracy,
            )
    speech = render_speech(sr, folder)
    if speech is None:
        print("# pyin: espeak-ng missing, speech skipped")
    else:
        for dtype in (np.float64, np.float32):
            yield _case("speech/espeak-ng", speech.astype(dtype), dict(fmin=60, fmax=500, sr=sr))
    shutil.rmtree(folder, ignore_errors=True)
