"""The local signing identity: shape of the certificates, private files, stable reloads,
clear errors for damaged files, recovery by moving files away, and one identity when
several processes create it at once. Every identity lives under `tmp_path`."""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing
import stat
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import ExtendedKeyUsageOID

from fauxlab.errors import FauxlabError
from fauxlab.provenance import signing as signing_module
from fauxlab.provenance.signing import IdentityError, SigningIdentity

FILES = {"ca.key", "ca.crt", "signer.key", "signer.crt", "ledger.key"}


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _pem_blocks(data: bytes) -> int:
    return data.count(b"-----BEGIN CERTIFICATE-----")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "home" / "identity"


def test_first_use_writes_private_files_and_nothing_else(folder: Path) -> None:
    SigningIdentity.load_or_create(folder)

    assert _mode(folder) == 0o700
    names = {p.name for p in folder.iterdir()}
    assert names == FILES | {".lock"}  # no temporary files left behind
    for name in FILES:
        assert _mode(folder / name) == 0o600, name


def test_certificates_have_the_shape_c2pa_accepts(folder: Path) -> None:
    identity = SigningIdentity.load_or_create(folder)
    ca, leaf = identity.ca_certificate, identity.certificate

    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert ca.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    assert ca.subject == ca.issuer

    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and not usage.key_cert_sign
    ekus = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in ekus
    ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    aki = leaf.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    assert aki.key_identifier == ski.digest
    leaf.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    leaf.verify_directly_issued_by(ca)
    assert leaf.issuer == ca.subject and leaf.subject != ca.subject

    key = identity.signing_key
    assert isinstance(key.curve, ec.SECP256R1)
    now = dt.datetime.now(dt.UTC)
    assert leaf.not_valid_before_utc <= now < leaf.not_valid_after_utc <= ca.not_valid_after_utc
    assert leaf.not_valid_after_utc - now > dt.timedelta(days=365)

    assert _pem_blocks(identity.cert_chain_pem()) == 2
    assert identity.cert_chain_pem().startswith(leaf.public_bytes(serialization.Encoding.PEM))
    assert identity.ca_certificate_pem() == ca.public_bytes(serialization.Encoding.PEM)
    der = ca.public_bytes(serialization.Encoding.DER)
    assert identity.fingerprint == hashlib.sha256(der).hexdigest()
    assert identity.issued(leaf) and identity.issued(ca)


def test_ledger_key_signs_and_verifies(folder: Path) -> None:
    identity = SigningIdentity.load_or_create(folder)
    assert isinstance(identity.ledger_key, Ed25519PrivateKey)
    public = identity.ledger_public_key_bytes()
    assert len(public) == 32
    signature = identity.ledger_key.sign(b"tree head")
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    Ed25519PublicKey.from_public_bytes(public).verify(signature, b"tree head")


def test_reload_gives_the_same_identity_without_rewriting(folder: Path) -> None:
    first = SigningIdentity.load_or_create(folder)
    stamps = {name: (folder / name).stat().st_mtime_ns for name in FILES}
    second = SigningIdentity.load_or_create(folder)

    assert second.fingerprint == first.fingerprint
    assert second.certificate == first.certificate
    assert second.ledger_public_key_bytes() == first.ledger_public_key_bytes()
    assert {name: (folder / name).stat().st_mtime_ns for name in FILES} == stamps
    assert first.fingerprint[:16] in repr(first)
    assert "PRIVATE" not in repr(first)


def test_two_folders_are_two_identities(tmp_path: Path) -> None:
    a = SigningIdentity.load_or_create(tmp_path / "a")
    b = SigningIdentity.load_or_create(tmp_path / "b")
    assert a.fingerprint != b.fingerprint
    assert a.ca_common_name != b.ca_common_name
    assert not a.issued(b.certificate)


def test_default_folder_is_under_fauxlab_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAUXLAB_HOME", str(tmp_path / "fh"))
    identity = SigningIdentity.load_or_create()
    assert identity.directory == tmp_path / "fh" / "identity"
    assert (tmp_path / "fh" / "identity" / "ca.key").is_file()


@pytest.mark.parametrize("name", sorted(FILES))
@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_damaged_file_is_a_clear_error(folder: Path, name: str, damage: str) -> None:
    SigningIdentity.load_or_create(folder)
    path = folder / name
    data = path.read_bytes()
    path.write_bytes(
        {"truncated": data[: len(data) // 2], "garbage": b"\x00\xff" * 40, "empty": b""}[damage]
    )

    with pytest.raises(IdentityError) as caught:
        SigningIdentity.load_or_create(folder)
    message = str(caught.value)
    assert isinstance(caught.value, FauxlabError)
    assert str(path) in message
    assert "move it away" in message and f"mv {path} {path}.broken" in message


def test_a_key_of_the_wrong_kind_is_named(folder: Path) -> None:
    SigningIdentity.load_or_create(folder)
    other = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    (folder / "signer.key").write_bytes(other)
    with pytest.raises(IdentityError, match=r"signer\.key: not a P-256"):
        SigningIdentity.load_or_create(folder)


def test_certificate_for_another_key_is_an_error(folder: Path) -> None:
    identity = SigningIdentity.load_or_create(folder)
    ca_key = serialization.load_pem_private_key((folder / "ca.key").read_bytes(), None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    stranger = ec.generate_private_key(ec.SECP256R1())
    cert = signing_module._issue_signer_cert(
        ca_key, identity.ca_certificate, stranger, dt.datetime.now(dt.UTC)
    )
    (folder / "signer.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    with pytest.raises(IdentityError, match=r"signer\.crt: does not belong to .*signer\.key"):
        SigningIdentity.load_or_create(folder)


def test_moving_the_signer_key_away_keeps_the_fingerprint(folder: Path) -> None:
    first = SigningIdentity.load_or_create(folder)
    (folder / "signer.key").rename(folder / "signer.key.broken")
    second = SigningIdentity.load_or_create(folder)

    assert second.fingerprint == first.fingerprint
    assert second.certificate != first.certificate
    assert second.ledger_public_key_bytes() == first.ledger_public_key_bytes()
    second.certificate.verify_directly_issued_by(first.ca_certificate)


def test_moving_the_ca_key_away_makes_a_new_identity(folder: Path) -> None:
    first = SigningIdentity.load_or_create(folder)
    (folder / "ca.key").rename(folder / "ca.key.broken")
    second = SigningIdentity.load_or_create(folder)

    assert second.fingerprint != first.fingerprint
    second.certificate.verify_directly_issued_by(second.ca_certificate)
    assert not second.issued(first.certificate)
    assert second.ledger_public_key_bytes() == first.ledger_public_key_bytes()


def test_moving_the_ledger_key_away_replaces_only_it(folder: Path) -> None:
    first = SigningIdentity.load_or_create(folder)
    (folder / "ledger.key").unlink()
    second = SigningIdentity.load_or_create(folder)
    assert second.fingerprint == first.fingerprint
    assert second.certificate == first.certificate
    assert second.ledger_public_key_bytes() != first.ledger_public_key_bytes()


def test_crash_midway_through_creation_is_completed(folder: Path) -> None:
    """A process killed after writing the CA key leaves only that file (and perhaps a stray
    temporary file); the next run finishes the job with that CA key."""
    first = SigningIdentity.load_or_create(folder)
    ca_key = (folder / "ca.key").read_bytes()
    for name in FILES - {"ca.key"}:
        (folder / name).unlink()
    (folder / ".signer.key.1234abcd.partial").write_bytes(b"-----BEGIN PRIVATE KEY-----\nMI")

    second = SigningIdentity.load_or_create(folder)
    assert (folder / "ca.key").read_bytes() == ca_key
    assert second.ca_certificate.public_key() == first.ca_certificate.public_key()
    assert {p.name for p in folder.iterdir()} >= FILES


def test_signing_certificate_is_renewed_before_it_expires(folder: Path) -> None:
    first = SigningIdentity.load_or_create(folder)
    ca_key = serialization.load_pem_private_key((folder / "ca.key").read_bytes(), None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    expiring = signing_module._issue_signer_cert(
        ca_key,
        first.ca_certificate,
        first.signing_key,
        dt.datetime.now(dt.UTC),
        validity=dt.timedelta(days=10),
    )
    (folder / "signer.crt").write_bytes(expiring.public_bytes(serialization.Encoding.PEM))

    second = SigningIdentity.load_or_create(folder)
    assert second.fingerprint == first.fingerprint
    assert second.certificate.not_valid_after_utc > expiring.not_valid_after_utc
    assert second.certificate.public_key() == first.certificate.public_key()


def test_a_file_where_the_folder_should_be_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "identity").write_text("not a folder")
    with pytest.raises(IdentityError, match="not a folder"):
        SigningIdentity.load_or_create(tmp_path / "identity")


def _warm(_: int) -> None:
    """Run in each child: importing this module there is the slow part; sleeping keeps
    every worker busy so that each gets one call."""
    time.sleep(0.2)


def _create_at(folder: str, start: float) -> tuple[str, str, str]:
    """Run in a child process: wait for the common start time, then load or create."""
    while time.time() < start:
        time.sleep(0.001)
    identity = SigningIdentity.load_or_create(Path(folder))
    return (
        identity.fingerprint,
        identity.ledger_public_key_bytes().hex(),
        identity.certificate.public_bytes(serialization.Encoding.PEM).decode(),
    )


def test_processes_creating_at_once_end_with_one_identity(folder: Path) -> None:
    workers = 4
    context = multiprocessing.get_context("spawn")  # no fork of a process holding c2pa threads
    with context.Pool(workers) as pool:
        pool.map(_warm, range(workers), chunksize=1)  # all children ready before the race
        start = time.time() + 0.2
        results = pool.starmap(_create_at, [(str(folder), start)] * workers, chunksize=1)

    assert len(set(results)) == 1
    final = SigningIdentity.load_or_create(folder)
    assert results[0][0] == final.fingerprint
    assert results[0][1] == final.ledger_public_key_bytes().hex()
    assert {p.name for p in folder.iterdir()} == FILES | {".lock"}
