"""Export -> verify_export -> import: a third party checks the file without our database."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fauxlab.errors import OutputExistsError
from fauxlab.provenance.ledger import (
    ExportError,
    Ledger,
    raw_public_key,
    verify_export,
    verify_inclusion_proof,
)
from fauxlab.provenance.ledger.synthetic import entries, entry_data
from ledger_locations import LedgerLocations


@pytest.fixture
def source(new_ledger_location: LedgerLocations) -> Path | str:
    """The exported ledger's location (each test runs on each backend)."""
    return new_ledger_location()


@pytest.fixture
def exported(tmp_path: Path, source: Path | str) -> tuple[Path, bytes]:
    key = Ed25519PrivateKey.generate()
    with Ledger(source, signing_key=key) as ledger:
        ledger.append_many(entries(37, seed=10))
        ledger.append(entry_data(random.Random(1), 999, kind="video", frames=3))
        ledger.head()
        ledger.append_many(entries(5, seed=11, first_watermark=500))
        head = ledger.export(tmp_path / "ledger.jsonl")
        assert head.tree_size == 43 and head == ledger.heads()[-1]
    return tmp_path / "ledger.jsonl", raw_public_key(key)


def independent_root(lines: list[bytes]) -> bytes:
    """RFC 6962 MTH written out from the RFC, sharing no code with fauxlab."""

    def mth(leaves: list[bytes]) -> bytes:
        if len(leaves) == 1:
            return hashlib.sha256(b"\x00" + leaves[0]).digest()
        k = 1 << ((len(leaves) - 1).bit_length() - 1)
        return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()

    return mth(lines)


def test_export_verifies_with_and_without_a_pinned_key(exported: tuple[Path, bytes]) -> None:
    path, public = exported
    result = verify_export(path, public)
    assert result.ok and result.key_pinned and result.tree_size == 43, result.reason
    assert verify_export(path).ok and not verify_export(path).key_pinned
    other = raw_public_key(Ed25519PrivateKey.generate())
    assert "does not verify" in verify_export(path, other).reason


def test_export_format_is_checkable_by_hand(exported: tuple[Path, bytes]) -> None:
    path, _ = exported
    header, *lines = path.read_bytes().split(b"\n")[:-1]
    head = json.loads(header)["head"]
    assert independent_root(lines).hex() == head["root"]
    assert [json.loads(line)["index"] for line in lines] == list(range(43))


def test_round_trip_into_an_empty_ledger(
    exported: tuple[Path, bytes], source: Path | str, new_ledger_location: LedgerLocations
) -> None:
    path, public = exported
    with Ledger(source) as original, Ledger(new_ledger_location()) as copy:
        result = copy.import_(path, public)
        assert result.ok and copy.size == 43
        assert [copy.get(i) for i in range(43)] == [original.get(i) for i in range(43)]
        assert copy.root() == original.root() and copy.heads() == original.heads()[-1:]
        proof = copy.prove(17)
        assert verify_inclusion_proof(proof, original.heads()[-1], public)
        assert copy.find_near(original.get(5).pdq[0])[0].entry.index == 5
        assert copy.check().ok
        copy.append(entries(1, seed=12, first_watermark=10_000)[0])  # the copy lives on
        assert copy.check().ok
        with pytest.raises(ExportError, match="empty ledger"):
            copy.import_(path)


def _rewrite(path: Path, line: int, edit: bytes | None) -> None:
    lines = path.read_bytes().split(b"\n")
    if edit is None:
        del lines[line]
    else:
        lines[line] = edit
    path.write_bytes(b"\n".join(lines))


@pytest.mark.parametrize(
    ("line", "edit", "reason"),
    [
        (5, None, "entry 5 where 4 belongs"),
        (-2, None, "42 entries where the signed head has 43"),
        (0, b"{}", "not a fauxlab ledger export"),
        (0, b"garbage", "malformed export header"),
        (3, b'{"index": 2}', "line 4: not a valid entry"),  # file line 4
    ],
)
def test_damaged_exports_fail_with_a_reason(
    exported: tuple[Path, bytes],
    new_ledger_location: LedgerLocations,
    line: int,
    edit: bytes | None,
    reason: str,
) -> None:
    path, public = exported
    _rewrite(path, line, edit)
    result = verify_export(path, public)
    assert not result.ok and reason in result.reason
    target = new_ledger_location()
    with Ledger(target) as copy, pytest.raises(ExportError, match="not imported"):
        copy.import_(path)
    with Ledger(target) as copy:
        assert copy.size == 0


def test_an_edited_entry_changes_the_root(exported: tuple[Path, bytes]) -> None:
    path, public = exported
    lines = path.read_bytes().split(b"\n")
    entry = json.loads(lines[10])
    entry["file_name"] = "innocent.png"
    _rewrite(path, 10, json.dumps(entry, sort_keys=True, separators=(",", ":")).encode())
    assert "Merkle root differs" in verify_export(path, public).reason


def test_truncated_export_and_missing_file(exported: tuple[Path, bytes], tmp_path: Path) -> None:
    path, public = exported
    path.write_bytes(path.read_bytes()[:-20])
    assert "truncated" in verify_export(path, public).reason
    assert "cannot read" in verify_export(tmp_path / "nothing.jsonl").reason


def test_export_refuses_to_overwrite(exported: tuple[Path, bytes], source: Path | str) -> None:
    path, _ = exported
    with Ledger(source) as ledger:
        with pytest.raises(OutputExistsError):
            ledger.export(path)
        ledger.export(path, overwrite=True)
    assert verify_export(path).ok
