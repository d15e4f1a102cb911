"""Which ledger keys this installation trusts: its own, and those it pinned.

A signed tree head proves who signed it only against a key obtained some other way than
from the head itself. Keys are pinned in `<fauxlab home>/trusted-ledger-keys`, one raw
Ed25519 public key in hex per line (`ledger import --public-key` adds the key it imported
under), and the installation's own ledger key is trusted without being listed.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from fauxlab.config import fauxlab_home, private_dir
from fauxlab.errors import InputError
from fauxlab.provenance.ledger import raw_public_key
from fauxlab.provenance.signing import SigningIdentity

PINNED_NAME = "trusted-ledger-keys"
SIDECARS = ("-wal", "-shm", "-journal")  # SQLite's files beside a database
_HEX_KEY = re.compile(r"^[0-9a-fA-F]{64}$")


def pinned_path() -> Path:
    return fauxlab_home() / PINNED_NAME


def parse_public_key(value: str) -> bytes:
    """A raw 32-byte Ed25519 public key from 64 hex characters, or from a file holding
    them or a PEM public key."""
    text = value.strip()
    if _HEX_KEY.match(text):
        return bytes.fromhex(text)
    path = Path(text).expanduser()
    try:
        data = path.read_bytes()[:65536]
    except OSError as exc:
        raise InputError(
            f"--public-key {value[:80]!r}: neither 64 hexadecimal characters nor a readable "
            f"key file ({exc.strerror or exc})"
        ) from None
    if _HEX_KEY.match(data.decode("ascii", errors="replace").strip()):
        return bytes.fromhex(data.decode("ascii").strip())
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError):
        raise InputError(
            f"{path}: not a public key (64 hexadecimal characters, or a PEM public key)"
        ) from None
    if not isinstance(key, Ed25519PublicKey):
        raise InputError(f"{path}: the ledger signs with Ed25519; this key is another type")
    return raw_public_key(key)


def pinned_keys() -> set[bytes]:
    """Keys pinned in this installation's file (none if it does not exist)."""
    try:
        lines = pinned_path().read_text(encoding="ascii", errors="replace").splitlines()
    except FileNotFoundError:
        return set()
    except OSError as exc:
        raise InputError(f"{pinned_path()}: cannot read the pinned keys ({exc.strerror})") from exc
    return {bytes.fromhex(line.strip()) for line in lines if _HEX_KEY.match(line.strip())}


def trusted_ledger_keys() -> set[bytes]:
    """This installation's own ledger key, if it has one (none is created), and the pinned."""
    trusted = pinned_keys()
    identity = SigningIdentity.load_existing()
    if identity is not None:
        trusted.add(identity.ledger_public_key_bytes())
    return trusted


def pin_ledger_key(key: bytes) -> None:
    """Add `key` to the pinned keys (a 0600 file in the 0700 fauxlab home)."""
    if key in pinned_keys():
        return
    path = pinned_path()
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="ascii") as handle:
        handle.write(key.hex() + "\n")
