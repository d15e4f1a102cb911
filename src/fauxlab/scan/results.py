"""The results folder of a scan: an append-only log of records, compacted at the end.

    RESULTS/scan.json          what made this folder (so a user's folder is never taken)
    RESULTS/parts/*.jsonl      records, a batch a file, each written whole or not at all
    RESULTS/results.jsonl      one record per file, rebuilt from the parts after each run
    RESULTS/results.parquet    the same, with the main fields as columns
    RESULTS/inflight/PID       the file each worker is on now (on machines that see it)

Exactly once: the driver is the only writer. A record whose key is already in the log is
dropped as it arrives (a task Ray retried after some of its output had come through),
and compaction keeps one record per key and, per path, the newest.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fauxlab.errors import InputError, OutputExistsError
from fauxlab.fileio import durable_output, write_durably

MARKER = "scan.json"
SCAN_SCHEMA = "fauxlab.scan/1"
# Parquet columns taken from each record (the whole record is the `record` column)
COLUMNS = ("key", "path", "status", "kind", "sha256", "verdict", "decided_by", "reason")


def _records(part: Path) -> Iterator[dict[str, Any]]:
    with part.open(encoding="utf-8") as handle:
        for line in handle:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:  # parts are written whole; tolerate a hand edit
                continue
            if isinstance(record, dict) and "key" in record:
                yield record


class ResultSink:
    """Takes records as they come, keeps them durably, knows which files are done."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.parts = folder / "parts"
        self.inflight = folder / "inflight"
        self.done: set[str] = set()
        self.pending: list[str] = []
        self._last_flush = time.monotonic()
        self._sequence = 0

    @classmethod
    def open(cls, folder: Path) -> ResultSink:
        """A new results folder, or one a scan made before (its records count as done).
        A file, or a folder with other things in it, is refused: it is not ours."""
        marker = folder / MARKER
        if folder.exists() and not folder.is_dir():
            raise OutputExistsError(f"{folder}: is a file; give --out a folder for the results")
        if folder.is_dir() and any(folder.iterdir()) and not marker.is_file():
            raise OutputExistsError(
                f"{folder}: exists and is not a scan's results folder; choose another --out"
            )
        sink = cls(folder)
        if not marker.is_file():
            about = {"schema": SCAN_SCHEMA, "created": datetime.now(UTC).isoformat()}
            write_durably(marker, json.dumps(about).encode())
        elif json.loads(marker.read_text()).get("schema") != SCAN_SCHEMA:
            raise InputError(f"{marker}: written by another version of fauxlab scan")
        sink.parts.mkdir(exist_ok=True)
        sink.inflight.mkdir(exist_ok=True)
        for part in sorted(sink.parts.glob("*.jsonl")):
            sink.done.update(r["key"] for r in _records(part))
        return sink

    def add(self, record: dict[str, Any]) -> bool:
        """Keep `record` unless its file is done already; True when it was new."""
        key = str(record["key"])
        if key in self.done:
            return False
        self.done.add(key)
        self.pending.append(json.dumps(record, separators=(",", ":")))
        return True

    def due(self, records: int = 64, seconds: float = 2.0) -> bool:
        """Whether enough is pending to be worth a part file."""
        waited = time.monotonic() - self._last_flush
        return len(self.pending) >= records or (bool(self.pending) and waited >= seconds)

    def flush(self) -> None:
        """Write pending records as one new part, whole or not at all."""
        self._last_flush = time.monotonic()
        if not self.pending:
            return
        self._sequence += 1
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        name = f"part-{stamp}-{os.getpid()}-{self._sequence:06d}.jsonl"
        write_durably(self.parts / name, ("\n".join(self.pending) + "\n").encode())
        self.pending.clear()

    def compact(self) -> tuple[Path, Path, int]:
        """Rebuild results.jsonl and results.parquet from the parts: one record per key,
        and per path only the newest. Returns both paths and the number of records."""
        parts = sorted(self.parts.glob("*.jsonl"))
        newest: dict[str, str] = {}  # path -> key of its newest record
        for part in parts:
            for record in _records(part):
                newest[str(record["path"])] = str(record["key"])
        jsonl, parquet = self.folder / "results.jsonl", self.folder / "results.parquet"
        written = 0
        with durable_output(jsonl) as partial, partial.open("w", encoding="utf-8") as out:
            for record in self._unique(parts, newest):
                out.write(json.dumps(record, separators=(",", ":")) + "\n")
                written += 1
        with durable_output(parquet) as partial:
            _write_parquet(partial, self._unique(parts, newest))
        return jsonl, parquet, written

    @staticmethod
    def _unique(parts: list[Path], newest: dict[str, str]) -> Iterator[dict[str, Any]]:
        seen: set[str] = set()
        for part in parts:
            for record in _records(part):
                key = str(record["key"])
                if key in seen or newest.get(str(record["path"])) != key:
                    continue
                seen.add(key)
                yield record


def _write_parquet(path: Path, records: Iterator[dict[str, Any]], rows: int = 2048) -> None:
    """Records as Parquet row groups of `rows`, so memory stays flat however many."""
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    fields = [pa.field(c, pa.string()) for c in COLUMNS]
    schema = pa.schema(
        [
            *fields,
            pa.field("probability", pa.float64()),
            pa.field("node", pa.string()),
            pa.field("record", pa.string()),
        ]
    )
    with pq.ParquetWriter(str(path), schema) as writer:
        batch: list[dict[str, Any]] = []
        for record in records:
            row = {c: record.get(c) for c in COLUMNS}
            row["probability"] = record.get("probability")
            row["node"] = (record.get("run") or {}).get("node")
            row["record"] = json.dumps(record, separators=(",", ":"))
            batch.append(row)
            if len(batch) == rows:
                writer.write_table(pa.Table.from_pylist(batch, schema))
                batch.clear()
        if batch:
            writer.write_table(pa.Table.from_pylist(batch, schema))
