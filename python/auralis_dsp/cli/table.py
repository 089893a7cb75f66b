"""The output table: one row per track, written incrementally as Parquet parts and merged at the end.

Rows are appended to ``<output>.parts/part-<time>-<n>.parquet`` in small
batches, so an interrupted run keeps every finished row; ``merge`` folds the
parts and the previous output into ``<output>`` (atomically) and removes them.
A later part wins over an earlier one and over the previous output.
"""
from __future__ import annotations

import glob
import os
import shutil
import time
from collections.abc import Iterable

import pyarrow as pa
import pyarrow.parquet as pq

from .key import PITCH_CLASSES
from .walk import Track

__all__ = ["SCHEMA", "FeatureTable"]

SCHEMA = pa.schema(
    [
        ("path", pa.string()),
        ("status", pa.string()),  # "ok" or "error"
        ("error", pa.string()),  # the reason, for status "error"
        ("size_bytes", pa.int64()),
        ("mtime_ns", pa.int64()),
        ("decoder", pa.string()),
        ("native_sample_rate", pa.int32()),
        ("channels", pa.int32()),
        ("sample_rate", pa.int32()),
        ("duration_s", pa.float64()),
        ("harmonic_percussive_ratio", pa.float64()),  # energy of effects.hpss' harmonic part / percussive part
        ("harmonic_share", pa.float64()),  # harmonic / (harmonic + percussive) energy
        ("f0_method", pa.string()),  # "pyin" or "yin"
        ("f0_median_hz", pa.float64()),
        ("f0_spread_semitones", pa.float64()),  # interquartile range of f0 over voiced frames
        ("voiced_share", pa.float64()),  # pyin's voiced frames / all frames; NaN with yin
        ("tuning", pa.float64()),  # estimate_tuning: fraction of a semitone from A440
        ("key", pa.string()),
        ("key_strength", pa.float64()),  # Pearson r of the mean chroma with the key's profile
        *[(f"chroma_{name}", pa.float64()) for name in PITCH_CLASSES],
        ("seconds", pa.float64()),  # wall time spent on the track by its worker
    ]
)


class FeatureTable:
    """Rows of ``output`` (a Parquet file) and of the parts an unfinished run left beside it."""

    def __init__(self, output: str, rows_per_part: int = 16, seconds_per_part: float = 10.0):
        self.output = os.path.abspath(output)
        self.parts_dir = self.output + ".parts"
        self.rows_per_part = rows_per_part
        self.seconds_per_part = seconds_per_part
        self._pending: list[dict] = []
        self._last_flush = time.monotonic()
        self._written = 0

    def _part_files(self) -> list[str]:
        return sorted(glob.glob(os.path.join(self.parts_dir, "part-*.parquet")))

    def existing_rows(self) -> dict[str, dict]:
        """The latest row per path from the previous output and any parts (oldest first, later wins)."""
        rows: dict[str, dict] = {}
        sources = ([self.output] if os.path.exists(self.output) else []) + self._part_files()
        for source in sources:
            try:
                table = pq.read_table(source)
            except Exception:
                continue  # a part cut short by a hard kill: its rows are recomputed
            for row in table.to_pylist():
                rows[row["path"]] = row
        return rows

    def add(self, row: dict) -> None:
        self._pending.append(row)
        if len(self._pending) >= self.rows_per_part or time.monotonic() - self._last_flush >= self.seconds_per_part:
            self.flush()

    def flush(self) -> None:
        """Write the pending rows as one new part (written under a temporary name, then renamed)."""
        self._last_flush = time.monotonic()
        if not self._pending:
            return
        os.makedirs(self.parts_dir, exist_ok=True)
        self._written += 1
        name = os.path.join(self.parts_dir, f"part-{time.time_ns():020d}-{self._written:06d}.parquet")
        pq.write_table(pa.Table.from_pylist(self._pending, schema=SCHEMA), name + ".tmp")
        os.replace(name + ".tmp", name)
        self._pending = []

    def merge(self, tracks: Iterable[Track]) -> list[dict]:
        """Write ``output`` with the latest row of each track found this run (sorted by path); drop the parts."""
        self.flush()
        latest = self.existing_rows()
        rows = [latest[t.path] for t in sorted(tracks, key=lambda t: t.path) if t.path in latest]
        folder = os.path.dirname(self.output)
        os.makedirs(folder, exist_ok=True)
        tmp = self.output + ".tmp"
        pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), tmp)
        os.replace(tmp, self.output)
        shutil.rmtree(self.parts_dir, ignore_errors=True)
        return rows


def row_is_current(row: dict | None, track: Track) -> bool:
    """A finished row for this very file (same path, size and modification time)."""
    return (
        row is not None and row.get("status") == "ok"
        and row.get("size_bytes") == track.size_bytes and row.get("mtime_ns") == track.mtime_ns
    )
