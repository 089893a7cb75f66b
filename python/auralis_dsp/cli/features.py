"""``auralis-dsp features``: per-track features of a music library, computed on Dask."""
from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time

from .cluster import connect
from .progress import Progress, format_duration
from .table import FeatureTable, row_is_current
from .task import error_row, output_stem, process_track
from .walk import AUDIO_EXTENSIONS, Track, find_tracks

__all__ = ["add_parser", "run"]

DESCRIPTION = """\
Walk MUSIC_DIR for audio files ({exts}), decode each (soundfile, or audioread
when installed), resample to --sr as librosa.load does, and compute per track:
the harmonic/percussive energy ratio (effects.hpss), f0 statistics between C2
and C7 (pyin when auralis_dsp has it, else yin: median, interquartile spread in
semitones, voiced share), the mean chroma_cqt 12-vector with a Krumhansl key
estimate, the tuning and the duration. One row per track goes to the Parquet
table OUTPUT, with `status` ("ok" or "error") and `error` (the reason).

Runs on Dask: a LocalCluster on this machine by default, or the cluster of
--scheduler (its workers must see MUSIC_DIR at the same path). A second run
with the same OUTPUT skips the tracks already done (same path, size and
mtime); an interrupted run keeps every finished row (Parquet parts beside
OUTPUT, merged at the end). Exit status 0 when at least one track has
features, 1 when none has.
""".format(exts=" ".join(e.lstrip(".") for e in AUDIO_EXTENSIONS))


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "features", help="per-track features of a music library into a Parquet table",
        description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("music_dir", metavar="MUSIC_DIR", help="folder searched recursively for audio files")
    p.add_argument(
        "-o", "--output", required=True, metavar="OUTPUT", help="the Parquet table to write (e.g. features.parquet)"
    )
    p.add_argument("--plots", metavar="DIR", help="write a PNG per track (chromagram, f0 over the harmonic "
                   "spectrogram, percussive spectrogram) and an index.html showing them with the table")
    p.add_argument("--frames", metavar="DIR", help="write the per-frame arrays of each track as DIR/<name>.npz "
                   "(times, f0, chroma; voiced_flag and voiced_prob with pyin)")
    p.add_argument("--sr", type=int, default=22050, help="analysis sampling rate in Hz (default: 22050)")
    p.add_argument("--workers", type=int, metavar="N", help="worker processes of the local cluster (default: one "
                   "per core); kernel threads per worker = cores // N")
    p.add_argument("--scheduler", metavar="ADDRESS", help="run on an existing Dask cluster, e.g. tcp://host:8786 "
                   "(--workers is then ignored)")
    p.set_defaults(func=run)


def _done_for(row: dict | None, track: Track, args) -> bool:
    """Skip a track whose row is current and whose requested figure and frames exist."""
    if not row_is_current(row, track):
        return False
    stem = output_stem(track.path)
    if args.plots and not os.path.exists(os.path.join(args.plots, stem + ".png")):
        return False
    return not args.frames or os.path.exists(os.path.join(args.frames, stem + ".npz"))


def _write_bytes(folder: str, name: str, data: bytes) -> None:
    path = os.path.join(folder, name)
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.replace(path + ".tmp", path)


def _compute(todo: list[Track], args, table: FeatureTable, progress: Progress) -> None:
    from distributed import as_completed

    client, cluster, description = connect(args.workers, args.scheduler)
    progress.message(f"auralis-dsp features: {len(todo)} tracks on {description}")
    futures = {}
    try:
        for track in todo:
            future = client.submit(process_track, track, args.sr, bool(args.frames), bool(args.plots),
                                   key=f"features-{output_stem(track.path)}-{track.mtime_ns}", pure=False)
            futures[future.key] = (future, track)
        for future in as_completed([f for f, _ in futures.values()]):
            _, track = futures.pop(future.key)
            try:
                result = future.result()
            except Exception as exc:  # the task could not run: e.g. it killed its workers (KilledWorker)
                result = {"row": error_row(track, f"{type(exc).__name__}: {exc}"), "frames": None, "png": None}
            stem = output_stem(track.path)
            if result["frames"] is not None:
                _write_bytes(args.frames, stem + ".npz", result["frames"])
            if result["png"] is not None:
                _write_bytes(args.plots, stem + ".png", result["png"])
            row = result["row"]
            table.add(row)
            progress.update(track.path, row["status"] == "ok", row.get("error") or "")
            future.release()
    finally:
        table.flush()  # Ctrl-C or a lost scheduler: every finished row is on disk
        for future, _ in futures.values():
            future.cancel()
        client.close()
        if cluster is not None:
            cluster.close()


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def run(args) -> int:
    started = time.monotonic()
    if not os.path.isdir(args.music_dir):
        print(f"auralis-dsp features: {args.music_dir}: not a folder", file=sys.stderr)
        return 2
    for folder in (args.plots, args.frames):
        if folder:
            os.makedirs(folder, exist_ok=True)
    tracks = find_tracks(args.music_dir)
    table = FeatureTable(args.output)
    previous = table.existing_rows()
    todo = [t for t in tracks if not _done_for(previous.get(t.path), t, args)]
    progress = Progress(total=len(todo))
    skipped = len(tracks) - len(todo)
    if skipped:
        progress.message(f"auralis-dsp features: {skipped} of {len(tracks)} tracks already done in {args.output}")
    interrupted = False
    if todo:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, _interrupt)  # `kill` keeps the finished rows as Ctrl-C does
        try:
            _compute(todo, args, table, progress)
        except KeyboardInterrupt:
            interrupted = True
        except OSError as exc:  # the scheduler cannot be reached (distributed raises OSError subclasses)
            print(f"auralis-dsp features: {exc}", file=sys.stderr)
            return 2
    if interrupted:
        print(f"\ninterrupted: {progress.done} tracks finished this run are kept in {table.parts_dir}; "
              "run the same command again to go on", file=sys.stderr)
        return 130
    rows = table.merge(tracks)
    if args.plots:
        from .plots import write_index_html

        names = {}
        for row in rows:
            name = output_stem(row["path"]) + ".png"
            names[row["path"]] = name if os.path.exists(os.path.join(args.plots, name)) else None
        write_index_html(os.path.join(args.plots, "index.html"), rows, names)
    return _summary(rows, tracks, skipped, time.monotonic() - started, args.output)


def _summary(rows: list[dict], tracks: list[Track], skipped: int, seconds: float, output: str) -> int:
    ok = [r for r in rows if r["status"] == "ok"]
    failed = [r for r in rows if r["status"] != "ok"]
    print(f"auralis-dsp features: {len(ok)} ok ({skipped} from an earlier run), {len(failed)} failed, "
          f"{len(tracks)} audio files, {format_duration(seconds)} -> {output}", file=sys.stderr)
    for row in failed:
        print(f"  failed: {row['path']}: {row['error']}", file=sys.stderr)
    if not tracks:
        print("auralis-dsp features: no audio files found", file=sys.stderr)
    return 0 if ok else 1
