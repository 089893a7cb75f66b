"""W3 peak memory (docs/bench.md): 10 minutes of stereo music at 44100 Hz.

    .venv/bin/python scripts/bench_memory.py [--seconds 600] [--calls hpss,yin,chroma_cqt]

The clip is decoded once (joined warzone2100-music tracks, else a synthetic
mix) into .cache/; each side then runs in a fresh process that loads it and
makes the calls. Reported: peak RSS (VmHWM) of the Python process, plus the
Node server's for auralis_dsp, and the increase over the process's RSS just
after loading the clip.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache"


def vm_hwm_mb(pid: str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def vm_rss_mb(pid: str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def make_clip(seconds: float) -> Path:
    path = CACHE / f"w3_{int(seconds)}s.npy"
    if path.exists():
        return path
    sys.path.insert(0, str(ROOT))
    import librosa
    from bench_audio import find_music

    from parity.signals import shaped

    CACHE.mkdir(exist_ok=True)
    sr, need = 44100, int(seconds * 44100)
    parts, total = [], 0
    for f in find_music():
        y, _ = librosa.load(f, sr=sr, mono=False)
        y = np.atleast_2d(y)
        y = y if y.shape[0] == 2 else np.vstack([y[0], y[0]])
        parts.append(y)
        total += y.shape[1]
        if total >= need:
            break
    y = np.concatenate(parts, axis=1)[:, :need] if total >= need else shaped("music_like", sr, need, (2,), np.float32)
    np.save(path, y.astype(np.float32))
    return path


def run_side(side: str, clip: Path, calls: list, sr: int = 44100) -> dict:
    y = np.load(clip)
    after_load = vm_rss_mb()
    warnings.simplefilter("ignore")
    if side == "librosa":
        import librosa as lib

        fns = {"hpss": lambda: lib.effects.hpss(y), "yin": lambda: lib.yin(y, fmin=50, fmax=2000, sr=sr),
               "chroma_cqt": lambda: lib.feature.chroma_cqt(y=y, sr=sr)}
    else:
        import auralis_dsp as lib

        fns = {"hpss": lambda: lib.effects.hpss(y), "yin": lambda: lib.yin(y, fmin=50, fmax=2000, sr=sr),
               "chroma_cqt": lambda: lib.chroma_cqt(y=y, sr=sr)}
    for name in calls:
        if name == "chroma_cqt" and not hasattr(lib, "chroma_cqt") and side != "librosa":
            continue
        out = fns[name]()
        del out
    result = {"side": side, "python_peak_mb": vm_hwm_mb(), "after_load_mb": after_load, "node_peak_mb": 0.0}
    if side == "auralis":
        from auralis_dsp._backend import node

        result["node_peak_mb"] = vm_hwm_mb(str(node.server_pid()))
    return result


def peaks(clip: Path, calls: list, sr: int) -> dict:
    """side -> its run's figures (``total_mb`` = Python peak + Node peak), each side in a fresh process."""
    result = {}
    for side in ("librosa", "auralis"):
        out = subprocess.run([sys.executable, __file__, "--side", side, "--clip", str(clip), "--calls", ",".join(calls),
                              "--sr", str(sr)], capture_output=True, text=True, cwd=str(ROOT / "scripts"))
        if out.returncode != 0:
            result[side] = {"error": (out.stderr.strip().splitlines() or ["?"])[-1]}
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        r["total_mb"] = r["python_peak_mb"] + r["node_peak_mb"]
        result[side] = r
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=600.0)
    ap.add_argument("--calls", default="hpss")
    ap.add_argument("--sr", type=int, default=44100, help=argparse.SUPPRESS)
    ap.add_argument("--side", help=argparse.SUPPRESS)
    ap.add_argument("--clip", help=argparse.SUPPRESS)
    args = ap.parse_args()
    calls = args.calls.split(",")
    if args.side:
        print(json.dumps(run_side(args.side, Path(args.clip), calls, args.sr)))
        return 0
    clip = make_clip(args.seconds)
    print(f"W3: {clip.name}, stereo float32, calls: {', '.join(calls)}")
    print("| side | Python peak (MB) | Node peak (MB) | total peak (MB) | total minus clip-loaded RSS (MB) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    totals = {}
    for side, r in peaks(clip, calls, 44100).items():
        if "error" in r:
            print(f"| {side} | failed: {r['error']} | | | |")
            continue
        totals[side] = r["total_mb"]
        print(f"| {side} | {r['python_peak_mb']:.0f} | {r['node_peak_mb']:.0f} | {r['total_mb']:.0f} | "
              f"{r['total_mb'] - r['after_load_mb']:.0f} |")
    if len(totals) == 2:
        print(f"\nours / librosa peak: {totals['auralis'] / totals['librosa']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
