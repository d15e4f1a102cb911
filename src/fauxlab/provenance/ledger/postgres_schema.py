"""The ledger's tables in PostgreSQL: the SQLite schema's twin, in a schema of its own.

The tables live in the PostgreSQL schema `fauxlab_ledger`, so they cannot collide with
another application's `entries` or `heads` in the same database; its `ledger_meta` table
plays the part of SQLite's `application_id` and `user_version` (what this is, which
schema version). Columns and their order match `schema.TABLES`, so the shared SQL runs on
both unchanged. Concurrent first opens agree through an advisory lock.
"""

from __future__ import annotations

from typing import Any

from fauxlab.provenance.ledger.errors import (
    LedgerCorruptError,
    LedgerFormatError,
    LedgerVersionError,
)
from fauxlab.provenance.ledger.schema import SCHEMA_VERSION, TABLES

NAMESPACE = "fauxlab_ledger"
APPLICATION = "fauxlab-ledger"
WRITE_LOCK = 0x46584C47  # "FXLG": held by every write transaction, see `postgres`
SCHEMA_LOCK = 0x46584C48  # held while a new ledger's tables are made

PG_TABLES: dict[str, str] = {
    "entries": """CREATE TABLE entries (
        leaf_index BIGINT PRIMARY KEY CHECK (leaf_index >= 0),
        entry_json BYTEA NOT NULL,
        leaf_hash BYTEA NOT NULL,
        sha256 TEXT NOT NULL,
        watermark_id BIGINT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        created TEXT NOT NULL)""",
    "nodes": """CREATE TABLE nodes (
        level INTEGER NOT NULL CHECK (level >= 1),
        node_index BIGINT NOT NULL,
        hash BYTEA NOT NULL,
        PRIMARY KEY (level, node_index))""",
    # the key INCLUDEs the hash, so a look-up joins the chunk index to the hashes from
    # indexes alone (SQLite's rowid table gives that by itself)
    "pdq": """CREATE TABLE pdq (
        hash_id BIGINT NOT NULL,
        hash BYTEA NOT NULL,
        PRIMARY KEY (hash_id) INCLUDE (hash))""",
    "pdq_chunks": """CREATE TABLE pdq_chunks (
        chunk_key BIGINT NOT NULL,
        hash_id BIGINT NOT NULL,
        PRIMARY KEY (chunk_key, hash_id))""",
    "heads": """CREATE TABLE heads (
        head_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        tree_size BIGINT NOT NULL,
        root BYTEA NOT NULL,
        timestamp TEXT NOT NULL,
        key_id TEXT NOT NULL,
        public_key BYTEA NOT NULL,
        signature BYTEA NOT NULL)""",
}
PG_INDEXES = (
    "CREATE INDEX entries_by_sha256 ON entries (sha256)",
    "CREATE INDEX entries_by_created ON entries (created)",
    "CREATE INDEX heads_by_size ON heads (tree_size)",
)
assert set(PG_TABLES) == set(TABLES)  # one schema, two dialects


def _one(conn: Any, sql: str, *params: object) -> Any:
    row = conn.execute(sql, params or None).fetchone()
    return None if row is None else row[0]


def _check(conn: Any, name: str) -> None:
    found = dict(conn.execute(f"SELECT key, value FROM {NAMESPACE}.ledger_meta").fetchall())
    if found.get("application") != APPLICATION:
        raise LedgerFormatError(
            f"{name}: the schema {NAMESPACE} here is not a fauxlab ledger's; use another database"
        )
    version = int(found.get("schema_version", 0))
    if version > SCHEMA_VERSION:
        raise LedgerVersionError(
            f"{name}: this ledger has schema version {version}, written by a newer fauxlab; "
            f"this one reads up to version {SCHEMA_VERSION}: upgrade fauxlab to open it"
        )
    if version < SCHEMA_VERSION:
        raise LedgerFormatError(f"{name}: ledger schema version {version} is not supported")
    names = {
        row[0]
        for row in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s", (NAMESPACE,)
        )
    }
    missing = sorted(set(TABLES) - names)
    if missing:
        raise LedgerCorruptError(
            f"{name}: the ledger has lost its table(s) {', '.join(missing)}; "
            "restore it from a backup or an export"
        )


def ensure_schema(conn: Any, name: str) -> None:
    """Check the database holds a ledger this version can use, creating it if it has none.

    `conn` is a psycopg connection in autocommit mode; on return its search path is the
    ledger's schema."""
    if _one(conn, "SELECT to_regclass(%s)", f"{NAMESPACE}.ledger_meta") is None:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
            if _one(conn, "SELECT to_regclass(%s)", f"{NAMESPACE}.ledger_meta") is None:
                _create(conn, name)
    _check(conn, name)
    conn.execute(f"SET search_path TO {NAMESPACE}")


def _create(conn: Any, name: str) -> None:
    taken = _one(conn, "SELECT count(*) FROM pg_tables WHERE schemaname = %s", NAMESPACE)
    if taken:
        raise LedgerFormatError(
            f"{name}: the schema {NAMESPACE} holds tables that are not a fauxlab ledger's; "
            "use another database"
        )
    conn.execute(f"CREATE SCHEMA IF NOT EXISTS {NAMESPACE}")
    conn.execute(f"SET LOCAL search_path TO {NAMESPACE}")
    for ddl in (*PG_TABLES.values(), *PG_INDEXES):
        conn.execute(ddl)
    conn.execute("CREATE TABLE ledger_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    conn.execute(
        "INSERT INTO ledger_meta VALUES ('application', %s), ('schema_version', %s)",
        (APPLICATION, str(SCHEMA_VERSION)),
    )
