"""Blink evidence: does the person blink as people do? (a weak cue, weighted low)"""

from fauxlab.detection.registry import DetectorSpec

SPEC = DetectorSpec(
    name="blink",
    about="counted the main face's blinks over the clip and compared their rate and "
    "length with how people blink.",
    factory="fauxlab.detection.detectors.blink.detector:BlinkDetector",
    weight=0.3,
)
