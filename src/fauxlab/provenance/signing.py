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
import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from fauxlab.config import fauxlab_home, private_dir
from fauxlab.provenance.keyfiles import (
    CA_CERT,
    CA_KEY,
    LEDGER_KEY,
    LOCK,
    SIGNER_CERT,
    SIGNER_KEY,
    IdentityError,
    cert_pem,
    exclusive_lock,
    key_pem,
    load_cert,
    load_ec_key,
    load_ed25519_key,
    recovery_hint,
    write_private,
)

CA_VALIDITY = dt.timedelta(days=20 * 365)
SIGNER_VALIDITY = dt.timedelta(days=5 * 365)
RENEW_BEFORE = dt.timedelta(days=90)
_BACKDATE = dt.timedelta(hours=1)  # tolerate a little clock skew between machines
_ORGANIZATION = "fauxlab"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


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
            with exclusive_lock(folder / LOCK):
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

        ca_key = load_ec_key(folder / CA_KEY)
        ca_cert = load_cert(folder / CA_CERT)
        if ca_key is None or ca_cert is None:
            if not repair:
                return None
            if ca_key is None:
                ca_key = ec.generate_private_key(ec.SECP256R1())
                write_private(folder / CA_KEY, key_pem(ca_key))
            ca_cert = _make_ca_cert(ca_key, now)
            write_private(folder / CA_CERT, cert_pem(ca_cert))
        elif not _same_public_key(ca_cert, ca_key):
            if not repair:  # perhaps another process is midway through: look again locked
                return None
            raise IdentityError(
                f"{folder / CA_CERT}: does not belong to {folder / CA_KEY}; "
                f"{recovery_hint(folder / CA_CERT)}"
            )

        signer_key = load_ec_key(folder / SIGNER_KEY)
        signer_cert = load_cert(folder / SIGNER_CERT)
        if signer_key is not None and signer_cert is not None:
            if not _issued_by(signer_cert, ca_cert):
                signer_cert = None  # the CA was replaced: re-issue under the current one
            elif not _same_public_key(signer_cert, signer_key):
                if not repair:
                    return None
                raise IdentityError(
                    f"{folder / SIGNER_CERT}: does not belong to {folder / SIGNER_KEY}; "
                    f"{recovery_hint(folder / SIGNER_CERT)}"
                )
            elif _needs_renewal(signer_cert, now):
                signer_cert = None
        if signer_key is None or signer_cert is None:
            if not repair:
                return None
            if signer_key is None:
                signer_key = ec.generate_private_key(ec.SECP256R1())
                write_private(folder / SIGNER_KEY, key_pem(signer_key))
            signer_cert = _issue_signer_cert(ca_key, ca_cert, signer_key, now)
            write_private(folder / SIGNER_CERT, cert_pem(signer_cert))

        ledger_key = load_ed25519_key(folder / LEDGER_KEY)
        if ledger_key is None:
            if not repair:
                return None
            ledger_key = Ed25519PrivateKey.generate()
            write_private(folder / LEDGER_KEY, key_pem(ledger_key))

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
        return key_pem(self._signing_key)

    def cert_chain_pem(self) -> bytes:
        """End-entity certificate then CA certificate, PEM: what a C2PA signer embeds."""
        return cert_pem(self.certificate) + cert_pem(self.ca_certificate)

    def ca_certificate_pem(self) -> bytes:
        """The CA certificate, PEM: the trust anchor for 'signed by us'."""
        return cert_pem(self.ca_certificate)

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
