"""What a Dask worker does with one track: decode, analyse, optionally draw. Never raises."""
from __future__ import annotations

import hashlib
import io
import os
import time
from typing import Any

import numpy as np

from .walk import Track

__all__ = ["output_stem", "process_track", "error_row"]


def output_stem(path: str) -> str:
    """A file name for a track's figure or frames: its base name and a hash of its full path (no clashes)."""
    digest = hashlib.sha1(path.encode("utf-8", "surrogateescape")).hexdigest()[:10]
    return f"{os.path.basename(path)}-{digest}"


def error_row(track: Track, reason: str) -> dict[str, Any]:
    return {"path": track.path, "status": "error", "error": reason, "size_bytes": track.size_bytes,
            "mtime_ns": track.mtime_ns}


def process_track(track: Track, sr: int, want_frames: bool, want_plot: bool) -> dict[str, Any]:
    """{"row": table row, "frames": .npz bytes or None, "png": PNG bytes or None}.

    Every failure (undecodable file, audio too short for the analysis, ...)
    becomes a row with status "error" and the reason.
    """
    from .analysis import analyze
    from .decode import load_audio

    started = time.perf_counter()
    try:
        decoded = load_audio(track.path, sr)
        fields, frames, (y_harmonic, y_percussive) = analyze(decoded.y, sr)
        npz = None
        if want_frames:
            buffer = io.BytesIO()
            np.savez_compressed(buffer, **frames)
            npz = buffer.getvalue()
        png = None
        if want_plot:
            from .plots import render_track_png

            png = render_track_png(os.path.basename(track.path), sr, fields["duration_s"], frames, y_harmonic,
                                   y_percussive)
    except Exception as exc:
        row = error_row(track, f"{type(exc).__name__}: {exc}")
        row["seconds"] = time.perf_counter() - started
        return {"row": row, "frames": None, "png": None}
    row = {
        "path": track.path, "status": "ok", "error": None, "size_bytes": track.size_bytes,
        "mtime_ns": track.mtime_ns, "decoder": decoded.decoder, "native_sample_rate": decoded.native_sr,
        "channels": decoded.channels, "sample_rate": sr, **fields, "seconds": time.perf_counter() - started,
    }
    return {"row": row, "frames": npz, "png": png}
