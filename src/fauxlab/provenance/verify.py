"""`verify`: what a file's watermark, content credentials and the ledger say about it.

Each of the three is read on its own, so a file that lost one mark (a screenshot drops the
C2PA manifest, a re-encode changes the SHA-256) is still recognised by the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from fauxlab.errors import FauxlabError
from fauxlab.fileio import sha256_file
from fauxlab.media import MediaKind, media_kind, read_audio, read_image
from fauxlab.media.images import RGBImage
from fauxlab.provenance import watermark
from fauxlab.provenance.audio_hash import NEAR_DISTANCE as AUDIO_NEAR_DISTANCE
from fauxlab.provenance.audio_hash import fingerprint
from fauxlab.provenance.context import Provenance
from fauxlab.provenance.credentials import CredentialReport, read
from fauxlab.provenance.ledger import (
    Ledger,
    LedgerEntry,
    SignedTreeHead,
    verify_inclusion_proof,
)
from fauxlab.provenance.ledger.storage import ledger_exists
from fauxlab.provenance.phash import hamming, image_lookups, video_lookups
from fauxlab.provenance.signing import SigningIdentity
from fauxlab.provenance.watermark import AudioWatermarkReading

NEAR_DISTANCE = 31  # PDQ's near-duplicate threshold, of 256 bits
LedgerStatus = Literal["exact", "watermark", "near", "none", "no-ledger"]
Reading = watermark.WatermarkReading | AudioWatermarkReading


@dataclass(frozen=True)
class LedgerFinding:
    """How the file matched the ledger: by its bytes, its watermark id or how it looks."""

    status: LedgerStatus
    entry: LedgerEntry | None = None
    distance: int | None = None
    proof_verified: bool | None = None
    head: SignedTreeHead | None = None
    variant: str = ""  # a near match: how the copy differs ("mirrored", "letterbox bars removed")

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "entry": self.entry.to_dict() if self.entry else None,
            "pdq_distance": self.distance,
            "pdq_variant": self.variant or None,
            "inclusion_proof_verified": self.proof_verified,
            "head": self.head.to_dict() if self.head else None,
        }


@dataclass(frozen=True)
class VerifyReport:
    path: Path
    kind: str
    sha256: str
    watermark: Reading | None
    credentials: CredentialReport | None
    ledger: LedgerFinding
    problems: tuple[str, ...] = ()
    sound_watermark: AudioWatermarkReading | None = None  # a video's sound track

    @property
    def sealed_by_fauxlab(self) -> bool:
        """Any one of our marks is evidence enough: each is hard to forge by chance."""
        return bool(
            (self.watermark and self.watermark.found)
            or (self.sound_watermark and self.sound_watermark.found)
            or (self.credentials and self.credentials.signed_by_us)
            or self.ledger.status in ("exact", "watermark")
        )

    @property
    def tampered(self) -> bool:
        """A manifest that no longer matches the file, or a ledger proof that fails."""
        broken_manifest = bool(
            self.credentials and self.credentials.present and not self.credentials.valid
        )
        return broken_manifest or self.ledger.proof_verified is False

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "kind": self.kind,
            "sha256": self.sha256,
            "sealed_by_fauxlab": self.sealed_by_fauxlab,
            "tampered": self.tampered,
            "watermark": _mark_dict(self.watermark),
            "sound_watermark": _mark_dict(self.sound_watermark),
            "credentials": self.credentials.to_dict() if self.credentials else None,
            "ledger": self.ledger.to_dict(),
            "problems": list(self.problems),
        }


def _mark_dict(mark: Reading | None) -> dict[str, Any] | None:
    if mark is None:
        return None
    return {
        "found": mark.found,
        "payload": mark.payload,
        "confidence": mark.confidence,
        "score": round(mark.score, 3),
        "threshold": round(mark.threshold, 3),
        "edits_undone": list(mark.undone),
    }


def _identity(provenance: Provenance) -> SigningIdentity | None:
    """Our identity if one exists; verifying never creates keys."""
    return SigningIdentity.load_existing(provenance.identity_dir)


def _read_watermark(path: Path, kind: MediaKind, image: RGBImage | None) -> Reading:
    if kind is MediaKind.IMAGE:
        return watermark.extract(read_image(path) if image is None else image)
    if kind is MediaKind.AUDIO:
        return watermark.read_sound_file(path)
    return watermark.read_video(path)


Lookups = list[tuple[str, str]]  # (how the copy was edited, PDQ hex)


def _hashes(path: Path, kind: MediaKind, image: RGBImage | None) -> Lookups:
    if kind is MediaKind.IMAGE:
        return image_lookups(read_image(path) if image is None else image)
    if kind is MediaKind.AUDIO:  # the audio fingerprint, in the PDQ index (see audio_hash)
        heard = read_audio(path)
        return (
            [] if heard is None else [("as heard", fingerprint(heard.samples, heard.sample_rate))]
        )
    return video_lookups(path)


def _variant(entry: LedgerEntry, hashes: Lookups, distance: int) -> str:
    """Which of the look-up hashes matched the entry at `distance`."""
    for edit, query in hashes:
        if any(hamming(query, stored) == distance for stored in entry.pdq):
            return edit
    return ""


def _find(
    ledger: Ledger,
    digest: str,
    marks: tuple[Reading | None, ...],
    hashes: Lookups,
    near_distance: int = NEAR_DISTANCE,
) -> tuple[LedgerStatus, LedgerEntry | None, int | None, str]:
    exact = ledger.find_sha256(digest)
    if exact:
        return "exact", exact[0], 0, ""
    for reading in marks:
        if reading is not None and reading.found and reading.payload is not None:
            by_mark = ledger.find_watermark(reading.payload)
            if by_mark is not None:
                return "watermark", by_mark, None, ""
    near = ledger.find_near([q for _, q in hashes], near_distance, limit=1) if hashes else []
    if near:
        entry, distance = near[0].entry, near[0].distance
        return "near", entry, distance, _variant(entry, hashes, distance)
    return "none", None, None, ""


def _check_ledger(
    provenance: Provenance,
    identity: SigningIdentity | None,
    digest: str,
    marks: tuple[Reading | None, ...],
    hashes: Lookups,
    near_distance: int = NEAR_DISTANCE,
) -> LedgerFinding:
    if not ledger_exists(provenance.ledger_path):
        return LedgerFinding("no-ledger")
    with Ledger.open(provenance.ledger_path) as ledger:  # read only: no key, no signing
        status, entry, distance, variant = _find(ledger, digest, marks, hashes, near_distance)
        if entry is None:
            return LedgerFinding(status)
        stored = [h for h in ledger.heads() if h.tree_size > entry.index]
        if not stored:  # recorded after the latest signed head: nothing to prove against
            return LedgerFinding(status, entry, distance, variant=variant)
        head = stored[-1]
        # The owner's own key when this is our ledger; else only the key the head carries
        # (which shows the tree is intact, not who signed it).
        ours = identity.ledger_public_key_bytes() if identity is not None else None
        public_key = ours if ours is not None and head.public_key == ours.hex() else None
        proof = ledger.prove(entry.index, head.tree_size)
        verified = verify_inclusion_proof(proof, head, public_key or bytes.fromhex(head.public_key))
        return LedgerFinding(status, entry, distance, verified, head, variant)


def verify_file(
    path: Path, provenance: Provenance | None = None, image: RGBImage | None = None
) -> VerifyReport:
    """Read all three marks of one file. Bad input raises; a missing mark does not.

    `image`: the file's pixels when the caller has decoded them already (an image file)."""
    provenance = provenance or Provenance.default()
    kind = media_kind(path)
    digest = sha256_file(path)
    identity = _identity(provenance)
    problems: list[str] = []
    mark: Reading | None = None
    try:
        mark = _read_watermark(path, kind, image)
    except FauxlabError as exc:  # e.g. an image too small, or a sound too short, for a mark
        problems.append(f"watermark: {exc}")
    sound: AudioWatermarkReading | None = None
    if kind is MediaKind.VIDEO and read_audio(path) is not None:
        try:
            sound = watermark.read_sound_file(path)
        except FauxlabError as exc:  # a sound track too short to carry a mark
            problems.append(f"sound watermark: {exc}")
    credentials: CredentialReport | None = None
    try:
        credentials = read(path, identity)
    except FauxlabError as exc:  # a format C2PA cannot carry (BMP, AVI, ...)
        problems.append(f"content credentials: {exc}")
    near = AUDIO_NEAR_DISTANCE if kind is MediaKind.AUDIO else NEAR_DISTANCE
    hashes = _hashes(path, kind, image)
    finding = _check_ledger(provenance, identity, digest, (mark, sound), hashes, near)
    return VerifyReport(
        path, kind.value, digest, mark, credentials, finding, tuple(problems), sound
    )
