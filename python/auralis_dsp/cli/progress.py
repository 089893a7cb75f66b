"""Progress of a run: a bar on a terminal, one log line per track otherwise."""
from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["Progress", "format_duration"]


def format_duration(seconds: float) -> str:
    if seconds != seconds or seconds == float("inf"):
        return "?"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


class Progress:
    """Tracks done of ``total``, tracks per minute and the time left, on ``stream`` (stderr by default)."""

    def __init__(self, total: int, stream: TextIO | None = None, width: int = 30):
        self.total = total
        self.done = 0
        self.failed = 0
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.width = width
        self.started = time.monotonic()

    def rate_per_minute(self) -> float:
        elapsed = time.monotonic() - self.started
        return 60.0 * self.done / elapsed if elapsed > 0 else 0.0

    def _status(self) -> str:
        rate = self.rate_per_minute()
        eta = (self.total - self.done) / rate * 60 if rate > 0 else float("nan")
        failed = f", {self.failed} failed" if self.failed else ""
        return f"{self.done}/{self.total} tracks{failed}, {rate:.1f} tracks/min, ETA {format_duration(eta)}"

    def update(self, path: str, ok: bool, reason: str = "") -> None:
        self.done += 1
        self.failed += 0 if ok else 1
        if self.tty:
            filled = int(self.width * self.done / self.total) if self.total else self.width
            bar = "#" * filled + "-" * (self.width - filled)
            self.stream.write(f"\r[{bar}] {self._status()}\x1b[K")
            if self.done == self.total:
                self.stream.write("\n")
        else:
            outcome = "ok" if ok else f"error: {reason}"
            self.stream.write(f"[{self.done}/{self.total}] {path}: {outcome} ({self._status()})\n")
        self.stream.flush()

    def message(self, text: str) -> None:
        """A line that does not break the bar."""
        prefix = "\r\x1b[K" if self.tty else ""
        self.stream.write(f"{prefix}{text}\n")
        self.stream.flush()
