"""Tampering with the ledger by hand (the sqlite3 shell on the file, psql on the database)
is found by check(), which names the first entry; on each backend."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fauxlab.provenance.ledger import Ledger, LedgerCorruptError, LedgerKeyError
from fauxlab.provenance.ledger.merkle import leaf_hash
from fauxlab.provenance.ledger.postgres import PostgresDatabase
from fauxlab.provenance.ledger.storage import Database, is_url
from fauxlab.provenance.ledger.synthetic import entries
from merkle_oracle import MerkleTreeCache

SIZE = 40


@pytest.fixture
def path(ledger_location: Path | str) -> Path | str:
    """A ledger of SIZE entries with signed heads at 20 and at SIZE (a file, a database)."""
    path = ledger_location
    data = entries(SIZE, seed=4)
    with Ledger(path, signing_key=Ed25519PrivateKey.generate()) as ledger:
        ledger.append_many(data[:20])
        ledger.head()
        for item in data[20:]:
            ledger.append(item)
        ledger.head()
        assert ledger.check().ok
    return path


def tamper(path: Path | str, edit: Callable[[Database], object]) -> None:
    """Change the ledger as an attacker with the sqlite3 shell, or psql, would."""
    if is_url(path):
        with psycopg.connect(str(path), autocommit=True) as conn:
            conn.execute("SET search_path TO fauxlab_ledger")
            edit(PostgresDatabase(conn))  # the same SQL, SQLite's `?` and all
        return
    with sqlite3.connect(path) as lite:
        edit(lite)
    lite.close()


def rewrite_json(conn: Database, index: int, fix_leaf: bool = False) -> None:
    blob = conn.execute("SELECT entry_json FROM entries WHERE leaf_index = ?", (index,)).fetchone()
    entry = json.loads(blob[0])
    entry["generator"]["model"] = "a-different-model"
    data = json.dumps(entry, sort_keys=True, separators=(",", ":")).encode()
    conn.execute("UPDATE entries SET entry_json = ? WHERE leaf_index = ?", (data, index))
    if fix_leaf:
        conn.execute(
            "UPDATE entries SET leaf_hash = ? WHERE leaf_index = ?", (leaf_hash(data), index)
        )


def report_for(path: Path | str) -> tuple[int | None, str]:
    with Ledger(path) as ledger:
        report = ledger.check()
    assert not report.ok
    return report.first_bad_index, report.summary()


def test_an_intact_ledger_passes(path: Path | str) -> None:
    with Ledger(path) as ledger:
        report = ledger.check()
    assert report.ok and report.first_bad_index is None
    assert (report.tree_size, report.heads_checked) == (SIZE, 2)
    assert report.nodes_checked == SIZE - bin(SIZE).count("1")
    assert "intact" in report.summary()


def test_edited_json_names_the_entry(path: Path | str) -> None:
    tamper(path, lambda conn: rewrite_json(conn, 13))
    first, summary = report_for(path)
    assert first == 13 and "entry 13: its JSON no longer matches its leaf hash" in summary
    with Ledger(path) as ledger, pytest.raises(LedgerCorruptError, match="altered"):
        ledger.get(13)


def test_edited_leaf_hash_names_the_entry(path: Path | str) -> None:
    tamper(
        path,
        lambda c: c.execute("UPDATE entries SET leaf_hash = ? WHERE leaf_index = 27", (bytes(32),)),
    )
    assert report_for(path)[0] == 27


def test_deleted_row_names_the_entry(path: Path | str) -> None:
    tamper(path, lambda c: c.execute("DELETE FROM entries WHERE leaf_index = 8"))
    first, summary = report_for(path)
    assert first == 8 and "entries 8..8 were deleted" in summary
    with Ledger(path) as ledger, pytest.raises(LedgerCorruptError, match="deleted"):
        ledger.prove(9)


@pytest.mark.parametrize("last", [SIZE - 1, SIZE - 2])
def test_deleted_tail_is_found(path: Path | str, last: int) -> None:
    tamper(path, lambda c: c.execute("DELETE FROM entries WHERE leaf_index >= ?", (last,)))
    first, summary = report_for(path)
    assert first == last and f"only {last} remain" in summary


def test_deleted_tail_with_its_traces_is_caught_by_the_head(path: Path | str) -> None:
    def erase(conn: Database) -> None:
        conn.execute(f"DELETE FROM entries WHERE leaf_index = {SIZE - 1}")
        for table in ("pdq", "pdq_chunks"):
            conn.execute(f"DELETE FROM {table} WHERE hash_id >> 8 = {SIZE - 1}")
        conn.execute(f"DELETE FROM nodes WHERE (node_index + 1) << level > {SIZE - 1}")

    tamper(path, erase)
    assert report_for(path)[0] == SIZE - 1


def test_rewritten_json_and_leaf_hash_is_found_by_the_tree(path: Path | str) -> None:
    tamper(path, lambda conn: rewrite_json(conn, 9, fix_leaf=True))
    first, summary = report_for(path)
    assert first == 8 and "entries 8..9 does not match" in summary  # 9 hides in the pair


def test_a_full_rewrite_is_caught_by_the_signed_head(path: Path | str) -> None:
    """Rewrite entry 30 with its leaf hash and every tree node: only the heads know."""

    def rewrite_all(conn: Database) -> None:
        rewrite_json(conn, 30, fix_leaf=True)
        rows = list(conn.execute("SELECT leaf_hash FROM entries ORDER BY leaf_index"))
        cache = MerkleTreeCache(bytes(row[0]) for row in rows)
        for level, index in list(conn.execute("SELECT level, node_index FROM nodes")):
            conn.execute(
                "UPDATE nodes SET hash = ? WHERE level = ? AND node_index = ?",
                (cache.perfect_node(level, index), level, index),
            )

    tamper(path, rewrite_all)
    first, summary = report_for(path)
    assert first == 20  # the head at 20 still verifies; the head at 40 does not
    assert "one of entries 20..39 was rewritten" in summary


def test_edited_index_columns_and_pdq_rows_are_found(path: Path | str) -> None:
    tamper(
        path, lambda c: c.execute("UPDATE entries SET sha256 = ? WHERE leaf_index = 5", ("0" * 64,))
    )
    assert report_for(path)[0] == 5


def test_edited_pdq_rows_are_found(path: Path | str) -> None:
    tamper(
        path, lambda c: c.execute("UPDATE pdq SET hash = ? WHERE hash_id = 11 << 8", (bytes(32),))
    )
    first, summary = report_for(path)
    assert first == 11 and "PDQ rows differ" in summary


def test_edited_near_duplicate_index_is_found(path: Path | str) -> None:
    tamper(path, lambda c: c.execute("DELETE FROM pdq_chunks WHERE hash_id = 3 << 8"))
    first, summary = report_for(path)
    assert first is None and "pdq_chunks" in summary


def test_a_head_signed_by_a_stranger_is_found(path: Path | str) -> None:
    stranger = Ed25519PrivateKey.generate()
    with Ledger(path, signing_key=stranger) as ledger:
        with pytest.raises(LedgerKeyError, match="another key"):  # never silently
            ledger.head(fresh=True)
        ledger.head(fresh=True, adopt=True)
        report = ledger.check()
        assert report.ok and len(report.key_ids) == 2  # each head verifies with its own key
        ours = bytes.fromhex(ledger.heads()[0].public_key)
        strict = ledger.check(trusted_keys=[ours])
    assert not strict.ok and "not a trusted key" in strict.summary()


def test_forged_head_signature_is_found(path: Path | str) -> None:
    tamper(
        path, lambda c: c.execute("UPDATE heads SET signature = ? WHERE head_id = 1", (bytes(64),))
    )
    first, summary = report_for(path)
    assert first is None and "signature does not verify" in summary


def test_a_head_swapped_for_another_size_is_found(path: Path | str) -> None:
    tamper(path, lambda c: c.execute("UPDATE heads SET tree_size = 21 WHERE head_id = 1"))
    _, summary = report_for(path)
    assert "signature does not verify" in summary and "root does not match" in summary
