"""The demo: every function auralis_dsp offers, beside librosa, on one clip.

    .venv/bin/python scripts/demo.py [--audio FILE] [--seconds 30] [--repeat 3] [--warmup 8]

Without --audio the clip is generated (parity/signals.py ``music_like``: chords,
a melody and clicks). Prints, per function: the parity error (both metrics of
docs/parity.md), librosa's median time, ours (Python call to returned array,
the bridge included) and the speed-up.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import librosa  # noqa: E402

import auralis_dsp  # noqa: E402
from parity.core import metrics  # noqa: E402
from parity.signals import music_like  # noqa: E402


def demos(y: np.ndarray, sr: int):
    """(name, librosa thunk, ours thunk) for each function both sides have."""
    D = librosa.stft(y)
    items = [
        ("stft", lambda: librosa.stft(y), lambda: auralis_dsp.stft(y)),
        ("istft", lambda: librosa.istft(D, length=len(y)), lambda: auralis_dsp.istft(D, length=len(y))),
    ]
    if hasattr(auralis_dsp, "hpss"):
        items.append(("effects.hpss", lambda: librosa.effects.hpss(y), lambda: auralis_dsp.hpss(y)))
    if hasattr(auralis_dsp, "yin"):
        items.append(("yin", lambda: librosa.yin(y, fmin=50, fmax=2000, sr=sr),
                      lambda: auralis_dsp.yin(y, fmin=50, fmax=2000, sr=sr)))
    if hasattr(auralis_dsp, "chroma_cqt"):
        items.append(("feature.chroma_cqt", lambda: librosa.feature.chroma_cqt(y=y, sr=sr),
                      lambda: auralis_dsp.chroma_cqt(y=y, sr=sr)))
    return items


# Untimed calls per side before the timed ones. librosa compiles with numba on its first call; a fresh
# auralis_dsp server is slower for several calls, not one (its per-block JavaScript reaches V8's optimising
# tier over the first ~8 calls of a 30 s clip: chroma_cqt 104-164 ms, then 40-75, then 30-50 ms; see
# docs/benchmarks.md, session 16), so the demo reports the steady state after 8. --warmup 1 shows the rest.
WARMUP_CALLS = 8


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--audio", help="an audio file to use instead of the generated clip")
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--sr", type=int, default=22050)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=WARMUP_CALLS, help="untimed calls per side first")
    args = ap.parse_args()
    args.warmup = max(1, args.warmup)

    if args.audio:
        y, sr = librosa.load(args.audio, sr=args.sr, duration=args.seconds)
        source = args.audio
    else:
        sr = args.sr
        y = music_like(sr, int(args.seconds * sr)).astype(np.float32)
        source = "generated clip (parity/signals.py music_like)"
    print(f"clip: {source}, {len(y) / sr:.1f} s at {sr} Hz, {y.dtype}")
    print(f"librosa {librosa.__version__} vs auralis_dsp {auralis_dsp.__version__}; "
          f"median of {args.repeat} warm calls each (after {args.warmup} untimed), alternating\n")
    print(f"{'function':<20} {'rel L2':>9} {'scaled max':>11} {'librosa':>10} {'auralis':>10} {'speed-up':>9}")
    for name, ref_fn, ours_fn in demos(y, sr):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # Warm-up, as scripts/bench.py: numba compiles on librosa's first call; the
            # Node server starts on ours and its workers reach steady speed over 2-3 calls.
            for _ in range(args.warmup):
                ref, _ = timed(ref_fn)
                ours, _ = timed(ours_fn)
            t_ref, t_ours = [], []
            for _ in range(args.repeat):
                t_ref.append(timed(ref_fn)[1])
                t_ours.append(timed(ours_fn)[1])
        refs = ref if isinstance(ref, tuple) else (ref,)
        ourss = ours if isinstance(ours, tuple) else (ours,)
        worst = max((metrics(o, r)[:2] for o, r in zip(ourss, refs)), key=lambda m: m[1])
        a, b = statistics.median(t_ref), statistics.median(t_ours)
        print(f"{name:<20} {worst[0]:9.2e} {worst[1]:11.2e} {a * 1e3:8.1f}ms {b * 1e3:8.1f}ms {a / b:8.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
