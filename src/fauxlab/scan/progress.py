"""Progress of a scan on stderr, as plain lines a log keeps: files done, files a second,
and the time left at that pace. Plain lines rather than a bar, since scans run for hours
under nohup, tmux and job schedulers more often than at a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


class ScanProgress:
    """Prints a line at most every `every` seconds, and one at the end."""

    def __init__(self, total: int, every: float = 5.0, stream: TextIO | None = None) -> None:
        self.total = total
        self.every = every
        self.stream = stream or sys.stderr
        self.done = 0
        self.started = time.monotonic()
        self._shown = self.started

    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    def line(self) -> str:
        rate = self.rate()
        left = (self.total - self.done) / rate if rate > 0 else None
        eta = "" if left is None else f", about {_duration(left)} left"
        return f"scan: {self.done}/{self.total} files done, {rate:.2f} files/s{eta}"

    def advance(self, files: int = 1) -> None:
        self.done += files
        now = time.monotonic()
        if now - self._shown >= self.every:
            self._shown = now
            print(self.line(), file=self.stream, flush=True)

    def finish(self) -> None:
        elapsed = time.monotonic() - self.started
        print(
            f"scan: {self.done}/{self.total} files done in {_duration(elapsed)}, "
            f"{self.rate():.2f} files/s",
            file=self.stream,
            flush=True,
        )
