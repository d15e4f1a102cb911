"""The local signing identity: a private CA, the certificate content credentials are signed
with, and the Ed25519 key that signs ledger tree heads.

C2PA rejects a self-signed signing certificate, so the identity is a small private PKI: a
P-256 CA certificate (basicConstraints CA, keyCertSign) that issues one P-256 end-entity
certificate (digitalSignature, emailProtection EKU, SKI/AKI), the shape c2pa accepts. The
identity *is* the CA: its fingerprint (SHA-256 of the CA certificate's DER) stays the same
when the end-entity certificate is re-issued (it is, automatically, when it is missing,
no longer issued by the CA, or less than `RENEW_BEFORE` from expiry).

Files, each written whole (temporary file, fsync, rename) with mode 0600, in a 0700 folder:

    ca.key  ca.crt  signer.key  signer.crt  ledger.key  .lock

Creation runs under an exclusive lock on `.lock`, so processes starting at once end with
one identity. A file that cannot be parsed is never replaced silently: loading stops with
an `IdentityError` naming the file and how to start over.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import hashlib
import os
import secrets
import stat
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from fauxlab.config import fauxlab_home, private_dir
from fauxlab.errors import FauxlabError

CA_KEY = "ca.key"
CA_CERT = "ca.crt"
SIGNER_KEY = "signer.key"
SIGNER_CERT = "signer.crt"
LEDGER_KEY = "ledger.key"
LOCK = ".lock"

CA_VALIDITY = dt.timedelta(days=20 * 365)
SIGNER_VALIDITY = dt.timedelta(days=5 * 365)
RENEW_BEFORE = dt.timedelta(days=90)
_BACKDATE = dt.timedelta(hours=1)  # tolerate a little clock skew between machines
_LOCK_TIMEOUT_S = 60.0
_ORGANIZATION = "fauxlab"

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


def _recovery_hint(path: Path) -> str:
    return (
        f"move it away (for example `mv {path} {path}.broken`) and run fauxlab again to "
        f"create a new one ({_CONSEQUENCE[path.name]})"
    )


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# ---------------------------------------------------------------- files


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms that cannot open folders
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - file systems that refuse fsync on folders
        pass
    finally:
        os.close(fd)


def _write_private(path: Path, data: bytes) -> None:
    """Write `data` to `path` with mode 0600 so that `path` holds either the old content or
    all of the new: never a half-written key."""
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _read_bytes(path: Path) -> bytes | None:
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


def _warn_if_shared(path: Path) -> None:
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


def _load_ec_key(path: Path) -> ec.EllipticCurvePrivateKey | None:
    data = _read_bytes(path)
    if data is None:
        return None
    _warn_if_shared(path)
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise IdentityError(
            f"{path}: not a readable PEM private key (the file is damaged or was cut "
            f"short); {_recovery_hint(path)}"
        ) from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise IdentityError(f"{path}: not a P-256 (ES256) private key; {_recovery_hint(path)}")
    return key


def _load_ed25519_key(path: Path) -> Ed25519PrivateKey | None:
    data = _read_bytes(path)
    if data is None:
        return None
    _warn_if_shared(path)
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise IdentityError(
            f"{path}: not a readable PEM private key (the file is damaged or was cut "
            f"short); {_recovery_hint(path)}"
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise IdentityError(f"{path}: not an Ed25519 private key; {_recovery_hint(path)}")
    return key


def _load_cert(path: Path) -> x509.Certificate | None:
    data = _read_bytes(path)
    if data is None:
        return None
    try:
        return x509.load_pem_x509_certificate(data)
    except ValueError as exc:
        raise IdentityError(
            f"{path}: not a readable PEM certificate (the file is damaged or was cut "
            f"short); {_recovery_hint(path)}"
        ) from exc


def _key_pem(key: ec.EllipticCurvePrivateKey | Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


@contextmanager
def _exclusive_lock(path: Path, timeout_s: float = _LOCK_TIMEOUT_S) -> Iterator[None]:
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


# ---------------------------------------------------------------- certificates


def _key_usage(*, digital_signature: bool, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _make_ca_cert(key: ec.EllipticCurvePrivateKey, now: dt.datetime) -> x509.Certificate:
    installation = secrets.token_hex(4)  # tells two users' identities apart, reveals nothing
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _ORGANIZATION),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, installation),
            x509.NameAttribute(NameOID.COMMON_NAME, f"fauxlab local CA {installation}"),
        ]
    )
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(digital_signature=False, cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )


def _installation_id(ca_cert: x509.Certificate) -> str:
    units = ca_cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    value = units[0].value if units else ""
    if isinstance(value, str) and value:
        return value
    return hashlib.sha256(ca_cert.public_bytes(serialization.Encoding.DER)).hexdigest()[:8]


def _issue_signer_cert(
    ca_key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    key: ec.EllipticCurvePrivateKey,
    now: dt.datetime,
    validity: dt.timedelta = SIGNER_VALIDITY,
) -> x509.Certificate:
    installation = _installation_id(ca_cert)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _ORGANIZATION),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, installation),
            x509.NameAttribute(NameOID.COMMON_NAME, f"fauxlab signer {installation}"),
        ]
    )
    public = key.public_key()
    not_after = min(now + validity, ca_cert.not_valid_after_utc)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(ca_cert.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True, cert_sign=False), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )


def _same_public_key(cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> bool:
    fmt = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    return cert.public_key().public_bytes(der, fmt) == key.public_key().public_bytes(der, fmt)


def _issued_by(cert: x509.Certificate, ca_cert: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _needs_renewal(cert: x509.Certificate, now: dt.datetime) -> bool:
    return not (cert.not_valid_before_utc <= now and cert.not_valid_after_utc - now > RENEW_BEFORE)


# ---------------------------------------------------------------- the identity


@dataclass(frozen=True, repr=False, eq=False)
class SigningIdentity:
    """Keys and certificates of one local fauxlab installation. Build with `load_or_create`."""

    directory: Path
    ca_certificate: x509.Certificate
    certificate: x509.Certificate
    _signing_key: ec.EllipticCurvePrivateKey
    _ledger_key: Ed25519PrivateKey

    @classmethod
    def load_or_create(cls, directory: Path | None = None) -> SigningIdentity:
        """Load the identity in `directory` (default: `fauxlab_home() / "identity"`), creating
        whatever is missing: every key and certificate on first use, a fresh signing
        certificate when the old one is missing or near expiry."""
        folder = (directory if directory is not None else fauxlab_home() / "identity").expanduser()
        if folder.exists() and not folder.is_dir():
            raise IdentityError(f"{folder}: exists and is not a folder; choose another path")
        if folder.is_dir():
            complete = cls._load(folder, repair=False)
            if complete is not None:
                return complete
        try:
            private_dir(folder)
            with _exclusive_lock(folder / LOCK):
                identity = cls._load(folder, repair=True)
        except OSError as exc:
            raise IdentityError(
                f"{folder}: cannot create the signing identity here ({exc.strerror or exc})"
            ) from exc
        assert identity is not None  # repair=True always completes or raises
        return identity

    @classmethod
    def load_existing(cls, directory: Path | None = None) -> SigningIdentity | None:
        """The identity in `directory` if it is complete, else None: never creates a file
        (for readers such as the server's ledger routes)."""
        folder = (directory if directory is not None else fauxlab_home() / "identity").expanduser()
        if not folder.is_dir():
            return None
        return cls._load(folder, repair=False)

    @classmethod
    def _load(cls, folder: Path, *, repair: bool) -> SigningIdentity | None:
        """Read the identity; with `repair`, create what is missing or stale (the caller holds
        the lock). Without it, return None as soon as anything needs creating."""
        now = _utcnow()

        ca_key = _load_ec_key(folder / CA_KEY)
        ca_cert = _load_cert(folder / CA_CERT)
        if ca_key is None or ca_cert is None:
            if not repair:
                return None
            if ca_key is None:
                ca_key = ec.generate_private_key(ec.SECP256R1())
                _write_private(folder / CA_KEY, _key_pem(ca_key))
            ca_cert = _make_ca_cert(ca_key, now)
            _write_private(folder / CA_CERT, _cert_pem(ca_cert))
        elif not _same_public_key(ca_cert, ca_key):
            if not repair:  # perhaps another process is midway through: look again locked
                return None
            raise IdentityError(
                f"{folder / CA_CERT}: does not belong to {folder / CA_KEY}; "
                f"{_recovery_hint(folder / CA_CERT)}"
            )

        signer_key = _load_ec_key(folder / SIGNER_KEY)
        signer_cert = _load_cert(folder / SIGNER_CERT)
        if signer_key is not None and signer_cert is not None:
            if not _issued_by(signer_cert, ca_cert):
                signer_cert = None  # the CA was replaced: re-issue under the current one
            elif not _same_public_key(signer_cert, signer_key):
                if not repair:
                    return None
                raise IdentityError(
                    f"{folder / SIGNER_CERT}: does not belong to {folder / SIGNER_KEY}; "
                    f"{_recovery_hint(folder / SIGNER_CERT)}"
                )
            elif _needs_renewal(signer_cert, now):
                signer_cert = None
        if signer_key is None or signer_cert is None:
            if not repair:
                return None
            if signer_key is None:
                signer_key = ec.generate_private_key(ec.SECP256R1())
                _write_private(folder / SIGNER_KEY, _key_pem(signer_key))
            signer_cert = _issue_signer_cert(ca_key, ca_cert, signer_key, now)
            _write_private(folder / SIGNER_CERT, _cert_pem(signer_cert))

        ledger_key = _load_ed25519_key(folder / LEDGER_KEY)
        if ledger_key is None:
            if not repair:
                return None
            ledger_key = Ed25519PrivateKey.generate()
            _write_private(folder / LEDGER_KEY, _key_pem(ledger_key))

        return cls(folder, ca_cert, signer_cert, signer_key, ledger_key)

    # -- what other modules use

    @property
    def fingerprint(self) -> str:
        """SHA-256 (hex) of the CA certificate's DER: the identity's stable name."""
        return hashlib.sha256(
            self.ca_certificate.public_bytes(serialization.Encoding.DER)
        ).hexdigest()

    @property
    def signing_key(self) -> ec.EllipticCurvePrivateKey:
        """The end-entity P-256 key content credentials are signed with (ES256)."""
        return self._signing_key

    @property
    def ledger_key(self) -> Ed25519PrivateKey:
        """The Ed25519 key that signs ledger tree heads."""
        return self._ledger_key

    def ledger_public_key_bytes(self) -> bytes:
        """The ledger key's public half, raw (32 bytes)."""
        return self._ledger_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    def signing_key_pem(self) -> bytes:
        """The signing key as unencrypted PKCS#8 PEM: a secret, for handing to a signer."""
        return _key_pem(self._signing_key)

    def cert_chain_pem(self) -> bytes:
        """End-entity certificate then CA certificate, PEM: what a C2PA signer embeds."""
        return _cert_pem(self.certificate) + _cert_pem(self.ca_certificate)

    def ca_certificate_pem(self) -> bytes:
        """The CA certificate, PEM: the trust anchor for 'signed by us'."""
        return _cert_pem(self.ca_certificate)

    @property
    def ca_common_name(self) -> str:
        return _common_name(self.ca_certificate)

    @property
    def signer_common_name(self) -> str:
        return _common_name(self.certificate)

    def issued(self, cert: x509.Certificate) -> bool:
        """Whether `cert` is this identity's CA or was signed by it."""
        if cert == self.ca_certificate:
            return True
        return _issued_by(cert, self.ca_certificate)

    def __repr__(self) -> str:
        return f"SigningIdentity({str(self.directory)!r}, fingerprint={self.fingerprint[:16]}...)"


def _common_name(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    value = names[0].value if names else ""
    return value if isinstance(value, str) else value.decode("utf-8", "replace")
