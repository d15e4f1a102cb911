"""What can go wrong with a ledger, each as a `FauxlabError` the CLI prints as one line.

Every SQLite failure is translated here, so a user reads what happened to *their* file
and what to do about it, never a traceback from the driver.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fauxlab.errors import FauxlabError


class LedgerError(FauxlabError):
    """A ledger operation failed for a reason a user can act on."""


class LedgerLockedError(LedgerError):
    """Another process held the write lock for longer than the busy timeout."""


class LedgerCorruptError(LedgerError):
    """The file is not an SQLite database, is truncated, or its contents are damaged."""


class LedgerFormatError(LedgerError):
    """The file is a database, but not a fauxlab ledger this version can use."""


class LedgerVersionError(LedgerFormatError):
    """The ledger was written by a newer fauxlab with a schema this one does not know."""


class WatermarkCollisionError(LedgerError):
    """The watermark id is already recorded for another entry."""


class LedgerRequestError(LedgerError, ValueError):
    """A request out of range: an index, tree size or distance the ledger cannot answer."""


class EntryNotFoundError(LedgerRequestError):
    """No entry has the index asked for."""


class LedgerKeyError(LedgerError):
    """The tree-head signing key is missing, unreadable or too widely readable."""


class InvalidEntryError(LedgerError, ValueError):
    """Entry data that cannot be recorded: a malformed hash, kind or id."""


class ExportError(LedgerError):
    """An export file is malformed, does not verify, or cannot be imported here."""


_CORRUPT_MARKERS = ("not a database", "malformed", "corrupt", "disk i/o error", "short read")


@contextmanager
def translate_sqlite_errors(path: Path, busy_timeout: float) -> Iterator[None]:
    """Re-raise driver errors as ledger errors that name the file and the remedy."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        text = str(exc).lower()
        if "locked" in text or "busy" in text:
            raise LedgerLockedError(
                f"{path}: another process has held the ledger's write lock for more than "
                f"{busy_timeout:g} s; wait for it to finish or retry with a longer busy timeout"
            ) from exc
        if "readonly" in text or "read-only" in text:
            raise LedgerError(
                f"{path}: the ledger (or its folder, which holds the -wal file) is read-only; "
                "open it somewhere writable"
            ) from exc
        if "unable to open" in text:
            raise LedgerError(
                f"{path}: cannot open the ledger file; check that the folder exists and is writable"
            ) from exc
        if any(marker in text for marker in _CORRUPT_MARKERS):
            raise _corrupt(path, exc) from exc
        raise LedgerError(f"{path}: ledger database error: {exc}") from exc
    except sqlite3.IntegrityError as exc:
        raise LedgerCorruptError(
            f"{path}: the ledger's tables contradict each other ({exc}); run "
            "`Ledger.check()` to find the first altered entry, and restore from an export"
        ) from exc
    except sqlite3.DatabaseError as exc:
        raise _corrupt(path, exc) from exc


def _corrupt(path: Path, exc: Exception) -> LedgerCorruptError:
    return LedgerCorruptError(
        f"{path}: not a readable ledger: the file is not an SQLite database, or it is "
        f"truncated or damaged ({exc}); restore it from a backup or an export"
    )
