"""One file's scan record: its key, and its `fauxlab.detect/1` entry or why it failed.

The key says "this content at this path": the resolved path, its size and its
modification time in nanoseconds. A file changed since its record was written gets a
new key, so a later scan looks at it again; one unchanged is skipped. Hashing every file
first would cost a second read of all the data, which is what a scan is bound by.
"""

from __future__ import annotations

import hashlib
import os
import socket
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fauxlab.detection import (
    SCHEMA_ID,
    DetectOptions,
    Detector,
    FileError,
    detect_one,
    file_dict,
)


def file_key(path: Path) -> str:
    """The key of `path` as it is now; a file that cannot be read has one too."""
    try:
        info = path.stat()
        stamp = f"{info.st_size}\0{info.st_mtime_ns}"
    except OSError:
        stamp = "missing"
    return hashlib.sha256(f"{path}\0{stamp}".encode()).hexdigest()[:32]


def where(engine: str, node: str | None = None) -> dict[str, Any]:
    """Where a record was made: the engine, the Ray node (the host name without Ray),
    and the process."""
    return {"engine": engine, "node": node or socket.gethostname(), "pid": os.getpid()}


def error_record(path: Path, key: str, reason: str, run: dict[str, Any]) -> dict[str, Any]:
    """The record of a file that could not be examined: `path` and `reason` as in the
    `errors` of `detect --json`."""
    return {
        "schema": SCHEMA_ID,
        "key": key,
        "status": "error",
        "path": str(path),
        "reason": reason,
        "run": run,
    }


def scan_record(
    path: Path,
    key: str,
    detectors: Sequence[Detector],
    options: DetectOptions,
    run: dict[str, Any],
) -> dict[str, Any]:
    """Detect on one file: its `files` entry of `detect --json` plus key, status and run,
    or an error record. Never raises for a bad file: a scan goes on past it."""
    try:
        outcome = detect_one(path, detectors, options)
    except Exception as exc:  # a decoder's bug on one file must not stop a million-file scan
        last = traceback.format_exception_only(exc)[-1].strip()
        return error_record(path, key, f"internal error, please report it: {last}", run)
    if isinstance(outcome, FileError):
        return error_record(path, key, outcome.reason, run)
    return {
        "schema": SCHEMA_ID,
        "key": key,
        "status": "ok",
        **file_dict(outcome),
        "run": run,
    }
