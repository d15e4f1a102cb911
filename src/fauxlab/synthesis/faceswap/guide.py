"""Expression guide: tell each decoder how open the mouth and eyes should be.

The classic swap hopes that the shared code carries A's expression in a form B's decoder
reads. In training, though, each decoder only ever sees its own person's codes, so after a
short run B's decoder draws its own average mouth for A's codes (BENCHMARKS.md: a 30-minute
d6 -> d10 model kept 0.78 of the eye signal but 0.39 of the mouth). With the guide on,
each decoder also gets two numbers measured on the landmarks of the face it must draw:
mouth opening (inner-lip gap over mouth width) and eye opening (the mean eye aspect ratio).
In training these describe the person's own face, so the decoder learns "this opening
looks like this" on its own footage; at conversion they are measured on A's face and
carried into B's range by matching quantiles (A's widest mouth becomes B's widest), so
B's decoder opens B's mouth as wide, for B, as A opened A's. The numbers come from the
landmarks the aligner already has; nothing else is needed at conversion.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from fauxlab.faces.landmarks import eye_aspect_ratio, mouth_aspect_ratio

GUIDE_NAMES = ("none", "expression")
CHANNELS = 2  # mouth opening, eye opening
_CENTRE = np.array([0.2, 0.25], dtype=np.float32)  # typical values, so the inputs sit near 0
_SCALE = np.array([0.2, 0.1], dtype=np.float32)
_LEVELS = np.linspace(0.0, 1.0, 21)  # the quantiles kept per person (run.json)

Guides = NDArray[np.float32]  # N x CHANNELS, raw openings


def default_guide(model: str) -> str:
    """The guide a model trains with unless told: the classic baseline stays as published,
    fauxlab's own model follows the source's mouth (BENCHMARKS.md: 0.39 -> 0.81)."""
    return "none" if model == "classic" else "expression"


def measure(landmarks: NDArray[np.float32]) -> Guides:
    """(CHANNELS,) raw mouth and eye opening of one face's 68 landmarks."""
    eyes = (eye_aspect_ratio(landmarks[36:42]) + eye_aspect_ratio(landmarks[42:48])) / 2
    return np.array([mouth_aspect_ratio(landmarks), eyes], dtype=np.float32)


def normalise(values: Guides) -> Guides:
    """What a decoder is fed: openings shifted and scaled to about -1..1."""
    return ((values - _CENTRE) / _SCALE).astype(np.float32)


def quantiles(values: Guides) -> list[list[float]]:
    """A person's openings summarised for run.json: CHANNELS lists of quantiles."""
    return [np.quantile(values[:, c], _LEVELS).round(5).tolist() for c in range(CHANNELS)]


@dataclass(frozen=True)
class GuideTransfer:
    """Carries openings measured on one person into another's range, quantile to quantile."""

    source: list[list[float]]
    target: list[list[float]]

    def __call__(self, values: Guides) -> Guides:
        out = np.empty_like(values, dtype=np.float32)
        for c in range(CHANNELS):
            src = np.maximum.accumulate(np.asarray(self.source[c]))
            rank = np.interp(values[..., c], src, _LEVELS)
            out[..., c] = np.interp(rank, _LEVELS, np.asarray(self.target[c]))
        return out


__all__ = [
    "CHANNELS",
    "GUIDE_NAMES",
    "GuideTransfer",
    "Guides",
    "default_guide",
    "measure",
    "normalise",
    "quantiles",
]
