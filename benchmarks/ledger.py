"""Ledger speed: appends per second, proof cost by tree size, near-duplicate look-up vs a scan.

    .venv/bin/python benchmarks/ledger.py                       # 1e3, 1e5, 1e6 (~4 min)
    .venv/bin/python benchmarks/ledger.py --sizes 1000,100000   # quick (~30 s)
    .venv/bin/python benchmarks/ledger.py --backend postgresql --sizes 1000,100000

With `--backend postgresql` the same runs go to a PostgreSQL database (`--postgres URL`,
else a throwaway server started from Debian's binaries, as the tests do), and first
`--writers` processes at once append `--concurrent` entries in all, each with single
`append()` calls, beside the SQLite file's single writer (the baseline of the ratio);
then `check()` must pass with every entry there exactly once.

Otherwise everything runs on real SQLite files in a temporary folder (or --folder), one process:
  appends     single `append()` calls on a fresh ledger (default and `durable=True`), then
              `append_many` in batches; the same single appends again on the biggest ledger
  proofs      `prove(i, size)` + `verify_inclusion_proof` against a signed head of that
              size, for random i; then `prove_consistency` + `verify_consistency_proof`
  near-dups   `find_near` (chunk index) against `find_near(scan=True)` (the same search
              reading every stored hash from SQLite) for queries 8 bits away from planted
              neighbours; also a numpy scan of all hashes already in RAM, the floor for any
              scan. Both searches must return the same entries, or the script fails.
Synthetic entries have uniform random PDQ hashes (real ones are less uniform).
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from multiprocessing.synchronize import Barrier
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fauxlab.provenance.ledger import (
    Ledger,
    verify_consistency_proof_between_trusted_heads,
    verify_export,
    verify_inclusion_proof,
    verify_inclusion_proof_under_trusted_head,
)
from fauxlab.provenance.ledger.neardup import distances, pdq_bytes
from fauxlab.provenance.ledger.postgres_schema import NAMESPACE
from fauxlab.provenance.ledger.storage import LedgerLocation, is_url
from fauxlab.provenance.ledger.synthetic import entry_data, near, random_hex

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from postgres_server import start_server

PLANTED_PER_BATCH = 20
QUERY_FLIPS = 8
SERVER_SETTINGS = "-c shared_buffers=1GB -c max_wal_size=8GB -c checkpoint_timeout=30min"
"""The throwaway server's: fsync on (a real server's), more cache than the 128 MB default."""
_FORK = multiprocessing.get_context("fork")
Locations = Callable[[], LedgerLocation]


@contextmanager
def _locations(backend: str, folder: Path, url: str | None) -> Iterator[Locations]:
    """Makes new, empty ledger locations: files in `folder`, or new databases on the
    server at `url` (a role that may create databases) or on a throwaway server."""
    numbers = itertools.count()
    if backend == "sqlite":
        yield lambda: folder / f"ledger-{next(numbers)}.db"
        return
    server = None if url else start_server(SERVER_SETTINGS)
    if server is None and not url:
        raise SystemExit("no PostgreSQL binaries: run `make postgres`, or pass --postgres URL")
    admin = url or server.url()  # type: ignore[union-attr]

    def new_database() -> str:
        import psycopg

        name = f"ledger_bench_{next(numbers)}_{random.randrange(10**9)}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return urlsplit(admin)._replace(path=f"/{name}").geturl()

    try:
        yield new_database
    finally:
        if server is not None:
            server.stop()


def _stored_hashes(location: LedgerLocation) -> list[bytes]:
    """Every PDQ hash, read straight from the database (for the in-RAM scan floor)."""
    if is_url(location):
        import psycopg

        with psycopg.connect(str(location)) as conn:
            return [bytes(h) for (h,) in conn.execute(f"SELECT hash FROM {NAMESPACE}.pdq")]
    with closing(sqlite3.connect(f"file:{location}?mode=ro", uri=True)) as conn:
        return [bytes(h) for (h,) in conn.execute("SELECT hash FROM pdq")]


def _megabytes(location: LedgerLocation) -> float:
    if is_url(location):
        import psycopg

        with psycopg.connect(str(location)) as conn:
            row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
            return float(row[0]) / 1e6 if row else 0.0
    path = Path(location)
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 1e6


def _writer(location: LedgerLocation, worker: int, count: int, start: Barrier) -> None:
    rng = random.Random(worker)
    data = [entry_data(rng, worker * 10_000_000 + k) for k in range(count)]
    with Ledger(location, busy_timeout=600) as ledger:
        start.wait()
        for item in data:
            ledger.append(item)


def _concurrent(location: LedgerLocation, writers: int, total: int) -> float:
    """Seconds for `writers` processes to append `total` entries one by one; then every
    entry must be there once, and `check()` must pass."""
    Ledger(location).close()
    each = total // writers
    start = _FORK.Barrier(writers + 1)
    procs = [_FORK.Process(target=_writer, args=(location, k, each, start)) for k in range(writers)]
    for proc in procs:
        proc.start()
    start.wait()  # every writer connected: the clock starts
    started = time.perf_counter()
    for proc in procs:
        proc.join()
    seconds = time.perf_counter() - started
    assert all(proc.exitcode == 0 for proc in procs), [proc.exitcode for proc in procs]
    with Ledger(location, signing_key=Ed25519PrivateKey.generate()) as ledger:
        ledger.head()
        report = ledger.check()
        assert report.ok and report.tree_size == each * writers, report.summary()
        marks = sorted(ledger.get(i).watermark_id for i in range(ledger.size))
        assert marks == sorted(k * 10_000_000 + j for k in range(writers) for j in range(each))
    return seconds


def _writers_table(
    locations: dict[str, Locations], writers: list[int], total: int
) -> list[tuple[str, int, float]]:
    rows = []
    for backend, counts in (("sqlite", [1, max(writers)]), ("postgresql", writers)):
        for count in counts:
            seconds = _concurrent(locations[backend](), count, total)
            rows.append((backend, count, seconds))
            print(f"  ... {backend}, {count} writers: {total / seconds:,.0f}/s", flush=True)
    return rows


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _appends(
    new_location: Locations, singles: int, batched: int, batch: int
) -> list[tuple[str, int, float]]:
    rng = random.Random(1)
    rows = []
    for durable, count in ((False, singles), (True, max(singles // 10, 100))):
        path = new_location()
        with Ledger(path, signing_key=Ed25519PrivateKey.generate(), durable=durable) as ledger:
            data = [entry_data(rng, k) for k in range(count)]
            started = time.perf_counter()
            for item in data:
                ledger.append(item)
            seconds = time.perf_counter() - started
        name = "append(), durable=True" if durable else "append()"
        rows.append((name, count, seconds))
    with Ledger(new_location(), signing_key=Ed25519PrivateKey.generate()) as ledger:
        data = [entry_data(rng, k) for k in range(batched)]
        seconds = _timed(
            lambda: [ledger.append_many(data[k : k + batch]) for k in range(0, batched, batch)]
        )
    rows.append((f"append_many({batch})", batched, seconds))
    return rows


class Grower:
    """Grows one ledger in batches, planting neighbours of known targets as it goes."""

    def __init__(self, ledger: Ledger, batch: int) -> None:
        self.ledger = ledger
        self.batch = batch
        self.rng = random.Random(2)
        self.targets = [random_hex(self.rng) for _ in range(50)]
        self.seconds = 0.0

    def grow(self, size: int) -> None:
        while self.ledger.size < size:
            start = self.ledger.size
            count = min(self.batch, size - start)
            items = [entry_data(self.rng, start + k) for k in range(count)]
            for k in self.rng.sample(range(count), min(PLANTED_PER_BATCH, count)):
                pdq = near(self.rng.choice(self.targets), self.rng.randrange(0, 32), self.rng)
                items[k] = entry_data(self.rng, start + k, pdq=[pdq])
            started = time.perf_counter()
            self.ledger.append_many(items)
            self.seconds += time.perf_counter() - started
            print(f"  ... {self.ledger.size:,} entries, {self.seconds:.0f} s", flush=True)


def _proofs(ledger: Ledger, size: int, rounds: int) -> tuple[float, float, float]:
    """Mean ms: inclusion proof made, checked; consistency proof made and checked."""
    rng = random.Random(size)
    head = ledger.head()
    public = ledger.public_key
    assert head.tree_size == size
    make, check = [], []
    for _ in range(rounds):
        index = rng.randrange(size)
        started = time.perf_counter()
        proof = ledger.prove(index, size)
        made = time.perf_counter()
        assert verify_inclusion_proof_under_trusted_head(proof, head)
        make.append(made - started)
        check.append(time.perf_counter() - made)
    old_head = ledger.heads()[0]
    consistency = []
    for _ in range(max(rounds // 10, 10)):
        started = time.perf_counter()
        proof_c = ledger.prove_consistency(old_head.tree_size, size)
        assert verify_consistency_proof_between_trusted_heads(proof_c, old_head, head)
        consistency.append(time.perf_counter() - started)
    assert verify_inclusion_proof(ledger.prove(0, size), head, public)
    return (
        1e3 * statistics.mean(make),
        1e3 * statistics.mean(check),
        1e3 * statistics.mean(consistency),
    )


def _near(
    ledger: Ledger, location: LedgerLocation, targets: list[str], queries: int, scans: int
) -> dict[str, float]:
    rng = random.Random(3)
    asked = [near(rng.choice(targets), QUERY_FLIPS, rng) for _ in range(queries)]
    index_s, found = [], 0
    for query in asked:
        started = time.perf_counter()
        matches = ledger.find_near(query, limit=None)
        index_s.append(time.perf_counter() - started)
        found += len(matches)
    scan_s = []
    for query in asked[:scans]:
        started = time.perf_counter()
        scanned = ledger.find_near(query, limit=None, scan=True)
        scan_s.append(time.perf_counter() - started)
        assert scanned == ledger.find_near(query, limit=None), "index and scan disagree"
    # the floor for any scan: every hash already in one numpy array, no SQL
    stored = _stored_hashes(location)
    ram_s = []
    for query in asked[:scans]:
        started = time.perf_counter()
        distances(stored, pdq_bytes(query))
        ram_s.append(time.perf_counter() - started)
    return {
        "index_ms": 1e3 * statistics.median(index_s),
        "scan_ms": 1e3 * statistics.median(scan_s),
        "ram_ms": 1e3 * statistics.median(ram_s),
        "matches": found / len(asked),
    }


def _audit(ledger: Ledger, export: Path) -> dict[str, float]:
    """Seconds for a full check(), an export and a third party's verification of it."""
    started = time.perf_counter()
    report = ledger.check()
    checked = time.perf_counter()
    assert report.ok, report.summary()
    ledger.export(export)
    exported = time.perf_counter()
    assert verify_export(export, ledger.public_key).ok
    return {
        "size": ledger.size,
        "check()": checked - started,
        "export()": exported - checked,
        "verify_export()": time.perf_counter() - exported,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,100000,1000000", help="tree sizes to measure")
    parser.add_argument("--singles", type=int, default=5000, help="single appends to time")
    parser.add_argument("--batch", type=int, default=50_000, help="append_many batch size")
    parser.add_argument("--proofs", type=int, default=500, help="inclusion proofs per size")
    parser.add_argument("--queries", type=int, default=200, help="indexed look-ups per size")
    parser.add_argument("--scans", type=int, default=5, help="scan look-ups per size")
    parser.add_argument("--folder", type=Path, help="keep the ledgers here (default: temp)")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--postgres", help="server URL (default: a throwaway server)")
    parser.add_argument("--writers", default="1,4,16", help="concurrent writer counts")
    parser.add_argument("--concurrent", type=int, default=10_000, help="entries they append")
    args = parser.parse_args()
    sizes = sorted(int(float(s)) for s in args.sizes.split(","))
    writers = sorted(int(w) for w in args.writers.split(","))

    with tempfile.TemporaryDirectory() as temp:
        folder = args.folder or Path(temp)
        folder.mkdir(parents=True, exist_ok=True)
        with (
            _locations("sqlite", folder, None) as files,
            _locations(args.backend, folder, args.postgres) as chosen,
        ):
            concurrent = []
            if args.backend == "postgresql" and args.concurrent:
                concurrent = _writers_table(
                    {"sqlite": files, "postgresql": chosen}, writers, args.concurrent
                )
            appends = _appends(chosen, args.singles, min(100_000, max(sizes)), 1000)
            rows = []
            location = chosen()
            with Ledger(location, signing_key=Ed25519PrivateKey.generate()) as ledger:
                grower = Grower(ledger, args.batch)
                grower.grow(1)
                ledger.head()  # the old head the consistency proofs start from
                for size in sizes:
                    grower.grow(size)
                    proof = _proofs(ledger, size, args.proofs)
                    near_dup = _near(ledger, location, grower.targets, args.queries, args.scans)
                    rows.append((size, grower.seconds, _megabytes(location), proof, near_dup))
                big = [entry_data(random.Random(4), 10**9 + k) for k in range(args.singles // 5)]
                late = _timed(lambda: [ledger.append(item) for item in big])
                appends.append((f"append() at {ledger.size - len(big):,}", len(big), late))
                audit = _audit(ledger, folder / "export.jsonl")

    if concurrent:
        baseline = next(args.concurrent / s for b, w, s in concurrent if (b, w) == ("sqlite", 1))
        print(f"\n{args.concurrent:,} single appends by N processes at once")
        print(f"{'backend':<12}{'writers':>8}{'seconds':>9}{'per s':>9}{'x sqlite 1':>12}")
        for backend, count, seconds in concurrent:
            rate = args.concurrent // count * count / seconds
            print(f"{backend:<12}{count:>8}{seconds:>9.2f}{rate:>9,.0f}{rate / baseline:>12.2f}")
    print(f"\nappends, one process ({args.backend})")
    print(f"{'call':<28}{'entries':>9}{'seconds':>9}{'per s':>9}")
    for name, count, seconds in appends:
        print(f"{name:<28}{count:>9,}{seconds:>9.2f}{count / seconds:>9,.0f}")
    print(
        "\nsize        build s  disk MB  prove ms  check ms  sum ms  consist ms"
        "  near ms  scan ms  x scan  RAM scan ms  x RAM  found"
    )
    for size, build, megabytes, (make, check, consistency), nd in rows:
        print(
            f"{size:<12,}{build:>7.0f}{megabytes:>9.0f}{make:>10.3f}{check:>10.3f}"
            f"{make + check:>8.3f}{consistency:>12.3f}{nd['index_ms']:>9.2f}{nd['scan_ms']:>9.1f}"
            f"{nd['scan_ms'] / nd['index_ms']:>8.0f}{nd['ram_ms']:>13.2f}"
            f"{nd['ram_ms'] / nd['index_ms']:>7.1f}{nd['matches']:>7.1f}"
        )
    print(f"\naudit of all {audit['size']:,} entries, seconds")
    for name in ("check()", "export()", "verify_export()"):
        print(f"{name:<18}{audit[name]:>8.1f}")


if __name__ == "__main__":
    np.seterr(all="raise")
    main()
