"""The detectors fauxlab ships, one folder each.

Each folder's `__init__.py` describes its detector in one `DetectorSpec` (name, the
sentence a reader sees, weight, options, model card, and the class that builds it) and
imports nothing heavy; the rest of the folder is the detector itself. Adding one is a
folder and a line here: this order is the default order of `fauxlab detect`.
"""

BUILTIN: tuple[str, ...] = (
    "provenance",
    "learned",
    "spectrum",
    "blink",
    "lipsync",
    "temporal",
    "generated",
    "traces",
    "shallowfake",
    "voice",
    "reenactment",
)
