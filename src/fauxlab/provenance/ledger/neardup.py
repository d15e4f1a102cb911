"""Near-duplicate search over PDQ hashes by multi-index hashing, with a linear scan beside it.

Each 256-bit hash is cut into 16 chunks of 16 bits and indexed as one integer per chunk,
`chunk_no << 16 | chunk_value`. If two hashes differ in d bits, some chunk differs in at
most d // 16 of them (pigeonhole), so probing every chunk's value and its neighbours
within that radius finds every match: 16 x 17 = 272 index seeks for d <= 31. The
candidates are then checked at full distance, joined to their hashes by rowid. A single
integer key matters: SQLite seeks an `IN` list of integers through the index, but scans
for row-value pairs.

Index rows name a hash by `hash_id = leaf_index << 8 | position`, so a video's sampled
frames each have their own row and all lead back to the one entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import combinations
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from fauxlab.provenance.ledger.entries import LedgerEntry, hex_digest
from fauxlab.provenance.ledger.errors import LedgerRequestError
from fauxlab.provenance.ledger.storage import Database

CHUNKS = 16
CHUNK_BITS = 16
POSITION_BITS = 8  # a hash's position within its entry (see `entries.MAX_PDQ`)
MAX_INDEXED_RADIUS = 2
"""Beyond a chunk radius of 2 (distance 48+) the probes outnumber a scan's worth: scan."""

_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)
_SQL_VARIABLES = 30_000  # below SQLite's default limit of 32,766 bound parameters


class NearMatch(NamedTuple):
    """An entry and its smallest Hamming distance to any of the query hashes."""

    entry: LedgerEntry
    distance: int


def pdq_bytes(hashes: str | Sequence[str]) -> list[bytes]:
    """Query hashes as 32-byte strings, accepting one hex hash or several."""
    items = [hashes] if isinstance(hashes, str) else list(hashes)
    if not items:
        raise LedgerRequestError("give at least one PDQ hash to search for")
    return [bytes.fromhex(hex_digest(h, "a PDQ hash")) for h in items]


def hash_id(leaf_index: int, position: int) -> int:
    """The id of an entry's `position`-th PDQ hash."""
    return leaf_index << POSITION_BITS | position


def chunk_keys(digest: bytes) -> list[int]:
    """The 16 index keys of one 32-byte hash."""
    return [
        (chunk << CHUNK_BITS) | int.from_bytes(digest[2 * chunk : 2 * chunk + 2], "big")
        for chunk in range(CHUNKS)
    ]


def chunk_rows(digests: Sequence[tuple[int, bytes]]) -> list[tuple[int, int]]:
    """(chunk_key, hash_id) index rows for (hash_id, digest) pairs, in key order: sorted,
    a big batch walks the index B-tree once instead of jumping around it."""
    if len(digests) < 16:  # numpy's set-up costs more than it saves on a few hashes
        return sorted((key, hid) for hid, digest in digests for key in chunk_keys(digest))
    ids = np.array([hid for hid, _ in digests], dtype=np.int64)
    values = np.frombuffer(b"".join(d for _, d in digests), dtype=">u2").reshape(-1, CHUNKS)
    keys = (np.arange(CHUNKS, dtype=np.int64) << CHUNK_BITS) | values.astype(np.int64)
    packed = np.sort(((keys << 40) | ids[:, None]).ravel())  # ids < 2**40: 4e9 entries
    return list(zip((packed >> 40).tolist(), (packed & ((1 << 40) - 1)).tolist(), strict=True))


def _flips(radius: int) -> list[int]:
    masks = [0]
    for r in range(1, radius + 1):
        masks.extend(sum(1 << b for b in bits) for bits in combinations(range(CHUNK_BITS), r))
    return masks


def probe_keys(digests: Iterable[bytes], max_distance: int) -> list[int]:
    """Every key within `max_distance // 16` bits of each chunk of each hash."""
    masks = _flips(max_distance // CHUNKS)
    keys: set[int] = set()
    for digest in digests:
        for key in chunk_keys(digest):
            keys.update(key ^ mask for mask in masks)
    return sorted(keys)


def distances(candidates: Sequence[bytes], queries: Sequence[bytes]) -> NDArray[np.int32]:
    """Smallest Hamming distance of each candidate hash to any query hash."""
    stored = np.frombuffer(b"".join(candidates), dtype=np.uint8).reshape(-1, 32)
    best = np.full(len(candidates), 257, dtype=np.int32)
    for query in queries:
        q = np.frombuffer(query, dtype=np.uint8)
        best = np.minimum(best, _POPCOUNT[stored ^ q].sum(axis=1, dtype=np.int32))
    return best


def _closest(
    rows: Iterable[tuple[int, bytes]], queries: Sequence[bytes], max_distance: int
) -> dict[int, int]:
    """Per entry, its best distance within `max_distance`, from (hash_id, hash) rows."""
    pairs = list(rows)
    if not pairs:
        return {}
    found = distances([h for _, h in pairs], queries)
    best: dict[int, int] = {}
    for (hid, _), distance in zip(pairs, found.tolist(), strict=True):
        index = hid >> POSITION_BITS
        if distance <= max_distance and distance < best.get(index, 257):
            best[index] = distance
    return best


def indexed_search(conn: Database, queries: Sequence[bytes], max_distance: int) -> dict[int, int]:
    """Entry index -> distance for every entry within `max_distance`, via the chunk index."""
    keys = probe_keys(queries, max_distance)
    best: dict[int, int] = {}
    for start in range(0, len(keys), _SQL_VARIABLES):
        batch = keys[start : start + _SQL_VARIABLES]
        marks = ",".join("?" * len(batch))
        rows = conn.execute(  # an entry found by several chunks comes once per chunk
            "SELECT c.hash_id, p.hash FROM pdq_chunks AS c CROSS JOIN pdq AS p "
            f"ON p.hash_id = c.hash_id WHERE c.chunk_key IN ({marks})",
            batch,
        )
        for index, distance in _closest(rows, queries, max_distance).items():
            best[index] = min(distance, best.get(index, 257))
    return best


def scan_search(
    conn: Database, queries: Sequence[bytes], max_distance: int, block: int = 100_000
) -> dict[int, int]:
    """The same answer by reading every stored hash: the baseline the index must beat."""
    best: dict[int, int] = {}
    cursor = conn.execute("SELECT hash_id, hash FROM pdq ORDER BY hash_id")
    while rows := cursor.fetchmany(block):
        for index, distance in _closest(rows, queries, max_distance).items():
            best[index] = min(distance, best.get(index, 257))
    return best


def search(
    conn: Database,
    queries: Sequence[bytes],
    max_distance: int,
    limit: int | None,
    scan: bool = False,
) -> list[tuple[int, int]]:
    """(entry index, distance) within `max_distance`, closest first, ties by index.

    The chunk index answers up to a chunk radius of `MAX_INDEXED_RADIUS` (distance 47);
    beyond that, or with `scan`, every stored hash is read.
    """
    if not 0 <= max_distance <= 256:
        raise LedgerRequestError(f"max_distance must be within 0..256, got {max_distance}")
    if scan or max_distance // CHUNKS > MAX_INDEXED_RADIUS:
        best = scan_search(conn, queries, max_distance)
    else:
        best = indexed_search(conn, queries, max_distance)
    return sorted(best.items(), key=lambda item: (item[1], item[0]))[:limit]
