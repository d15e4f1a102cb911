"""The signing identity's files: their names, reading them (a damaged file is an
`IdentityError` that says how to recover), writing them privately, and the lock that
keeps two processes from creating two identities at once."""

from __future__ import annotations

import errno
import fcntl
import os
import stat
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from fauxlab.errors import FauxlabError
from fauxlab.fileio import write_durably

CA_KEY = "ca.key"
CA_CERT = "ca.crt"
SIGNER_KEY = "signer.key"
SIGNER_CERT = "signer.crt"
LEDGER_KEY = "ledger.key"
LOCK = ".lock"

_LOCK_TIMEOUT_S = 60.0

# What regenerating each file costs, for the message that tells a user how to recover.
_CONSEQUENCE = {
    CA_KEY: "this creates a new identity with a new fingerprint; media signed before will "
    "no longer read as signed by this identity",
    CA_CERT: "a new CA certificate gives the identity a new fingerprint; media signed "
    "before will no longer read as signed by this identity",
    SIGNER_KEY: "a new signing certificate is issued by the same CA, so the fingerprint "
    "does not change",
    SIGNER_CERT: "a new signing certificate is issued by the same CA, so the fingerprint "
    "does not change",
    LEDGER_KEY: "ledger tree heads signed with the old key will no longer verify against "
    "the new one",
}


class IdentityError(FauxlabError):
    """The signing identity on disk is unreadable, damaged or inconsistent."""


def recovery_hint(path: Path) -> str:
    return (
        f"move it away (for example `mv {path} {path}.broken`) and run fauxlab again to "
        f"create a new one ({_CONSEQUENCE[path.name]})"
    )


# ---------------------------------------------------------------- files


def write_private(path: Path, data: bytes) -> None:
    """Write `data` to `path` with mode 0600 so that `path` holds either the old content or
    all of the new: never a half-written key."""
    write_durably(path, data, private=True, sync_folder=True)


def read_bytes(path: Path) -> bytes | None:
    """The file's bytes, or None when it does not exist."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError as exc:
        raise IdentityError(f"{path}: is a folder, expected a key or certificate file") from exc
    except OSError as exc:
        raise IdentityError(f"{path}: cannot be read ({exc.strerror or exc})") from exc


_warned: set[Path] = set()


def warn_if_shared(path: Path) -> None:
    """One line on stderr (once per file and process) when others may read a private key:
    it still loads, since refusing would stop every seal, but the user is told."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if mode & (stat.S_IRWXG | stat.S_IRWXO) and path not in _warned:
        _warned.add(path)
        sys.stderr.write(
            f"warning: {path}: this private key is readable by other users (mode "
            f"{stat.S_IMODE(mode):04o}); run `chmod 600 {path}`\n"
        )


def _load_private_key(path: Path) -> PrivateKeyTypes | None:
    data = read_bytes(path)
    if data is None:
        return None
    warn_if_shared(path)
    try:
        return serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise IdentityError(
            f"{path}: not a readable PEM private key (the file is damaged or was cut "
            f"short); {recovery_hint(path)}"
        ) from exc


def load_ec_key(path: Path) -> ec.EllipticCurvePrivateKey | None:
    key = _load_private_key(path)
    if key is None:
        return None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise IdentityError(f"{path}: not a P-256 (ES256) private key; {recovery_hint(path)}")
    return key


def load_ed25519_key(path: Path) -> Ed25519PrivateKey | None:
    key = _load_private_key(path)
    if key is None:
        return None
    if not isinstance(key, Ed25519PrivateKey):
        raise IdentityError(f"{path}: not an Ed25519 private key; {recovery_hint(path)}")
    return key


def load_cert(path: Path) -> x509.Certificate | None:
    data = read_bytes(path)
    if data is None:
        return None
    try:
        return x509.load_pem_x509_certificate(data)
    except ValueError as exc:
        raise IdentityError(
            f"{path}: not a readable PEM certificate (the file is damaged or was cut "
            f"short); {recovery_hint(path)}"
        ) from exc


def key_pem(key: ec.EllipticCurvePrivateKey | Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


@contextmanager
def exclusive_lock(path: Path, timeout_s: float = _LOCK_TIMEOUT_S) -> Iterator[None]:
    """Hold an exclusive advisory lock on `path` (created 0600, never deleted: deleting a
    lock file lets two processes lock two different files)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() > deadline:
                    raise IdentityError(
                        f"{path}: another fauxlab process has held this lock for "
                        f"{timeout_s:.0f} s; if none is running, delete the lock file"
                    ) from exc
                time.sleep(0.02)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
