"""Batch benchmark: `auralis-dsp features` over 10 real tracks vs the same features with librosa in a process pool.

Both sides are timed cold, as a user runs them: ours is the command in a fresh
process (Dask LocalCluster start, one Node bridge per worker, decoding,
writing the table); librosa's is a ProcessPoolExecutor with one process per
core running librosa.load + effects.hpss + yin (pyin when auralis_dsp has
pyin) + feature.chroma_cqt + estimate_tuning per track (numba compiles in each
process, as in any fresh pool). Reports tracks/min for both and the ratio, the
command's throughput with 1 and 2 Dask workers, and the peak memory per worker
(worker process + its Node bridge, RSS sampled every 0.2 s).

Tracks: the 10 shortest of Debian's warzone2100-music (real music, Opus, 48 kHz
stereo); `apt-get install warzone2100-music` as root when missing.

    .venv/bin/python scripts/bench_batch.py [--music DIR] [--tracks 10] [--skip-librosa]
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))

from auralis_dsp.cli.analysis import FMAX, FMIN  # noqa: E402
from auralis_dsp.cli.cluster import cpu_count  # noqa: E402
from auralis_dsp.cli.key import estimate_key  # noqa: E402

WARZONE = "/usr/share/games/warzone2100/music"


def shortest_tracks(music: str, count: int) -> list:
    import soundfile as sf

    paths = [p for p in glob.glob(os.path.join(music, "**", "*.*"), recursive=True)
             if p.lower().endswith((".ogg", ".opus", ".flac", ".wav", ".mp3"))]
    return sorted(paths, key=lambda p: sf.info(p).duration)[:count]


def librosa_features(path: str, use_pyin: bool) -> dict:
    """The command's features with librosa alone (what a client's process-pool job computes)."""
    import librosa

    y, sr = librosa.load(path, sr=22050)
    y_harmonic, y_percussive = librosa.effects.hpss(y)
    if use_pyin:
        f0, _, _ = librosa.pyin(y, fmin=FMIN, fmax=FMAX, sr=sr)
    else:
        f0 = librosa.yin(y, fmin=FMIN, fmax=FMAX, sr=sr)
    chroma = librosa.feature.chroma_cqt(y=y, sr=sr)
    tuning = librosa.estimate_tuning(y=y, sr=sr)
    key, _ = estimate_key(chroma.mean(axis=1))
    return {"path": path, "ratio": float(np.sum(y_harmonic**2) / np.sum(y_percussive**2)), "key": key,
            "f0_median": float(np.nanmedian(f0)), "tuning": float(tuning)}


def run_librosa_pool(tracks: list, workers: int, use_pyin: bool) -> float:
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(librosa_features, tracks, [use_pyin] * len(tracks)))
    return time.perf_counter() - started


def _tree_rss(pid: int) -> dict:
    """RSS (bytes) of each descendant of ``pid``, by pid, with its parent and command line."""
    import psutil

    found = {}
    try:
        for child in psutil.Process(pid).children(recursive=True):
            try:
                found[child.pid] = (child.ppid(), child.memory_info().rss, " ".join(child.cmdline()))
            except psutil.Error:
                continue
    except psutil.Error:
        pass
    return found


def run_command(folder: str, workers: int, out_dir: str) -> tuple:
    """(seconds, peak RSS of one worker process plus its Node bridge, in MiB)."""
    output = os.path.join(out_dir, f"features-{workers}.parquet")
    cmd = [sys.executable, "-m", "auralis_dsp.cli", "features", folder, "-o", output, "--workers", str(workers)]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak: dict = {}
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            tree = _tree_rss(proc.pid)
            for pid, (_, rss, cmdline) in tree.items():
                if "node" in os.path.basename(cmdline.split(" ")[0]):
                    continue
                bridge = sum(r for p, (parent, r, c) in tree.items() if parent == pid and "server.mjs" in c)
                if bridge:  # a Dask worker process: it has a Node bridge child
                    peak[pid] = max(peak.get(pid, 0), rss + bridge)
            stop.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    seconds = time.perf_counter() - started
    stop.set()
    sampler.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n{err}")
    import pyarrow.parquet as pq

    statuses = pq.read_table(output, columns=["status"]).column("status").to_pylist()
    if statuses.count("ok") != len(statuses):
        raise RuntimeError(f"not every track succeeded: {statuses}\n{err}")
    return seconds, max(peak.values(), default=0) / 2**20


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--music", default=WARZONE, help=f"folder of real tracks (default {WARZONE})")
    ap.add_argument("--tracks", type=int, default=10)
    ap.add_argument("--skip-librosa", action="store_true", help="only time the command")
    args = ap.parse_args()
    import auralis_dsp

    tracks = shortest_tracks(args.music, args.tracks)
    if len(tracks) < args.tracks:
        print(f"bench_batch: found {len(tracks)} tracks in {args.music}; install warzone2100-music", file=sys.stderr)
        return 1
    import soundfile as sf

    minutes = sum(sf.info(p).duration for p in tracks) / 60
    cores = cpu_count()
    use_pyin = hasattr(auralis_dsp, "pyin")
    print(f"bench_batch: {len(tracks)} tracks, {minutes:.1f} min of audio, {cores} cores, "
          f"f0 by {'pyin' if use_pyin else 'yin'}, load {Path('/proc/loadavg').read_text().split()[:3]}")
    results: dict = {"tracks": len(tracks), "audio_minutes": round(minutes, 2), "cores": cores}
    with tempfile.TemporaryDirectory() as tmp:
        folder = os.path.join(tmp, "music")
        os.makedirs(folder)
        for i, path in enumerate(tracks):
            os.symlink(path, os.path.join(folder, f"{i:02d}-{os.path.basename(path)}"))
        runs = {}
        for workers in sorted({1, 2, cores}):
            seconds, mib = run_command(folder, workers, tmp)
            runs[workers] = seconds
            results[f"auralis_{workers}_workers"] = {"seconds": round(seconds, 1),
                                                      "tracks_per_min": round(len(tracks) / seconds * 60, 2),
                                                      "peak_mib_per_worker": round(mib)}
            print(f"auralis-dsp features, {workers} Dask worker(s): {seconds:.1f} s, "
                  f"{len(tracks) / seconds * 60:.2f} tracks/min, peak {mib:.0f} MiB per worker (process + bridge)",
                  flush=True)
        if not args.skip_librosa:
            seconds = run_librosa_pool(tracks, cores, use_pyin)
            results["librosa_pool"] = {"seconds": round(seconds, 1), "workers": cores,
                                       "tracks_per_min": round(len(tracks) / seconds * 60, 2)}
            print(
                f"librosa, ProcessPoolExecutor({cores}): {seconds:.1f} s, {len(tracks) / seconds * 60:.2f} tracks/min",
                flush=True,
            )
            best = min(runs.values())
            results["ratio_default"] = round(seconds / runs[cores], 2)
            results["ratio_best"] = round(seconds / best, 2)
            print(f"ratio (librosa time / ours), default {cores} workers: {seconds / runs[cores]:.2f}x; "
                  f"best worker count: {seconds / best:.2f}x (goal >= 8x)")
    results["loadavg_after"] = Path("/proc/loadavg").read_text().split()[:3]
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
