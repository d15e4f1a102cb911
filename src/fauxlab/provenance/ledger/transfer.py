"""Export files a third party can verify without fauxlab's database, and their import.

The format is JSONL, read as bytes:

    line 1      {"format": "fauxlab-ledger-export", "version": 1, "tree_size": N,
                 "head": {signed tree head}, "public_key": "<hex of raw Ed25519 key>"}
    lines 2..   one entry per line, in index order: the exact leaf bytes (canonical JSON)

So a verifier hashes each entry line as it is (SHA-256 of 0x00 + line, without the
newline), rebuilds the RFC 6962 root, and checks the head's Ed25519 signature over the
checkpoint text in `heads.head_message`. Verification streams: memory stays O(log n).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from fauxlab.fileio import atomic_output
from fauxlab.provenance.ledger.entries import LedgerEntry, canonical_json
from fauxlab.provenance.ledger.errors import ExportError, LedgerCorruptError, LedgerError
from fauxlab.provenance.ledger.heads import SignedTreeHead, verify_head
from fauxlab.provenance.ledger.merkle import EMPTY_ROOT, leaf_hash, node_hash
from fauxlab.provenance.ledger.schema import stored_bytes
from fauxlab.provenance.ledger.storage import Database
from fauxlab.provenance.ledger.tree import Frontier, extend_frontier, stored_root
from fauxlab.provenance.ledger.writes import insert_entries

EXPORT_FORMAT = "fauxlab-ledger-export"
EXPORT_VERSION = 1
_IMPORT_BATCH = 50_000
MAX_LINE = 1 << 20  # an entry is a few hundred bytes; a longer line is refused unread


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of `verify_export`; `reason` says what failed, where."""

    ok: bool
    reason: str
    tree_size: int = 0
    head: SignedTreeHead | None = None
    key_pinned: bool = False
    """True when the caller supplied the key; else only the file's own key was used."""


class _InvalidExportError(Exception):
    """Internal: the export fails verification for the reason given."""


def stored_heads(conn: Database) -> list[SignedTreeHead]:
    rows = conn.execute(
        "SELECT tree_size, root, timestamp, key_id, public_key, signature FROM heads "
        "ORDER BY head_id"
    )
    return [_head(row) for row in rows]


def latest_head(conn: Database) -> SignedTreeHead | None:
    row = conn.execute(
        "SELECT tree_size, root, timestamp, key_id, public_key, signature FROM heads "
        "ORDER BY head_id DESC LIMIT 1"
    ).fetchone()
    return None if row is None else _head(row)


def _head(row: tuple[int, bytes, str, str, bytes, bytes]) -> SignedTreeHead:
    size, root, stamp, kid, public, signature = row
    return SignedTreeHead(
        size, bytes(root).hex(), stamp, kid, bytes(public).hex(), bytes(signature).hex()
    )


def store_head(conn: Database, head: SignedTreeHead) -> None:
    conn.execute(
        "INSERT INTO heads (tree_size, root, timestamp, key_id, public_key, signature) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (
            head.tree_size,
            bytes.fromhex(head.root),
            head.timestamp,
            head.key_id,
            bytes.fromhex(head.public_key),
            bytes.fromhex(head.signature),
        ),
    )


def frontier_root(frontier: Frontier) -> bytes:
    """Fold the right-edge blocks from the right: the root of the tree they cover."""
    if not frontier:
        return EMPTY_ROOT
    root = frontier[-1][1]
    for _, left in reversed(frontier[:-1]):
        root = node_hash(left, root)
    return root


def write_export(
    conn: Database, head: SignedTreeHead, path: Path, *, overwrite: bool = False
) -> None:
    """Write the first `head.tree_size` entries and `head`; refuse if they disagree."""
    header = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "tree_size": head.tree_size,
        "head": head.to_dict(),
        "public_key": head.public_key,
    }
    frontier: Frontier = []
    count = 0
    with atomic_output(path, overwrite=overwrite) as partial, partial.open("wb") as out:
        out.write(canonical_json(header) + b"\n")
        rows = conn.execute(
            "SELECT entry_json FROM entries WHERE leaf_index < ? ORDER BY leaf_index",
            (head.tree_size,),
        )
        for (blob,) in rows:
            data = stored_bytes(blob)
            extend_frontier(frontier, count, [leaf_hash(data)])
            out.write(data + b"\n")
            count += 1
        if count != head.tree_size or frontier_root(frontier).hex() != head.root:
            raise LedgerCorruptError(
                f"{path}: not written: the ledger's entries do not match its signed head; "
                "run `Ledger.check()` to find the first altered entry"
            )


def _header(line: bytes, public_key: bytes | None) -> tuple[SignedTreeHead, bytes]:
    try:
        header: Any = json.loads(line)
        if header.get("format") != EXPORT_FORMAT:
            raise _InvalidExportError("line 1: not a fauxlab ledger export")
        if header.get("version") != EXPORT_VERSION:
            raise _InvalidExportError(
                f"line 1: export version {header.get('version')!r} is not supported"
            )
        head = SignedTreeHead.from_dict(header["head"])
        key = bytes.fromhex(header["public_key"]) if public_key is None else public_key
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise _InvalidExportError(f"line 1: malformed export header ({exc})") from exc
    if header["tree_size"] != head.tree_size:
        raise _InvalidExportError("line 1: the header's tree size differs from its signed head's")
    if not verify_head(head, key):
        raise _InvalidExportError("the signed tree head does not verify against the public key")
    return head, key


def _line(handle: BinaryIO, number: int) -> bytes:
    """The next line, read no further than `MAX_LINE` bytes."""
    line = handle.readline(MAX_LINE + 1)
    if len(line) > MAX_LINE:
        raise _InvalidExportError(
            f"line {number}: longer than {MAX_LINE:,} bytes: not a ledger export line"
        )
    return line


def read_export(
    path: Path, public_key: bytes | None = None, keep: bool = True
) -> tuple[VerifyResult, list[LedgerEntry], list[bytes]]:
    """Verify an export; with `keep`, also return its entries and their exact bytes."""
    entries: list[LedgerEntry] = []
    blobs: list[bytes] = []
    head: SignedTreeHead | None = None
    try:
        with path.open("rb") as handle:
            head, _ = _header(_line(handle, 1), public_key)
            frontier: Frontier = []
            count = 0
            number = 1
            while line := _line(handle, number := number + 1):
                if not line.endswith(b"\n"):
                    raise _InvalidExportError(f"line {number}: cut short (the file is truncated)")
                data = line[:-1]
                try:
                    entry = LedgerEntry.from_json(data)
                except LedgerError as exc:
                    raise _InvalidExportError(f"line {number}: not a valid entry ({exc})") from exc
                if entry.index != count:
                    raise _InvalidExportError(
                        f"line {number}: entry {entry.index} where {count} belongs"
                    )
                extend_frontier(frontier, count, [leaf_hash(data)])
                count += 1
                if keep:
                    entries.append(entry)
                    blobs.append(data)
        if count != head.tree_size:
            raise _InvalidExportError(f"{count} entries where the signed head has {head.tree_size}")
        if frontier_root(frontier).hex() != head.root:
            raise _InvalidExportError(
                "the entries' Merkle root differs from the signed head's: altered"
            )
    except _InvalidExportError as exc:
        return VerifyResult(False, f"{path}: {exc}", head=head), [], []
    except OSError as exc:
        return VerifyResult(False, f"{path}: cannot read the export ({exc})"), [], []
    result = VerifyResult(True, "", head.tree_size, head, key_pinned=public_key is not None)
    return result, entries, blobs


def verify_export(path: Path, public_key: bytes | None = None) -> VerifyResult:
    """Check an export on its own: signature, every entry, and the rebuilt Merkle root.

    Pass the ledger's `public_key` (raw 32 bytes) obtained out of band to check where
    the file came from; without it the file's own key shows only that it is intact.
    """
    return read_export(Path(path), public_key, keep=False)[0]


def verified_export(
    path: Path, public_key: bytes | None
) -> tuple[VerifyResult, list[LedgerEntry], list[bytes]]:
    """An export's entries and their bytes, only if the whole file verifies."""
    result, entries, blobs = read_export(path, public_key)
    if not result.ok or result.head is None:
        raise ExportError(f"{path}: not imported: {result.reason}")
    return result, entries, blobs


def load_export(
    conn: Database,
    ledger: str | Path,
    verified: tuple[VerifyResult, list[LedgerEntry], list[bytes]],
) -> None:
    """Load a verified export into the empty ledger behind `conn`, its signed head included
    (inside the caller's write transaction)."""
    result, entries, blobs = verified
    assert result.head is not None
    has_data = "SELECT EXISTS (SELECT 1 FROM entries UNION SELECT 1 FROM heads)"
    if conn.execute(has_data).fetchone()[0]:
        raise ExportError(f"{ledger}: import needs an empty ledger; this one has data")
    frontier: Frontier = []
    for start in range(0, len(entries), _IMPORT_BATCH):
        end = start + _IMPORT_BATCH
        batch = entries[start:end]
        frontier = insert_entries(conn, ledger, start, batch, blobs[start:end], frontier)
    if stored_root(conn, ledger, len(entries)).hex() != result.head.root:
        raise ExportError(f"{ledger}: the imported tree does not match the export's head")
    store_head(conn, result.head)
