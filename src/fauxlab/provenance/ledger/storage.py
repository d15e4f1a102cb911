"""Where a ledger's rows live: the interface both storage backends give the shared code.

The Merkle tree, heads, proofs, near-duplicate index, audit and export are written once,
as SQL over a `Database` (anything with sqlite3's `execute` and `executemany`, `?`
placeholders). A `Storage` owns one such connection and adds what differs by engine:
how a transaction starts (a write one must put appends in one total order), and how the
driver's errors become ledger errors. `open_storage` picks the engine from the location:
a `postgresql://` URL, or else a file path for SQLite.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

LedgerLocation = Path | str
"""A ledger file, or the URL of a PostgreSQL database (`postgresql://...`)."""

URL_SCHEMES = ("postgresql://", "postgres://")


class Rows(Protocol):
    """A query's result, read row by row or in blocks."""

    def fetchone(self) -> Any: ...

    def fetchmany(self, size: int = ...) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Database(Protocol):
    """The SQL surface the shared ledger code uses: sqlite3's, which a `sqlite3.Connection`
    has as it is and the PostgreSQL backend translates."""

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Rows: ...

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> object: ...


class Storage(Protocol):
    """One open ledger database: its connection, transactions and error translation."""

    @property
    def name(self) -> str:
        """The location as shown in messages (a URL without its password)."""
        ...

    @property
    def conn(self) -> Database:
        """The connection, outside transactions: each statement on its own."""
        ...

    def transaction(self, write: bool) -> AbstractContextManager[Database]:
        """A read transaction sees one snapshot; a write one also holds the ledger's write
        lock from its start, so the size it reads stays true until it commits."""
        ...

    def errors(self) -> AbstractContextManager[None]:
        """Re-raise the driver's errors as `LedgerError`s that name the ledger."""
        ...

    def close(self) -> None: ...


def is_url(location: LedgerLocation) -> bool:
    """Whether `location` names a PostgreSQL database rather than a file."""
    return isinstance(location, str) and location.startswith(URL_SCHEMES)


def as_location(value: str | Path) -> LedgerLocation:
    """A --ledger value or FAUXLAB_LEDGER as a location: URLs kept as text (a Path would
    fold their `//`), anything else a file path with `~` expanded."""
    return value if is_url(value) else Path(value).expanduser()


def ledger_exists(location: LedgerLocation) -> bool:
    """Whether there is a ledger to read: a file that exists; a database always counts
    (the server says whether it can be reached when the ledger is opened)."""
    return is_url(location) or Path(location).exists()


def open_storage(location: LedgerLocation, busy_timeout: float, durable: bool) -> Storage:
    """Connect to the ledger at `location`, creating its tables if it is new."""
    if is_url(location):
        from fauxlab.provenance.ledger.postgres import PostgresStorage

        return PostgresStorage(str(location), busy_timeout, durable)
    from fauxlab.provenance.ledger.sqlite import SqliteStorage

    return SqliteStorage(Path(location), busy_timeout, durable)
