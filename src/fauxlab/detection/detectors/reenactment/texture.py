"""Texture constancy: is the skin's fine texture carried along unchanged as it moves?

A warped photo moves its pixels, texture and all: once the motion is undone, the fine
detail of the cheeks and forehead is the same as before, up to codec noise. On a real
face the detail changes between moments: light moves over a 3D surface, skin folds with
expression, the sensor adds fresh noise. Two keyframes are cut to the same face-aligned
crop, the second is warped onto the first by dense optical flow (Farneback) to undo the
remaining motion, and the high-pass detail (the crop minus its Gaussian blur) of the skin
(the jaw hull, eyes and mouth left out) is correlated. The pair's *texture change* is one
minus that correlation: small when the texture was only carried along.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from fauxlab.faces.align import align, warp
from fauxlab.faces.landmarks import JAW, LEFT_EYE, OUTER_LIPS, RIGHT_EYE
from fauxlab.faces.types import Face
from fauxlab.media.images import RGBImage

Floats = NDArray[np.float64]

CROP = 128  # px of the aligned crop
MARGIN = 0.25
DETAIL_SIGMA = 1.5  # px: the high-pass keeps detail finer than this blur
KEEP_CLEAR = 9  # px: the skin region is shrunk and the eyes and mouth grown by this
MIN_PIXELS = 300


def _crop(image: RGBImage, face: Face) -> tuple[NDArray[np.uint8], NDArray[np.float64]]:
    alignment = align(face.landmarks, CROP, MARGIN)
    crop = cv2.cvtColor(warp(image, alignment), cv2.COLOR_RGB2GRAY)
    return np.asarray(crop, np.uint8), alignment.to_crop(face.landmarks).astype(np.float64)


def skin(points: NDArray[np.float64]) -> NDArray[np.bool_]:
    """The face inside its jaw hull, clear of the eyes and mouth (they move by themselves)."""

    def hull(part: slice) -> NDArray[np.uint8]:
        mask = np.zeros((CROP, CROP), np.uint8)
        cv2.fillConvexPoly(mask, cv2.convexHull(np.round(points[part]).astype(np.int32)), 1)
        return mask

    kernel = np.ones((KEEP_CLEAR, KEEP_CLEAR), np.uint8)
    features = cv2.dilate(hull(RIGHT_EYE) | hull(LEFT_EYE) | hull(OUTER_LIPS), kernel)
    return np.asarray((cv2.erode(hull(JAW), kernel) & (1 - features)) > 0)


def detail(grey: Floats) -> Floats:
    return np.asarray(grey - cv2.GaussianBlur(grey, (0, 0), DETAIL_SIGMA), np.float64)


def aligned_change(
    first: NDArray[np.uint8], second: NDArray[np.uint8], where: NDArray[np.bool_]
) -> float | None:
    """One minus the correlation of the two crops' fine detail over `where`, after the
    second is warped onto the first by optical flow; None if the region is too small."""
    if where.sum() < MIN_PIXELS:
        return None
    flow = cv2.calcOpticalFlowFarneback(first, second, None, 0.5, 3, 15, 3, 5, 1.2, 0)
    gx, gy = np.meshgrid(np.arange(CROP, dtype=np.float32), np.arange(CROP, dtype=np.float32))
    moved = cv2.remap(second, gx + flow[..., 0], gy + flow[..., 1], cv2.INTER_LINEAR)
    a = detail(first.astype(np.float64))[where]
    b = detail(moved.astype(np.float64))[where]
    a, b = a - a.mean(), b - b.mean()
    norm = float(np.linalg.norm(a) * np.linalg.norm(b))
    if norm < 1e-6:  # a flat region has no texture to compare
        return None
    return 1.0 - float(a @ b) / norm


def pair_texture_change(
    first: tuple[RGBImage, Face], second: tuple[RGBImage, Face]
) -> float | None:
    """The texture change of one face between two keyframes (see the module's text)."""
    crop_a, points_a = _crop(*first)
    crop_b, _ = _crop(*second)
    return aligned_change(crop_a, crop_b, skin(points_a))
