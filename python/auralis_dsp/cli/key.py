"""Key estimation from a mean chroma vector with the Krumhansl-Kessler profiles.

Krumhansl, C. L. (1990). Cognitive Foundations of Musical Pitch, ch. 4: probe-tone
ratings of each pitch class in a major and a minor context. The key is the
rotation of either profile best correlated (Pearson) with the chroma.
"""
from __future__ import annotations

import numpy as np

__all__ = ["PITCH_CLASSES", "estimate_key"]

PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


def estimate_key(chroma_mean: np.ndarray) -> tuple[str, float]:
    """("A minor", correlation) for a 12-vector of pitch-class weights starting at C; ("", nan) for a flat one."""
    chroma_mean = np.asarray(chroma_mean, dtype=np.float64)
    if chroma_mean.shape != (12,) or not np.all(np.isfinite(chroma_mean)) or np.ptp(chroma_mean) == 0:
        return "", float("nan")
    best = ("", -np.inf)
    for mode, profile in (("major", MAJOR_PROFILE), ("minor", MINOR_PROFILE)):
        for tonic in range(12):
            r = float(np.corrcoef(chroma_mean, np.roll(profile, tonic))[0, 1])
            if r > best[1]:
                best = (f"{PITCH_CLASSES[tonic]} {mode}", r)
    return best
