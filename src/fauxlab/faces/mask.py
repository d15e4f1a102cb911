"""Face, eye and mouth masks from landmarks, feathered so blends leave no hard seam."""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from fauxlab.faces.landmarks import (
    JAW,
    LEFT_BROW,
    LEFT_EYE,
    OUTER_LIPS,
    RIGHT_BROW,
    RIGHT_EYE,
    Points,
)

Mask = NDArray[np.float32]  # H x W, 0..1


def _fill_hull(points: Points, shape: tuple[int, ...]) -> Mask:
    mask = np.zeros(shape[:2], dtype=np.uint8)
    hull = cv2.convexHull(np.round(points).astype(np.int32))
    cv2.fillConvexPoly(mask, hull, 255)
    return mask.astype(np.float32) / 255.0


def feather(mask: Mask, radius: float) -> Mask:
    """Soften edges over about `radius` px: erode by half of it, then blur, so the soft
    edge stays inside the hard one and the blend never reaches past the face."""
    if radius <= 0:
        return mask
    half = max(1, round(radius / 2))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * half + 1, 2 * half + 1))
    eroded = cv2.erode(mask, kernel)
    sigma = radius / 2
    return np.asarray(cv2.GaussianBlur(eroded, (0, 0), sigma), dtype=np.float32)


def _face_scale(landmarks: Points) -> float:
    return float(np.linalg.norm(landmarks[RIGHT_EYE].mean(0) - landmarks[LEFT_EYE].mean(0)))


def face_mask(
    landmarks: Points, shape: tuple[int, ...], feather_ratio: float = 0.15, forehead: float = 0.6
) -> Mask:
    """The whole face: the jaw line closed over the brows, raised by `forehead` times
    the brow-to-eye distance so the forehead is included."""
    brows = np.concatenate([landmarks[RIGHT_BROW], landmarks[LEFT_BROW]])
    eyes = np.concatenate([landmarks[RIGHT_EYE], landmarks[LEFT_EYE]]).mean(0)
    lift = (brows.mean(0) - eyes) * forehead
    points = np.concatenate([landmarks[JAW], brows + lift])
    return feather(_fill_hull(points, shape), feather_ratio * _face_scale(landmarks))


def _region_mask(points: Points, shape: tuple[int, ...], grow: float) -> Mask:
    centre = points.mean(0)
    grown = centre + (points - centre) * (1 + grow)
    extent = float((grown.max(0) - grown.min(0)).min())  # an eye is short: feather by its height
    return feather(_fill_hull(grown, shape), 0.3 * extent)


def eyes_mask(landmarks: Points, shape: tuple[int, ...], grow: float = 0.6) -> Mask:
    """Both eyes with some lid around them (where swap losses add weight)."""
    right = _region_mask(landmarks[RIGHT_EYE], shape, grow)
    left = _region_mask(landmarks[LEFT_EYE], shape, grow)
    return np.maximum(right, left)


def mouth_mask(landmarks: Points, shape: tuple[int, ...], grow: float = 0.3) -> Mask:
    """The lips and the mouth opening."""
    return _region_mask(landmarks[OUTER_LIPS], shape, grow)
