"""Ledger locations for tests that run on both backends: SQLite files and PostgreSQL
databases on the session's server (a module, not conftest, so that test files can import
it whichever conftest.py pytest put first on the path)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import pytest

from postgres_server import PostgresServer

BACKENDS = ("sqlite", "postgresql")
LedgerLocations = Callable[[], "Path | str"]


def locations_for(backend: str, folder: Path, request: pytest.FixtureRequest) -> LedgerLocations:
    """A maker of new, empty ledger locations of one backend: files in `folder`, or
    databases on the session's PostgreSQL server."""
    numbers = itertools.count()
    if backend == "sqlite":
        return lambda: folder / f"ledger-{next(numbers)}.db"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.new_database
