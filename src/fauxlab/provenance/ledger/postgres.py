"""The PostgreSQL backend: one ledger per database, appended to by many writers at once.

Writers on any number of processes or machines are put in one order by the database:
every write transaction first takes a transaction-level advisory lock, then reads the
size, writes the entries, tree nodes and index rows, and commits, which releases the lock
only once the rows are visible. A writer killed part-way never commits: the server rolls
its transaction back and frees the lock. Reads run in REPEATABLE READ, one snapshot, as
SQLite's deferred transactions do.

The shared code's SQL is SQLite's; `to_postgres` rewrites its few differences. Whole-table
scans (an ORDER BY with no LIMIT, inside a transaction: the audit and the export) are read
through server-side cursors, so memory stays flat at any size; big inserts go by COPY.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any

from fauxlab.provenance.ledger.errors import (
    LedgerCorruptError,
    LedgerError,
    LedgerLockedError,
)
from fauxlab.provenance.ledger.postgres_schema import WRITE_LOCK, ensure_schema
from fauxlab.provenance.ledger.storage import Rows

if TYPE_CHECKING:
    import psycopg

COPY_ROWS = 200
"""Inserts of at least this many rows (batches, imports) go by COPY, not row by row."""
SCAN_BLOCK = 10_000
"""Rows a server-side cursor fetches per round trip."""
ANALYZE_ROWS = 10_000
ANALYZE_SHARE = 0.1
"""A transaction that bulk-loads at least `ANALYZE_ROWS` rows into a table, and a tenth of
what it held, vacuums and analyses it after commit rather than wait for autovacuum:
without statistics the planner thinks a near-duplicate probe matches every row of a fresh
chunk index and scans it (382 ms instead of 2 ms at 1e5 entries), and without the
visibility map index-only look-ups still read the table. Smaller loads are autovacuum's."""
_INSERT = re.compile(r"INSERT INTO (\w+) VALUES \(")


def redacted(url: str) -> str:
    """The URL without its password, for messages."""
    url = re.sub(r"(://[^/@:]*):[^/@]*@", r"\1:***@", url)
    return re.sub(r"(password=)[^&]*", r"\1***", url)


@functools.lru_cache(maxsize=512)
def to_postgres(sql: str, has_parameters: bool) -> str:
    """SQLite's SQL as PostgreSQL reads it: `%s` placeholders (a literal % doubled), and a
    plain JOIN where SQLite needed CROSS JOIN to keep its join order."""
    sql = sql.replace(" CROSS JOIN ", " JOIN ")
    if has_parameters:
        sql = sql.replace("%", "%%").replace("?", "%s")
    return sql


def _streamed(sql: str) -> bool:
    return "ORDER BY" in sql and "LIMIT" not in sql


class PostgresDatabase:
    """The `Database` surface on a psycopg connection (see `storage.Database`).

    Statements whose results nobody reads (BEGIN, the write lock, a write transaction's
    INSERTs, COMMIT) are held back and sent with the next read, or at commit, in one
    pipeline: an append is then two round trips to the server (lock and size; rows and
    commit) instead of a dozen, and the lock is held for no longer than that. A refused row
    raises when its pipeline is sent; the transaction then rolls back as a whole.
    """

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn
        self._names = itertools.count()
        self._open: list[psycopg.ServerCursor[Any]] = []
        self._held: list[tuple[str, tuple[Any, ...] | None]] = []
        self.holding = False
        self.loaded: dict[str, int] = {}
        """Rows bulk-loaded per table in this transaction (see `ANALYZE_ROWS`)."""

    def hold(self, sql: str, rows: Sequence[tuple[Any, ...]] = ()) -> None:
        """Queue a statement (PostgreSQL's SQL) to send with the next round trip; the rows
        of an INSERT become one multi-row statement (a pipeline still waits on each
        statement of an executemany)."""
        if len(rows) <= 1:
            self._held.append((sql, rows[0] if rows else None))
            return
        head, values = sql.split(" VALUES ", 1)
        flat = tuple(value for row in rows for value in row)
        self._held.append((f"{head} VALUES {','.join([values] * len(rows))}", flat))

    def discard(self) -> None:
        self._held.clear()

    def flush(self, then: str | None = None, args: tuple[Any, ...] | None = None) -> Rows | None:
        """Send what is held, and `then` (a read) after it, in one round trip."""
        held, self._held = self._held, []
        if not held:
            return None if then is None else self._conn.execute(then, args)
        result = None
        with self._conn.pipeline(), self._conn.cursor() as cursor:
            for query, values in held:
                cursor.execute(query, values)
            if then is not None:
                result = self._conn.execute(then, args)
        return result

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> Rows:
        from psycopg import pq

        query = to_postgres(sql, bool(parameters))
        args = tuple(parameters) if parameters else None
        if self.holding and query.startswith("INSERT "):
            self.hold(query, [args] if args else ())
            return _NO_ROWS
        in_transaction = self._conn.info.transaction_status == pq.TransactionStatus.INTRANS
        if _streamed(query) and (self._held or in_transaction):
            self.flush()
            cursor = self._conn.cursor(name=f"ledger_scan_{next(self._names)}")
            cursor.itersize = SCAN_BLOCK
            self._open.append(cursor)
            cursor.execute(query, args)
            return cursor
        rows = self.flush(query, args)
        assert rows is not None
        return rows

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> None:
        rows = [tuple(row) for row in parameters]
        if not rows:
            return
        table = _INSERT.match(sql)
        if table is None or len(rows) < COPY_ROWS:
            if self.holding:
                self.hold(to_postgres(sql, True), rows)
                return
            self.flush()
            with self._conn.cursor() as cursor:
                cursor.executemany(to_postgres(sql, True), rows)
            return
        self.flush()  # COPY cannot run inside a pipeline
        self.loaded[table.group(1)] = self.loaded.get(table.group(1), 0) + len(rows)
        with (
            self._conn.cursor() as cursor,
            cursor.copy(f"COPY {table.group(1)} FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)

    def close_scans(self) -> None:
        """Close the transaction's server-side cursors (before it ends)."""
        while self._open:
            self._open.pop().close()


class _NoRows:
    """What a held INSERT returns: it has no rows to read."""

    def fetchone(self) -> None:
        return None

    def fetchmany(self, size: int = 1) -> list[Any]:
        return []

    def __iter__(self) -> Iterator[Any]:
        return iter(())


_NO_ROWS = _NoRows()


class PostgresStorage:
    """A ledger in the PostgreSQL database at `url` (a libpq URL: postgresql://...)."""

    def __init__(self, url: str, busy_timeout: float, durable: bool) -> None:
        self.name = redacted(url)
        self.busy_timeout = busy_timeout
        psycopg = _driver(self.name)
        from psycopg.types.numeric import Int8Dumper

        with self.errors():
            self._conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
        try:
            # one integer type for every parameter: PostgreSQL then resolves VALUES lists
            # and IN lists of mixed magnitudes without guessing
            self._conn.adapters.register_dumper(int, Int8Dumper)
            with self.errors():
                self._conn.execute(f"SET lock_timeout = '{max(1, round(busy_timeout * 1000))}ms'")
                # like SQLite's synchronous=NORMAL: a server crash may lose the last commits,
                # never half of one; a killed client loses nothing it committed
                self._conn.execute(f"SET synchronous_commit = {'on' if durable else 'off'}")
                ensure_schema(self._conn, self.name)
        except BaseException:
            self._conn.close()
            raise
        self.conn = PostgresDatabase(self._conn)

    def errors(self) -> AbstractContextManager[None]:
        return translate_postgres_errors(self.name, self.busy_timeout)

    @contextmanager
    def transaction(self, write: bool) -> Iterator[PostgresDatabase]:
        db = self.conn
        db.holding = write
        if write:
            db.hold("BEGIN")
            db.hold("SELECT pg_advisory_xact_lock(%s)", [(WRITE_LOCK,)])
        else:  # one snapshot, as SQLite's deferred transaction reads
            db.hold("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        try:
            yield db
            db.close_scans()
            db.hold("COMMIT")
            db.flush()
        except BaseException:
            db.discard()
            db.close_scans()
            self._roll_back()
            raise
        finally:
            db.holding = False
            loaded, db.loaded = db.loaded, {}
        for table, rows in loaded.items():
            if rows >= ANALYZE_ROWS and rows >= ANALYZE_SHARE * self._rows_before(table):
                self._conn.execute(f"VACUUM (ANALYZE) {table}")

    def _rows_before(self, table: str) -> float:
        """The table's rows before the load, as the last vacuum or analysis counted them."""
        row = self._conn.execute(
            "SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)", (table,)
        ).fetchone()
        counted = float(row[0]) if row is not None else -1.0
        return max(counted, 0.0)  # -1: never counted

    def _roll_back(self) -> None:
        from psycopg import pq

        if self._conn.info.transaction_status != pq.TransactionStatus.IDLE:
            with contextlib.suppress(Exception):  # a lost connection has nothing to roll back
                self._conn.execute("ROLLBACK")

    def close(self) -> None:
        self._conn.close()


def _driver(name: str) -> Any:
    try:
        import psycopg
    except ImportError as exc:
        raise LedgerError(
            f"{name}: a PostgreSQL ledger needs the psycopg driver: pip install 'fauxlab[postgres]'"
        ) from exc
    return psycopg


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@contextmanager
def translate_postgres_errors(name: str, busy_timeout: float) -> Iterator[None]:
    """Re-raise psycopg's errors as ledger errors that name the database and the remedy."""
    import psycopg
    from psycopg import errors

    try:
        yield
    except errors.LockNotAvailable as exc:
        raise LedgerLockedError(
            f"{name}: another writer has held the ledger's write lock for more than "
            f"{busy_timeout:g} s; wait for it to finish or retry with a longer busy timeout"
        ) from exc
    except errors.IntegrityError as exc:
        raise LedgerCorruptError(
            f"{name}: the ledger's tables contradict each other ({_first_line(exc)}); run "
            "`Ledger.check()` to find the first altered entry, and restore from an export"
        ) from exc
    except errors.UndefinedTable as exc:
        raise LedgerCorruptError(
            f"{name}: the ledger has lost a table ({_first_line(exc)}); "
            "restore it from a backup or an export"
        ) from exc
    except (errors.InsufficientPrivilege, errors.ReadOnlySqlTransaction) as exc:
        raise LedgerError(
            f"{name}: this database user may not do that ({_first_line(exc)}); "
            "connect as the ledger's owner"
        ) from exc
    except psycopg.OperationalError as exc:
        raise LedgerError(
            f"{name}: cannot reach the ledger database ({_first_line(exc)}); check the URL "
            "and that the server is running"
        ) from exc
    except psycopg.Error as exc:
        raise LedgerError(f"{name}: ledger database error: {_first_line(exc)}") from exc
