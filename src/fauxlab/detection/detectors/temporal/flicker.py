"""Flicker at the face boundary: does the seam change more than the face and its
surroundings between consecutive keyframes?

A face pasted frame by frame is blended in along a mask edge that moves and changes
slightly every frame; inside the face and out in the background nothing of the sort
happens. Both keyframes of a pair are warped into the same face-aligned crop (the
similarity transform of `fauxlab.faces.align`), their grey-level difference is taken,
and its RMS (after removing each region's mean: a global brightness change is not
flicker) is compared in three regions: a band on the face hull's edge, the inside of
the face (eyes and mouth left out: they move when people talk) and a ring outside it.
The *flicker ratio* of the pair is band / mean(inside, outside).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from fauxlab.faces.align import Alignment, align, warp
from fauxlab.faces.mask import eyes_mask, face_mask, mouth_mask
from fauxlab.faces.types import Face
from fauxlab.media.images import RGBImage

Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]

CROP = 160  # px of the face-aligned crop the pair is compared in
MARGIN = 0.3  # the inner face spans the middle 40% of the crop, jaw and hair around it
BAND = 0.05  # half-width of the seam band, as a share of the crop
MIN_PIXELS = 50  # a region smaller than this (face at the image edge) is not measured


@dataclass(frozen=True)
class Regions:
    """Where the seam, the face and its surroundings are in the aligned crop."""

    band: Bools
    inside: Bools
    outside: Bools


def _disc(radius: int) -> NDArray[np.uint8]:
    return np.asarray(
        cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1)),
        dtype=np.uint8,
    )


def regions(landmarks: NDArray[np.float32], valid: Bools, size: int = CROP) -> Regions:
    """The band on the hull's edge, the inside well clear of it (no eyes, no mouth), and a
    ring outside, each a band-width apart so that none bleeds into another."""
    hull = (face_mask(landmarks, (size, size), feather_ratio=0.0) > 0.5).astype(np.uint8)
    w = max(2, round(BAND * size))
    grow = {k: cv2.dilate(hull, _disc(k * w)) > 0 for k in (1, 2, 4)}
    shrink = {k: cv2.erode(hull, _disc(k * w)) > 0 for k in (1, 2)}
    features = (eyes_mask(landmarks, (size, size)) > 0.05) | (
        mouth_mask(landmarks, (size, size)) > 0.05
    )
    return Regions(
        band=grow[1] & ~shrink[1] & valid,
        inside=shrink[2] & ~features & valid,
        outside=grow[4] & ~grow[2] & valid,
    )


def _grey(image: RGBImage, alignment: Alignment) -> tuple[Floats, Bools]:
    """The aligned crop in grey levels, and where it lies inside the picture."""
    crop = cv2.cvtColor(warp(image, alignment), cv2.COLOR_RGB2GRAY).astype(np.float64)
    inside = cv2.warpAffine(
        np.ones(image.shape[:2], np.uint8), alignment.matrix, (alignment.size, alignment.size)
    )
    return crop, cv2.erode(inside, _disc(2)) > 0


def region_rms(difference: Floats, region: Bools) -> float | None:
    """RMS of the difference over a region, its mean removed; None if too small."""
    values = difference[region]
    if values.size < MIN_PIXELS:
        return None
    return float(np.sqrt(np.mean((values - values.mean()) ** 2)))


def flicker_ratio(band: float, inside: float, outside: float) -> float:
    """How much more the seam changes than the face and its surroundings."""
    return band / max((inside + outside) / 2.0, 1e-6)


def pair_flicker(first: tuple[RGBImage, Face], second: tuple[RGBImage, Face]) -> float | None:
    """The flicker ratio between two keyframes of one face (None when a region is cut off
    by the picture's edge)."""
    (image_a, face_a), (image_b, face_b) = first, second
    align_a, align_b = align(face_a.landmarks, CROP, MARGIN), align(face_b.landmarks, CROP, MARGIN)
    grey_a, valid_a = _grey(image_a, align_a)
    grey_b, valid_b = _grey(image_b, align_b)
    points = (align_a.to_crop(face_a.landmarks) + align_b.to_crop(face_b.landmarks)) / 2
    where = regions(points.astype(np.float32), valid_a & valid_b)
    difference = grey_b - grey_a
    parts = [region_rms(difference, r) for r in (where.band, where.inside, where.outside)]
    if any(p is None for p in parts):
        return None
    band, inside, outside = (float(p) for p in parts if p is not None)
    return flicker_ratio(band, inside, outside)
