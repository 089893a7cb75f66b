"""patch() benchmark: a librosa-only harmonic analyzer, unpatched vs inside ``auralis_dsp.patched()``.

The analyzer is unchanged client code: effects.hpss(y), yin(y, fmin=C2, fmax=C7)
and feature.chroma_cqt(y=y) on 3 minutes of real music (warzone2100-music) at
22050 Hz. One untimed call per side, then the sides alternate --repeats times;
medians and their ratio are printed, with the largest difference between the
two sides' results.

    .venv/bin/python scripts/bench_patch.py [--audio FILE] [--repeats 3]
"""
from __future__ import annotations

import argparse
import glob
import statistics
import sys
import time
from pathlib import Path

import librosa
import numpy as np

import auralis_dsp

C2, C7 = librosa.note_to_hz("C2"), librosa.note_to_hz("C7")


def analyzer(y: np.ndarray, sr: int) -> tuple:
    y_harmonic, y_percussive = librosa.effects.hpss(y)
    f0 = librosa.yin(y, fmin=C2, fmax=C7, sr=sr)
    chroma = librosa.feature.chroma_cqt(y=y, sr=sr)
    return y_harmonic, y_percussive, f0, chroma


def timed(y: np.ndarray, sr: int, patched: bool) -> tuple:
    if patched:
        auralis_dsp.patch()
    try:
        started = time.perf_counter()
        result = analyzer(y, sr)
        return time.perf_counter() - started, result
    finally:
        auralis_dsp.unpatch()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--audio", help="a music file (default: the first warzone2100-music track of 3 minutes or more)")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    path = args.audio
    if path is None:
        candidates = sorted(glob.glob("/usr/share/games/warzone2100/music/**/*.opus", recursive=True))
        if not candidates:
            print("bench_patch: no audio; pass --audio or install warzone2100-music", file=sys.stderr)
            return 1
        path = candidates[0]
    y, sr = librosa.load(path, sr=22050, duration=180.0)
    print(f"bench_patch: {path}, {y.shape[-1] / sr:.0f} s at {sr} Hz, librosa {librosa.__version__}, "
          f"load {Path('/proc/loadavg').read_text().split()[:3]}")
    _, reference = timed(y, sr, False)
    _, routed = timed(y, sr, True)
    times = {False: [], True: []}
    for _ in range(args.repeats):
        for patched in (False, True):
            times[patched].append(timed(y, sr, patched)[0])
    plain, fast = statistics.median(times[False]), statistics.median(times[True])
    worst = max(float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(b))), 1e-30)) for a, b in zip(routed, reference))
    print(f"unpatched {plain:.2f} s, patched {fast:.2f} s (medians of {args.repeats}): {plain / fast:.1f}x; "
          f"largest scaled difference of the results {worst:.2e}; load {Path('/proc/loadavg').read_text().split()[:3]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
