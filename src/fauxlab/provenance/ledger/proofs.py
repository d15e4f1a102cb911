"""Inclusion and consistency proofs as plain data, and their database-free verification.

A client holding a signed tree head checks a proof with these functions alone. The
inclusion check hashes the entry JSON itself rather than trusting the proof's leaf hash:
a proof only says something about the entry it carries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fauxlab.provenance.ledger.entries import LedgerEntry
from fauxlab.provenance.ledger.errors import InvalidEntryError
from fauxlab.provenance.ledger.heads import SignedTreeHead, verify_head
from fauxlab.provenance.ledger.merkle import leaf_hash, verify_consistency, verify_inclusion


@dataclass(frozen=True)
class InclusionProof:
    """Entry `index` is leaf `index` of the tree of `tree_size` leaves (RFC 6962 audit path)."""

    index: int
    tree_size: int
    leaf_hash: str
    path: tuple[str, ...]
    entry_json: str

    @property
    def entry(self) -> LedgerEntry:
        """The entry the proof is about, parsed (raises `InvalidEntryError` if malformed)."""
        return LedgerEntry.from_json(self.entry_json)

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "tree_size": self.tree_size,
            "leaf_hash": self.leaf_hash,
            "path": list(self.path),
            "entry_json": self.entry_json,
        }

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> InclusionProof:
        return cls(
            index=int(value["index"]),
            tree_size=int(value["tree_size"]),
            leaf_hash=str(value["leaf_hash"]),
            path=tuple(str(h) for h in value["path"]),
            entry_json=str(value["entry_json"]),
        )


@dataclass(frozen=True)
class ConsistencyProof:
    """The tree of `old_size` leaves is a prefix of the tree of `new_size` (RFC 6962 PROOF)."""

    old_size: int
    new_size: int
    path: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"old_size": self.old_size, "new_size": self.new_size, "path": list(self.path)}

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> ConsistencyProof:
        return cls(
            old_size=int(value["old_size"]),
            new_size=int(value["new_size"]),
            path=tuple(str(h) for h in value["path"]),
        )


def _hashes(hexes: tuple[str, ...]) -> list[bytes] | None:
    try:
        return [bytes.fromhex(h) for h in hexes]
    except (ValueError, TypeError):
        return None


def _key_required(public_key: object, instead: str) -> None:
    if not isinstance(public_key, bytes):
        raise TypeError(
            f"a public key is required to check the head's signature; {instead} checks "
            "the proof alone, for a head the caller already trusts"
        )


def verify_inclusion_proof(proof: InclusionProof, head: SignedTreeHead, public_key: bytes) -> bool:
    """True if `head` is signed by `public_key` and the proof's entry is at `proof.index`
    under its root; never raises on bad input (a missing key is refused with TypeError)."""
    _key_required(public_key, "verify_inclusion_proof_under_trusted_head")
    return verify_head(head, public_key) and verify_inclusion_proof_under_trusted_head(proof, head)


def verify_inclusion_proof_under_trusted_head(proof: InclusionProof, head: SignedTreeHead) -> bool:
    """True if the proof's entry is at `proof.index` under `head`'s root; never raises.

    The head's signature is NOT checked: the caller must already trust `head` (for
    example from `verify_head`)."""
    if proof.tree_size != head.tree_size:
        return False
    try:
        data = proof.entry_json.encode("utf-8")
        if LedgerEntry.from_json(data).index != proof.index:
            return False
        root = bytes.fromhex(head.root)
    except (InvalidEntryError, ValueError, UnicodeEncodeError, AttributeError):
        return False
    leaf = leaf_hash(data)
    path = _hashes(proof.path)
    if path is None or leaf.hex() != proof.leaf_hash:
        return False
    return verify_inclusion(leaf, proof.index, proof.tree_size, path, root)


def verify_consistency_proof(
    proof: ConsistencyProof,
    old_head: SignedTreeHead,
    new_head: SignedTreeHead,
    public_key: bytes,
) -> bool:
    """True if both heads are signed by `public_key` and `old_head`'s tree is a prefix of
    `new_head`'s; never raises on bad input (a missing key is refused with TypeError)."""
    _key_required(public_key, "verify_consistency_proof_between_trusted_heads")
    if not (verify_head(old_head, public_key) and verify_head(new_head, public_key)):
        return False
    return verify_consistency_proof_between_trusted_heads(proof, old_head, new_head)


def verify_consistency_proof_between_trusted_heads(
    proof: ConsistencyProof, old_head: SignedTreeHead, new_head: SignedTreeHead
) -> bool:
    """True if `old_head`'s tree is a prefix of `new_head`'s; never raises.

    The heads' signatures are NOT checked: the caller must already trust both."""
    if (proof.old_size, proof.new_size) != (old_head.tree_size, new_head.tree_size):
        return False
    path = _hashes(proof.path)
    try:
        old_root, new_root = bytes.fromhex(old_head.root), bytes.fromhex(new_head.root)
    except (ValueError, TypeError):
        return False
    if path is None:
        return False
    return verify_consistency(proof.old_size, proof.new_size, old_root, new_root, path)
