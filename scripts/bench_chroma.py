"""Speed of auralis_dsp's chroma pipeline against librosa: W1, W2, W4 and the op's own stages.

    .venv/bin/python scripts/bench_chroma.py [--seconds 180] [--repeat 3] [--only chroma_cqt,cqt]
                                             [--skip-w2] [--skip-w4] [--clips 36] [--stages]

Same method as scripts/bench.py (docs/bench.md): real music, WARMUP_CALLS
untimed calls per side, then librosa and ours alternately ``--repeat`` times,
medians and the ratio of medians; ours timed from the Python call to the
returned array (bridge included), with 1 worker thread and with all cores.
Calls: ``feature.chroma_cqt(y=y, sr=sr)``, ``cqt(y, sr=sr, n_bins=252,
bins_per_octave=36, tuning=None)`` (what chroma_cqt runs),
``estimate_tuning(y=y, sr=sr, bins_per_octave=36)`` and
``feature.chroma_stft(y=y, sr=sr)``.

W4: ``--clips`` clips of 5 s cut from the same music, each call once per clip
per side (one untimed call of each side on the first clip), all cores; the
total over the clips per side and their ratio, with the median share of a call
that is not the op's own time (the bridge, ``meta.op_ms``).

``--stages``: the server's own time (``meta.op_ms``, medians of ``--repeat``
calls after the warm-up) of the pipeline's pieces as separate requests, on W1
and one W4 clip, 1 thread and all cores: the tuning estimate, the CQT with the
tuning given, and chroma_cqt with the tuning given (CQT + fold), against the
whole chroma_cqt.
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
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

import librosa  # noqa: E402
from bench import WARMUP_CALLS, compare, set_threads, timed_with_op_ms  # noqa: E402
from bench_audio import load_music  # noqa: E402

import auralis_dsp  # noqa: E402

CALLS = ("feature.chroma_cqt", "cqt", "estimate_tuning", "feature.chroma_stft")


def workloads(y: np.ndarray, sr: int):
    cqt_kw = dict(sr=sr, n_bins=252, bins_per_octave=36, tuning=None)
    return {
        "feature.chroma_cqt": (lambda: librosa.feature.chroma_cqt(y=y, sr=sr),
                               lambda: auralis_dsp.chroma_cqt(y=y, sr=sr)),
        "cqt": (lambda: librosa.cqt(y, **cqt_kw), lambda: auralis_dsp.cqt(y, **cqt_kw)),
        "estimate_tuning": (lambda: librosa.estimate_tuning(y=y, sr=sr, bins_per_octave=36),
                            lambda: auralis_dsp.estimate_tuning(y=y, sr=sr, bins_per_octave=36)),
        "feature.chroma_stft": (lambda: librosa.feature.chroma_stft(y=y, sr=sr),
                                lambda: auralis_dsp.feature.chroma_stft(y=y, sr=sr)),
    }


def op_ms(fn) -> float:
    """The server's own time (ms) of the requests ``fn`` makes."""
    return timed_with_op_ms(fn)[1]


def stages(y: np.ndarray, sr: int, repeat: int) -> dict:
    """Median op times (ms) of the pipeline's pieces as separate requests."""
    tuning = float(auralis_dsp.estimate_tuning(y=y, sr=sr, bins_per_octave=36))
    pieces = {
        "estimate_tuning": lambda: auralis_dsp.estimate_tuning(y=y, sr=sr, bins_per_octave=36),
        "cqt, tuning given": lambda: auralis_dsp.cqt(y, sr=sr, n_bins=252, bins_per_octave=36, tuning=tuning),
        "chroma_cqt, tuning given": lambda: auralis_dsp.chroma_cqt(y=y, sr=sr, tuning=tuning),
        "chroma_cqt": lambda: auralis_dsp.chroma_cqt(y=y, sr=sr),
    }
    for fn in pieces.values():
        for _ in range(WARMUP_CALLS):
            fn()
    times = {name: [] for name in pieces}
    for _ in range(repeat):
        for name, fn in pieces.items():
            times[name].append(op_ms(fn))
    return {name: statistics.median(t) for name, t in times.items()}


def w4(clips, sr: int, wanted) -> None:
    print(f"\nW4: {len(clips)} clips of 5 s, each call once per clip, all cores")
    print("| call | librosa, total (s) | ours, total (s) | ratio | bridge share per call, median (ms) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    set_threads(None)
    for name in CALLS:
        if wanted and name not in wanted:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref0, ours0 = workloads(clips[0], sr)[name]
            for _ in range(WARMUP_CALLS):
                ref0()
                ours0()
            t_ref, t_ours, bridge = 0.0, 0.0, []
            for c in clips:
                ref, ours = workloads(c, sr)[name]
                t0 = time.perf_counter()
                ref()
                t1 = time.perf_counter()
                t_ref += t1 - t0
                t0 = time.perf_counter()
                ms = op_ms(ours)
                t1 = time.perf_counter()
                t_ours += t1 - t0
                bridge.append((t1 - t0) * 1e3 - ms)
        print(
            f"| {name} | {t_ref:.3f} | {t_ours:.3f} | {t_ref / t_ours:.2f}x | {statistics.median(bridge):.2f} |",
            flush=True,
        )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=180.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", help="comma-separated call names (chroma_cqt, cqt, estimate_tuning, chroma_stft)")
    ap.add_argument("--skip-w1", action="store_true")
    ap.add_argument("--skip-w2", action="store_true")
    ap.add_argument("--skip-w4", action="store_true")
    ap.add_argument("--clips", type=int, default=36)
    ap.add_argument("--stages", action="store_true")
    args = ap.parse_args()
    wanted = None
    if args.only:
        wanted = {w if w in CALLS else f"feature.{w}" for w in args.only.split(",")}
    print(f"# librosa {librosa.__version__}, numpy {np.__version__}", file=sys.stderr)
    runs = [] if args.skip_w1 else [("W1", 22050)]
    if not args.skip_w2:
        runs.append(("W2", 44100))
    if runs:
        print("| workload | call | librosa (s) | ours, 1 thread (s) | ratio | ours, all cores (s) | ratio |")
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for label, sr in runs:
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
    y22 = None
    if args.stages or not args.skip_w4:
        y22, _ = load_music(22050, args.seconds)
    if args.stages:
        clip = y22[: 5 * 22050]
        print("\nStages: the server's own time per request (meta.op_ms, ms, medians)")
        print(
            "| input | threads | "
            + " | ".join(["estimate_tuning", "cqt, tuning given", "chroma_cqt, tuning given", "chroma_cqt"])
            + " |"
        )
        print("| --- | --- | ---: | ---: | ---: | ---: |")
        for label, y in (("W1", y22), ("5 s clip", clip)):
            for threads in (1, None):
                set_threads(threads)
                t = stages(y, 22050, args.repeat)
                print(
                    f"| {label} | {threads or 'all'} | " + " | ".join(f"{v:.1f}" for v in t.values()) + " |", flush=True
                )
    if not args.skip_w4:
        n = 5 * 22050
        clips = [y22[i * n:(i + 1) * n] for i in range(min(args.clips, len(y22) // n))]
        w4(clips, 22050, wanted)
    set_threads(None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
