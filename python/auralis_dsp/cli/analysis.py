"""The per-track features: HPSS energy ratio, f0 statistics, chroma and key, tuning.

The calls are the ones a harmonic analyzer makes with librosa
(``effects.hpss(y)``, ``yin``/``pyin`` between C2 and C7, ``feature.chroma_cqt(y=y)``,
``estimate_tuning(y=y)``), answered by auralis_dsp's kernels.
"""
from __future__ import annotations

from typing import Any

import numpy as np

import auralis_dsp

from .key import PITCH_CLASSES, estimate_key

__all__ = ["FMIN", "FMAX", "HOP_LENGTH", "analyze", "f0_statistics"]

FMIN = 65.40639132514966  # C2
FMAX = 2093.004522404789  # C7
HOP_LENGTH = 512  # yin/pyin (frame_length 2048 // 4) and chroma_cqt share it: one frame grid


def f0_statistics(f0: np.ndarray, voiced: Any) -> dict[str, float]:
    """Median f0 (Hz), its spread (interquartile range in semitones) over voiced frames, and the voiced share.

    ``voiced`` is pyin's voiced flag, or None for yin, which decides no voicing
    (every frame has an f0): then every frame counts and the share is NaN.
    """
    f0 = np.asarray(f0, dtype=np.float64)
    mask = np.isfinite(f0) & (f0 > 0)
    if voiced is not None:
        mask &= np.asarray(voiced, dtype=bool)
    share = float(np.mean(voiced)) if voiced is not None and f0.size else float("nan")
    if not mask.any():
        return {"f0_median_hz": float("nan"), "f0_spread_semitones": float("nan"), "voiced_share": share}
    q25, q50, q75 = np.percentile(f0[mask], [25, 50, 75])
    return {"f0_median_hz": float(q50), "f0_spread_semitones": float(12 * np.log2(q75 / q25)), "voiced_share": share}


def _pitch(y: np.ndarray, sr: int) -> tuple[str, np.ndarray, Any, Any]:
    """(method, f0, voiced flag or None, voiced probability or None): pyin when auralis_dsp has it."""
    pyin = getattr(auralis_dsp, "pyin", None)
    if pyin is not None:
        f0, voiced_flag, voiced_prob = pyin(y, fmin=FMIN, fmax=FMAX, sr=sr)
        return "pyin", f0, voiced_flag, voiced_prob
    return "yin", auralis_dsp.yin(y, fmin=FMIN, fmax=FMAX, sr=sr), None, None


def analyze(y: np.ndarray, sr: int) -> tuple[dict[str, Any], dict[str, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Features of a mono signal: (row fields, per-frame arrays, (harmonic, percussive) signals)."""
    y_harmonic, y_percussive = auralis_dsp.effects.hpss(y)
    harmonic_energy = float(np.dot(y_harmonic.astype(np.float64), y_harmonic))
    percussive_energy = float(np.dot(y_percussive.astype(np.float64), y_percussive))
    method, f0, voiced_flag, voiced_prob = _pitch(y, sr)
    chroma = auralis_dsp.feature.chroma_cqt(y=y, sr=sr, hop_length=HOP_LENGTH)
    tuning = float(auralis_dsp.estimate_tuning(y=y, sr=sr))
    chroma_mean = chroma.mean(axis=1).astype(np.float64)
    key, key_strength = estimate_key(chroma_mean)
    total = harmonic_energy + percussive_energy
    row: dict[str, Any] = {
        "duration_s": y.shape[-1] / sr,
        "harmonic_percussive_ratio": harmonic_energy / percussive_energy if percussive_energy > 0 else float("nan"),
        "harmonic_share": harmonic_energy / total if total > 0 else float("nan"),
        "f0_method": method,
        **f0_statistics(f0, voiced_flag),
        "tuning": tuning,
        "key": key,
        "key_strength": key_strength,
    }
    row.update({f"chroma_{name}": float(v) for name, v in zip(PITCH_CLASSES, chroma_mean)})
    frames: dict[str, np.ndarray] = {
        "times": np.arange(f0.shape[-1]) * (HOP_LENGTH / sr),
        "f0": np.asarray(f0, dtype=np.float64),
        "chroma": np.asarray(chroma, dtype=np.float32),
    }
    if voiced_flag is not None:
        frames["voiced_flag"] = np.asarray(voiced_flag, dtype=bool)
        frames["voiced_prob"] = np.asarray(voiced_prob, dtype=np.float64)
    return row, frames, (y_harmonic, y_percussive)
