"""Many processes appending at once, and a process killed mid-append, on each backend:
one real SQLite file, one real PostgreSQL database."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from multiprocessing.synchronize import Barrier, Event
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fauxlab.provenance.ledger import (
    Ledger,
    LedgerLockedError,
    load_or_create_signing_key,
    raw_public_key,
)
from fauxlab.provenance.ledger.synthetic import entries

WORKERS, EACH = 16, 50  # 800 appends; benchmarks/ledger.py runs 16 x 625 = 10,000
_FORK = multiprocessing.get_context("fork")  # children open their own Ledger


def _append_one_by_one(location: Path | str, worker: int, start: Barrier) -> None:
    data = entries(EACH, seed=worker, first_watermark=worker * 1000)
    with Ledger(location, busy_timeout=60) as ledger:
        start.wait()
        for item in data:
            ledger.append(item)
            time.sleep(0.002)  # as if making the next medium: lets the others in


def _append_forever(location: Path | str, seed: int) -> None:
    with Ledger(location, busy_timeout=60) as ledger:
        for batch in range(1_000_000):
            first = seed * 10_000_000 + batch * 25  # unique across rounds
            ledger.append_many(entries(25, seed=batch, first_watermark=first))


def _make_key(path: str, queue: multiprocessing.Queue[bytes]) -> None:
    queue.put(raw_public_key(load_or_create_signing_key(Path(path))))


def test_concurrent_appends_all_land_in_one_order(ledger_location: Path | str) -> None:
    path = ledger_location
    Ledger(path).close()
    start = _FORK.Barrier(WORKERS)
    workers = [
        _FORK.Process(target=_append_one_by_one, args=(path, k, start)) for k in range(WORKERS)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    with Ledger(path, signing_key=Ed25519PrivateKey.generate()) as ledger:
        assert ledger.size == WORKERS * EACH
        found = [ledger.get(i) for i in range(ledger.size)]
        assert [e.index for e in found] == list(range(WORKERS * EACH))
        assert sorted(e.watermark_id for e in found) == sorted(
            k * 1000 + j for k in range(WORKERS) for j in range(EACH)
        )
        for k in range(WORKERS):  # each process's entries keep its own order
            own = [e.watermark_id for e in found if e.watermark_id // 1000 == k]
            assert own == sorted(own)
        ledger.head()
        assert ledger.check().ok


def _kill_while_appending(path: Path | str, past: int, seed: int) -> None:
    """Start a child appending batches; SIGKILL it once the ledger has `past` entries."""
    child = _FORK.Process(target=_append_forever, args=(path, seed))
    child.start()
    try:
        with Ledger(path) as ledger:
            deadline = time.monotonic() + 30
            while ledger.size < past and time.monotonic() < deadline:
                time.sleep(0.005)
            assert ledger.size >= past
    finally:
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
        child.join(10)
    assert child.exitcode == -signal.SIGKILL


def test_a_process_killed_mid_append_leaves_a_consistent_log(ledger_location: Path | str) -> None:
    path = ledger_location
    Ledger(path).close()
    key = Ed25519PrivateKey.generate()  # one owner: another key's head is not re-signed
    for round_ in range(3):  # the child spends most of its time inside a transaction
        _kill_while_appending(path, past=150 * (round_ + 1), seed=round_)
        with Ledger(path, signing_key=key) as ledger:
            size = ledger.size
            assert size % 25 == 0  # whole batches only: the killed one left nothing
            report = ledger.check()
            assert report.ok and report.tree_size == size, report.summary()
            ledger.head()
    with Ledger(path, signing_key=key) as ledger:
        ledger.append_many(entries(3, seed=-1, first_watermark=10**8))
        ledger.head()
        assert ledger.check().ok and ledger.size == size + 3


def _hold_the_lock_forever(location: Path | str, holding: Event) -> None:
    """Append, but stop inside the write transaction, lock held, as if the machine hung."""
    from fauxlab.provenance.ledger import store

    def stuck(*args: object, **kwargs: object) -> None:
        holding.set()
        time.sleep(600)

    store.insert_entries = stuck  # type: ignore[assignment]  # this child only
    with Ledger(location) as ledger:
        ledger.append(entries(1, seed=7, first_watermark=777)[0])


def test_a_writer_killed_holding_the_lock_does_not_block_the_others(
    ledger_location: Path | str,
) -> None:
    with Ledger(ledger_location) as ledger:
        ledger.append_many(entries(5))
    holding = _FORK.Event()
    child = _FORK.Process(target=_hold_the_lock_forever, args=(ledger_location, holding))
    child.start()
    try:
        assert holding.wait(30)
        with (
            Ledger(ledger_location, busy_timeout=0.2) as ledger,
            pytest.raises(LedgerLockedError),  # it really holds the write lock
        ):
            ledger.append(entries(1, seed=8, first_watermark=888)[0])
    finally:
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
        child.join(10)
    with Ledger(ledger_location, busy_timeout=30) as ledger:
        ledger.append(entries(1, seed=8, first_watermark=888)[0])  # the lock went with it
        assert ledger.size == 6 and ledger.find_watermark(777) is None
        assert ledger.check().ok


def test_concurrent_first_use_agrees_on_one_key(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "ledger-ed25519.pem"
    queue: multiprocessing.Queue[bytes] = _FORK.Queue()
    procs = [_FORK.Process(target=_make_key, args=(str(path), queue)) for _ in range(WORKERS)]
    for proc in procs:
        proc.start()
    keys = {queue.get(timeout=30) for _ in procs}
    for proc in procs:
        proc.join(10)
    assert len(keys) == 1 and keys == {raw_public_key(load_or_create_signing_key(path))}
