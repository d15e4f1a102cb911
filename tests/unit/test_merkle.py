"""RFC 6962 Merkle tree: published CT vectors, proof properties and tamper detection.

The expected hashes are copied from transparency-dev/merkle (testonly/constants.go and
proof/verify_test.go), the Certificate Transparency / Trillian reference data: agreeing
with them is what makes this ledger checkable by anyone else's CT verifier.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fauxlab.provenance.ledger.merkle import (
    EMPTY_ROOT,
    consistency_proof_from,
    inclusion_proof_from,
    leaf_hash,
    node_hash,
    root_from_leaf_hashes,
    split_point,
    subtree_root_from_perfect,
    verify_consistency,
    verify_inclusion,
)
from merkle_oracle import MerkleTreeCache, consistency_proof, inclusion_proof


def h(hexes: str) -> list[bytes]:
    return [bytes.fromhex(x) for x in hexes.split()]


# testonly/constants.go: LeafInputs, RootHashes (by size, from 0) and NodeHashes (by level).
LEAF_INPUTS = [
    bytes.fromhex(x)
    for x in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
ROOTS = h(
    """
    e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
    6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d
    fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125
    aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77
    d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7
    4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4
    76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef
    ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c
    5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328
    """
)
NODE_HASHES = [
    h(
        """
        6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d
        96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7
        0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7
        07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7
        bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b
        4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658
        b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f
        46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1
        """
    ),
    h(
        """
        fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125
        5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e
        0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a
        ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0
        """
    ),
    h(
        """
        d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7
        6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4
        """
    ),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]
LEAVES = [leaf_hash(x) for x in LEAF_INPUTS]

# proof/verify_test.go inclusionProofs; there leaves are numbered from 1, here from 0.
INCLUSION_VECTORS = [
    (0, 1, []),
    (
        0,
        8,
        h(
            """
            96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7
            5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e
            6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4
            """
        ),
    ),
    (
        5,
        8,
        h(
            """
            bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b
            ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0
            d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7
            """
        ),
    ),
    (2, 3, h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")),
    (
        1,
        5,
        h(
            """
            6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d
            5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e
            bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b
            """
        ),
    ),
]

# proof/verify_test.go consistencyProofs.
CONSISTENCY_VECTORS = [
    (1, 1, []),
    (
        1,
        8,
        h(
            """
            96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7
            5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e
            6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4
            """
        ),
    ),
    (
        6,
        8,
        h(
            """
            0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a
            ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0
            d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7
            """
        ),
    ),
    (
        2,
        5,
        h(
            """
            5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e
            bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b
            """
        ),
    ),
    (
        6,
        7,
        h(
            """
            0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a
            b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f
            d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7
            """
        ),
    ),
]
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def synthetic_leaves(n: int, salt: int = 0) -> list[bytes]:
    return [leaf_hash(salt.to_bytes(4, "big") + i.to_bytes(4, "big")) for i in range(n)]


def flipped(data: bytes, pos: int, mask: int = 0xFF) -> bytes:
    return data[:pos] + bytes([data[pos] ^ mask]) + data[pos + 1 :]


# --- published vectors ---------------------------------------------------------------


def test_hashing_is_domain_separated_sha256() -> None:
    assert ROOTS[0] == EMPTY_ROOT
    assert leaf_hash(b"") == ROOTS[1]
    assert node_hash(LEAVES[0], LEAVES[1]) == ROOTS[2]


@pytest.mark.parametrize("size", range(len(ROOTS)))
def test_roots_match_published_vectors(size: int) -> None:
    assert root_from_leaf_hashes(LEAVES[:size]) == ROOTS[size]
    assert MerkleTreeCache(LEAVES).root(size) == ROOTS[size]


def test_cached_perfect_subtrees_match_published_node_hashes() -> None:
    tree = MerkleTreeCache(LEAVES)
    for level, row in enumerate(NODE_HASHES):
        assert [tree.perfect_node(level, i) for i in range(len(row))] == row


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_VECTORS)
def test_inclusion_proofs_match_published_vectors(
    index: int, size: int, proof: list[bytes]
) -> None:
    assert inclusion_proof(LEAVES, index, size) == proof
    assert MerkleTreeCache(LEAVES).inclusion_proof(index, size) == proof
    assert verify_inclusion(LEAVES[index], index, size, proof, ROOTS[size])


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY_VECTORS)
def test_consistency_proofs_match_published_vectors(old: int, new: int, proof: list[bytes]) -> None:
    assert consistency_proof(LEAVES, old, new) == proof
    assert MerkleTreeCache(LEAVES).consistency_proof(old, new) == proof
    assert verify_consistency(old, new, ROOTS[old], ROOTS[new], proof)


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_VECTORS[1:])
def test_corrupted_published_inclusion_proofs_fail(
    index: int, size: int, proof: list[bytes]
) -> None:
    """The probes of verify_test.go's corruptInclusionProof."""
    root, leaf = ROOTS[size], LEAVES[index]
    probes = [
        (leaf, index - 1, size, proof, root),
        (leaf, index + 1, size, proof, root),
        (leaf, index ^ 2, size, proof, root),
        (leaf, index, size * 2, proof, root),
        (leaf, index, size // 2, proof, root),
        (b"WrongLeaf", index, size, proof, root),
        (leaf, index, size, proof, EMPTY_ROOT),
        (leaf, index, size, proof, SOME_HASH),
        (leaf, index, size, [*proof, b""], root),
        (leaf, index, size, [*proof, root], root),
        (leaf, index, size, [b"", *proof], root),
        (leaf, index, size, [root, *proof], root),
        (leaf, index, size, proof[:-1], root),
    ]
    if len(proof) > 1:
        probes.append((leaf, index, size, [proof[0], SOME_HASH, *proof[1:]], root))
    for i in range(len(proof)):
        bad = list(proof)
        bad[i] = flipped(bad[i], 0, 8)
        probes.append((leaf, index, size, bad, root))
    for probe in probes:
        assert not verify_inclusion(*probe), probe


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY_VECTORS[1:])
def test_corrupted_published_consistency_proofs_fail(
    old: int, new: int, proof: list[bytes]
) -> None:
    """The probes of verify_test.go's corruptConsistencyProof."""
    r1, r2 = ROOTS[old], ROOTS[new]
    probes = [
        (old - 1, new, r1, r2, proof),
        (old + 1, new, r1, r2, proof),
        (old ^ 2, new, r1, r2, proof),
        (old, new * 2, r1, r2, proof),
        (old, new // 2, r1, r2, proof),
        (old, new, b"WrongRoot", r2, proof),
        (old, new, r1, b"WrongRoot", proof),
        (old, new, r2, r1, proof),
        (old, new, r1, r2, []),
        (old, new, r1, r2, [*proof, b""]),
        (old, new, r1, r2, [*proof, r1]),
        (old, new, r1, r2, [*proof, r2]),
        (old, new, r1, r2, [b"", *proof]),
        (old, new, r1, r2, [r1, *proof]),
        (old, new, r1, r2, [r2, *proof]),
        (old, new, r1, r2, [proof[0], *proof]),
        (old, new, r1, r2, proof[:-1]),
    ]
    for i in range(len(proof)):
        bad = list(proof)
        bad[i] = flipped(bad[i], 0, 16)
        probes.append((old, new, r1, r2, bad))
    for probe in probes:
        assert not verify_consistency(*probe), probe


@pytest.mark.parametrize(
    ("old", "new", "old_root", "new_root", "proof", "ok"),
    [
        (0, 0, EMPTY_ROOT, EMPTY_ROOT, [], True),
        (0, 1, EMPTY_ROOT, ROOTS[1], [], True),
        (0, 8, EMPTY_ROOT, ROOTS[8], [], True),
        (1, 1, ROOTS[1], ROOTS[1], [], True),
        (0, 1, SOME_HASH, ROOTS[1], [], False),  # an empty tree has exactly one root
        (1, 1, ROOTS[1], ROOTS[2], [], False),  # same size, different roots
        (1, 0, ROOTS[1], ROOTS[0], [], False),  # time travel
        (2, 1, ROOTS[2], ROOTS[1], [], False),
        (1, 2, ROOTS[1], ROOTS[2], [], False),  # a real step needs a proof
        (0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),  # trivial steps need none
        (0, 1, EMPTY_ROOT, ROOTS[1], [EMPTY_ROOT], False),
        (1, 1, ROOTS[1], ROOTS[1], [EMPTY_ROOT], False),
        (-1, 1, ROOTS[1], ROOTS[1], [], False),
        (1, 1, ROOTS[1][:31], ROOTS[1][:31], [], False),
    ],
)
def test_trivial_consistency_edge_cases(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: list[bytes], ok: bool
) -> None:
    assert verify_consistency(old, new, old_root, new_root, proof) is ok


# --- argument checking -----------------------------------------------------------------


def test_split_point_is_the_largest_power_of_two_below_the_size() -> None:
    cases = {2: 1, 3: 2, 4: 2, 5: 4, 7: 4, 8: 4, 9: 8, 1000: 512, 1 << 40: 1 << 39}
    assert {n: split_point(n) for n in cases} == cases
    with pytest.raises(ValueError, match="split point"):
        split_point(1)


@pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 1), (8, 8), (-1, 4), (0, 9)])
def test_inclusion_proof_rejects_bad_arguments(index: int, size: int) -> None:
    with pytest.raises(ValueError):
        inclusion_proof(LEAVES, index, size)
    with pytest.raises(ValueError):
        MerkleTreeCache(LEAVES).inclusion_proof(index, size)


@pytest.mark.parametrize(("old", "new"), [(2, 1), (-1, 4), (9, 9), (1, 9)])
def test_consistency_proof_rejects_bad_arguments(old: int, new: int) -> None:
    with pytest.raises(ValueError):
        consistency_proof(LEAVES, old, new)
    with pytest.raises(ValueError):
        MerkleTreeCache(LEAVES).consistency_proof(old, new)


def test_cache_rejects_bad_arguments() -> None:
    tree = MerkleTreeCache(LEAVES[:5])
    with pytest.raises(ValueError, match="32 bytes"):
        tree.append(b"short")
    with pytest.raises(ValueError, match="complete subtree"):
        tree.perfect_node(3, 0)
    with pytest.raises(ValueError, match="tree size"):
        tree.root(6)
    with pytest.raises(ValueError, match="aligned"):
        tree.subtree_root(1, 3)
    with pytest.raises(ValueError, match="non-empty"):
        tree.subtree_root(2, 2)


@pytest.mark.parametrize(
    ("leaf", "index", "size", "proof", "root"),
    [
        (LEAVES[0], 0, 1, [], ROOTS[1][:-1]),
        (LEAVES[0][:-1], 0, 1, [], ROOTS[1]),
        (LEAVES[0], 0, 2, [LEAVES[1] + b"\x00"], ROOTS[2]),
        (LEAVES[0], 0, 0, [], EMPTY_ROOT),
        (LEAVES[0], -1, 1, [], ROOTS[1]),
        (LEAVES[0], 1, 1, [], ROOTS[1]),
        (LEAVES[0], 0, 2, [], ROOTS[2]),
    ],
)
def test_verify_inclusion_returns_false_on_malformed_input(
    leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes
) -> None:
    assert verify_inclusion(leaf, index, size, proof, root) is False


# --- properties over random trees --------------------------------------------------------

SIZES = st.integers(min_value=1, max_value=200)
SALTS = st.integers(min_value=0, max_value=2**32 - 1)
FAST = settings(max_examples=40, deadline=None)


@FAST
@given(size=SIZES, salt=SALTS)
def test_every_inclusion_proof_verifies_and_matches_the_list_path(size: int, salt: int) -> None:
    leaves = synthetic_leaves(size, salt)
    tree = MerkleTreeCache(leaves)
    root = root_from_leaf_hashes(leaves)
    assert tree.root() == root
    for index in range(size):
        proof = tree.inclusion_proof(index)
        assert proof == inclusion_proof(leaves, index, size)
        assert verify_inclusion(leaves[index], index, size, proof, root)


@FAST
@given(size=SIZES, salt=SALTS)
def test_every_consistency_proof_into_a_size_verifies(size: int, salt: int) -> None:
    leaves = synthetic_leaves(size, salt)
    tree = MerkleTreeCache(leaves)
    for old in range(size + 1):
        proof = tree.consistency_proof(old, size)
        assert proof == consistency_proof(leaves, old, size)
        assert verify_consistency(old, size, tree.root(old), tree.root(size), proof)


def test_every_pair_of_sizes_up_to_64_is_consistent() -> None:
    tree = MerkleTreeCache(synthetic_leaves(64))
    for new in range(65):
        for old in range(new + 1):
            proof = tree.consistency_proof(old, new)
            assert verify_consistency(old, new, tree.root(old), tree.root(new), proof)


@FAST
@given(data=st.data(), size=st.integers(min_value=2, max_value=200), mask=st.integers(1, 255))
def test_any_flipped_byte_breaks_an_inclusion_proof(
    data: st.DataObject, size: int, mask: int
) -> None:
    leaves = synthetic_leaves(size)
    tree = MerkleTreeCache(leaves)
    index = data.draw(st.integers(0, size - 1))
    proof, root, leaf = tree.inclusion_proof(index), tree.root(), leaves[index]
    assert verify_inclusion(leaf, index, size, proof, root)
    for pos in range(32):
        assert not verify_inclusion(flipped(leaf, pos, mask), index, size, proof, root)
        assert not verify_inclusion(leaf, index, size, proof, flipped(root, pos, mask))
        for i in range(len(proof)):
            bad = [*proof[:i], flipped(proof[i], pos, mask), *proof[i + 1 :]]
            assert not verify_inclusion(leaf, index, size, bad, root)
    for i in range(len(proof) + 1):
        assert not verify_inclusion(leaf, index, size, [*proof[:i], SOME_HASH, *proof[i:]], root)
        if i < len(proof):
            assert not verify_inclusion(leaf, index, size, [*proof[:i], *proof[i + 1 :]], root)


@FAST
@given(data=st.data(), size=st.integers(min_value=2, max_value=200), mask=st.integers(1, 255))
def test_any_flipped_byte_breaks_a_consistency_proof(
    data: st.DataObject, size: int, mask: int
) -> None:
    tree = MerkleTreeCache(synthetic_leaves(size))
    old = data.draw(st.integers(1, size - 1))
    proof, r1, r2 = tree.consistency_proof(old, size), tree.root(old), tree.root(size)
    assert verify_consistency(old, size, r1, r2, proof)
    for pos in range(32):
        assert not verify_consistency(old, size, flipped(r1, pos, mask), r2, proof)
        assert not verify_consistency(old, size, r1, flipped(r2, pos, mask), proof)
        for i in range(len(proof)):
            bad = [*proof[:i], flipped(proof[i], pos, mask), *proof[i + 1 :]]
            assert not verify_consistency(old, size, r1, r2, bad)
    for i in range(len(proof) + 1):
        assert not verify_consistency(old, size, r1, r2, [*proof[:i], SOME_HASH, *proof[i:]])
        if i < len(proof):
            assert not verify_consistency(old, size, r1, r2, [*proof[:i], *proof[i + 1 :]])


# --- the node-source abstraction ------------------------------------------------------


@FAST
@given(sizes=st.lists(st.integers(0, 40), max_size=8))
def test_appending_in_batches_builds_the_same_tree(sizes: Sequence[int]) -> None:
    leaves = synthetic_leaves(sum(sizes))
    grown, one_by_one, offset = MerkleTreeCache(), MerkleTreeCache(), 0
    for n in sizes:
        grown.extend(leaves[offset : offset + n])
        offset += n
        assert grown.root() == root_from_leaf_hashes(leaves[:offset])
    for i, leaf in enumerate(leaves):
        assert one_by_one.append(leaf) == i
    batch = MerkleTreeCache(leaves)
    for size in range(len(leaves) + 1):
        assert grown.root(size) == one_by_one.root(size) == batch.root(size)


def test_a_store_can_answer_proofs_from_perfect_nodes_alone() -> None:
    """What a persistent store does: hand over perfect-subtree look-ups, nothing else."""
    size = 1000
    leaves = synthetic_leaves(size)
    tree = MerkleTreeCache(leaves)
    lookups: list[tuple[int, int]] = []

    def perfect_node(level: int, index: int) -> bytes:
        lookups.append((level, index))
        return tree.perfect_node(level, index)

    subtree_root = partial(subtree_root_from_perfect, perfect_node)
    proof = inclusion_proof_from(subtree_root, 777, size)
    assert proof == inclusion_proof(leaves, 777, size)
    assert len(lookups) <= 2 * size.bit_length() ** 2
    assert verify_inclusion(leaves[777], 777, size, proof, root_from_leaf_hashes(leaves))
    assert consistency_proof_from(subtree_root, 333, size) == consistency_proof(leaves, 333, size)


def test_large_tree_proofs_agree_with_the_list_path() -> None:
    size = (1 << 13) + 37
    leaves = synthetic_leaves(size)
    tree = MerkleTreeCache(leaves)
    assert tree.root() == root_from_leaf_hashes(leaves)
    for index in (0, 1, 4095, 4096, 8191, 8192, size - 1):
        assert tree.inclusion_proof(index) == inclusion_proof(leaves, index, size)
    for old in (1, 3, 4096, 8192, 8193, size - 1):
        assert tree.consistency_proof(old) == consistency_proof(leaves, old, size)
