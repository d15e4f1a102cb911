"""Keep MediaPipe's C++ log lines (TFLite, absl) off the user's terminal.

They are written straight to file descriptor 2 from native threads, at moments Python does
not control, so no logging setting reaches them. Once a MediaPipe model is loaded, fd 2
becomes a pipe that a daemon thread reads: native info and warning lines are dropped,
anything else (a real native error) is passed on. Python's own `sys.stderr` is pointed at
the original terminal first, so fauxlab's messages never go through the filter.
"""

from __future__ import annotations

import os
import re
import sys
import threading

_NOISE = re.compile(
    rb"^([IW]\d{4} |INFO: Created TensorFlow|WARNING: All log messages before absl)"
)
_lock = threading.Lock()
_installed = False


def _pump(read_fd: int, write_fd: int) -> None:
    with os.fdopen(read_fd, "rb", buffering=0) as pipe:
        pending = b""
        while chunk := pipe.read(4096):
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                if not _NOISE.match(line):
                    os.write(write_fd, line + b"\n")


def filter_native_stderr() -> None:
    """Install the filter once per process; a no-op when stderr is not fd 2 (e.g. pytest)."""
    global _installed
    with _lock:
        if _installed:
            return
        try:
            if sys.stderr.fileno() != 2:
                return
        except (AttributeError, OSError, ValueError):
            return
        sys.stderr.flush()
        original = os.dup(2)
        read_fd, write_fd = os.pipe()
        os.dup2(write_fd, 2)
        os.close(write_fd)
        sys.stderr = os.fdopen(
            os.dup(original), "w", buffering=1, encoding="utf-8", errors="replace"
        )
        threading.Thread(target=_pump, args=(read_fd, original), daemon=True).start()
        _installed = True
