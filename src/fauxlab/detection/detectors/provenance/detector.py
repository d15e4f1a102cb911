"""Provenance as evidence: fauxlab's own marks (watermark, C2PA, ledger) read by `verify`.

Any of our marks is decisive: each is hard to forge or to find by chance (the watermark
at a false-positive rate of 1e-6, the manifest by its signature, the ledger by the exact
bytes or the watermark id). Their absence says nothing: media from other tools carries
none of them, so "nothing found" has probability None and does not move the verdict.
"""

from __future__ import annotations

from typing import Any

from fauxlab.detection.analysed import AnalysedMedia
from fauxlab.detection.detectors.provenance import SPEC
from fauxlab.detection.evidence import Evidence
from fauxlab.provenance.context import Provenance
from fauxlab.provenance.verify import VerifyReport, verify_file

NAME = SPEC.name
NOTHING = (
    "No fauxlab marks (watermark, content credentials, ledger); "
    "this says nothing about media made by other tools."
)


def _marks(report: VerifyReport) -> list[str]:
    """The marks that say fauxlab (or a signed AI generator) made this file."""
    found: list[str] = []
    mark, creds, ledger = report.watermark, report.credentials, report.ledger
    if mark is not None and mark.found:
        found.append(f"its invisible watermark (id {mark.payload})")
    sound = report.sound_watermark
    if sound is not None and sound.found:
        found.append(f"the invisible watermark in its sound track (id {sound.payload})")
    if creds is not None and creds.valid and (creds.signed_by_us or creds.ai_generated):
        signer = "fauxlab" if creds.signed_by_us else (creds.issuer or "an unknown signer")
        what = "saying it is AI-generated" if creds.ai_generated else "from fauxlab's generator"
        found.append(f"valid content credentials signed by {signer} {what}")
    if ledger.status in ("exact", "watermark") and ledger.entry is not None:
        how = "its exact bytes" if ledger.status == "exact" else "its watermark id"
        found.append(f"ledger entry {ledger.entry.index}, matched by {how}")
    return found


def _warnings(report: VerifyReport) -> list[str]:
    notes: list[str] = []
    creds, ledger = report.credentials, report.ledger
    if creds is not None and creds.present and not creds.valid:
        ai = " that say AI-generated" if creds.ai_generated else ""
        notes.append(
            f"Its content credentials{ai} no longer match the file: it was edited after signing."
        )
    if ledger.proof_verified is False:
        notes.append("Its ledger entry failed the inclusion proof: the ledger was altered.")
    if ledger.status == "near" and ledger.entry is not None:
        measure = "audio fingerprint distance" if report.kind == "audio" else "PDQ distance"
        notes.append(
            f"It looks like ledger entry {ledger.entry.index} ({measure} {ledger.distance}) "
            "without carrying its marks: it may be that file's source, or a copy that lost them."
        )
    return notes


def _details(report: VerifyReport) -> dict[str, Any]:
    mark, creds, ledger = report.watermark, report.credentials, report.ledger
    return {
        "sealed_by_fauxlab": report.sealed_by_fauxlab,
        "tampered": report.tampered,
        "watermark_found": bool(mark and mark.found),
        "watermark_id": mark.payload if mark and mark.found else None,
        "credentials": None
        if creds is None
        else {
            "present": creds.present,
            "valid": creds.valid,
            "signed_by_us": creds.signed_by_us,
            "ai_generated": creds.ai_generated,
            "issuer": creds.issuer,
            "digital_source_type": creds.digital_source_type,
        },
        "ledger": {
            "status": ledger.status,
            "entry": ledger.entry.index if ledger.entry else None,
            "pdq_distance": ledger.distance,
            "inclusion_proof_verified": ledger.proof_verified,
        },
        "problems": list(report.problems),
    }


def evidence_from(report: VerifyReport) -> Evidence:
    """Turn a verify report into evidence (separate from I/O so it can be tested alone)."""
    marks, notes = _marks(report), _warnings(report)
    details = _details(report)
    if marks:
        text = "fauxlab's marks say an AI generator made this file: " + "; ".join(marks) + "."
        return Evidence(NAME, 1.0, " ".join([text, *notes]), details, decisive=True)
    if notes:
        return Evidence(NAME, None, " ".join(["No valid fauxlab mark was found.", *notes]), details)
    return Evidence(NAME, None, NOTHING, details)


class ProvenanceDetector:
    """Reads our three marks with `verify_file`; never creates keys or a ledger."""

    name = NAME

    def __init__(self, provenance: Provenance | None = None) -> None:
        self.provenance = provenance or Provenance.default()

    def examine(self, media: AnalysedMedia) -> Evidence:
        still = not (media.is_video or media.is_audio)
        pixels = media.images.get(0) if still else None  # a still: decoded once
        return evidence_from(verify_file(media.path, self.provenance, pixels))
