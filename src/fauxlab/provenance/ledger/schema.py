"""The ledger's SQLite schema, and opening a file with every failure named before use.

The file is marked with `PRAGMA application_id` (so another program's database is told
apart from a ledger) and `PRAGMA user_version` (the schema version, so a ledger from a
newer fauxlab is refused instead of misread). The header is checked before SQLite sees
the file, because SQLite opens a truncated database happily and fails only later.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from fauxlab.provenance.ledger.errors import (
    LedgerCorruptError,
    LedgerFormatError,
    LedgerVersionError,
)

APPLICATION_ID = 0x46584C47  # "FXLG"
SCHEMA_VERSION = 1

TABLES: dict[str, str] = {
    # leaf_index is the rowid: the leaf's position in the tree and the entry's id.
    # entry_json holds the exact leaf bytes; the other columns are indexed copies of them.
    "entries": """CREATE TABLE entries (
        leaf_index INTEGER PRIMARY KEY CHECK (leaf_index >= 0),
        entry_json BLOB NOT NULL,
        leaf_hash BLOB NOT NULL,
        sha256 TEXT NOT NULL,
        watermark_id INTEGER NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        created TEXT NOT NULL)""",
    # hashes of complete aligned subtrees: leaves [node_index << level, (node_index+1) << level)
    "nodes": """CREATE TABLE nodes (
        level INTEGER NOT NULL CHECK (level >= 1),
        node_index INTEGER NOT NULL,
        hash BLOB NOT NULL,
        PRIMARY KEY (level, node_index)) WITHOUT ROWID""",
    # every PDQ hash of every entry, to check candidates at full distance; hash_id is
    # leaf_index << 8 | the hash's position in the entry: a rowid, the fastest look-up
    "pdq": """CREATE TABLE pdq (
        hash_id INTEGER PRIMARY KEY,
        hash BLOB NOT NULL)""",
    # multi-index hashing: chunk_key = chunk_no << 16 | the chunk's 16-bit value
    "pdq_chunks": """CREATE TABLE pdq_chunks (
        chunk_key INTEGER NOT NULL,
        hash_id INTEGER NOT NULL,
        PRIMARY KEY (chunk_key, hash_id)) WITHOUT ROWID""",
    "heads": """CREATE TABLE heads (
        head_id INTEGER PRIMARY KEY,
        tree_size INTEGER NOT NULL,
        root BLOB NOT NULL,
        timestamp TEXT NOT NULL,
        key_id TEXT NOT NULL,
        public_key BLOB NOT NULL,
        signature BLOB NOT NULL)""",
}
INDEXES = (
    "CREATE INDEX entries_by_sha256 ON entries (sha256)",
    "CREATE INDEX entries_by_created ON entries (created)",
    "CREATE INDEX heads_by_size ON heads (tree_size)",
)

_MAGIC = b"SQLite format 3\x00"
MMAP_BYTES = 1 << 31
"""Read pages through a memory map (SQLite's cap is just under 2 GiB): a near-duplicate
look-up touches thousands of pages, and a read() call each cost a third of its time."""
WAL_CHECKPOINT_PAGES = 32_768
"""Checkpoint the WAL every 128 MiB rather than SQLite's 4 MiB. Each append dirties about
22 pages (16 of them in the PDQ chunk index), so the default checkpointed every ~45
appends, copying and fsyncing more than the appends wrote: single appends went from about
1,500/s to 2,200/s on the development machine. The WAL is deleted when the last
connection closes."""


def check_header(path: Path) -> None:
    """Refuse a file that is not SQLite, or is shorter than its own header says."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return
    if path.is_dir():
        raise LedgerFormatError(f"{path}: is a folder; give the path of a ledger file")
    if size == 0:
        return  # SQLite treats an empty file as a new database
    with path.open("rb") as handle:
        header = handle.read(100)
    if len(header) < 100 or not header.startswith(_MAGIC):
        raise LedgerCorruptError(
            f"{path}: not a ledger: the file is not an SQLite database; "
            "check the path, or restore the ledger from a backup or an export"
        )
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    header_valid = header[24:28] == header[92:96]  # else SQLite ignores the page count too
    wal = path.with_name(path.name + "-wal")
    wal_pending = wal.exists() and wal.stat().st_size > 0  # may still hold the missing pages
    if header_valid and not wal_pending and size < pages * page_size:
        raise LedgerCorruptError(
            f"{path}: the ledger file is truncated ({size:,} of {pages * page_size:,} bytes, "
            "a copy or write that stopped part-way); restore it from a backup or an export"
        )


def _pragma(conn: sqlite3.Connection, name: str) -> int:
    value = conn.execute(f"PRAGMA {name}").fetchone()[0]
    return int(value)


def _check_marked(conn: sqlite3.Connection, path: Path) -> None:
    version = _pragma(conn, "user_version")
    if version > SCHEMA_VERSION:
        raise LedgerVersionError(
            f"{path}: this ledger has schema version {version}, written by a newer fauxlab; "
            f"this one reads up to version {SCHEMA_VERSION}: upgrade fauxlab to open it"
        )
    if version < SCHEMA_VERSION:
        raise LedgerFormatError(f"{path}: ledger schema version {version} is not supported")
    names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    missing = sorted(set(TABLES) - names)
    if missing:
        raise LedgerCorruptError(
            f"{path}: the ledger has lost its table(s) {', '.join(missing)}; "
            "restore it from a backup or an export"
        )


def ensure_schema(conn: sqlite3.Connection, path: Path) -> None:
    """Check the file is a ledger this version can use, creating the tables if it is new."""
    if _pragma(conn, "application_id") == APPLICATION_ID:
        _check_marked(conn, path)
        return
    conn.execute("BEGIN IMMEDIATE")  # another process may be creating it right now
    try:
        app_id = _pragma(conn, "application_id")
        if app_id == 0 and conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0:
            for ddl in (*TABLES.values(), *INDEXES):
                conn.execute(ddl)
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        elif app_id != APPLICATION_ID:
            raise LedgerFormatError(
                f"{path}: this SQLite database is not a fauxlab ledger (it holds other "
                "tables); choose another path for the ledger"
            )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    _check_marked(conn, path)


def connect(path: Path, busy_timeout: float, durable: bool) -> sqlite3.Connection:
    """Open (or create) the ledger at `path` in WAL mode, schema checked.

    WAL lets readers run beside the one writer. `synchronous=NORMAL` survives a killed
    process (a commit is in the WAL before `COMMIT` returns); `durable` adds an fsync
    per commit, which a power cut needs.
    """
    check_header(path)
    if not path.exists():  # a new ledger is private (SQLite gives -wal and -shm its mode)
        try:
            os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            pass  # another process made it first
        except OSError:
            pass  # let SQLite say why it cannot open it
    conn = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
        conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")
        conn.execute(f"PRAGMA journal_size_limit = {WAL_CHECKPOINT_PAGES * 4096}")
        conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
        ensure_schema(conn, path)
    except BaseException:
        conn.close()
        raise
    return conn


def stored_bytes(value: object) -> bytes:
    """A BLOB column as bytes, even after someone rewrote it as TEXT (sqlite3's replace()
    does): tampering must be reported by `check`, not crash it."""
    if isinstance(value, str):
        return value.encode("utf-8", errors="surrogateescape")
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode("utf-8")
