"""The Merkle tree kept in SQLite: perfect-subtree hashes, appended once, read in one query.

Level 0 is the `leaf_hash` column of `entries`; levels 1 and up live in `nodes`, one row
per complete aligned block of 2**level leaves, so they never change once written.

Proofs and roots are made in two passes over the same pure function: the first records
which perfect nodes the RFC 6962 recursion asks for (their values do not steer it), one
query fetches them all, and the second pass computes with the real hashes. A proof at a
million entries thus costs two SQL statements instead of a few hundred.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from fauxlab.provenance.ledger.errors import LedgerCorruptError
from fauxlab.provenance.ledger.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    SubtreeRoot,
    node_hash,
    subtree_root_from_perfect,
)
from fauxlab.provenance.ledger.storage import Database

T = TypeVar("T")
NodeKey = tuple[int, int]
Frontier = list[tuple[int, bytes]]
"""The perfect blocks of the tree's right edge, left to right, as (level, hash)."""

_PLACEHOLDER = bytes(HASH_SIZE)
_MAX_KEYS = 10_000  # (level, index) pairs per query: 2 bound parameters each


def frontier_keys(size: int) -> list[NodeKey]:
    """The perfect blocks a tree of `size` leaves decomposes into, left to right."""
    keys = []
    offset = 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            keys.append((level, offset >> level))
            offset += 1 << level
    return keys


def fetch_nodes(conn: Database, path: str | Path, keys: Iterable[NodeKey]) -> dict[NodeKey, bytes]:
    """Perfect-node hashes by (level, index), all of them or a `LedgerCorruptError`."""
    wanted = sorted(set(keys))
    leaves = [index for level, index in wanted if level == 0]
    inner = [key for key in wanted if key[0] > 0]
    node_queries = [_node_query(inner[k : k + _MAX_KEYS]) for k in range(0, len(inner), _MAX_KEYS)]
    leaf_queries = [
        _leaf_query(leaves[k : k + 2 * _MAX_KEYS]) for k in range(0, len(leaves), 2 * _MAX_KEYS)
    ]
    queries = node_queries + leaf_queries
    if len(node_queries) == len(leaf_queries) == 1 and 2 * len(inner) + len(leaves) <= _MAX_KEYS:
        # the usual case (a proof, a root, the right edge): one statement, so one round
        # trip to a database server instead of two
        (nodes_sql, node_params), (leaves_sql, leaf_params) = queries
        queries = [(f"{nodes_sql} UNION ALL {leaves_sql}", node_params + leaf_params)]
    found: dict[NodeKey, bytes] = {}
    for sql, params in queries:
        found.update(
            ((level, index), bytes(digest)) for level, index, digest in conn.execute(sql, params)
        )
    missing = [key for key in wanted if key not in found]
    if missing:
        level, index = missing[0]
        what = f"entry {index}" if level == 0 else f"Merkle node (level {level}, index {index})"
        raise LedgerCorruptError(
            f"{path}: the ledger has no {what}, which the tree needs: rows were deleted; "
            "run `Ledger.check()` to find the first altered entry"
        )
    bad = [key for key, digest in found.items() if len(digest) != HASH_SIZE]
    if bad:
        raise LedgerCorruptError(
            f"{path}: Merkle hash {bad[0]} is not {HASH_SIZE} bytes; run `Ledger.check()`"
        )
    return found


def _leaf_query(indices: list[int]) -> tuple[str, list[int]]:
    marks = ",".join("?" * len(indices))
    return f"SELECT 0, leaf_index, leaf_hash FROM entries WHERE leaf_index IN ({marks})", indices


def _node_query(pairs: list[NodeKey]) -> tuple[str, list[int]]:
    """A join against a VALUES list seeks the primary key once per pair; a row-value IN
    list does not."""
    sql = (
        "WITH wanted(level, node_index) AS (VALUES "
        + ",".join(["(?, ?)"] * len(pairs))
        + ") SELECT n.level, n.node_index, n.hash FROM wanted "
        "JOIN nodes AS n ON n.level = wanted.level AND n.node_index = wanted.node_index"
    )
    return sql, [number for key in pairs for number in key]


def with_subtrees(conn: Database, path: str | Path, plan: Callable[[SubtreeRoot], T]) -> T:
    """Run `plan` (a proof or root builder) against the stored tree in two passes."""
    needed: set[NodeKey] = set()

    def record(level: int, index: int) -> bytes:
        needed.add((level, index))
        return _PLACEHOLDER

    plan(lambda start, end: subtree_root_from_perfect(record, start, end))
    nodes = fetch_nodes(conn, path, needed)
    return plan(
        lambda start, end: subtree_root_from_perfect(
            lambda level, index: nodes[(level, index)], start, end
        )
    )


def stored_root(conn: Database, path: str | Path, size: int) -> bytes:
    """MTH of the first `size` leaves from popcount(size) stored nodes."""
    if size == 0:
        return EMPTY_ROOT
    return with_subtrees(conn, path, lambda subtree: subtree(0, size))


def load_frontier(conn: Database, path: str | Path, size: int) -> Frontier:
    """The right-edge blocks appending continues from."""
    keys = frontier_keys(size)
    nodes = fetch_nodes(conn, path, keys)
    return [(level, nodes[(level, index)]) for level, index in keys]


def extend_frontier(
    frontier: Frontier, first_index: int, leaf_hashes: Iterable[bytes]
) -> list[tuple[int, int, bytes]]:
    """Append leaves to `frontier` in place; return the perfect nodes they complete.

    Leaf i closes one block per trailing 1-bit of i: merging the top two blocks of the
    same level each time, as a binary counter carries.
    """
    completed = []
    for index, digest in enumerate(leaf_hashes, start=first_index):
        frontier.append((0, digest))
        level, position = 0, index
        while position & 1:
            parent = node_hash(frontier[-2][1], frontier[-1][1])
            level, position = level + 1, position >> 1
            frontier[-2:] = [(level, parent)]
            completed.append((level, position, parent))
    return completed
