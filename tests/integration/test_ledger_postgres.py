"""The ledger on a real PostgreSQL server: the same leaves and exports as SQLite, the CLI
with a postgresql:// URL, and each failure as one actionable line."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fauxlab.demo.samples import astronaut
from fauxlab.provenance.context import Provenance
from fauxlab.provenance.ledger import (
    EntryData,
    Ledger,
    LedgerError,
    LedgerFormatError,
    LedgerLockedError,
    LedgerVersionError,
    raw_public_key,
)
from fauxlab.provenance.ledger.postgres import redacted, to_postgres
from fauxlab.provenance.ledger.postgres_schema import WRITE_LOCK
from fauxlab.provenance.ledger.synthetic import entries, entry_data
from fauxlab.provenance.seal import ModelInfo, seal_image
from fauxlab.provenance.verify import verify_file
from postgres_server import PostgresServer

MODEL = ModelInfo("test-generator", "ab" * 32)


def fauxlab(home: Path, *args: str | Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fauxlab", *map(str, args)],
        capture_output=True, text=True, timeout=300,
        env=os.environ | {"FAUXLAB_HOME": str(home), **env},
    )  # fmt: skip


def one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), lines
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def same_entries(count: int) -> list[EntryData]:
    """Entries with a fixed creation time, so two ledgers given them hold the same leaves."""
    moment = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    data = [*entries(count - 1, seed=21), entry_data(random.Random(2), 9_999, kind="video")]
    return [replace(item, created=moment) for item in data]


def test_both_backends_export_the_same_leaves_and_both_verify(
    tmp_path: Path, postgres_url: str
) -> None:
    key = Ed25519PrivateKey.generate()
    public = raw_public_key(key).hex()
    data = same_entries(77)
    exports = {}
    for name, location in (("sqlite", tmp_path / "ledger.db"), ("postgresql", postgres_url)):
        with Ledger(location, signing_key=key) as ledger:
            ledger.append_many(data[:40])
            ledger.head()
            for item in data[40:]:
                ledger.append(item)
            exports[name] = tmp_path / f"{name}.jsonl"
            head = ledger.export(exports[name])
            assert ledger.check().ok and head.tree_size == 77
    sqlite_lines = exports["sqlite"].read_bytes().split(b"\n")
    postgres_lines = exports["postgresql"].read_bytes().split(b"\n")
    assert sqlite_lines[1:] == postgres_lines[1:]  # every leaf, byte for byte
    with Ledger(tmp_path / "copy.db") as copy:  # and each imports into the other
        copy.import_(exports["postgresql"], raw_public_key(key))
        assert copy.check().ok and copy.root() == head.root
    for path in exports.values():
        checked = fauxlab(
            tmp_path / "home", "ledger", "verify-export", path, "--public-key", public
        )
        assert checked.returncode == 0 and "valid: 77 entries" in checked.stdout, checked.stdout


def test_the_cli_on_a_postgresql_url(tmp_path: Path, postgres_server: PostgresServer) -> None:
    source, target = postgres_server.new_database(), postgres_server.new_database()
    home = tmp_path / "home"
    key = Ed25519PrivateKey.generate()
    with Ledger(source, signing_key=key) as ledger:
        ledger.append_many(same_entries(12))
        ledger.head()
    export = tmp_path / "export.jsonl"
    assert fauxlab(home, "ledger", "export", export, "--ledger", source).returncode == 0
    public = raw_public_key(key).hex()
    imported = fauxlab(
        home, "ledger", "import", export, "--public-key", public, FAUXLAB_LEDGER=target
    )
    assert imported.returncode == 0 and "imported 12 entries" in imported.stdout, imported.stderr
    checked = fauxlab(home, "ledger", "check", "--json", FAUXLAB_LEDGER=target)
    assert checked.returncode == 0 and '"ok": true' in checked.stdout, checked.stdout
    shown = fauxlab(home, "ledger", "show", "3", "--ledger", target)
    assert shown.returncode == 0 and '"index": 3' in shown.stdout
    again = fauxlab(home, "ledger", "import", export, "--ledger", target, "--public-key", public)
    one_line_error(again, "import needs an empty ledger")


def test_a_read_only_role_can_read_and_prove_but_not_append(postgres_url: str) -> None:
    with Ledger(postgres_url, signing_key=Ed25519PrivateKey.generate()) as ledger:
        ledger.append_many(same_entries(9))
        head = ledger.head()
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute("CREATE ROLE reader LOGIN")
        admin.execute("GRANT USAGE ON SCHEMA fauxlab_ledger TO reader")
        admin.execute("GRANT SELECT ON ALL TABLES IN SCHEMA fauxlab_ledger TO reader")
    reader = postgres_url.replace("postgresql://postgres@", "postgresql://reader@")
    with Ledger(reader) as ledger:
        assert ledger.size == 9 and ledger.latest_head() == head
        assert ledger.prove(4).tree_size == 9 and ledger.find_near(ledger.get(2).pdq[0])
        assert ledger.check().ok
        with pytest.raises(LedgerError, match="may not do that") as raised:
            ledger.append(entries(1, seed=5, first_watermark=10**6)[0])
        assert "\n" not in str(raised.value) and ledger.size == 9


def test_an_unreachable_server_is_one_line_without_the_password(tmp_path: Path) -> None:
    url = f"postgresql://someone:hunter2@/nowhere?host={tmp_path}&port=1"
    with pytest.raises(LedgerError, match="cannot reach the ledger database") as raised:
        Ledger(url)
    assert "hunter2" not in str(raised.value) and "someone:***@" in str(raised.value)
    line = one_line_error(fauxlab(tmp_path / "home", "ledger", "check", "--ledger", url), "reach")
    assert "hunter2" not in line


def test_a_held_write_lock_times_out_clearly(postgres_url: str) -> None:
    with (
        Ledger(postgres_url, busy_timeout=0.2) as ledger,
        psycopg.connect(postgres_url, autocommit=True) as other,
    ):
        ledger.append(entries(1)[0])
        other.execute("SELECT pg_advisory_lock(%s)", (WRITE_LOCK,))  # another writer, stuck
        with pytest.raises(LedgerLockedError, match=r"write lock for more than 0\.2 s"):
            ledger.append(entries(1, seed=1, first_watermark=7)[0])
        assert ledger.size == 1 and ledger.get(0).watermark_id == 0  # reads go on
        other.execute("SELECT pg_advisory_unlock(%s)", (WRITE_LOCK,))
        ledger.append(entries(1, seed=1, first_watermark=7)[0])
        assert ledger.size == 2 and ledger.check().ok


def test_foreign_and_newer_schemas_are_refused(postgres_server: PostgresServer) -> None:
    foreign = postgres_server.new_database()
    with psycopg.connect(foreign, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA fauxlab_ledger")
        conn.execute("CREATE TABLE fauxlab_ledger.entries (x int)")
    with pytest.raises(LedgerFormatError, match="not a fauxlab ledger"):
        Ledger(foreign)
    newer = postgres_server.new_database()
    Ledger(newer).close()
    with psycopg.connect(newer, autocommit=True) as conn:
        conn.execute(
            "UPDATE fauxlab_ledger.ledger_meta SET value = '2' WHERE key = 'schema_version'"
        )
    with pytest.raises(LedgerVersionError, match="upgrade fauxlab"):
        Ledger(newer)


def test_sqlite_sql_is_translated_for_postgresql() -> None:
    sql = "SELECT a FROM x CROSS JOIN y ON y.k = x.k WHERE a % 7 = ? AND b IN (?, ?)"
    assert to_postgres(sql, True) == (
        "SELECT a FROM x JOIN y ON y.k = x.k WHERE a %% 7 = %s AND b IN (%s, %s)"
    )
    assert to_postgres("SELECT SUM(a % 7) FROM x", False) == "SELECT SUM(a % 7) FROM x"
    assert redacted("postgresql://u:p@h/db") == "postgresql://u:***@h/db"
    assert redacted("postgresql:///db?password=p&host=h") == "postgresql:///db?password=***&host=h"


def test_seal_and_verify_with_the_ledger_in_postgresql(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAUXLAB_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("FAUXLAB_LEDGER", postgres_url)
    provenance = Provenance.default()
    assert provenance.ledger_path == postgres_url  # a URL stays text, not a folded Path
    sealed = seal_image(astronaut(), tmp_path / "fake.png", MODEL, provenance=provenance)
    report = verify_file(tmp_path / "fake.png", provenance)
    assert report.sealed_by_fauxlab and not report.tampered
    assert report.ledger.status == "exact" and report.ledger.proof_verified
    assert report.ledger.entry is not None and report.ledger.entry.index == sealed.entry_index
    assert not (tmp_path / "home" / "ledger.sqlite").exists()


def test_a_bulk_load_is_vacuumed_and_analysed_at_once(postgres_url: str) -> None:
    """Without statistics, the planner scans the whole chunk index for each look-up."""
    with Ledger(postgres_url) as ledger:
        ledger.append_many(entries(700, seed=30))  # 11,200 chunk index rows
        assert ledger.find_near(ledger.get(123).pdq[0])[0].entry.index == 123
    with psycopg.connect(postgres_url) as conn:
        analysed = conn.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE schemaname = 'fauxlab_ledger' "
            "AND last_vacuum IS NOT NULL AND last_analyze IS NOT NULL ORDER BY relname"
        ).fetchall()
    assert [name for (name,) in analysed] == ["pdq_chunks"]
