"""Reenactment evidence: is this one photo made to move?

Talking-head generators (SadTalker, EMO, LivePortrait-style tools) animate a single
picture, driven by sound or by another face. There is no pasted face and so no blending
seam for the face-swap detectors to find; what gives them away is what a photo cannot
do: its skin texture is carried along unchanged as the head moves, the picture around
the head often stays frozen while the face moves, and its identity stays steadier than a
real face's under changing light and expression. Each is measured against what
real clips do (docs/reenactment.md); `detector.ReenactmentDetector` turns them into one
piece of evidence.
"""

from fauxlab.detection.registry import DetectorSpec

SPEC = DetectorSpec(
    name="reenactment",
    about="followed the main face over time for signs of one photo made to move: skin "
    "texture carried along unchanged as the head moves, the picture around the head "
    "frozen while the face moves, and an identity steadier than a real face's, each "
    "against what real clips show.",
    factory="fauxlab.detection.detectors.reenactment.detector:ReenactmentDetector",
    # Modest: fitted on real clips only, its measures overlap with still, well-lit real
    # footage; on third-party talking-head fakes it ranks fakes above reals but rarely
    # reaches the fake band (docs/reenactment.md, BENCHMARKS.md).
    weight=0.5,
)
