"""Speed of auralis_dsp's chroma_cqt, cqt and estimate_tuning against librosa on W1 and W2.

    .venv/bin/python scripts/bench_chroma.py [--seconds 180] [--repeat 3] [--only chroma_cqt,cqt]

Same method as scripts/bench.py (docs/bench.md): real music, one untimed call
per side, then librosa and ours alternately ``--repeat`` times, medians and
the ratio of medians; ours timed from the Python call to the returned array
(bridge included), with 1 worker thread and with all cores. Calls:
``feature.chroma_cqt(y=y, sr=sr)``, ``cqt(y, sr=sr, n_bins=252,
bins_per_octave=36, tuning=None)`` (what chroma_cqt runs) and
``estimate_tuning(y=y, sr=sr, bins_per_octave=36)``.
"""
from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

import librosa  # noqa: E402

import auralis_dsp  # noqa: E402
from bench import compare, load_music, set_threads  # noqa: E402


def workloads(y: np.ndarray, sr: int):
    cqt_kw = dict(sr=sr, n_bins=252, bins_per_octave=36, tuning=None)
    return {
        "feature.chroma_cqt": (lambda: librosa.feature.chroma_cqt(y=y, sr=sr),
                               lambda: auralis_dsp.chroma_cqt(y=y, sr=sr)),
        "cqt": (lambda: librosa.cqt(y, **cqt_kw), lambda: auralis_dsp.cqt(y, **cqt_kw)),
        "estimate_tuning": (lambda: librosa.estimate_tuning(y=y, sr=sr, bins_per_octave=36),
                            lambda: auralis_dsp.estimate_tuning(y=y, sr=sr, bins_per_octave=36)),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=180.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", help="comma-separated call names (chroma_cqt, cqt, estimate_tuning)")
    args = ap.parse_args()
    wanted = {w if "." in w or w != "chroma_cqt" else "feature.chroma_cqt" for w in args.only.split(",")} if args.only else None
    print("| workload | call | librosa (s) | ours, 1 thread (s) | ratio | ours, all cores (s) | ratio |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for label, sr in (("W1", 22050), ("W2", 44100)):
        y, source = load_music(sr, args.seconds)
        print(f"# {label}: {source}, {len(y) / sr:.0f} s at {sr} Hz, {y.dtype}", file=sys.stderr)
        for name, (ref, ours) in workloads(y, sr).items():
            if wanted and name not in wanted:
                continue
            cells = []
            for threads in (1, None):
                set_threads(threads)
                cells.append(compare(ref, ours, args.repeat))
            t_ref = statistics.median([c[0] for c in cells])
            print(f"| {label} ({sr} Hz) | {name} | {t_ref:.3f} | {cells[0][1]:.3f} | {t_ref / cells[0][1]:.2f}x | "
                  f"{cells[1][1]:.3f} | {t_ref / cells[1][1]:.2f}x |", flush=True)
    set_threads(None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
