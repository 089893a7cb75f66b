"""The demo's Python: runs in the page's Pyodide, with auralis_dsp installed from its wheel by micropip.

A generated 4 s clip (a C major arpeggio, one note per second, over clicks every quarter
second) goes through effects.hpss, yin on the harmonic part and chroma_cqt on it. The last
expression is the JSON the page draws and the browser test checks.
"""
import json
import sys
import time

import numpy as np

import auralis_dsp

SR = 22050
NOTES_HZ = [261.63, 329.63, 392.00, 523.25]  # C4 E4 G4 C5
t = np.arange(SR) / SR
tone = np.concatenate([0.4 * np.sin(2 * np.pi * f * t) + 0.15 * np.sin(4 * np.pi * f * t) for f in NOTES_HZ])
clicks = np.zeros_like(tone)
clicks[:: SR // 4] = 1.0
clicks = np.convolve(clicks, np.exp(-np.arange(200) / 20.0) * np.sign(np.sin(np.arange(200) * 2.1)))[: tone.size]
y = (tone + 0.5 * clicks).astype(np.float32)

timings = {}


def timed(name, fn):
    start = time.perf_counter()
    result = fn()
    timings[name] = round(1000 * (time.perf_counter() - start), 1)
    return result


harmonic, percussive = timed("effects.hpss", lambda: auralis_dsp.effects.hpss(y))
f0 = timed("yin", lambda: auralis_dsp.yin(harmonic, fmin=65, fmax=1000, sr=SR))
chroma = timed("chroma_cqt", lambda: auralis_dsp.chroma_cqt(y=harmonic, sr=SR))
hop = 512
frame_s = hop / SR


def per_second(values):
    """The median of each whole second's frames, leaving out the frames that straddle a note change."""
    out = []
    for k in range(len(NOTES_HZ)):
        lo, hi = int((k + 0.15) / frame_s), int((k + 0.85) / frame_s)
        out.append(values[..., lo:hi])
    return out


json.dumps({
    "platform": sys.platform,
    "python": sys.version.split()[0],
    "numpy": np.__version__,
    "sr": SR,
    "notes_hz": NOTES_HZ,
    "dtypes": [str(harmonic.dtype), str(f0.dtype), str(chroma.dtype)],
    "shapes": [list(harmonic.shape), list(f0.shape), list(chroma.shape)],
    "reconstruction_error": float(np.abs(harmonic + percussive - y).max()),
    "percussive_share": float(np.sum(percussive.astype(np.float64) ** 2) / np.sum(y.astype(np.float64) ** 2)),
    "f0_per_second": [float(np.median(v)) for v in per_second(f0)],
    "pitch_class_per_second": [int(np.argmax(v.mean(axis=-1))) for v in per_second(chroma)],
    "f0": [round(float(v), 2) for v in f0],
    "chroma": [[round(float(v), 3) for v in row] for row in chroma],
    "frame_seconds": frame_s,
    "timings_ms": timings,
})
