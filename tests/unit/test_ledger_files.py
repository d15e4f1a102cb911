"""Files that are not a usable ledger fail with a clear `fauxlab.errors` subclass, never a
driver traceback: locked, corrupt, truncated, foreign, or from a newer schema."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from fauxlab.errors import FauxlabError
from fauxlab.provenance.ledger import (
    Ledger,
    LedgerCorruptError,
    LedgerError,
    LedgerFormatError,
    LedgerLockedError,
    LedgerVersionError,
)
from fauxlab.provenance.ledger.synthetic import entries


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A closed ledger of 500 entries (about 150 pages), WAL checkpointed into the file."""
    path = tmp_path_factory.mktemp("files") / "pristine.db"
    with Ledger(path) as ledger:
        ledger.append_many(entries(500, seed=13))
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture
def copy(pristine: Path, tmp_path: Path) -> Path:
    return Path(shutil.copy(pristine, tmp_path / "ledger.db"))


def test_a_write_lock_held_past_the_timeout(copy: Path) -> None:
    holder = sqlite3.connect(copy, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with Ledger(copy, busy_timeout=0.2) as ledger:
            assert ledger.size == 500  # WAL: reading goes on beside a writer
            with pytest.raises(LedgerLockedError, match=r"write lock for more than 0\.2 s"):
                ledger.append(entries(1, seed=14, first_watermark=9000)[0])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with Ledger(copy) as ledger:
        assert ledger.append(entries(1, seed=14, first_watermark=9000)[0]).index == 500


@pytest.mark.parametrize("keep", [0.5, 0.99])
def test_truncated_file(copy: Path, keep: float) -> None:
    data = copy.read_bytes()
    copy.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(LedgerCorruptError, match="truncated"):
        Ledger(copy)


@pytest.mark.parametrize(
    "content",
    [b"just some text\n" * 50, b"SQLite format 3\x00" + b"\x00" * 20, os.urandom(8192)],
    ids=["text", "short-header", "random"],
)
def test_not_an_sqlite_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "ledger.db"
    path.write_bytes(content)
    with pytest.raises(LedgerCorruptError, match="not an SQLite database"):
        Ledger(path)


def test_damaged_pages(copy: Path) -> None:
    data = bytearray(copy.read_bytes())
    data[40 * 4096 : 41 * 4096] = os.urandom(4096)
    copy.write_bytes(bytes(data))
    with Ledger(copy) as ledger, pytest.raises(LedgerCorruptError, match="damaged"):
        ledger.check()


def test_schema_from_a_newer_fauxlab(copy: Path) -> None:
    with sqlite3.connect(copy) as conn:
        conn.execute("PRAGMA user_version = 7")
    conn.close()
    with pytest.raises(LedgerVersionError, match=r"schema version 7.*upgrade fauxlab"):
        Ledger(copy)


def test_another_programs_database(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE photos (name TEXT)")
    conn.close()
    with pytest.raises(LedgerFormatError, match="not a fauxlab ledger"):
        Ledger(path)


def test_a_dropped_table(copy: Path) -> None:
    with sqlite3.connect(copy) as conn:
        conn.execute("DROP TABLE nodes")
    conn.close()
    with pytest.raises(LedgerCorruptError, match="lost its table"):
        Ledger(copy)


def test_unwritable_location(tmp_path: Path) -> None:
    with pytest.raises(LedgerError, match="cannot open"):
        Ledger(tmp_path / "no" / "such" / "folder" / "ledger.db")


def test_every_error_is_a_fauxlab_error() -> None:
    for error in (LedgerLockedError, LedgerCorruptError, LedgerVersionError, LedgerFormatError):
        assert issubclass(error, LedgerError) and issubclass(error, FauxlabError)
