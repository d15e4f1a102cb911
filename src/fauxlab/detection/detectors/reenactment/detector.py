"""The reenactment detector: texture constancy, background stillness and identity
steadiness of the main face.

It reuses what `AnalysedMedia` holds: the keyframes' pixels and the face tracks (nothing
is decoded again). A measure that cannot be taken (too few keyframes, a face crop with
no background) is left out; when neither can, the evidence says "cannot judge" and why,
never "real".
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from fauxlab.detection.analysed import AnalysedMedia
from fauxlab.detection.detectors.reenactment import SPEC
from fauxlab.detection.detectors.reenactment.figure import timeline
from fauxlab.detection.detectors.reenactment.identity import (
    IDENTITY_KEYFRAMES,
    MIN_FACE_WIDTH,
    IdentityChange,
)
from fauxlab.detection.detectors.reenactment.score import NORMS
from fauxlab.detection.detectors.reenactment.stillness import pair_stillness
from fauxlab.detection.detectors.reenactment.texture import pair_texture_change
from fauxlab.detection.evidence import Evidence
from fauxlab.detection.norms import P_NORMAL, past_their_limits
from fauxlab.faces.types import Face
from fauxlab.media.images import RGBImage

Floats = NDArray[np.float64]
Keyframe = tuple[float, RGBImage, Face]
PairMeasure = Callable[[tuple[RGBImage, Face], tuple[RGBImage, Face]], float | None]

NAME = SPEC.name
MIN_KEYFRAMES = 4  # with the face: fewer pairs say nothing about motion over time
MIN_PAIRS = 3

CANNOT = "Reenactment cannot be judged here: "


@dataclass(frozen=True)
class Measure:
    """How to take one measure: a fresh pair measure per clip (the identity measure keeps
    the last face's embedding), on at most `most_keyframes` evenly spread keyframes."""

    make: Callable[[], PairMeasure]
    most_keyframes: int | None = None


MEASURES: dict[str, Measure] = {
    "texture": Measure(lambda: pair_texture_change),
    "stillness": Measure(lambda: pair_stillness),
    # An embedding costs about 80 ms a face: 16 of the 32 default keyframes halve that.
    "identity": Measure(IdentityChange, most_keyframes=IDENTITY_KEYFRAMES),
}


def thinned(keyframes: list[Keyframe], most: int | None) -> list[Keyframe]:
    """At most `most` keyframes, evenly spread from the first to the last."""
    if most is None or len(keyframes) <= most:
        return keyframes
    picks = np.unique(np.round(np.linspace(0, len(keyframes) - 1, most)).astype(int))
    return [keyframes[i] for i in picks]


def _cannot(why: str) -> Evidence:
    return Evidence(NAME, None, CANNOT + why, weight=SPEC.weight)


def main_keyframes(media: AnalysedMedia) -> list[Keyframe]:
    """The keyframes of the longest face track, in time order, with that face."""
    tracks = sorted(media.tracks().values(), key=len, reverse=True)
    if not tracks:
        return []
    track_id = tracks[0][0][1].track_id
    return [
        (record.time, image, face)
        for record, image in media.keyframes()
        for face in record.faces
        if face.track_id == track_id
    ]


def measure(keyframes: list[Keyframe]) -> tuple[dict[str, float], dict[str, tuple[Floats, Floats]]]:
    """Each measure's median over consecutive keyframe pairs, and its per-pair curve;
    a measure found on fewer than MIN_PAIRS pairs is left out."""
    values: dict[str, float] = {}
    curves: dict[str, tuple[Floats, Floats]] = {}
    for name, how in MEASURES.items():
        pair = how.make()
        found = [
            ((a[0] + b[0]) / 2, pair((a[1], a[2]), (b[1], b[2])))
            for a, b in itertools.pairwise(thinned(keyframes, how.most_keyframes))
        ]
        kept = [(t, v) for t, v in found if v is not None]
        if len(kept) < MIN_PAIRS:
            continue
        series = np.array([v for _, v in kept], np.float64)
        values[name] = float(np.median(series))
        curves[name] = (np.array([t for t, _ in kept], np.float64), series)
    return values, curves


class ReenactmentDetector:
    """Texture carried along unchanged, a frozen background and a steady identity: one
    photo made to move."""

    name = NAME

    def examine(self, media: AnalysedMedia) -> Evidence:
        if not media.is_video:
            return _cannot("a single picture has no motion to judge.")
        keyframes = main_keyframes(media)
        if not keyframes:
            return _cannot("no face was found, so there was no face to follow over time.")
        if len(keyframes) < MIN_KEYFRAMES:
            return _cannot(
                f"the face is on {len(keyframes)} keyframes, under the {MIN_KEYFRAMES} "
                "needed to see it move."
            )
        values, curves = measure(keyframes)
        if not values:
            return _cannot("the face's texture, surroundings and identity could not be compared.")
        parts = {name: NORMS[name].describe(value) for name, value in values.items()}
        p = max(part["probability"] for part in parts.values())
        details: dict[str, Any] = {
            "keyframes_with_face": len(keyframes),
            "measures": parts,
            "not_measured": [
                f"{NORMS[n].name}: found on fewer than {MIN_PAIRS} keyframe pairs "
                f"({_UNMEASURED[n]})"
                for n in NORMS
                if n not in values
            ],
            "probability_rule": f"{P_NORMAL} at a real clip's 5th percentile or above (less "
            "towards the median), rising to 0.8 at half of it; the larger of the measures",
            "norms": "median and 5th percentile over the 17 training-side real clips of the "
            "shared data (docs/reenactment.md)",
        }
        figure = timeline(curves)
        return Evidence(NAME, p, _summary(values), details, figures=[figure], weight=SPEC.weight)


_UNMEASURED = {
    "texture": "the skin was too small or flat to compare",
    "stillness": "a tight face crop has no background",
    "identity": f"the face is under {MIN_FACE_WIDTH} px wide",
}
_SAID = {
    "texture": "the skin's fine texture is carried along unchanged as the face moves",
    "stillness": "the picture around the head stays frozen while the face moves",
    "identity": "the face's identity stays steadier than a real face's",
}


def _summary(values: dict[str, float]) -> str:
    short, below = past_their_limits(values, NORMS)
    measured = " and ".join(NORMS[n].name for n in values)
    if not below:
        return (
            f"The face moves like a real one: its {measured} are within what real clips "
            "show (95% of them)."
        )
    said = "; ".join(
        f"{_SAID[n]} ({short[n]:.1f}x below the real clips' 5th percentile)" for n in below
    )
    return f"Over time {said}, as when one photo is animated."
