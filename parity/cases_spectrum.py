"""Parity cases for stft and istft."""
from __future__ import annotations

import warnings
from collections.abc import Iterator

import librosa
import numpy as np

import auralis_dsp

from .core import Case, Inputs, register
from .signals import shaped


def _quiet(fn, *args, **kw):
    def call():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(*args, **kw)

    return call


STFT_PARAMS = [
    {},
    {"n_fft": 1024, "hop_length": 256},
    {"n_fft": 512, "pad_mode": "reflect"},
    {"n_fft": 4096, "hop_length": 1024, "window": "hamming"},
    {"n_fft": 2048, "win_length": 1500, "window": "blackman", "center": False},
    {"n_fft": 3000, "hop_length": 700, "pad_mode": "symmetric"},
]


@register("stft")
def stft_cases(inputs: Inputs) -> Iterator[Case]:
    params = STFT_PARAMS[:2] if inputs.quick else STFT_PARAMS
    for clip in inputs.clips():
        for dtype in (np.float64, np.float32):
            y = clip.y.astype(dtype)
            for kw in params if clip.label.startswith("synthetic") else params[:3]:
                if not kw.get("center", True) and y.shape[-1] < kw.get("n_fft", 2048):
                    continue
                tag = ",".join(f"{k}={v}" for k, v in kw.items()) or "defaults"
                yield Case("stft", f"{clip.label} [{tag}]", np.dtype(dtype).name, "signal",
                           _quiet(librosa.stft, y, **kw), _quiet(auralis_dsp.stft, y, **kw),
                           reference64=_quiet(librosa.stft, clip.y, **kw))
    for lead in ((2,), (3, 2)):
        for dtype in (np.float64, np.float32):
            y = shaped("harmonic", 22050, 30000, lead, dtype)
            yield Case("stft", f"synthetic/harmonic {lead}", np.dtype(dtype).name, "signal",
                       _quiet(librosa.stft, y), _quiet(auralis_dsp.stft, y),
                       reference64=_quiet(librosa.stft, y.astype(np.float64)))


ISTFT_PARAMS = [
    ({}, {"length": "n"}),
    ({"n_fft": 1024, "hop_length": 256}, {"hop_length": 256}),
    ({"n_fft": 2048, "win_length": 1500, "window": "hamming", "center": False},
     {"win_length": 1500, "window": "hamming", "center": False}),
]


@register("istft")
def istft_cases(inputs: Inputs) -> Iterator[Case]:
    rng = np.random.default_rng(5)
    for clip in inputs.clips():
        for dtype in (np.float64, np.float32):
            y = clip.y.astype(dtype)
            for stft_kw, istft_kw in ISTFT_PARAMS[:2] if inputs.quick else ISTFT_PARAMS:
                if not stft_kw.get("center", True) and y.shape[-1] < stft_kw.get("n_fft", 2048):
                    continue
                D = _quiet(librosa.stft, y, **stft_kw)()
                # a modified spectrogram, as HPSS produces: magnitudes scaled per bin
                D = (D * rng.uniform(0.0, 1.0, D.shape)).astype(D.dtype)
                kw = {k: (y.shape[-1] if v == "n" else v) for k, v in istft_kw.items()}
                tag = ",".join(f"{k}={v}" for k, v in kw.items()) or "defaults"
                yield Case("istft", f"{clip.label} [{tag}]", np.dtype(dtype).name, "signal",
                           _quiet(librosa.istft, D, **kw), _quiet(auralis_dsp.istft, D, **kw),
                           reference64=_quiet(librosa.istft, D.astype(np.complex128), **kw))
