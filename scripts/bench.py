"""Speed of auralis_dsp against librosa (docs/bench.md): ratios measured side by side.

    .venv/bin/python scripts/bench.py [--seconds 180] [--repeat 3] [--only stft,istft] [--clips 36]
                                      [--skip-w4] [--skip-cold] [--skip-memory]

W1: real music (Debian's warzone2100-music, installed when missing and
possible) at 22050 Hz, every shim; W2: the same at 44100 Hz (stft, istft, hpss,
yin); the round trip of a tiny call; cold first calls; peak memory of hpss, yin
and chroma_cqt on W1; W4: 36 clips of 5 s, every shim once per clip.
Each function: WARMUP_CALLS (3) untimed calls per side, then librosa and ours
alternately ``--repeat`` times; medians and the ratio of medians. Three, not
one: each W1/W2 measurement starts a fresh kernel server, whose worker threads
reach steady speed only after V8 has optimised their code over 2-3 calls (W1
chroma_cqt: ~0.55 s, ~0.25 s, ~0.19 s, then ~0.14 s); the first call of a fresh
process is reported separately as cold. Every timed call starts
after a pause of SETTLE_S: librosa's BLAS calls leave OpenBLAS worker threads
spinning for up to ~0.2 s, which took up to 35 ms of CPU from whatever ran next
on this 2-core machine (measured on W1 chroma_cqt); the pause gives both sides
a quiet start. W4 (short clips) times without the pause. Ours is timed from the
Python call to the returned array (bridge included), with 1 worker thread and
with all cores. Prints a Markdown table for docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Callable

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("AURALIS_DSP_DEBUG_OPS", "1")  # the echo op of the round-trip row

import librosa  # noqa: E402
from bench_audio import load_music  # noqa: E402

import auralis_dsp  # noqa: E402
from auralis_dsp._backend import node as node_backend  # noqa: E402

PYIN_KW = dict(fmin=65.40639132514966, fmax=2093.004522404789)  # C2 and C7, as issue 14


def workloads(y: np.ndarray, sr: int):
    """name -> (librosa thunk, ours thunk), for every shim auralis_dsp offers."""
    D = librosa.stft(y)
    yin_kw = dict(fmin=50, fmax=2000, sr=sr)
    return {
        "stft": (lambda: librosa.stft(y), lambda: auralis_dsp.stft(y)),
        "istft": (lambda: librosa.istft(D, length=len(y)), lambda: auralis_dsp.istft(D, length=len(y))),
        "effects.hpss": (lambda: librosa.effects.hpss(y), lambda: auralis_dsp.hpss(y)),
        "yin": (lambda: librosa.yin(y, **yin_kw), lambda: auralis_dsp.yin(y, **yin_kw)),
        "pyin": (lambda: librosa.pyin(y, sr=sr, **PYIN_KW), lambda: auralis_dsp.pyin(y, sr=sr, **PYIN_KW)),
        "feature.chroma_cqt": (
            lambda: librosa.feature.chroma_cqt(y=y, sr=sr),
            lambda: auralis_dsp.chroma_cqt(y=y, sr=sr),
        ),
        "cqt": (lambda: librosa.cqt(y, sr=sr), lambda: auralis_dsp.cqt(y, sr=sr)),
        "estimate_tuning": (
            lambda: librosa.estimate_tuning(y=y, sr=sr),
            lambda: auralis_dsp.estimate_tuning(y=y, sr=sr),
        ),
        "feature.chroma_stft": (
            lambda: librosa.feature.chroma_stft(y=y, sr=sr),
            lambda: auralis_dsp.feature.chroma_stft(y=y, sr=sr),
        ),
    }


# librosa's pyin takes about a minute on W1: one timed call per side (after a warm-up on 5 s), all cores only.
SLOW = {"pyin"}
THE_THREE = ("effects.hpss", "yin", "feature.chroma_cqt")


SETTLE_S = 0.3


def timed(fn: Callable, settle: float = 0.0) -> float:
    time.sleep(settle)
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def timed_with_op_ms(fn: Callable) -> tuple[float, float]:
    """Seconds of one call of ``fn`` and the ms its kernel requests spent in their ops (the server's ``op_ms``)."""
    import auralis_dsp._backend as backend

    original = backend._call
    op_ms = []

    def spy(op, params, arrays):
        meta, result = original(op, params, arrays)
        op_ms.append(meta.get("op_ms", 0.0))
        return meta, result

    backend._call = spy
    try:
        total = timed(fn)
    finally:
        backend._call = original
    return total, sum(op_ms)


def bridge_share(ours: Callable) -> float:
    """Seconds of one call of ``ours`` not spent in the op itself."""
    total, op_ms = timed_with_op_ms(ours)
    return total - op_ms / 1e3


def set_threads(n: int | None) -> None:
    """Restart the kernel server with ``n`` worker threads (None: all cores)."""
    node_backend.close()
    if n is None:
        os.environ.pop("AURALIS_DSP_THREADS", None)
    else:
        os.environ["AURALIS_DSP_THREADS"] = str(n)


WARMUP_CALLS = 3


def compare(
    ref: Callable, ours: Callable, repeat: int, settle: float = SETTLE_S, warmup: int = WARMUP_CALLS
) -> tuple[float, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(warmup):
            ref()
            ours()
        t_ref, t_ours = [], []
        for _ in range(repeat):
            t_ref.append(timed(ref, settle))
            t_ours.append(timed(ours, settle))
    return statistics.median(t_ref), statistics.median(t_ours)


COLD = """
import sys, time, warnings
import numpy as np
y = np.load(sys.argv[3])
t0 = time.perf_counter()
if sys.argv[1] == "librosa":
    import librosa as lib
else:
    import auralis_dsp as lib
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    call = {"stft": lambda: lib.stft(y), "effects.hpss": lambda: lib.effects.hpss(y),
            "yin": lambda: lib.yin(y, fmin=50, fmax=2000, sr=22050),
            "feature.chroma_cqt": lambda: lib.feature.chroma_cqt(y=y, sr=22050)}[sys.argv[2]]
    call()
print(time.perf_counter() - t0)
"""


def cold(side: str, name: str, path: str) -> float:
    """Seconds from import to the first result in a fresh Python process.

    (numba compiling for librosa; Node and its workers starting for ours.)
    """
    out = subprocess.run(
        [sys.executable, "-c", COLD, side, name, path], check=True, capture_output=True, text=True, cwd=ROOT
    )
    return float(out.stdout.strip().splitlines()[-1])


def roundtrip_ms(calls: int = 2000) -> dict:
    """p50/p99 (ms) of a tiny request through the bridge.

    ``echo`` (no arrays), and ``stft`` of 2048 samples (a shim).
    """
    tiny = np.sin(np.arange(2048, dtype=np.float32) * 0.05)
    out = {}
    for label, fn in (("echo op (no arrays)", lambda: node_backend.call("echo", {}, {})),
                      ("auralis_dsp.stft, 2048 samples", lambda: auralis_dsp.stft(tiny))):
        for _ in range(200):
            fn()
        t = sorted(timed(fn) for _ in range(calls))
        out[label] = (t[len(t) // 2] * 1e3, t[int(len(t) * 0.99)] * 1e3)
    return out


def peak_memory(y: np.ndarray, sr: int) -> None:
    """Peak RSS (Python + Node) of each of the three on ``y``.

    Each side and call in a fresh process (scripts/bench_memory.py).
    """
    import tempfile

    sys.path.insert(0, str(ROOT / "scripts"))
    import bench_memory

    print("\nPeak memory, W1: a fresh process per side and call; Python peak RSS + the Node server's (MB)")
    print("| call | librosa (MB) | ours (MB) | ours / librosa |")
    print("| --- | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as folder:
        clip = Path(folder) / "w1.npy"
        np.save(clip, y)
        for call in ("hpss", "yin", "chroma_cqt"):
            r = bench_memory.peaks(clip, [call], sr)
            if any("error" in v for v in r.values()):
                print(f"| {call} | failed: {r} | | |")
                continue
            ref, ours = r["librosa"]["total_mb"], r["auralis"]["total_mb"]
            print(f"| {call} | {ref:.0f} | {ours:.0f} | {ours / ref:.2f} |", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=180.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", help="comma-separated function names")
    ap.add_argument("--clips", type=int, default=36, help="W4: number of 5 s clips")
    ap.add_argument("--skip-w4", action="store_true")
    ap.add_argument("--skip-cold", action="store_true")
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--skip-long", action="store_true", help="skip the W1 and W2 tables (180 s at 22050 and 44100 Hz)")
    args = ap.parse_args()

    node = subprocess.run([node_backend._find_node(), "--version"], capture_output=True, text=True).stdout.strip()
    import scipy

    print(f"# {datetime.date.today()} | {os.cpu_count()} cores | {platform.processor() or platform.machine()} | "
          f"node {node} | python {platform.python_version()} | numpy {np.__version__} | scipy {scipy.__version__} | "
          f"librosa {librosa.__version__} | auralis_dsp {auralis_dsp.__version__} | "
          f"load {os.getloadavg()[0]:.2f}")
    y22, source = load_music(22050, args.seconds)
    print(f"# W1/W2 input: {source}, {len(y22) / 22050:.0f} s")
    print(f"# each row: {WARMUP_CALLS} untimed calls per side, then {args.repeat} alternating timed calls, medians"
          f" ({', '.join(sorted(SLOW))}: 1 warm-up call on 5 s, then 1 timed call, all cores only)")
    print("\n| workload | call | librosa (s) | ours, 1 thread (s) | ratio | ours, all cores (s) | ratio |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    wanted = set(args.only.split(",")) if args.only else None
    runs = []
    if not args.skip_long:
        runs.append(("W1", y22, 22050))
        y44, _ = load_music(44100, args.seconds)
        runs.append(("W2", y44, 44100))
    for label, y, sr in runs:
        three = []
        for name, (ref, ours) in workloads(y, sr).items():
            if wanted and name not in wanted:
                continue
            if label == "W2" and name not in ("effects.hpss", "yin", "stft", "istft"):
                continue
            if name in SLOW:
                set_threads(None)
                compare(*workloads(y[: 5 * sr], sr)[name], 1, settle=0.0, warmup=0)
                t_ref, t_ours = compare(ref, ours, 1, warmup=0)
                print(f"| {label} ({sr} Hz) | {name} | {t_ref:.3f} | - | - | {t_ours:.3f} | {t_ref / t_ours:.2f}x |",
                      flush=True)
                continue
            cells = []
            for threads in (1, None):
                set_threads(threads)
                t_ref, t_ours = compare(ref, ours, args.repeat)
                cells.append((t_ref, t_ours))
            t_ref = statistics.median([c[0] for c in cells])
            if name in THE_THREE:
                three.append((t_ref, cells[0][1], cells[1][1]))
            print(f"| {label} ({sr} Hz) | {name} | {t_ref:.3f} | {cells[0][1]:.3f} | {t_ref / cells[0][1]:.2f}x | "
                  f"{cells[1][1]:.3f} | {t_ref / cells[1][1]:.2f}x |", flush=True)
        if label == "W1" and len(three) == len(THE_THREE):
            ref, one, every = (sum(column) for column in zip(*three))
            print(f"| W1 ({sr} Hz) | hpss + yin + chroma_cqt (sums) | {ref:.3f} | {one:.3f} | {ref / one:.2f}x | "
                  f"{every:.3f} | {ref / every:.2f}x |", flush=True)
    set_threads(None)
    rt = roundtrip_ms()
    print("\nRound trip of a tiny call (all cores; 2000 calls after 200 warm-up)")
    print("| call | p50 (ms) | p99 (ms) |")
    print("| --- | ---: | ---: |")
    for label, (p50, p99) in rt.items():
        print(f"| {label} | {p50:.3f} | {p99:.3f} |", flush=True)
    if not args.skip_cold:
        import tempfile

        print("\nCold, W1: a fresh Python process per side imports the library and makes the first call (all cores)")
        print("| call | librosa (s) | ours (s) | ratio |")
        print("| --- | ---: | ---: | ---: |")
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "w1.npy")
            np.save(path, y22)
            for name in ("stft", "effects.hpss", "yin", "feature.chroma_cqt"):
                if wanted and name not in wanted:
                    continue
                t_ref, t_ours = cold("librosa", name, path), cold("auralis_dsp", name, path)
                print(f"| {name} | {t_ref:.3f} | {t_ours:.3f} | {t_ref / t_ours:.2f}x |", flush=True)
    if not args.skip_memory:
        peak_memory(y22, 22050)
    if not args.skip_w4:
        n = min(args.clips, len(y22) // (5 * 22050))
        clips = [y22[i * 5 * 22050:(i + 1) * 5 * 22050] for i in range(n)]
        print(f"\nW4: {len(clips)} clips of 5 s at 22050 Hz, each function once per clip after one warm-up call"
              " on the same clip; median per call, all cores")
        print("| call | librosa (ms) | ours (ms) | ratio | ours minus the op's own time: the bridge (ms) |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for name in workloads(clips[0], 22050):
            if wanted and name not in wanted:
                continue
            t_ref, t_ours, t_bridge = [], [], []
            for c in clips:
                ref, ours = workloads(c, 22050)[name]
                r, o = compare(ref, ours, 1, settle=0.0, warmup=1)
                t_ref.append(r)
                t_ours.append(o)
                t_bridge.append(bridge_share(ours))
            print(
                f"| {name} | {statistics.median(t_ref) * 1e3:.2f} | {statistics.median(t_ours) * 1e3:.2f} | "
                f"{statistics.median(t_ref) / statistics.median(t_ours):.2f}x | "
                f"{statistics.median(t_bridge) * 1e3:.2f} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
