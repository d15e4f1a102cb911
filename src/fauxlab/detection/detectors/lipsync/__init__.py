"""Lip-sync evidence: does the mouth move with the voice?"""

from fauxlab.detection.registry import DetectorSpec

SPEC = DetectorSpec(
    name="lipsync",
    about="compared how far the mouth opens with how loud the voice is, frame by frame, "
    "to see whether they rise and fall together.",
    factory="fauxlab.detection.detectors.lipsync.detector:LipSyncDetector",
    weight=0.4,
)
