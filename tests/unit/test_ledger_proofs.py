"""Inclusion and consistency proofs from the SQLite store, checked by the pure verifiers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from fauxlab.provenance.ledger import (
    ConsistencyProof,
    InclusionProof,
    Ledger,
    SignedTreeHead,
    raw_public_key,
    verify_consistency_proof,
    verify_consistency_proof_between_trusted_heads,
    verify_inclusion_proof,
    verify_inclusion_proof_under_trusted_head,
)
from fauxlab.provenance.ledger.merkle import leaf_hash
from fauxlab.provenance.ledger.synthetic import entries
from ledger_locations import BACKENDS, locations_for
from merkle_oracle import MerkleTreeCache, consistency_proof, inclusion_proof

SIZES = (1, 2, 3, 4, 5, 7, 8, 9, 16, 31, 33, 64, 100)
TOTAL = 130


@pytest.fixture(scope="module", params=BACKENDS)
def built(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Ledger, dict[int, SignedTreeHead], list[bytes]]]:
    """A ledger grown in uneven batches with a signed head at each size in SIZES, on each
    backend."""
    path = locations_for(request.param, tmp_path_factory.mktemp("proofs"), request)()
    heads: dict[int, SignedTreeHead] = {}
    with Ledger(path, signing_key=Ed25519PrivateKey.generate()) as ledger:
        data = entries(TOTAL, seed=3)
        for size in (*SIZES, TOTAL):
            ledger.append_many(data[ledger.size : size])
            heads[size] = ledger.head()
        leaves = [leaf_hash(ledger.get(i).to_json()) for i in range(TOTAL)]
        yield ledger, heads, leaves


def test_every_inclusion_proof_verifies_at_every_size(
    built: tuple[Ledger, dict[int, SignedTreeHead], list[bytes]],
) -> None:
    ledger, heads, leaves = built
    key = ledger.public_key
    for size in SIZES:
        head = heads[size]
        for index in range(size):
            proof = ledger.prove(index, size)
            assert [bytes.fromhex(h) for h in proof.path] == inclusion_proof(leaves, index, size)
            assert verify_inclusion_proof(proof, head, key), (index, size)


def test_every_consistency_proof_verifies(
    built: tuple[Ledger, dict[int, SignedTreeHead], list[bytes]],
) -> None:
    ledger, heads, leaves = built
    sizes = sorted(heads)
    for old in sizes:
        for new in sizes[sizes.index(old) :]:
            proof = ledger.prove_consistency(old, new)
            assert [bytes.fromhex(h) for h in proof.path] == consistency_proof(leaves, old, new)
            assert verify_consistency_proof(proof, heads[old], heads[new], ledger.public_key)
    assert ledger.prove_consistency(0, 5).path == ()


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_proofs_agree_with_the_in_memory_tree(
    built: tuple[Ledger, dict[int, SignedTreeHead], list[bytes]], data: st.DataObject
) -> None:
    ledger, _, leaves = built
    cache = MerkleTreeCache(leaves)
    size = data.draw(st.integers(1, TOTAL))
    index = data.draw(st.integers(0, size - 1))
    old = data.draw(st.integers(0, size))
    assert ledger.root(size) == cache.root(size).hex()
    assert ledger.prove(index, size).path == tuple(
        h.hex() for h in cache.inclusion_proof(index, size)
    )
    assert ledger.prove_consistency(old, size).path == tuple(
        h.hex() for h in cache.consistency_proof(old, size)
    )


def _altered_entry(proof: InclusionProof) -> InclusionProof:
    entry = json.loads(proof.entry_json)
    entry["watermark_id"] += 1
    text = json.dumps(entry, sort_keys=True, separators=(",", ":"))
    return replace(proof, entry_json=text)


def test_altered_proofs_and_wrong_heads_fail(
    built: tuple[Ledger, dict[int, SignedTreeHead], list[bytes]],
) -> None:
    ledger, heads, _ = built
    head, key = heads[33], ledger.public_key
    proof = ledger.prove(20, 33)
    assert verify_inclusion_proof(proof, head, key)
    flipped = proof.path[0][:-1] + ("0" if proof.path[0][-1] != "0" else "1")
    bad = [
        _altered_entry(proof),  # the entry says something else: its hash changes
        replace(proof, index=21),
        replace(proof, path=(flipped, *proof.path[1:])),
        replace(proof, path=proof.path[:-1]),
        replace(proof, path=(*proof.path, proof.path[0])),
        replace(proof, leaf_hash="00" * 32),
        replace(proof, path=("not hex",)),
        replace(proof, entry_json="{"),
    ]
    for altered in bad:
        assert not verify_inclusion_proof(altered, head, key)
    assert not verify_inclusion_proof(proof, heads[64], key)  # another tree size
    assert not verify_inclusion_proof_under_trusted_head(proof, replace(head, root=heads[31].root))
    other = raw_public_key(Ed25519PrivateKey.generate())
    assert not verify_inclusion_proof(proof, head, other)
    assert verify_inclusion_proof_under_trusted_head(proof, head)  # the caller trusts `head`
    with pytest.raises(TypeError, match="under_trusted_head"):
        verify_inclusion_proof(proof, head, None)  # type: ignore[arg-type]


def test_altered_consistency_proofs_fail(
    built: tuple[Ledger, dict[int, SignedTreeHead], list[bytes]],
) -> None:
    ledger, heads, _ = built
    proof = ledger.prove_consistency(7, 100)
    assert verify_consistency_proof_between_trusted_heads(proof, heads[7], heads[100])
    assert not verify_consistency_proof_between_trusted_heads(proof, heads[8], heads[100])
    assert not verify_consistency_proof_between_trusted_heads(
        replace(proof, path=proof.path[1:]), heads[7], heads[100]
    )
    assert not verify_consistency_proof_between_trusted_heads(
        ConsistencyProof(7, 100, ("zz",)), heads[7], heads[100]
    )
    forged = replace(heads[100], root=heads[64].root)
    assert not verify_consistency_proof_between_trusted_heads(proof, heads[7], forged)
    assert not verify_consistency_proof(proof, heads[7], heads[100], b"\x00" * 32)


def test_proof_round_trips_as_json(
    built: tuple[Ledger, dict[int, SignedTreeHead], list[bytes]],
) -> None:
    ledger, heads, _ = built
    proof = ledger.prove(3, 9)
    again = InclusionProof.from_dict(json.loads(json.dumps(proof.to_dict())))
    assert again == proof and again.entry.index == 3
    head = SignedTreeHead.from_dict(json.loads(json.dumps(heads[9].to_dict())))
    assert verify_inclusion_proof(again, head, ledger.public_key)
    consistency = ledger.prove_consistency(3, 9)
    assert ConsistencyProof.from_dict(json.loads(json.dumps(consistency.to_dict()))) == consistency


def test_bad_proof_requests(
    built: tuple[Ledger, dict[int, SignedTreeHead], list[bytes]], tmp_path: Path
) -> None:
    ledger, _, _ = built
    with pytest.raises(ValueError, match="outside"):
        ledger.prove(9, 9)
    with pytest.raises(ValueError, match="outside"):
        ledger.prove(0, TOTAL + 1)
    with pytest.raises(ValueError, match="outside"):
        ledger.prove_consistency(10, 9)
