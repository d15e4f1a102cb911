"""Shallowfakes: real footage slowed down, sped up or spliced to change what it seems to say.

`ShallowfakeDetector` (detector.py) is what `fauxlab detect` runs; the other modules each
measure one thing: frames.py (a cheap greyscale pass), cadence.py and speed.py (repeated,
dropped and blended frames), cuts.py (splices), metadata.py (container contradictions),
motion.py and voice.py (how fast the face and the voice move).
"""

from fauxlab.detection.shallowfake.detector import NAME, ShallowfakeDetector

__all__ = ["NAME", "ShallowfakeDetector"]
