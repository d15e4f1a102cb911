"""The demo's provenance part: seal one picture, then verify it and three of its relatives.

The demo keeps its own ledger and a throwaway signing identity inside its output folder,
so running it never writes to the user's real ledger.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
from PIL import Image

from fauxlab.demo.samples import astronaut
from fauxlab.media import read_image, write_image
from fauxlab.provenance.context import Provenance
from fauxlab.provenance.seal import ModelInfo, seal_image
from fauxlab.provenance.verify import VerifyReport, verify_file


def _row(name: str, what: str, report: VerifyReport) -> dict[str, Any]:
    mark, creds, found = report.watermark, report.credentials, report.ledger
    c2pa = "none"
    if creds is not None and creds.present:
        c2pa = (
            "valid, ours, AI-generated"
            if creds.signed_by_us and creds.ai_generated
            else ("valid" if creds.valid else "INVALID (tampered)")
        )
    ledger: str = found.status
    if found.entry is not None:
        ledger += (
            f" (entry {found.entry.index}, proof {'ok' if found.proof_verified else 'FAILED'})"
        )
    if found.status == "near":
        ledger += f", PDQ distance {found.distance}"
    return {
        "file": name,
        "what": what,
        "watermark": f"id {mark.payload}" if mark and mark.found else "not found",
        "c2pa": c2pa,
        "ledger": ledger,
        "sealed_by_fauxlab": report.sealed_by_fauxlab,
    }


def edit_signed_jpeg(data: bytes) -> bytes:
    """An edit after signing that keeps the picture decodable: a comment segment inserted
    after the start-of-image marker. The bytes the manifest's hash covers change, so C2PA
    must call the file invalid."""
    comment = b"edited after signing"
    segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
    return data[:2] + segment + data[2:]


def demo_provenance(out: Path) -> Provenance:
    """The demo's own ledger and throwaway identity in `out`; every part seals into it, so
    verify and detect find the demo's marks without touching the user's ledger."""
    return Provenance(out / "ledger.sqlite", out / "identity")


def run_provenance_part(out: Path, provenance: Provenance) -> list[dict[str, Any]]:
    portrait = astronaut()
    sealed = seal_image(
        portrait,
        out / "sealed.png",
        ModelInfo("demo-generator"),
        title="fauxlab demo: a sealed picture",
        provenance=provenance,
    )
    reshared = out / "reshared.jpg"  # what a platform does on upload: resize, recompress, strip
    small = cv2.resize(read_image(sealed.path), (320, 320), interpolation=cv2.INTER_AREA)
    Image.fromarray(small).save(reshared, quality=70)
    original = out / "original.png"  # the same picture before it was sealed
    write_image(original, portrait)
    tampered = out / "tampered.jpg"  # a sealed JPEG edited after signing
    sealed_jpeg = seal_image(
        portrait, out / "sealed.jpg", ModelInfo("demo-generator"), provenance=provenance
    )
    data = bytearray(sealed_jpeg.path.read_bytes())
    tampered.write_bytes(edit_signed_jpeg(bytes(data)))
    cases = [
        (sealed.path, "sealed by fauxlab"),
        (reshared, "the sealed picture resized to 320 px and saved as JPEG 70"),
        (original, "the picture before sealing"),
        (tampered, "a sealed JPEG edited after it was signed"),
    ]
    return [_row(path.name, what, verify_file(path, provenance)) for path, what in cases]
