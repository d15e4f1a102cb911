"""Writing entries: the rows one append adds to each table, inside the caller's transaction.

Appends and imports share this, so an imported ledger is stored exactly as a grown one.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from fauxlab.provenance.ledger import neardup
from fauxlab.provenance.ledger.entries import LedgerEntry
from fauxlab.provenance.ledger.errors import WatermarkCollisionError
from fauxlab.provenance.ledger.merkle import leaf_hash
from fauxlab.provenance.ledger.storage import Database
from fauxlab.provenance.ledger.tree import Frontier, extend_frontier, load_frontier

_MAX_VARIABLES = 30_000  # SQLite allows 32,766 bound parameters per statement


def insert_entries(
    conn: Database,
    path: str | Path,
    size: int,
    entries: list[LedgerEntry],
    blobs: list[bytes],
    frontier: Frontier | None = None,
) -> Frontier:
    """Add entries `size`, `size + 1`, ... with leaf data `blobs`, their completed tree
    nodes and PDQ index rows; return the tree's new right edge.

    `frontier` is the right edge at `size` if the caller has it, else it is read back.
    """
    _refuse_repeats(entries)
    leaves = [leaf_hash(blob) for blob in blobs]
    rows = [
        (e.index, blob, leaf, e.sha256, e.watermark_id, e.kind, e.created)
        for e, blob, leaf in zip(entries, blobs, leaves, strict=True)
    ]
    # a watermark id already taken fails here (or, on PostgreSQL, when the batched writes
    # are sent): the caller names it after the rollback (see `explain_collision`)
    conn.executemany("INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    if frontier is None:
        frontier = load_frontier(conn, path, size)
    conn.executemany("INSERT INTO nodes VALUES (?, ?, ?)", extend_frontier(frontier, size, leaves))
    digests = [
        (neardup.hash_id(e.index, k), bytes.fromhex(h))
        for e in entries
        for k, h in enumerate(e.pdq)
    ]
    conn.executemany("INSERT INTO pdq VALUES (?, ?)", digests)
    conn.executemany("INSERT INTO pdq_chunks VALUES (?, ?)", neardup.chunk_rows(digests))
    return frontier


def is_collision(exc: BaseException) -> bool:
    """Whether the entries' unique watermark id refused a row: SQLite's error, or SQLSTATE
    23505 from PostgreSQL's driver (not imported unless a database is used)."""
    sqlstate = getattr(exc, "sqlstate", None)
    refused = isinstance(exc, sqlite3.IntegrityError) or sqlstate == "23505"
    return refused and "watermark_id" in str(exc)


def _refuse_repeats(entries: list[LedgerEntry]) -> None:
    seen: set[int] = set()
    for entry in entries:
        if entry.watermark_id in seen:
            raise WatermarkCollisionError(
                f"watermark id {entry.watermark_id} appears twice in one batch; "
                "use Ledger.new_watermark_id() for each entry"
            )
        seen.add(entry.watermark_id)


def explain_collision(
    conn: Database, path: str | Path, entries: list[LedgerEntry]
) -> WatermarkCollisionError:
    """The error for a refused batch, naming the entry that holds the id (run after the
    failed transaction rolled back: a failed PostgreSQL transaction answers nothing)."""
    ids = [entry.watermark_id for entry in entries]
    taken = "a watermark id is already taken"
    for start in range(0, len(ids), _MAX_VARIABLES):
        batch = ids[start : start + _MAX_VARIABLES]
        row = conn.execute(
            "SELECT watermark_id, leaf_index FROM entries "
            f"WHERE watermark_id IN ({','.join('?' * len(batch))}) ORDER BY leaf_index LIMIT 1",
            batch,
        ).fetchone()
        if row is not None:
            taken = f"watermark id {row[0]} is already entry {row[1]}"
            break
    return WatermarkCollisionError(
        f"{path}: {taken}; each medium needs its own id: "
        "take a fresh one from Ledger.new_watermark_id()"
    )
