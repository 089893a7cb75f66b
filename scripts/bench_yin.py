"""yin on W1 and W2 (docs/bench.md): warm ratios (interleaved repeats) and cold ratios (fresh processes).

    .venv/bin/python scripts/bench_yin.py [--seconds 180] [--repeat 3] [--cold 2]

Warm: one untimed call each, then librosa / ours alternately ``--repeat`` times; medians.
Cold: a fresh Python process per side that imports the library and times its first
call (numba compiling for librosa; Node and worker start for us), ``--cold`` times
each, alternated; medians. The music is decoded once and handed over as .npy.
"""
from __future__ import annotations

import argparse
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

COLD = """
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
    lib.yin(y, fmin=50, fmax=2000, sr=sr, frame_length=2048, hop_length=512)
print(time.perf_counter() - t0)
"""


def cold(side: str, path: str, sr: int) -> float:
    out = subprocess.run([sys.executable, "-c", COLD, side, path, str(sr)], check=True, capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=180.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cold", type=int, default=2)
    args = ap.parse_args()

    import librosa
    from bench_audio import load_music

    import auralis_dsp

    print(f"# {os.cpu_count()} cores | numpy {np.__version__} | librosa {librosa.__version__} | "
          f"auralis_dsp {auralis_dsp.__version__} | threads {os.environ.get('AURALIS_DSP_THREADS', 'all cores')}")
    print(
        "| workload | librosa warm (s) | ours warm (s) | warm ratio | librosa cold (s) | ours cold (s) | cold ratio |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as folder:
        for label, sr in (("W1", 22050), ("W2", 44100)):
            y, source = load_music(sr, args.seconds)
            path = os.path.join(folder, f"{label}.npy")
            np.save(path, y)
            kw = dict(fmin=50, fmax=2000, sr=sr, frame_length=2048, hop_length=512)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                librosa.yin(y, **kw)
                auralis_dsp.yin(y, **kw)
                t_ref, t_ours = [], []
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    librosa.yin(y, **kw)
                    t_ref.append(time.perf_counter() - t0)
                    t0 = time.perf_counter()
                    auralis_dsp.yin(y, **kw)
                    t_ours.append(time.perf_counter() - t0)
            c_ref, c_ours = [], []
            for _ in range(args.cold):
                c_ref.append(cold("librosa", path, sr))
                c_ours.append(cold("auralis_dsp", path, sr))
            w_ref, w_ours = statistics.median(t_ref), statistics.median(t_ours)
            k_ref, k_ours = statistics.median(c_ref), statistics.median(c_ours)
            print(
                f"| {label} ({sr} Hz, {len(y) / sr:.0f} s, {y.dtype}) | {w_ref:.3f} | {w_ours:.3f} | "
                f"{w_ref / w_ours:.2f}x | "
                f"{k_ref:.2f} | {k_ours:.2f} | {k_ref / k_ours:.2f}x |",
                flush=True,
            )
    print(f"# input: {source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
