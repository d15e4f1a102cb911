"""Shallowfakes: real footage slowed down, sped up or spliced to change what it seems to say.

`ShallowfakeDetector` (detector.py) is what `fauxlab detect` runs; the other modules each
measure one thing: frames.py (a cheap greyscale pass), cadence.py and speed.py (repeated,
dropped and blended frames), cuts.py (splices), metadata.py (container contradictions),
motion.py and voice.py (how fast the face and the voice move).
"""

from fauxlab.detection.registry import DetectorSpec

SPEC = DetectorSpec(
    name="shallowfake",
    about="looked at the rhythm of the frames, jumps between them, the file's own "
    "metadata and how fast the face and voice move, for footage slowed down, sped up or "
    "spliced.",
    factory="fauxlab.detection.detectors.shallowfake.detector:ShallowfakeDetector",
    # Full weight: its alarms rest on measured cadences, cuts and contradictions, and the
    # hints it cannot be sure of are capped below the uncertain band (score.py).
    weight=1.0,
)
