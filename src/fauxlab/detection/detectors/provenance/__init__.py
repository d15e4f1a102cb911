"""Provenance as evidence: fauxlab's own marks (watermark, C2PA, ledger)."""

from fauxlab.detection.registry import DetectorSpec

SPEC = DetectorSpec(
    name="provenance",
    about="looked for fauxlab's own marks: an invisible watermark (in the pictures or the "
    "sound), signed content credentials (C2PA) and an entry in its transparency ledger.",
    factory="fauxlab.detection.detectors.provenance.detector:ProvenanceDetector",
    options={
        "provenance": "the keys, ledger and watermark settings to check against "
        "(a fauxlab.provenance.context.Provenance; default: the user's own)"
    },
    listens=True,  # sealed sound carries the marks too (docs/audio-watermark.md)
)
