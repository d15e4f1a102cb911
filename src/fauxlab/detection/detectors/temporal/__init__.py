"""Temporal-consistency evidence: does the face stay one face from frame to frame?

A face swap is made one frame at a time, so it is rarely consistent over time: its seam
flickers, its landmarks jitter, its identity wanders and its skin drifts in colour away
from the neck and forehead around it. Each of these is measured against what real clips
do (docs/temporal.md); `detector.TemporalDetector` turns them into one piece of evidence.
"""

from fauxlab.detection.registry import DetectorSpec

SPEC = DetectorSpec(
    name="temporal",
    about="followed the main face over time for a flickering seam, jittering "
    "landmarks, a wandering identity and skin colour drifting against the forehead and neck, "
    "each against what real clips show.",
    factory="fauxlab.detection.detectors.temporal.detector:TemporalDetector",
    # Modest: on the real clips and our own crude swaps (docs/temporal.md) only colour and
    # jitter separated them, each for one kind of swap; flicker and identity did not.
    weight=0.5,
)
