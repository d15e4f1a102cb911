"""Colour mismatch over time: does the face's skin drift against the forehead and neck?

A pasted face is colour-corrected frame by frame (or not at all), so its skin tone
changes against the skin around it from one frame to the next, while real lighting
changes the cheeks, forehead and neck together. On each keyframe the median CIE Lab
colour of both cheeks is compared with the forehead (above the brows) and the neck
(below the chin): the difference is a Lab vector per keyframe. Its *drift* is the
standard deviation over time of the red-green axis `a*` of that difference. L* and b*
are reported but not judged: on the real clips L* follows shading as the head turns and
b* the white balance of the light (both up to 15 units), while the skin's redness
against itself stayed within 3.3 (docs/temporal.md). The mean difference is reported
but not judged either (a shadow under the chin is normal).
The clip's value is the smaller drift of the two references that are in the picture:
a swap drifts against both, while hair over the forehead or a collar upsets only one.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from fauxlab.faces.landmarks import LEFT_BROW, LEFT_EYE, RIGHT_BROW, RIGHT_EYE
from fauxlab.faces.types import Face
from fauxlab.media.images import RGBImage

Floats = NDArray[np.float64]
Points = NDArray[np.float64]

SHRINK = 0.6  # patches shrunk towards their centre to stay clear of edges and features
MIN_PIXELS = 30
MIN_KEYFRAMES = 4
# iBUG-68 outlines of the cheeks: jaw side, mouth corner, nose side, under the eye
_RIGHT_CHEEK = (1, 2, 3, 4, 48, 31, 40, 41)
_LEFT_CHEEK = (15, 14, 13, 12, 54, 35, 47, 46)
_CHIN = (6, 7, 8, 9, 10)
REFERENCES = ("forehead", "neck")


def _shrunk(points: Points) -> Points:
    centre = points.mean(axis=0)
    out: Points = centre + (points - centre) * SHRINK
    return out


def patches(landmarks: Points) -> dict[str, list[Points]]:
    """Polygons of the cheeks, the forehead and the neck in image pixels."""
    brows = np.concatenate([landmarks[RIGHT_BROW], landmarks[LEFT_BROW]])
    eyes = np.concatenate([landmarks[RIGHT_EYE], landmarks[LEFT_EYE]]).mean(axis=0)
    up = brows.mean(axis=0) - eyes  # eyes to brows: "up" the face, one brow-height
    inner = brows[2:8]  # the inner six brow points: the forehead's middle
    forehead = np.concatenate([inner + 0.4 * up, inner[::-1] + 1.4 * up])
    down = landmarks[8] - landmarks[27]  # nose bridge to chin: "down", one lower face
    chin = landmarks[list(_CHIN)]
    neck = np.concatenate([chin + 0.2 * down, chin[::-1] + 0.5 * down])
    return {
        "cheeks": [_shrunk(landmarks[list(_RIGHT_CHEEK)]), _shrunk(landmarks[list(_LEFT_CHEEK)])],
        "forehead": [_shrunk(forehead)],
        "neck": [_shrunk(neck)],
    }


def _median_lab(image: RGBImage, polygons: list[Points]) -> Floats | None:
    """Median Lab colour inside the polygons, None if they are mostly off the picture."""
    h, w = image.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    for polygon in polygons:
        cv2.fillPoly(mask, [np.round(polygon).astype(np.int32)], 1)
    ys, xs = np.nonzero(mask)
    if ys.size < MIN_PIXELS:
        return None
    pixels = image[ys, xs].reshape(-1, 1, 3).astype(np.float32) / 255.0
    lab = cv2.cvtColor(pixels, cv2.COLOR_RGB2Lab).reshape(-1, 3)
    median: Floats = np.median(lab, axis=0).astype(np.float64)
    return median


def differences(image: RGBImage, face: Face) -> dict[str, Floats]:
    """Cheeks minus each reference in Lab, for the references in the picture."""
    found = {
        name: _median_lab(image, polygons)
        for name, polygons in patches(face.landmarks.astype(np.float64)).items()
    }
    cheeks = found.pop("cheeks")
    if cheeks is None:
        return {}
    return {name: cheeks - lab for name, lab in found.items() if lab is not None}


JUDGED_AXIS = 1  # a* (red-green) of L*a*b*


def drift(vectors: Floats) -> float:
    """Spread over time of the difference's red-green axis, in Lab units."""
    return float(np.std(vectors[:, JUDGED_AXIS]))


@dataclass(frozen=True)
class ColourSeries:
    """Per reference: the keyframe times, the Lab differences and their drift."""

    times: dict[str, Floats]
    vectors: dict[str, Floats]

    def drifts(self) -> dict[str, float]:
        return {name: drift(v) for name, v in self.vectors.items() if len(v) >= MIN_KEYFRAMES}

    def value(self) -> float | None:
        """The smaller drift of the references seen on enough keyframes."""
        found = self.drifts()
        return min(found.values()) if found else None


def colour_series(keyframes: list[tuple[float, RGBImage, Face]]) -> ColourSeries:
    """The cheek-to-reference Lab differences along the keyframes of one face."""
    times: dict[str, list[float]] = {name: [] for name in REFERENCES}
    vectors: dict[str, list[Floats]] = {name: [] for name in REFERENCES}
    for time, image, face in keyframes:
        for name, vector in differences(image, face).items():
            times[name].append(time)
            vectors[name].append(vector)
    return ColourSeries(
        {n: np.array(t, np.float64) for n, t in times.items() if t},
        {n: np.array(v, np.float64) for n, v in vectors.items() if v},
    )
