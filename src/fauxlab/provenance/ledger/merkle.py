"""RFC 6962 / RFC 9162 Merkle tree hashing, proofs and proof verification.

The hashes and proofs are byte-for-byte those of Certificate Transparency, so any
independent CT verifier can check what this ledger publishes.

Proof builders never need the whole tree: they ask a `SubtreeRoot` callable for the
roots of the few ranges the RFC 6962 split produces. Those ranges always start at a
multiple of their largest power-of-two part, so a store that keeps the hashes of
aligned perfect subtrees answers each one in O(log n) look-ups (see
`subtree_root_from_perfect`). Verifiers need only the proof and the published roots.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from hashlib import sha256

LEAF_PREFIX = b"\x00"
"""Domain separator for leaves, so a leaf can never be passed off as an interior node."""

NODE_PREFIX = b"\x01"
"""Domain separator for interior nodes (RFC 6962 section 2.1)."""

HASH_SIZE = 32
"""SHA-256 digest size: every leaf hash, node hash, root and proof element has it."""

EMPTY_ROOT = sha256(b"").digest()
"""Root of the empty tree: MTH({}) = SHA-256() per RFC 6962."""

SubtreeRoot = Callable[[int, int], bytes]
"""`subtree_root(start, end)`: MTH of the leaves in [start, end)."""

PerfectNode = Callable[[int, int], bytes]
"""`perfect_node(level, index)`: root of the perfect subtree over leaves
[index * 2**level, (index + 1) * 2**level); level 0 is the leaf hashes."""


def leaf_hash(data: bytes) -> bytes:
    """Hash a log entry as a leaf: SHA-256(0x00 || data)."""
    return sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash two children into their parent: SHA-256(0x01 || left || right)."""
    return sha256(NODE_PREFIX + left + right).digest()


def split_point(size: int) -> int:
    """Largest power of two strictly below `size` (> 1): where RFC 6962 splits a tree.

    Not the midpoint: a midpoint split builds a valid-looking tree that no other
    implementation agrees with.
    """
    if size < 2:
        raise ValueError(f"a tree of {size} leaves has no split point; need at least 2")
    return 1 << ((size - 1).bit_length() - 1)


def root_from_leaf_hashes(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH over already-hashed leaves, bottom-up in O(n) without recursion.

    Pairing neighbours level by level and promoting an unpaired last node unchanged
    gives exactly the tree of the largest-power-of-two split.
    """
    if not leaf_hashes:
        return EMPTY_ROOT
    level = list(leaf_hashes)
    while len(level) > 1:
        parents = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            parents.append(level[-1])
        level = parents
    return level[0]


def subtree_root_from_perfect(perfect_node: PerfectNode, start: int, end: int) -> bytes:
    """MTH of [start, end) from perfect-subtree hashes in O(log n) look-ups.

    The range must be one the RFC 6962 split produces (start a multiple of the
    largest power of two in its size); it is then the perfect blocks of the binary
    decomposition of its size, folded from the right.
    """
    size = end - start
    if start < 0 or size < 1:
        raise ValueError(f"range [{start}, {end}) is not a non-empty range of leaves")
    if start % (1 << (size.bit_length() - 1)):
        raise ValueError(f"range [{start}, {end}) is not aligned to an RFC 6962 subtree")
    blocks = []
    offset = start
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            blocks.append(perfect_node(level, offset >> level))
            offset += 1 << level
    root = blocks.pop()
    while blocks:
        root = node_hash(blocks.pop(), root)
    return root


def inclusion_proof_from(subtree_root: SubtreeRoot, index: int, tree_size: int) -> list[bytes]:
    """Audit path for leaf `index` in the tree of `tree_size` leaves (RFC 6962 PATH).

    Walks down from the root, taking the sibling of each subtree holding the leaf;
    the path is those siblings leaf-first.
    """
    if not 0 <= index < tree_size:
        raise ValueError(f"leaf index {index} is outside a tree of {tree_size} leaves")
    path = []
    start, end = 0, tree_size
    while end - start > 1:
        mid = start + split_point(end - start)
        if index < mid:
            path.append(subtree_root(mid, end))
            end = mid
        else:
            path.append(subtree_root(start, mid))
            start = mid
    path.reverse()
    return path


def consistency_proof_from(subtree_root: SubtreeRoot, old_size: int, new_size: int) -> list[bytes]:
    """Proof that the first `old_size` leaves are a prefix of `new_size` (RFC 6962 PROOF).

    Iterative SUBPROOF: `complete` stays true while the old tree is still a whole left
    subtree, whose root the verifier already holds and so is left out.
    """
    if not 0 <= old_size <= new_size:
        raise ValueError(f"no consistency proof from size {old_size} to size {new_size}")
    if old_size in (0, new_size):
        return []
    path = []
    start, end, complete = 0, new_size, True
    while old_size != end:
        mid = start + split_point(end - start)
        if old_size <= mid:
            path.append(subtree_root(mid, end))
            end = mid
        else:
            path.append(subtree_root(start, mid))
            start, complete = mid, False
    if not complete:
        path.append(subtree_root(start, end))
    path.reverse()
    return path


def _all_hashes(*hashes: bytes) -> bool:
    return all(isinstance(h, bytes) and len(h) == HASH_SIZE for h in hashes)


def verify_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Check an audit path against a root (RFC 9162 section 2.1.3.2); never raises.

    `fn`/`sn` track the leaf's and the last leaf's position at each level: where they
    meet, the right edge has no sibling and levels are skipped; `sn` must reach 0
    exactly as the proof runs out, which rejects paths that are too long or too short.
    """
    if not 0 <= index < tree_size or not _all_hashes(leaf_hash, root, *proof):
        return False
    fn, sn = index, tree_size - 1
    r = leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Check that `old_root` is a prefix of `new_root` (RFC 9162 section 2.1.4.2); never raises.

    The proof rebuilds both roots at once: `fr` from the nodes left of the old
    tree's edge, `sr` from all of them. Equal sizes need equal roots and an empty
    proof; the empty tree is a prefix of every tree, but its root must be SHA-256().
    """
    if not 0 <= old_size <= new_size or not _all_hashes(old_root, new_root, *proof):
        return False
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if old_size == new_size:
        return not proof and old_root == new_root
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # the old tree is a whole left subtree
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root
