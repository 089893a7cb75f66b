"""Finding the audio files of a music library."""
from __future__ import annotations

import os
from dataclasses import dataclass

__all__ = ["AUDIO_EXTENSIONS", "Track", "find_tracks"]

# What libsndfile reads (wav, flac, ogg/opus, mp3, aiff) plus m4a, which needs audioread's ffmpeg backend.
AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".m4a", ".aif", ".aiff")


@dataclass(frozen=True)
class Track:
    """One audio file, identified for resuming by its absolute path, size and modification time."""

    path: str
    size_bytes: int
    mtime_ns: int

    @property
    def key(self) -> tuple:
        return (self.path, self.size_bytes, self.mtime_ns)


def find_tracks(root: str) -> list[Track]:
    """Audio files under ``root`` (recursively, hidden entries skipped), sorted by path."""
    tracks = []
    for folder, dirs, files in os.walk(os.path.abspath(root)):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            if name.startswith(".") or not name.lower().endswith(AUDIO_EXTENSIONS):
                continue
            path = os.path.join(folder, name)
            try:
                stat = os.stat(path)
            except OSError:
                continue  # vanished or unreadable directory entry: nothing to analyse
            tracks.append(Track(path, stat.st_size, stat.st_mtime_ns))
    return sorted(tracks, key=lambda t: t.path)
