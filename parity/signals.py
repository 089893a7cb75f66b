"""The synthetic inputs of docs/parity.md, deterministic (fixed seeds), float64.

Each generator takes the sample rate and a length in samples and returns a
1-D float64 signal; ``SYNTHETIC`` lists them by name. ``shaped`` builds the
multichannel variants (stereo, batched).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = ["SYNTHETIC", "synthetic", "shaped", "music_like"]


def _t(sr: int, n: int) -> np.ndarray:
    return np.arange(n) / sr


def _silence(sr: int, n: int) -> np.ndarray:
    return np.zeros(n)


def _dc(sr: int, n: int) -> np.ndarray:
    return np.full(n, 0.5)


def _impulse(sr: int, n: int) -> np.ndarray:
    y = np.zeros(n)
    y[n // 3] = 1.0
    return y


def _impulse_train(sr: int, n: int) -> np.ndarray:
    y = np.zeros(n)
    y[:: max(1, sr // 8)] = 1.0
    return y


def _white_noise(sr: int, n: int) -> np.ndarray:
    return np.random.default_rng(1).standard_normal(n) * 0.3


def _pink_noise(sr: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(2)
    spectrum = np.fft.rfft(rng.standard_normal(max(n, 2)))
    f = np.arange(len(spectrum), dtype=float)
    f[0] = 1.0
    y = np.fft.irfft(spectrum / np.sqrt(f), n=max(n, 2))[:n]
    return 0.5 * y / max(np.max(np.abs(y)), 1e-12)


def _sine(freq_fraction_of_nyquist: float) -> Callable[[int, int], np.ndarray]:
    def gen(sr: int, n: int) -> np.ndarray:
        return 0.8 * np.sin(2 * np.pi * freq_fraction_of_nyquist * sr / 2 * _t(sr, n) + 0.3)

    return gen


def _sine_hz(freq: float) -> Callable[[int, int], np.ndarray]:
    def gen(sr: int, n: int) -> np.ndarray:
        return 0.8 * np.sin(2 * np.pi * freq * _t(sr, n) + 0.3)

    return gen


def _chirp(sr: int, n: int) -> np.ndarray:
    t = _t(sr, n)
    duration = max(n / sr, 1e-9)
    f0, f1 = 50.0, 0.4 * sr
    k = np.log(f1 / f0) / duration
    return 0.7 * np.sin(2 * np.pi * f0 * (np.exp(k * t) - 1) / k)


def _harmonic(sr: int, n: int) -> np.ndarray:
    t = _t(sr, n)
    f0 = 220.0
    y = sum((0.6 / h) * np.sin(2 * np.pi * f0 * h * t + h) for h in range(1, 11) if f0 * h < sr / 2)
    return np.asarray(y, dtype=float)


def _am_tone(sr: int, n: int) -> np.ndarray:
    t = _t(sr, n)
    return 0.5 * (1 + 0.8 * np.sin(2 * np.pi * 4 * t)) * np.sin(2 * np.pi * 660 * t)


def _fm_tone(sr: int, n: int) -> np.ndarray:
    t = _t(sr, n)
    return 0.7 * np.sin(2 * np.pi * 440 * t + 5 * np.sin(2 * np.pi * 6 * t))


def _clipped_square(sr: int, n: int) -> np.ndarray:
    return np.clip(3 * np.sin(2 * np.pi * 110 * _t(sr, n)), -1, 1) * 0.9


def music_like(sr: int, n: int) -> np.ndarray:
    """A synthetic mix (chords, a melody, percussive clicks): the fallback when no real music is at hand."""
    t = _t(sr, n)
    rng = np.random.default_rng(7)
    y = np.zeros(n)
    beat = int(0.5 * sr)
    for i, start in enumerate(range(0, n, beat)):
        seg = slice(start, min(n, start + beat))
        tt = t[seg] - t[start]
        root = 110 * 2 ** (((i * 5) % 12) / 12)
        for ratio in (1, 1.25, 1.5, 2):
            y[seg] += 0.15 * np.sin(2 * np.pi * root * ratio * tt) * np.exp(-1.5 * tt)
        click = min(n - start, int(0.01 * sr))
        y[start : start + click] += rng.standard_normal(click) * 0.4 * np.exp(-np.arange(click) / (0.002 * sr))
    return y


SYNTHETIC: dict[str, Callable[[int, int], np.ndarray]] = {
    "silence": _silence,
    "dc": _dc,
    "impulse": _impulse,
    "impulse_train": _impulse_train,
    "white_noise": _white_noise,
    "pink_noise": _pink_noise,
    "sine_low": _sine_hz(55.0),
    "sine_mid": _sine_hz(440.0),
    "sine_near_nyquist": _sine(0.93),
    "chirp": _chirp,
    "harmonic": _harmonic,
    "am_tone": _am_tone,
    "fm_tone": _fm_tone,
    "clipped_square": _clipped_square,
    "music_like": music_like,
}


def synthetic(name: str, sr: int, n: int, dtype=np.float64) -> np.ndarray:
    """Signal ``name`` of ``n`` samples at ``sr``, in ``dtype``."""
    return SYNTHETIC[name](sr, n).astype(dtype)


def shaped(name: str, sr: int, n: int, lead: tuple, dtype=np.float64) -> np.ndarray:
    """Signal ``name`` with leading shape ``lead`` (e.g. (2,) stereo, (3, 2) batched); channels differ."""
    count = int(np.prod(lead)) if lead else 1
    base = SYNTHETIC[name](sr, n + 7 * count)
    rows = [base[7 * i : 7 * i + n] * (1 - 0.1 * i) for i in range(count)]
    return np.stack(rows).reshape(tuple(lead) + (n,)).astype(dtype)
