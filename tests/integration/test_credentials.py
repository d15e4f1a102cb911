"""C2PA content credentials, signed and read for real with c2pa-python (no mocks).

Media are written from skimage's astronaut and fauxlab's demo clip under a temporary
folder; identities live there too, never in the real home.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from numpy.typing import NDArray

from fauxlab import __version__
from fauxlab.demo.clip import render_clip
from fauxlab.errors import (
    CorruptMediaError,
    FauxlabError,
    InputError,
    OutputExistsError,
    UnsupportedFormatError,
)
from fauxlab.fileio import sha256_file
from fauxlab.media import write_image
from fauxlab.provenance.credentials import (
    GENERATION_LABEL,
    TRAINED_ALGORITHMIC_MEDIA,
    Claim,
    CredentialReport,
    Ingredient,
    read,
    sign,
)
from fauxlab.provenance.signing import SigningIdentity

WEIGHTS = "5f" * 32
MIME = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "webp": "image/webp",
    "mp4": "video/mp4",
    "mov": "video/quicktime",
}


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("credentials")


@pytest.fixture(scope="module")
def ours(workdir: Path) -> SigningIdentity:
    return SigningIdentity.load_or_create(workdir / "ours")


@pytest.fixture(scope="module")
def theirs(workdir: Path) -> SigningIdentity:
    """A second installation, standing in for any foreign signer."""
    return SigningIdentity.load_or_create(workdir / "theirs")


@pytest.fixture(scope="module")
def media(workdir: Path, astronaut: NDArray[np.uint8]) -> dict[str, Path]:
    folder = workdir / "media"
    paths = {ext: write_image(folder / f"astronaut.{ext}", astronaut) for ext in ("png", "jpg")}
    paths["webp"] = write_image(folder / "astronaut.webp", astronaut[::2, ::2])
    paths["bmp"] = write_image(folder / "astronaut.bmp", astronaut[::4, ::4])
    paths["mp4"] = render_clip(folder / "clip.mp4", seconds=1.0, size=128)
    paths["mov"] = render_clip(folder / "clip.mov", seconds=0.4, size=64)
    return paths


@pytest.fixture(scope="module")
def claim(media: dict[str, Path]) -> Claim:
    return Claim(
        title="astronaut, face swapped",
        model_name="faceswap-ae-64",
        model_weights_sha256=WEIGHTS,
        watermark_id=0xC0FFEE42,
        ingredients=[
            Ingredient("target.mp4", "0a" * 32),
            Ingredient("source-face.png", sha256_file(media["png"])),
        ],
        ledger_entry_id=17,
        extra_assertions={"org.fauxlab.test": {"note": "extra", "values": [1, 2.5, "x"]}},
    )


def _signed(
    media: dict[str, Path], tmp_path: Path, ext: str, claim: Claim, identity: SigningIdentity
) -> Path:
    return sign(media[ext], tmp_path / f"signed.{ext}", claim, identity)


# ---------------------------------------------------------------- byte surgery


def _png_chunk_data(data: bytes, kind: bytes) -> int:
    """Offset of the data of the first chunk of `kind`."""
    offset = 8
    while offset < len(data):
        length, found = struct.unpack(">I4s", data[offset : offset + 8])
        if found == kind:
            return offset + 8
        offset += 12 + length
    raise AssertionError(f"no {kind!r} chunk")


def _jpeg_scan_data(data: bytes) -> int:
    """Offset of the entropy-coded data after the first start-of-scan segment."""
    offset = 2
    while True:
        assert data[offset] == 0xFF
        marker = data[offset + 1]
        length = int.from_bytes(data[offset + 2 : offset + 4], "big")
        if marker == 0xDA:
            return offset + 2 + length
        offset += 2 + length


def _riff_chunk_data(data: bytes, kinds: tuple[bytes, ...]) -> int:
    offset = 12
    while offset < len(data):
        kind, length = struct.unpack("<4sI", data[offset : offset + 8])
        if kind in kinds:
            return offset + 8
        offset += 8 + length + (length & 1)
    raise AssertionError(f"no {kinds!r} chunk")


def _mp4_box_data(data: bytes, kind: bytes) -> int:
    offset = 0
    while offset < len(data):
        size, found = struct.unpack(">I4s", data[offset : offset + 8])
        header = 8
        if size == 1:
            (size,) = struct.unpack(">Q", data[offset + 8 : offset + 16])
            header = 16
        if found == kind:
            return offset + header
        offset += size
    raise AssertionError(f"no {kind!r} box")


PIXEL_DATA: dict[str, Callable[[bytes], int]] = {
    "png": lambda d: _png_chunk_data(d, b"IDAT"),
    "jpg": _jpeg_scan_data,
    "webp": lambda d: _riff_chunk_data(d, (b"VP8 ", b"VP8L")),
    "mp4": lambda d: _mp4_box_data(d, b"mdat"),
}


def _flip_pixel_bytes(path: Path, ext: str) -> None:
    """Change a few bytes of the compressed picture itself, leaving the manifest alone."""
    data = bytearray(path.read_bytes())
    start = PIXEL_DATA[ext](bytes(data)) + 200
    for i in range(start, start + 4):
        data[i] ^= 0x24
    path.write_bytes(bytes(data))


# ---------------------------------------------------------------- round trips


@pytest.mark.parametrize("ext", sorted(MIME))
def test_sign_and_read_round_trip(
    media: dict[str, Path], tmp_path: Path, ext: str, claim: Claim, ours: SigningIdentity
) -> None:
    before = sha256_file(media[ext])
    out = _signed(media, tmp_path, ext, claim, ours)

    assert sha256_file(media[ext]) == before  # the source is only read
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no partial files left
    report = read(out, ours)
    assert report.present and report.valid and report.signed_by_us, report.errors
    assert report.errors == ()
    assert report.validation_state == "Trusted"
    assert report.claim == claim
    assert report.watermark_id == 0xC0FFEE42
    assert report.title == claim.title
    assert report.claim_generator == f"fauxlab/{__version__}"
    assert report.signer == ours.signer_common_name
    assert report.issuer == ours.ca_common_name
    assert report.ai_generated
    assert report.digital_source_type == TRAINED_ALGORITHMIC_MEDIA
    created = [a for a in report.actions if a["action"] == "c2pa.created"]
    assert len(created) == 1
    assert created[0]["softwareAgent"] == {"name": "fauxlab", "version": __version__}
    assert report.mime == MIME[ext]


def test_report_serialises_to_json(
    media: dict[str, Path], tmp_path: Path, claim: Claim, ours: SigningIdentity
) -> None:
    report = read(_signed(media, tmp_path, "png", claim, ours), ours)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["signed_by_us"] is True
    assert data["claim"]["model_weights_sha256"] == WEIGHTS
    assert data["claim"]["ingredients"][1] == {
        "name": "source-face.png",
        "sha256": sha256_file(media["png"]),
    }
    assert data["claim"]["watermark_id"] == 0xC0FFEE42
    assert data["claim"]["ledger_entry_id"] == 17
    assert data["digital_source_type"] == TRAINED_ALGORITHMIC_MEDIA


def test_minimal_claim_round_trips(
    media: dict[str, Path], tmp_path: Path, ours: SigningIdentity
) -> None:
    minimal = Claim("t", "gan-64", WEIGHTS, watermark_id=0, ledger_entry_id="leaf-9f2a")
    report = read(_signed(media, tmp_path, "jpg", minimal, ours), ours)
    assert report.claim == minimal
    assert report.claim is not None and report.claim.extra_assertions == {}


def test_ingredient_with_a_file_becomes_a_c2pa_ingredient(
    media: dict[str, Path], tmp_path: Path, claim: Claim, ours: SigningIdentity
) -> None:
    face = Ingredient.from_file(media["jpg"], name="face.jpg")
    with_file = replace(claim, ingredients=(face,))
    report = read(_signed(media, tmp_path, "png", with_file, ours), ours)
    assert report.valid and report.signed_by_us
    assert report.c2pa_ingredients == ("face.jpg",)
    assert report.claim == with_file


def test_ingredient_file_that_changed_is_refused(
    media: dict[str, Path], tmp_path: Path, claim: Claim, ours: SigningIdentity
) -> None:
    stale = Ingredient("face.jpg", "00" * 32, media["jpg"])
    with pytest.raises(InputError, match="no longer matches"):
        _signed(media, tmp_path, "png", replace(claim, ingredients=(stale,)), ours)
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- what must fail


@pytest.mark.parametrize("ext", ["png", "jpg", "webp", "mp4"])
def test_changed_pixels_read_as_invalid(
    media: dict[str, Path], tmp_path: Path, ext: str, claim: Claim, ours: SigningIdentity
) -> None:
    out = _signed(media, tmp_path, ext, claim, ours)
    _flip_pixel_bytes(out, ext)

    report = read(out, ours)
    assert report.present and not report.valid and not report.signed_by_us
    assert report.validation_state == "Invalid"
    assert any("Hash.mismatch" in e for e in report.errors), report.errors
    assert report.claim == claim  # what was claimed is still shown, flagged invalid


def test_edited_claim_reads_as_invalid(
    media: dict[str, Path], tmp_path: Path, claim: Claim, ours: SigningIdentity
) -> None:
    out = _signed(media, tmp_path, "png", claim, ours)
    data = out.read_bytes()
    assert data.count(b"faceswap-ae-64") >= 1
    out.write_bytes(data.replace(b"faceswap-ae-64", b"faceswap-ae-65"))

    report = read(out, ours)
    assert report.present and not report.valid and not report.signed_by_us
    assert any(e.startswith("assertion.hashedURI.mismatch") for e in report.errors)
    assert report.claim is not None and report.claim.model_name == "faceswap-ae-65"


def test_foreign_signer_is_valid_but_not_ours(
    media: dict[str, Path],
    tmp_path: Path,
    claim: Claim,
    ours: SigningIdentity,
    theirs: SigningIdentity,
) -> None:
    out = _signed(media, tmp_path, "png", claim, theirs)

    report = read(out, ours)
    assert report.present and report.valid and not report.signed_by_us
    assert report.errors == ()
    assert report.signer == theirs.signer_common_name
    assert report.claim == claim
    assert read(out, theirs).signed_by_us


def test_no_identity_means_never_ours(
    media: dict[str, Path], tmp_path: Path, claim: Claim, ours: SigningIdentity
) -> None:
    report = read(_signed(media, tmp_path, "jpg", claim, ours))
    assert report.valid and not report.signed_by_us
    assert report.validation_state == "Valid"


def test_impostor_ca_with_our_name_is_not_ours(
    media: dict[str, Path], tmp_path: Path, claim: Claim, ours: SigningIdentity
) -> None:
    """A CA that copies our CA's subject (but not its key) must not pass as ours."""
    folder = tmp_path / "impostor"
    SigningIdentity.load_or_create(folder)
    key = serialization.load_pem_private_key((folder / "ca.key").read_bytes(), None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    real = ours.ca_certificate
    fake = (
        x509.CertificateBuilder()
        .subject_name(real.subject)
        .issuer_name(real.subject)
        .public_key(key.public_key())
        .serial_number(real.serial_number)
        .not_valid_before(real.not_valid_before_utc)
        .not_valid_after(real.not_valid_after_utc)
    )
    for extension in real.extensions:
        value = extension.value
        if isinstance(value, x509.SubjectKeyIdentifier):
            value = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
        fake = fake.add_extension(value, extension.critical)
    (folder / "ca.crt").write_bytes(
        fake.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)
    )
    impostor = SigningIdentity.load_or_create(folder)  # re-issues its signer under the fake CA
    assert impostor.ca_common_name == ours.ca_common_name
    assert impostor.fingerprint != ours.fingerprint

    report = read(sign(media["png"], tmp_path / "forged.png", claim, impostor), ours)
    assert report.valid and not report.signed_by_us
    assert report.issuer == ours.ca_common_name  # the name alone proves nothing


@pytest.mark.parametrize("ext", ["png", "jpg", "mp4"])
def test_unsigned_file_has_no_credentials(
    media: dict[str, Path], ext: str, ours: SigningIdentity
) -> None:
    report = read(media[ext], ours)
    assert report == CredentialReport(media[ext], report.mime, present=False)
    assert not report.valid and report.claim is None and not report.ai_generated


def test_existing_destination_is_refused_unless_overwrite(
    media: dict[str, Path], tmp_path: Path, claim: Claim, ours: SigningIdentity
) -> None:
    out = tmp_path / "out.png"
    out.write_bytes(b"a user's file")
    with pytest.raises(OutputExistsError):
        sign(media["png"], out, claim, ours)
    assert out.read_bytes() == b"a user's file"

    sign(media["png"], out, claim, ours, overwrite=True)
    assert read(out, ours).signed_by_us


def test_destination_must_keep_the_format(
    media: dict[str, Path], tmp_path: Path, claim: Claim, ours: SigningIdentity
) -> None:
    with pytest.raises(UnsupportedFormatError, match=r"must end in \.png"):
        sign(media["png"], tmp_path / "out.jpg", claim, ours)
    assert list(tmp_path.iterdir()) == []
    assert read(sign(media["jpg"], tmp_path / "out.jpeg", claim, ours), ours).valid


def test_signing_in_place_is_refused(
    media: dict[str, Path], tmp_path: Path, claim: Claim, ours: SigningIdentity
) -> None:
    copy = tmp_path / "copy.png"
    copy.write_bytes(media["png"].read_bytes())
    with pytest.raises(InputError, match="source itself"):
        sign(copy, copy, claim, ours, overwrite=True)
    assert sha256_file(copy) == sha256_file(media["png"])


def test_unsupported_formats_are_named(
    media: dict[str, Path], tmp_path: Path, claim: Claim, ours: SigningIdentity
) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not media at all\n")
    for path, name in ((media["bmp"], "BMP"), (text, "not a media format")):
        with pytest.raises(UnsupportedFormatError, match=name):
            read(path, ours)
        with pytest.raises(UnsupportedFormatError, match=name):
            sign(path, tmp_path / f"out{path.suffix}", claim, ours)


def test_corrupt_files_are_corrupt_media(
    media: dict[str, Path], tmp_path: Path, claim: Claim, ours: SigningIdentity
) -> None:
    signed = _signed(media, tmp_path, "png", claim, ours).read_bytes()
    cases = {
        "empty.png": b"",
        "renamed.png": b"plain text pretending to be a picture",
        "truncated.png": signed[:3000],
        "truncated.jpg": media["jpg"].read_bytes()[:10],
    }
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(CorruptMediaError) as caught:
            read(path, ours)
        assert str(path) in str(caught.value)
        with pytest.raises(CorruptMediaError):
            sign(path, tmp_path / f"signed-{name}", claim, ours)
        assert not (tmp_path / f"signed-{name}").exists()
    assert {p.name for p in tmp_path.iterdir()} == {"signed.png", *cases}  # no partials


def test_damaged_manifest_is_present_but_invalid(
    media: dict[str, Path], tmp_path: Path, claim: Claim, ours: SigningIdentity
) -> None:
    out = _signed(media, tmp_path, "png", claim, ours)
    data = bytearray(out.read_bytes())
    start = _png_chunk_data(bytes(data), b"caBX")
    data[start + 600 : start + 700] = bytes(100)  # zero a stretch inside the manifest store
    out.write_bytes(bytes(data))

    report = read(out, ours)
    assert report.present and not report.valid and not report.signed_by_us
    assert report.errors


def test_claim_rejects_malformed_fields() -> None:
    with pytest.raises(ValueError, match="SHA-256"):
        Claim("t", "m", "not-a-hash", watermark_id=1)
    with pytest.raises(ValueError, match="watermark_id"):
        Claim("t", "m", WEIGHTS, watermark_id=-1)
    with pytest.raises(ValueError, match="SHA-256"):
        Ingredient("face.png", WEIGHTS.upper())
    with pytest.raises(ValueError, match="reserved"):
        Claim("t", "m", WEIGHTS, 1, extra_assertions={GENERATION_LABEL: {}})
    with pytest.raises(ValueError, match="reserved"):
        Claim("t", "m", WEIGHTS, 1, extra_assertions={"c2pa.actions": {}})


def test_errors_are_fauxlab_errors() -> None:
    assert issubclass(UnsupportedFormatError, FauxlabError)
    assert issubclass(CorruptMediaError, FauxlabError)
