"""Ledger round trips on each backend (a real SQLite file, a real PostgreSQL database):
append, get, find, heads; and signing keys."""

from __future__ import annotations

import json
import random
import stat
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fauxlab.errors import FauxlabError
from fauxlab.provenance.ledger import (
    EntryData,
    EntryNotFoundError,
    InvalidEntryError,
    Ledger,
    LedgerEntry,
    LedgerKeyError,
    WatermarkCollisionError,
    default_key_path,
    load_or_create_signing_key,
    raw_public_key,
    verify_head,
)
from fauxlab.provenance.ledger.merkle import EMPTY_ROOT, leaf_hash
from fauxlab.provenance.ledger.synthetic import entries, entry_data
from merkle_oracle import MerkleTreeCache


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def ledger(ledger_location: Path | str, key: Ed25519PrivateKey) -> Iterator[Ledger]:
    with Ledger(ledger_location, signing_key=key) as opened:
        yield opened


def test_append_get_find_round_trip(ledger: Ledger) -> None:
    rng = random.Random(1)
    video = entry_data(rng, 77, kind="video", frames=5)
    written = [*ledger.append_many(entries(20, seed=1)), ledger.append(video)]
    assert [e.index for e in written] == list(range(21)) and ledger.size == 21
    for entry in written:
        assert ledger.get(entry.index) == entry
        assert ledger.find_watermark(entry.watermark_id) == entry
        assert ledger.find_sha256(entry.sha256.upper()) == [entry]
    assert written[-1].kind == "video" and len(written[-1].pdq) == 5
    assert ledger.find_watermark(123_456) is None and ledger.find_sha256("0" * 64) == []
    with pytest.raises(EntryNotFoundError, match="no entry 21"):
        ledger.get(21)


def test_entry_json_is_canonical_leaf_data(ledger: Ledger) -> None:
    entry = ledger.append(entries(1)[0])
    data = entry.to_json()
    assert (
        data
        == json.dumps(
            json.loads(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
    )
    assert LedgerEntry.from_json(data) == entry
    assert ledger.prove(0).leaf_hash == leaf_hash(data).hex()
    with pytest.raises(InvalidEntryError, match="canonical"):
        LedgerEntry.from_json(json.dumps(json.loads(data), indent=1))


def test_same_file_bytes_can_be_recorded_twice(ledger: Ledger) -> None:
    first = entries(1)[0]
    ledger.append(first)
    ledger.append(replace(first, watermark_id=first.watermark_id + 1))
    assert [e.index for e in ledger.find_sha256(first.sha256)] == [0, 1]


def test_created_and_unicode_file_names(ledger: Ledger) -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, 6000, tzinfo=UTC)
    data = replace(entries(1)[0], created=moment, file_name="visage-été-\n.png")
    entry = ledger.append(data)
    assert entry.created == "2026-01-02T03:04:05.006000Z"
    assert ledger.get(0).file_name == "visage-été-\n.png"


@pytest.mark.parametrize(
    "change",
    [
        {"sha256": "xyz"},
        {"pdq": []},
        {"pdq": ["0" * 63]},
        {"pdq": ["0" * 64, "1" * 64]},  # an image has one hash
        {"kind": "video", "pdq": ["0" * 64] * 257},
        {"kind": "text"},
        {"kind": "audio", "pdq": ["0" * 64, "1" * 64]},  # a sound has one fingerprint
        {"watermark_id": -1},
        {"watermark_id": 1 << 32},
        {"sources": ["nothex"]},
        {"created": datetime(2026, 1, 1)},  # naive: no time zone
    ],
)
def test_invalid_entries_are_refused_and_leave_no_trace(
    ledger: Ledger, change: dict[str, Any]
) -> None:
    bad = replace(entries(1, seed=2, first_watermark=5)[0], **change)
    with pytest.raises(InvalidEntryError) as raised:
        ledger.append_many([entries(1)[0], bad])
    assert isinstance(raised.value, FauxlabError)
    assert ledger.size == 0


def test_watermark_collisions_are_clear(ledger: Ledger) -> None:
    ledger.append_many(entries(3))
    with pytest.raises(WatermarkCollisionError, match="watermark id 2 is already entry 2"):
        ledger.append(entries(1, seed=9, first_watermark=2)[0])
    twice = entries(2, seed=9, first_watermark=50)
    with pytest.raises(WatermarkCollisionError, match="twice in one batch"):
        ledger.append_many([twice[0], replace(twice[1], watermark_id=50)])
    assert ledger.size == 3
    fresh = {ledger.new_watermark_id() for _ in range(50)}
    assert all(0 <= w < 1 << 32 and ledger.find_watermark(w) is None for w in fresh)


def test_roots_match_the_reference_tree(ledger: Ledger) -> None:
    assert ledger.root() == EMPTY_ROOT.hex()
    cache = MerkleTreeCache()
    for batch in (1, 2, 5, 8, 17):
        for entry in ledger.append_many(entries(batch, seed=batch, first_watermark=1000 * batch)):
            cache.append(leaf_hash(entry.to_json()))
        for size in range(cache.size + 1):
            assert ledger.root(size) == cache.root(size).hex()
    with pytest.raises(ValueError, match="outside"):
        ledger.root(cache.size + 1)


def test_heads_are_signed_stored_and_reused(ledger: Ledger, key: Ed25519PrivateKey) -> None:
    public = raw_public_key(key)
    empty = ledger.head()
    assert empty.tree_size == 0 and empty.root == EMPTY_ROOT.hex()
    ledger.append_many(entries(4))
    head = ledger.head()
    assert (head.tree_size, head.root) == (4, ledger.root())
    assert verify_head(head, public) and ledger.public_key == public
    assert ledger.head() == head  # nothing appended: the stored head still holds
    assert ledger.head(fresh=True) != head
    assert len(ledger.heads()) == 3
    other = raw_public_key(Ed25519PrivateKey.generate())
    assert not verify_head(head, other)
    assert not verify_head(replace(head, tree_size=5), public)
    assert not verify_head(replace(head, root="00" * 32), public)
    assert not verify_head(replace(head, signature="zz"), public)


def test_default_signing_key_is_created_once_with_mode_0600(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAUXLAB_HOME", str(tmp_path / "home"))
    path = default_key_path()
    assert path == tmp_path / "home" / "ledger-ed25519.pem" and not path.exists()
    with Ledger(tmp_path / "a.db") as ledger:
        ledger.append(entries(1)[0])
        head = ledger.head()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert raw_public_key(load_or_create_signing_key()) == bytes.fromhex(head.public_key)
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no partial file left


def test_signing_key_problems_are_clear(tmp_path: Path) -> None:
    path = tmp_path / "key.pem"
    key = load_or_create_signing_key(path)
    assert raw_public_key(load_or_create_signing_key(path)) == raw_public_key(key)
    path.chmod(0o644)
    with pytest.raises(LedgerKeyError, match="chmod 600"):
        load_or_create_signing_key(path)
    path.write_text("not a key")
    path.chmod(0o600)
    with pytest.raises(LedgerKeyError, match="not an unencrypted PEM"):
        load_or_create_signing_key(path)


def test_entry_data_accepts_sequences(ledger: Ledger) -> None:
    data = entries(1)[0]
    entry = ledger.append(EntryData(**{**data.__dict__, "pdq": tuple(data.pdq)}))
    assert entry.pdq == tuple(data.pdq)
