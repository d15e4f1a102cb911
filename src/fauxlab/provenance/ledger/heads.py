"""Signed tree heads: the ledger's public commitments, checkable with the public key alone.

The signed bytes follow the C2SP checkpoint layout (origin line, decimal tree size,
base64 root, then extension lines), so each head is one short, unambiguous text:

    fauxlab-ledger/v1
    1234
    <base64 of the 32-byte root>
    timestamp 2026-11-22T10:00:00.000000Z

The key id is SHA-256 of the raw 32-byte Ed25519 public key, in hex.
"""

from __future__ import annotations

import base64
import hashlib
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from fauxlab.config import fauxlab_home, private_dir
from fauxlab.fileio import write_durably
from fauxlab.provenance.ledger.entries import utc_timestamp
from fauxlab.provenance.ledger.errors import LedgerKeyError
from fauxlab.provenance.ledger.merkle import HASH_SIZE

ORIGIN = "fauxlab-ledger/v1"
DEFAULT_KEY_NAME = "ledger-ed25519.pem"


def default_key_path() -> Path:
    """Where the ledger's signing key lives unless one is given: never in a repository."""
    return fauxlab_home() / DEFAULT_KEY_NAME


def raw_public_key(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    """The 32-byte raw Ed25519 public key."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_key: bytes) -> str:
    """SHA-256 of the raw public key, hex: a short name to tell keys apart."""
    return hashlib.sha256(public_key).hexdigest()


def head_message(tree_size: int, root: bytes, timestamp: str) -> bytes:
    """The exact bytes a tree head signature covers (checkpoint layout, see module doc)."""
    root_b64 = base64.b64encode(root).decode("ascii")
    return f"{ORIGIN}\n{tree_size}\n{root_b64}\ntimestamp {timestamp}\n".encode()


@dataclass(frozen=True)
class SignedTreeHead:
    """A signed statement: the first `tree_size` entries have Merkle root `root` (hex)."""

    tree_size: int
    root: str
    timestamp: str
    key_id: str
    public_key: str
    signature: str

    @property
    def root_bytes(self) -> bytes:
        return bytes.fromhex(self.root)

    def message(self) -> bytes:
        """The signed bytes (see `head_message`)."""
        return head_message(self.tree_size, self.root_bytes, self.timestamp)

    def to_dict(self) -> dict[str, Any]:
        return {
            "tree_size": self.tree_size,
            "root": self.root,
            "timestamp": self.timestamp,
            "key_id": self.key_id,
            "public_key": self.public_key,
            "signature": self.signature,
        }

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> SignedTreeHead:
        """Parse a head; types are checked, the signature is not (see `verify_head`)."""
        fields = ("tree_size", "root", "timestamp", "key_id", "public_key", "signature")
        if not isinstance(value, dict) or set(value) != set(fields):
            raise ValueError(f"a signed tree head has exactly the fields {fields}")
        if not isinstance(value["tree_size"], int) or value["tree_size"] < 0:
            raise ValueError("tree_size must be a non-negative integer")
        for name in fields[1:]:
            if not isinstance(value[name], str):
                raise ValueError(f"{name} must be a string")
        return cls(**value)


def sign_head(key: Ed25519PrivateKey, tree_size: int, root: bytes) -> SignedTreeHead:
    """Sign (tree_size, root) now with `key`."""
    timestamp = utc_timestamp()
    public = raw_public_key(key)
    signature = key.sign(head_message(tree_size, root, timestamp))
    return SignedTreeHead(
        tree_size=tree_size,
        root=root.hex(),
        timestamp=timestamp,
        key_id=key_id(public),
        public_key=public.hex(),
        signature=signature.hex(),
    )


def verify_head(head: SignedTreeHead, public_key: bytes) -> bool:
    """True if `public_key` (raw 32 bytes) signed exactly this head; never raises.

    The key a head carries is only a hint: callers pass the key they trust.
    """
    try:
        root = bytes.fromhex(head.root)
        signature = bytes.fromhex(head.signature)
        if len(root) != HASH_SIZE or head.tree_size < 0:
            return False
        if head.key_id != key_id(public_key) or head.public_key != public_key.hex():
            return False
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, head.message())
    except (InvalidSignature, ValueError, TypeError, AttributeError):
        return False
    return True


def load_signing_key(path: Path) -> Ed25519PrivateKey:
    """Read a PEM Ed25519 private key, refusing one others can read (as ssh does)."""
    try:
        mode = path.stat().st_mode
        data = path.read_bytes()
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise LedgerKeyError(f"{path}: cannot read the ledger signing key ({exc})") from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise LedgerKeyError(
            f"{path}: the ledger signing key is readable by other users "
            f"(mode {stat.S_IMODE(mode):04o}); run `chmod 600 {path}`"
        )
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise LedgerKeyError(
            f"{path}: not an unencrypted PEM private key ({exc}); move it away to have "
            "a new key made (heads signed with the old key will not verify against it)"
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise LedgerKeyError(f"{path}: the ledger signs with Ed25519; this key is another type")
    return key


def load_or_create_signing_key(path: Path | None = None) -> Ed25519PrivateKey:
    """Load the key at `path` (default `default_key_path()`), creating it on first use.

    Creation is atomic: the key is written whole to a private temporary file, then
    hard-linked into place, which fails if another process got there first; that
    process's key is then used, so concurrent first runs agree on one key.
    """
    path = default_key_path() if path is None else path
    try:
        return load_signing_key(path)
    except FileNotFoundError:
        pass
    private_dir(path.parent)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    write_durably(path, pem, private=True, keep_existing=True)  # another process may win
    return load_signing_key(path)
