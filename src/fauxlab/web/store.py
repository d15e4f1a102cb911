"""Analyses and their results in SQLite, so a restart loses no finished result and
re-queues the unfinished ones whose upload is still on disk.

One connection guarded by a lock: the event loop and the pool's completion threads both
write, and SQLite's own locking is about processes, not threads sharing a handle. WAL
keeps readers from blocking on a writer; every write is one short transaction.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from fauxlab.config import private_dir
from fauxlab.errors import InputError

SCHEMA = """
CREATE TABLE IF NOT EXISTS analyses (
    id TEXT PRIMARY KEY,
    filename TEXT NOT NULL,
    kind TEXT NOT NULL,
    size INTEGER NOT NULL,
    upload TEXT,
    status TEXT NOT NULL,
    progress REAL NOT NULL DEFAULT 0,
    stage TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL,
    started REAL,
    finished REAL,
    error TEXT,
    document TEXT,
    owner TEXT
);
CREATE TABLE IF NOT EXISTS artefacts (
    analysis_id TEXT NOT NULL REFERENCES analyses(id),
    name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (analysis_id, name)
);
"""


class Status(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class Analysis:
    id: str
    filename: str  # as the client named it: shown, never used as a path
    kind: str
    size: int
    upload: str | None  # our own path of the uploaded bytes while they are needed
    status: Status
    progress: float
    stage: str
    created: float
    started: float | None
    finished: float | None
    error: str | None
    document: dict[str, Any] | None
    owner: str | None = None  # the SHA-256 of the API key that created it (None: no keys)

    def summary(self) -> dict[str, Any]:
        """What the API shows: everything but our private upload path."""
        return {
            "id": self.id,
            "filename": self.filename,
            "kind": self.kind,
            "size": self.size,
            "status": self.status.value,
            "progress": round(self.progress, 3),
            "stage": self.stage,
            "created": self.created,
            "started": self.started,
            "finished": self.finished,
            "error": self.error,
            "result": self.document,
        }


_COLUMNS = (
    "id, filename, kind, size, upload, status, progress, stage, created, started, "
    "finished, error, document, owner"
)


def _analysis(row: tuple[Any, ...]) -> Analysis:
    return Analysis(
        id=row[0], filename=row[1], kind=row[2], size=row[3], upload=row[4],
        status=Status(row[5]), progress=row[6], stage=row[7], created=row[8],
        started=row[9], finished=row[10], error=row[11],
        document=json.loads(row[12]) if row[12] else None, owner=row[13],
    )  # fmt: skip


class AnalysisStore:
    """The server's database of analyses (not the provenance ledger)."""

    def __init__(self, path: Path) -> None:
        private_dir(path.parent)
        self.path = path
        self._lock = threading.Lock()
        try:
            # Created 0600 (SQLite gives its -wal and -shm files the database's mode): the
            # results say what people uploaded. An older database is made private too.
            os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
            path.chmod(0o600)
            self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA busy_timeout=5000")
            self._conn.executescript(SCHEMA)
            columns = [c[1] for c in self._conn.execute("PRAGMA table_info(analyses)")]
            if "owner" not in columns:  # a database from before API keys: no owners
                self._conn.execute("ALTER TABLE analyses ADD COLUMN owner TEXT")
            self._conn.execute("PRAGMA quick_check").fetchone()
        except OSError as exc:
            raise InputError(f"{path}: cannot open the analyses database ({exc.strerror})") from exc
        except sqlite3.DatabaseError as exc:
            raise InputError(
                f"{path}: not a readable fauxlab analyses database ({exc}); move it away "
                "or choose another --data folder"
            ) from exc

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def add(
        self,
        analysis_id: str,
        filename: str,
        kind: str,
        size: int,
        upload: Path,
        owner: str | None = None,
    ) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO analyses (id, filename, kind, size, upload, status, created, "
                "owner) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (analysis_id, filename, kind, size, str(upload), Status.QUEUED, time.time(),
                 owner),
            )  # fmt: skip

    def get(self, analysis_id: str) -> Analysis | None:
        with self._lock:
            row = self._conn.execute(
                f"SELECT {_COLUMNS} FROM analyses WHERE id = ?", (analysis_id,)
            ).fetchone()
        return _analysis(row) if row else None

    def unfinished(self) -> list[Analysis]:
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM analyses WHERE status IN (?, ?) ORDER BY created",
                (Status.QUEUED, Status.RUNNING),
            ).fetchall()
        return [_analysis(row) for row in rows]

    def started(self, analysis_id: str) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE analyses SET status = ?, started = ?, stage = 'decoding' "
                "WHERE id = ? AND status = ?",  # the news may arrive after the result
                (Status.RUNNING, time.time(), analysis_id, Status.QUEUED),
            )

    def progress(self, analysis_id: str, fraction: float, stage: str) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE analyses SET progress = ?, stage = ? WHERE id = ? AND status = ?",
                (fraction, stage, analysis_id, Status.RUNNING),
            )

    def finish(
        self, analysis_id: str, document: dict[str, Any], artefacts: dict[str, tuple[str, bytes]]
    ) -> None:
        """Store the result and its files (report, figures) in one transaction."""
        with self._write() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO artefacts VALUES (?, ?, ?, ?)",
                [(analysis_id, n, t, d) for n, (t, d) in artefacts.items()],
            )
            conn.execute(
                "UPDATE analyses SET status = ?, progress = 1, stage = 'done', finished = ?, "
                "document = ?, upload = NULL WHERE id = ?",
                (Status.DONE, time.time(), json.dumps(document), analysis_id),
            )

    def fail(self, analysis_id: str, error: str) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE analyses SET status = ?, stage = 'failed', finished = ?, error = ?, "
                "upload = NULL WHERE id = ?",
                (Status.FAILED, time.time(), error, analysis_id),
            )

    def requeue(self, analysis_id: str, why: str = "queued again after a restart") -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE analyses SET status = ?, progress = 0, stage = ?, started = NULL "
                "WHERE id = ?",
                (Status.QUEUED, why, analysis_id),
            )

    def problem(self) -> str:
        """Why the database cannot be used, or '' (for /api/health)."""
        try:
            with self._lock:
                self._conn.execute("SELECT COUNT(*) FROM analyses WHERE 0").fetchone()
        except sqlite3.Error as exc:
            return f"the analyses database cannot be read ({exc})"
        if not os.access(self.path, os.W_OK):
            return "the analyses database is not writable"
        return ""

    def purge(self, before: float) -> int:
        """Delete analyses that ended before `before` (epoch seconds), with their files."""
        with self._write() as conn:
            old = "SELECT id FROM analyses WHERE finished IS NOT NULL AND finished < ?"
            conn.execute(f"DELETE FROM artefacts WHERE analysis_id IN ({old})", (before,))
            removed = conn.execute(
                "DELETE FROM analyses WHERE finished IS NOT NULL AND finished < ?", (before,)
            ).rowcount
        return int(removed)

    def artefact(self, analysis_id: str, name: str) -> tuple[str, bytes] | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT media_type, data FROM artefacts WHERE analysis_id = ? AND name = ?",
                (analysis_id, name),
            ).fetchone()
        return (row[0], bytes(row[1])) if row else None
