"""pyin on real music (docs/bench.md): warm ratios (interleaved repeats) and cold ratios (fresh processes).

    .venv/bin/python scripts/bench_pyin.py [--seconds 30,180] [--rates 22050,44100] [--repeat 3] [--cold 1]

Settings: fmin=C2, fmax=C7, librosa's defaults otherwise (so librosa 1.0 decodes with
its default ``transition_min_prob=1e-4``, librosa 0.11 with the exact search).
Warm: WARMUP_CALLS untimed calls of ours and one of librosa (numba compiles), then
librosa / ours alternately ``--repeat`` times, each after a pause of ``--settle`` seconds
(SETTLE_S, as bench.py: a quiet start for both sides); medians and the ratio of medians.
Cold: a fresh Python process per side that imports the library and times its first
call (numba compiling for librosa; Node and worker start for us), ``--cold`` times
each, alternated; medians (``--cold 0`` skips them). The music is decoded once and handed over as .npy.
``ours op`` is the server's own time for the op (``meta.op_ms``, median), so ``ours warm`` minus it is
the bridge's share; ``op ratio`` = librosa warm / ours op. ``AURALIS_DSP_THREADS=1`` for one worker thread.
``cpu ratio``: CPU time instead of elapsed time, which a shared machine disturbs far less: librosa's
is this process's (``time.process_time``); ours is this process's plus every thread of the Node
server's (``/proc/<pid>/task/*/schedstat``) during the call; medians, ratio of medians.
"""
from __future__ import annotations

import argparse
import functools
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

C2, C7 = 65.40639132514966, 2093.004522404789
WARMUP_CALLS = 3
# As scripts/bench.py: librosa's BLAS calls leave OpenBLAS worker threads spinning (sched_yield) for
# ~0.1-0.2 s after each, and on 2 cores they take their share from whatever runs next (pyin 30 s at
# 22050 Hz: op 63 ms right after a BLAS call, 32 ms 0.15 s later; docs/benchmarks.md, session 13).
SETTLE_S = 0.3

COLD = f"""
import sys, time, warnings
import numpy as np
y = np.load(sys.argv[2])
sr = int(sys.argv[3])
t0 = time.perf_counter()
if sys.argv[1] == "librosa":
    import librosa as lib
else:
    import auralis_dsp as lib
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    lib.pyin(y, fmin={C2!r}, fmax={C7!r}, sr=sr)
print(time.perf_counter() - t0)
"""


def cold(side: str, path: str, sr: int) -> float:
    out = subprocess.run([sys.executable, "-c", COLD, side, path, str(sr)], check=True, capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


def spy_op_ms(op_ms: list):
    """Record every bridge call's ``meta.op_ms`` into ``op_ms``."""
    import auralis_dsp._backend as backend

    original = backend._call

    def spy(op, params, arrays):
        meta, result = original(op, params, arrays)
        op_ms.append(meta.get("op_ms", 0.0))
        return meta, result

    backend._call = spy


def node_cpu() -> float:
    """Seconds of CPU used so far by every thread of this process's kernel server."""
    from auralis_dsp._backend import node

    pid = node.server_pid()
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except OSError:  # a thread that just ended
            pass
    return total / 1e9


def cpu_timed(fn, server: bool) -> float:
    """CPU seconds of one call of ``fn``: this process, plus the server's threads when ``server``."""
    n0 = node_cpu() if server else 0.0
    t0 = time.process_time()
    fn()
    t1 = time.process_time()
    return t1 - t0 + (node_cpu() - n0 if server else 0.0)


def timed(fn, settle: float = 0.0) -> float:
    time.sleep(settle)
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", default="30,180")
    ap.add_argument("--rates", default="22050,44100")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cold", type=int, default=1)
    ap.add_argument(
        "--settle",
        type=float,
        default=SETTLE_S,
        help="seconds of pause before each timed warm call, either side (bench.py's; 0: none)",
    )
    args = ap.parse_args()

    import librosa
    from bench_audio import load_music

    import auralis_dsp

    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    print(
        f"# {os.cpu_count()} cores | numpy {np.__version__} | librosa {librosa.__version__} | "
        f"auralis_dsp {auralis_dsp.__version__} ({Path(auralis_dsp.__file__).parent}) | threads "
        f"{os.environ.get('AURALIS_DSP_THREADS', 'all cores')} | "
        f"pause before each timed call {args.settle:g} s | load average at start {' '.join(load)}"
    )
    print(
        "| input | librosa warm (s) | ours warm (s) | warm ratio | ours op (s) | op ratio | librosa cpu (s) | ours "
        "cpu (s) | cpu ratio | librosa cold (s) | ours cold (s) | cold ratio |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    op_ms: list = []
    spy_op_ms(op_ms)
    sources = set()
    with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for seconds in (float(s) for s in args.seconds.split(",")):
            for sr in (int(r) for r in args.rates.split(",")):
                y, source = load_music(sr, seconds)
                sources.add(source)
                path = os.path.join(folder, "y.npy")
                np.save(path, y)
                kw = dict(fmin=C2, fmax=C7, sr=sr)
                ref, ours = functools.partial(librosa.pyin, y, **kw), functools.partial(auralis_dsp.pyin, y, **kw)
                for _ in range(WARMUP_CALLS):
                    auralis_dsp.pyin(y, **kw)
                librosa.pyin(y, **kw)
                t_ref, t_ours = [], []
                op_ms.clear()
                for _ in range(args.repeat):
                    t_ref.append(timed(ref, args.settle))
                    t_ours.append(timed(ours, args.settle))
                t_op = statistics.median(op_ms) / 1e3
                u_ref, u_ours = [], []
                for _ in range(args.repeat):
                    u_ref.append(cpu_timed(ref, False))
                    u_ours.append(cpu_timed(ours, True))
                k_cpu_ref, k_cpu_ours = statistics.median(u_ref), statistics.median(u_ours)
                c_ref, c_ours = [], []
                for _ in range(args.cold):
                    c_ref.append(cold("librosa", path, sr))
                    c_ours.append(cold("auralis_dsp", path, sr))
                w_ref, w_ours = statistics.median(t_ref), statistics.median(t_ours)
                cold_cells = "- | - | -"
                if args.cold:
                    k_ref, k_ours = statistics.median(c_ref), statistics.median(c_ours)
                    cold_cells = f"{k_ref:.2f} | {k_ours:.2f} | {k_ref / k_ours:.1f}x"
                with open("/proc/loadavg") as f:
                    load = " ".join(f.read().split()[:3])
                print(
                    f"| {seconds:.0f} s, {sr} Hz, {y.dtype} | {w_ref:.3f} | {w_ours:.3f} | {w_ref / w_ours:.1f}x | "
                    f"{t_op:.3f} | {w_ref / t_op:.1f}x | "
                    f"{k_cpu_ref:.3f} | {k_cpu_ours:.3f} | {k_cpu_ref / k_cpu_ours:.1f}x | "
                    f"{cold_cells} | load {load}",
                    flush=True,
                )
    print(f"# input: {'; '.join(sorted(sources))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
