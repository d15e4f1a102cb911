"""Similarity alignment to a canonical face, and its inverse for pasting a face back.

The template is the mean face of `scripts/build_face_template.py`; its inner face (brows to
mouth) spans the middle of the crop, leaving `margin` of the crop on each side, so margin
0.25 at 256 px puts the inner face in the central 128 px with jaw and forehead around it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from fauxlab.faces.landmarks import INNER_FACE, Points
from fauxlab.media.images import RGBImage

Matrix = NDArray[np.float64]  # 2x3 affine
FloatPoints = NDArray[np.floating[Any]]


@cache
def template_68() -> Points:
    """The 68-point mean face, inner face in the unit square."""
    text = resources.files("fauxlab.assets").joinpath("face_template_68.json").read_text()
    return np.array(json.loads(text)["points"], dtype=np.float32)


def umeyama(src: FloatPoints, dst: FloatPoints, scale: bool = True) -> Matrix:
    """Least-squares similarity transform taking `src` points onto `dst` (Umeyama 1991)."""
    src64, dst64 = np.asarray(src, np.float64), np.asarray(dst, np.float64)
    src_mean, dst_mean = src64.mean(axis=0), dst64.mean(axis=0)
    src_c, dst_c = src64 - src_mean, dst64 - dst_mean
    covariance = dst_c.T @ src_c / len(src64)
    u, singular, vt = np.linalg.svd(covariance)
    sign = np.ones(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        sign[-1] = -1  # a reflection is not a similarity: flip the weakest axis back
    rotation = u @ np.diag(sign) @ vt
    variance = (src_c**2).sum() / len(src64)
    factor = (singular * sign).sum() / variance if scale and variance > 0 else 1.0
    matrix = np.empty((2, 3))
    matrix[:, :2] = factor * rotation
    matrix[:, 2] = dst_mean - matrix[:, :2] @ src_mean
    return matrix


def invert(matrix: Matrix) -> Matrix:
    return np.asarray(cv2.invertAffineTransform(matrix), dtype=np.float64)


def apply(matrix: Matrix, points: FloatPoints) -> Points:
    return np.asarray(points @ matrix[:, :2].T + matrix[:, 2], dtype=np.float32)


@dataclass(frozen=True)
class Alignment:
    """How one face maps into its `size` x `size` crop (`matrix`) and back (`inverse`)."""

    matrix: Matrix
    size: int
    margin: float

    @property
    def inverse(self) -> Matrix:
        return invert(self.matrix)

    def to_crop(self, points: FloatPoints) -> Points:
        return apply(self.matrix, points)

    def to_image(self, points: FloatPoints) -> Points:
        return apply(self.inverse, points)

    def to_list(self) -> list[list[float]]:
        return np.round(self.matrix, 6).tolist()  # type: ignore[no-any-return]


def template_in_crop(size: int, margin: float) -> Points:
    """Where the template's 68 points sit in a `size` px crop with this margin."""
    if not 0.0 <= margin < 0.5:
        raise ValueError(f"margin must be in [0, 0.5), got {margin}")
    return (template_68() * (1 - 2 * margin) + margin) * size


def align(landmarks: Points, size: int = 256, margin: float = 0.25) -> Alignment:
    """The similarity transform that best maps the inner-face landmarks onto the template."""
    if size < 16:
        raise ValueError(f"aligned size must be at least 16 px, got {size}")
    target = template_in_crop(size, margin)
    matrix = umeyama(landmarks[INNER_FACE], target[INNER_FACE])
    return Alignment(matrix, size, margin)


def warp(image: RGBImage, alignment: Alignment) -> RGBImage:
    """Cut the aligned crop out of the image (edges replicated where the crop leaves it)."""
    flags = cv2.INTER_AREA if np.abs(alignment.matrix[:, :2]).sum() < 1.0 else cv2.INTER_LINEAR
    crop = cv2.warpAffine(
        image,
        alignment.matrix,
        (alignment.size, alignment.size),
        flags=flags,
        borderMode=cv2.BORDER_REPLICATE,
    )
    return np.asarray(crop, dtype=np.uint8)


def paste(
    image: RGBImage,
    crop: RGBImage,
    alignment: Alignment,
    mask: NDArray[np.float32],
    interpolation: int = cv2.INTER_LINEAR,
) -> RGBImage:
    """Blend an aligned crop back into the image through `mask` (crop-sized, 0..1);
    `interpolation` resamples the crop (the mask is always linear)."""
    height, width = image.shape[:2]
    inverse = alignment.inverse
    back = cv2.warpAffine(crop, inverse, (width, height), flags=interpolation,
                          borderMode=cv2.BORDER_REPLICATE)  # fmt: skip
    weight = cv2.warpAffine(mask.astype(np.float32), inverse, (width, height),
                            flags=cv2.INTER_LINEAR, borderValue=0.0)[..., None]  # fmt: skip
    blended = image.astype(np.float32) * (1 - weight) + back.astype(np.float32) * weight
    result: RGBImage = np.clip(blended + 0.5, 0, 255).astype(np.uint8)
    return result
