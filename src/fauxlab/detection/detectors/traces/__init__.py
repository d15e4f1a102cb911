"""Generated-picture traces: neighbouring-pixel residuals read by a small CNN (NPR)."""

from fauxlab.detection.registry import DetectorSpec

SPEC = DetectorSpec(
    name="traces",
    about="a small network that reads how neighbouring pixels relate, where the "
    "up-sampling layers of image generators leave regular patterns, judged whether the "
    "picture was drawn by a generator; it learned from real photos and their copies "
    "redrawn by many small decoders, never from any generator's own pictures.",
    factory="fauxlab.detection.detectors.traces.detector:TracesDetector",
    weight=1.0,
    video_weight=0.25,  # video codecs wash out pixel-level traces
    options={"model": "a traces model (.safetensors) to use instead of the shipped one"},
    card="traces.md",
)
