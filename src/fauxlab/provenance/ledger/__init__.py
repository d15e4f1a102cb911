"""Transparency ledger: an RFC 6962 Merkle log whose proofs any CT verifier can check."""

from fauxlab.provenance.ledger.cache import MerkleTreeCache
from fauxlab.provenance.ledger.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    LEAF_PREFIX,
    NODE_PREFIX,
    PerfectNode,
    SubtreeRoot,
    consistency_proof,
    consistency_proof_from,
    inclusion_proof,
    inclusion_proof_from,
    leaf_hash,
    node_hash,
    root_from_leaf_hashes,
    split_point,
    subtree_root_from_perfect,
    verify_consistency,
    verify_inclusion,
)

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "LEAF_PREFIX",
    "NODE_PREFIX",
    "MerkleTreeCache",
    "PerfectNode",
    "SubtreeRoot",
    "consistency_proof",
    "consistency_proof_from",
    "inclusion_proof",
    "inclusion_proof_from",
    "leaf_hash",
    "node_hash",
    "root_from_leaf_hashes",
    "split_point",
    "subtree_root_from_perfect",
    "verify_consistency",
    "verify_inclusion",
]
