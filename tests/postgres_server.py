"""A throwaway PostgreSQL server for the tests: Debian's binaries, a temp folder, a socket.

`initdb` refuses to run as root, so as root the cluster belongs to the `postgres` user
(made by Debian's package); as anyone else it is that user's own. The server listens
only on a Unix socket in its folder, and is stopped and deleted at the end.
"""

from __future__ import annotations

import itertools
import os
import random
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

FAST = "-c fsync=off -c full_page_writes=off"
"""Test settings: a throwaway cluster need not survive a power cut."""
MISSING = (
    "PostgreSQL server binaries (initdb, pg_ctl) not found: run `make postgres` "
    "(apt-get install postgresql)"
)


def find_bindir() -> Path | None:
    """Where initdb and pg_ctl are: $FAUXLAB_PG_BINDIR if set, else Debian's newest."""
    given = os.environ.get("FAUXLAB_PG_BINDIR")
    candidates = (
        [Path(given)] if given else sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    )
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


def _as_owner(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@dataclass
class PostgresServer:
    """A running cluster; `new_database()` hands each test its own empty database."""

    bindir: Path
    folder: Path
    settings: str = FAST
    port: int = field(default_factory=lambda: random.randrange(20_000, 60_000))
    _numbers: itertools.count[int] = field(default_factory=itertools.count)

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@/{database}?host={self.folder}&port={self.port}"

    def start(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        run = {"check": True, "capture_output": True}
        subprocess.run(
            _as_owner([str(self.bindir / "initdb"), "-D", str(self.data), "-A", "trust",
                       "-U", "postgres", "--no-sync"]),
            **run,
        )  # fmt: skip
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses='' -c max_connections=60 "
            + self.settings
        )
        subprocess.run(
            _as_owner([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", options,
                       "-l", str(self.folder / "log"), "-w", "start"]),
            **run,
        )  # fmt: skip

    def stop(self) -> None:
        subprocess.run(
            _as_owner([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                       "-w", "stop"]),
            capture_output=True,
        )  # fmt: skip
        shutil.rmtree(self.folder, ignore_errors=True)

    def new_database(self) -> str:
        """A fresh, empty database's URL."""
        import psycopg  # a dev dependency; imported here so conftest loads without it

        name = f"ledger_{next(self._numbers)}"
        with psycopg.connect(self.url(), autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name} STRATEGY FILE_COPY")
        return self.url(name)


def start_server(settings: str = FAST) -> PostgresServer | None:
    """A started server, or None where the binaries are missing."""
    bindir = find_bindir()
    if bindir is None:
        return None
    server = PostgresServer(bindir, Path(tempfile.mkdtemp(prefix="fauxlab-pg-")), settings)
    try:
        server.start()
    except subprocess.CalledProcessError as exc:
        log = server.folder / "log"
        detail = log.read_text() if log.exists() else exc.stderr.decode(errors="replace")
        server.stop()
        raise RuntimeError(f"the test PostgreSQL server did not start: {detail}") from exc
    return server
