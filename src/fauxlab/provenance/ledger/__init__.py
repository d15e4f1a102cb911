"""Transparency ledger: an RFC 6962 Merkle log whose proofs any CT verifier can check.

The public face: the `Ledger` store and its entries, signed tree heads and their keys,
inclusion and consistency proofs and their verifiers, exports, the integrity check, and
the errors. The Merkle arithmetic itself (hashing, proof building, RFC 9162 verifiers)
is in `fauxlab.provenance.ledger.merkle` for anyone who needs the bytes.
"""

from fauxlab.provenance.ledger.check import CheckProblem, CheckReport
from fauxlab.provenance.ledger.entries import EntryData, GeneratorInfo, LedgerEntry
from fauxlab.provenance.ledger.errors import (
    EntryNotFoundError,
    ExportError,
    InvalidEntryError,
    LedgerCorruptError,
    LedgerError,
    LedgerFormatError,
    LedgerKeyError,
    LedgerLockedError,
    LedgerRequestError,
    LedgerVersionError,
    WatermarkCollisionError,
)
from fauxlab.provenance.ledger.heads import (
    SignedTreeHead,
    default_key_path,
    load_or_create_signing_key,
    load_signing_key,
    raw_public_key,
    verify_head,
)
from fauxlab.provenance.ledger.neardup import NearMatch
from fauxlab.provenance.ledger.proofs import (
    ConsistencyProof,
    InclusionProof,
    verify_consistency_proof,
    verify_consistency_proof_between_trusted_heads,
    verify_inclusion_proof,
    verify_inclusion_proof_under_trusted_head,
)
from fauxlab.provenance.ledger.store import Ledger
from fauxlab.provenance.ledger.transfer import VerifyResult, verify_export

__all__ = [
    "CheckProblem",
    "CheckReport",
    "ConsistencyProof",
    "EntryData",
    "EntryNotFoundError",
    "ExportError",
    "GeneratorInfo",
    "InclusionProof",
    "InvalidEntryError",
    "Ledger",
    "LedgerCorruptError",
    "LedgerEntry",
    "LedgerError",
    "LedgerFormatError",
    "LedgerKeyError",
    "LedgerLockedError",
    "LedgerRequestError",
    "LedgerVersionError",
    "NearMatch",
    "SignedTreeHead",
    "VerifyResult",
    "WatermarkCollisionError",
    "default_key_path",
    "load_or_create_signing_key",
    "load_signing_key",
    "raw_public_key",
    "verify_consistency_proof",
    "verify_consistency_proof_between_trusted_heads",
    "verify_export",
    "verify_head",
    "verify_inclusion_proof",
    "verify_inclusion_proof_under_trusted_head",
]
