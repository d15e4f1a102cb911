"""Background stillness: does the picture around the head change as much as the face?

A photo made to move is animated around the face; the rest of the frame is the source
photo, the same from frame to frame except for codec noise. Real footage has sensor
noise, breathing shoulders, small camera motion and light changes everywhere. For a
pair of keyframes the mean absolute grey-level change *outside* the head (the face hull,
raised for the forehead and hair, grown by a quarter of the face width, and the frame's
border left out) is divided by the change *inside* the face hull. A small ratio is a
frozen picture around a moving face.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from fauxlab.faces.landmarks import JAW
from fauxlab.faces.types import Face
from fauxlab.media.images import RGBImage

Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]

GROW = 0.25  # the head region is grown by this share of the face width
RAISE = 0.6  # the brows are raised by this share of the nose-to-chin length, for hair
BORDER = 0.02  # share of the frame's short side left out at its edge (letterbox, logos)
MIN_PIXELS = 500  # background smaller than this (a tight face crop) is not measured
SIDES = 24  # of the polygon standing in for the growing disc
MIN_FACE_CHANGE = 0.5  # grey levels: a face that did not move says nothing about the rest


def grey(image: RGBImage) -> Floats:
    return np.asarray(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), dtype=np.float64)


def _hull(points: NDArray[np.float64], shape: tuple[int, int]) -> NDArray[np.uint8]:
    mask = np.zeros(shape, np.uint8)
    cv2.fillConvexPoly(mask, cv2.convexHull(np.round(points).astype(np.int32)), 1)
    return mask


def _grown_hull(
    points: NDArray[np.float64], radius: float, shape: tuple[int, int]
) -> NDArray[np.uint8]:
    """The convex hull of `points` grown by `radius` px: the hull of the points moved
    round a circle (a convex region grown by a disc; far quicker than a dilation with a
    disc tens of pixels wide, which took most of the detector's time)."""
    angles = np.linspace(0.0, 2.0 * np.pi, SIDES, endpoint=False)
    ring = radius / np.cos(np.pi / SIDES) * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return _hull((points[:, None, :] + ring[None]).reshape(-1, 2), shape)


def head_region(faces: list[Face], shape: tuple[int, int]) -> Bools:
    """Where the head is in any of the frames: the jaw and raised brows, grown."""
    head = np.zeros(shape, np.uint8)
    for face in faces:
        p = face.landmarks.astype(np.float64)
        lift = (p[8] - p[27:31].mean(axis=0)) * RAISE
        width = max(1.0, float(np.linalg.norm(p[16] - p[0])))
        head |= _grown_hull(np.concatenate([p[JAW], p[17:27] - lift]), GROW * width, shape)
    return head > 0


def pair_stillness(first: tuple[RGBImage, Face], second: tuple[RGBImage, Face]) -> float | None:
    """Background change over face change between two keyframes; None when the
    background is too small (a tight crop) or the face did not change."""
    (image_a, face_a), (image_b, face_b) = first, second
    if image_a.shape != image_b.shape:
        return None
    h, w = image_a.shape[:2]
    change = np.abs(grey(image_b) - grey(image_a))
    border = max(1, round(BORDER * min(h, w)))
    frame = np.zeros((h, w), bool)
    frame[border : h - border, border : w - border] = True
    outside = frame & ~head_region([face_a, face_b], (h, w))
    inside = _hull(face_b.landmarks[JAW].astype(np.float64), (h, w)) > 0
    if outside.sum() < MIN_PIXELS or inside.sum() < MIN_PIXELS // 5:
        return None
    face_change = float(change[inside].mean())
    if face_change < MIN_FACE_CHANGE:
        return None
    return float(change[outside].mean()) / face_change
