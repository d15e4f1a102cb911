"""Test oracles for the ledger's Merkle code: proofs computed the plain way.

`inclusion_proof` and `consistency_proof` recompute every subtree root from a list of
leaf hashes (O(n) a proof). `MerkleTreeCache` is an in-memory tree that keeps every
perfect-subtree hash, for O(log n) proofs.

It is the reference for what a persistent store should memoise: level k holds the
hashes of the aligned blocks of 2**k leaves, which never change once complete, so
appending only ever adds hashes and any past tree size can still be proven.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from fauxlab.provenance.ledger.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    SubtreeRoot,
    consistency_proof_from,
    inclusion_proof_from,
    node_hash,
    root_from_leaf_hashes,
    subtree_root_from_perfect,
)


class MerkleTreeCache:
    """Append-only RFC 6962 tree over leaf hashes with all perfect subtrees cached."""

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._levels: list[list[bytes]] = [[]]
        self.extend(leaf_hashes)

    @property
    def size(self) -> int:
        """Number of leaves appended so far."""
        return len(self._levels[0])

    def append(self, leaf_hash: bytes) -> int:
        """Add one leaf hash; return its index."""
        self.extend((leaf_hash,))
        return self.size - 1

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Add leaf hashes, hashing each level once per batch rather than once per leaf."""
        new = list(leaf_hashes)
        for h in new:
            if not isinstance(h, bytes) or len(h) != HASH_SIZE:
                raise ValueError(f"a leaf hash must be {HASH_SIZE} bytes, got {h!r}")
        self._levels[0].extend(new)
        level = 0
        while len(self._levels[level]) >= 2:
            row = self._levels[level]
            if level + 1 == len(self._levels):
                self._levels.append([])
            parents = self._levels[level + 1]
            first = 2 * len(parents)
            if first + 1 >= len(row):
                break  # no new complete pair here, so nothing changes above either
            parents.extend(node_hash(row[i], row[i + 1]) for i in range(first, len(row) - 1, 2))
            level += 1

    def perfect_node(self, level: int, index: int) -> bytes:
        """Hash of the complete subtree over leaves [index * 2**level, (index + 1) * 2**level)."""
        if not 0 <= level < len(self._levels) or not 0 <= index < len(self._levels[level]):
            raise ValueError(f"no complete subtree at level {level}, index {index}")
        return self._levels[level][index]

    def subtree_root(self, start: int, end: int) -> bytes:
        """MTH of leaves [start, end) for ranges the RFC 6962 split produces."""
        if end > self.size:
            raise ValueError(f"range [{start}, {end}) exceeds the {self.size} leaves in the tree")
        return subtree_root_from_perfect(self.perfect_node, start, end)

    def root(self, tree_size: int | None = None) -> bytes:
        """Root of the tree over the first `tree_size` leaves (default: all of them)."""
        size = self.size if tree_size is None else tree_size
        if not 0 <= size <= self.size:
            raise ValueError(f"tree size {size} is outside 0..{self.size}")
        return EMPTY_ROOT if size == 0 else self.subtree_root(0, size)

    def inclusion_proof(self, index: int, tree_size: int | None = None) -> list[bytes]:
        """Audit path for leaf `index` in the tree of `tree_size` leaves (default: all)."""
        size = self.size if tree_size is None else tree_size
        if size > self.size:
            raise ValueError(f"tree size {size} exceeds the {self.size} leaves in the tree")
        return inclusion_proof_from(self.subtree_root, index, size)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """Consistency proof from `old_size` to `new_size` leaves (default: all)."""
        size = self.size if new_size is None else new_size
        if size > self.size:
            raise ValueError(f"tree size {size} exceeds the {self.size} leaves in the tree")
        return consistency_proof_from(self.subtree_root, old_size, size)


def _list_source(leaf_hashes: Sequence[bytes], tree_size: int) -> SubtreeRoot:
    """Subtree roots recomputed from the leaves: O(n) per proof, for small trees and tests."""
    if tree_size > len(leaf_hashes):
        raise ValueError(f"tree size {tree_size} exceeds the {len(leaf_hashes)} leaves given")
    return lambda start, end: root_from_leaf_hashes(leaf_hashes[start:end])


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int, tree_size: int) -> list[bytes]:
    """Audit path for leaf `index` in the tree over `leaf_hashes[:tree_size]`."""
    return inclusion_proof_from(_list_source(leaf_hashes, tree_size), index, tree_size)


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int, new_size: int) -> list[bytes]:
    """Consistency proof between two sizes of the tree over `leaf_hashes`."""
    return consistency_proof_from(_list_source(leaf_hashes, new_size), old_size, new_size)
