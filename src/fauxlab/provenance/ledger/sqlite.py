"""The SQLite backend: one ledger file, writes put in order by `BEGIN IMMEDIATE`."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from fauxlab.provenance.ledger.errors import translate_sqlite_errors
from fauxlab.provenance.ledger.schema import connect


class SqliteStorage:
    """A ledger file. IMMEDIATE takes the file's write lock up front, so processes
    appending at once are put in one total order; DEFERRED reads one snapshot."""

    def __init__(self, path: Path, busy_timeout: float, durable: bool) -> None:
        self.path = path
        self.name = str(path)
        self.busy_timeout = busy_timeout
        with self.errors():
            self.conn: sqlite3.Connection = connect(path, busy_timeout, durable)

    def errors(self) -> AbstractContextManager[None]:
        return translate_sqlite_errors(self.path, self.busy_timeout)

    @contextmanager
    def transaction(self, write: bool) -> Iterator[sqlite3.Connection]:
        self.conn.execute(f"BEGIN {'IMMEDIATE' if write else 'DEFERRED'}")
        try:
            yield self.conn
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()
