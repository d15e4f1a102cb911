"""Self-blended images (Shiohara and Yamasaki, CVPR 2022): fakes made from real faces only.

A face is blended with a slightly altered copy of itself (colour, sharpness, a small
shift and scale) under a deformed, blurred mask of the face. The result has no identity
change at all, only the traces every face swap leaves: a blending boundary, a colour
and sharpness mismatch, a landmark misfit. A detector that learns those generalises to
swap methods it never saw, which is why SBI is the training recipe here.

Also returned: the blend mask M; 4 M (1 - M) is the Face X-ray boundary the second head
learns to draw.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from fauxlab.faces.landmarks import JAW, LEFT_BROW, RIGHT_BROW
from fauxlab.media.images import RGBImage

Mask = NDArray[np.float32]
BLEND_RATIOS = (0.25, 0.5, 0.75, 1.0, 1.0, 1.0)  # as in the SBI reference code


def _hull_mask(points: NDArray[np.float64], shape: tuple[int, int]) -> Mask:
    mask = np.zeros(shape, dtype=np.uint8)
    hull = cv2.convexHull(np.round(points).astype(np.int32))
    cv2.fillConvexPoly(mask, hull, 255)
    return mask.astype(np.float32) / 255.0


def _face_region(landmarks: NDArray[np.float64], rng: np.random.Generator) -> NDArray[np.float64]:
    """Landmarks outlining the blended region: the whole face, or (as often in real
    swaps) only the inner face below the brows, or the face with a raised forehead."""
    choice = rng.integers(3)
    if choice == 0:
        return landmarks
    if choice == 1:
        return landmarks[17:]
    brows = np.concatenate([landmarks[RIGHT_BROW], landmarks[LEFT_BROW]])
    lift = (brows.mean(0) - landmarks[36:48].mean(0)) * rng.uniform(0.2, 0.8)
    return np.concatenate([landmarks[JAW], brows + lift])


def _elastic(mask: Mask, rng: np.random.Generator, alpha: float, sigma: float) -> Mask:
    h, w = mask.shape
    dx = cv2.GaussianBlur(rng.uniform(-1, 1, (h, w)).astype(np.float32), (0, 0), sigma) * alpha
    dy = cv2.GaussianBlur(rng.uniform(-1, 1, (h, w)).astype(np.float32), (0, 0), sigma) * alpha
    grid_x, grid_y = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    warped = cv2.remap(mask, grid_x + dx, grid_y + dy, cv2.INTER_LINEAR, borderValue=0.0)
    return np.asarray(warped, dtype=np.float32)


def blend_mask(
    landmarks: NDArray[np.float64], shape: tuple[int, int], rng: np.random.Generator
) -> Mask:
    """A deformed, blurred face mask in [0, 1], scaled by a random blend ratio."""
    w = shape[1]
    mask = _hull_mask(_face_region(landmarks, rng), shape)
    mask = _elastic(mask, rng, alpha=rng.uniform(0.02, 0.06) * w, sigma=0.05 * w)
    if rng.random() < 0.5:  # shrink or grow the region a little
        size = max(3, round(rng.uniform(0.01, 0.05) * w) | 1)
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
        mask = cv2.erode(mask, kernel) if rng.random() < 0.5 else cv2.dilate(mask, kernel)
    for _ in range(2):  # two blurs of random width, as the reference code does
        sigma = rng.uniform(0.005, 0.04) * w
        mask = cv2.GaussianBlur(mask, (0, 0), sigma)
    peak = float(mask.max())
    if peak > 0:
        mask = mask / peak
    ratio = BLEND_RATIOS[rng.integers(len(BLEND_RATIOS))]
    return np.asarray(np.clip(mask * ratio, 0.0, 1.0), dtype=np.float32)


def _colour_shift(image: NDArray[np.float32], rng: np.random.Generator) -> NDArray[np.float32]:
    out = image + rng.uniform(-20, 20, 3).astype(np.float32)  # RGB shift
    hsv = cv2.cvtColor(np.clip(out, 0, 255).astype(np.uint8), cv2.COLOR_RGB2HSV).astype(np.float32)
    hsv[..., 0] = (hsv[..., 0] + rng.uniform(-5, 5)) % 180
    hsv[..., 1] = np.clip(hsv[..., 1] * rng.uniform(0.8, 1.2), 0, 255)
    out = cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB).astype(np.float32)
    contrast, brightness = rng.uniform(0.9, 1.1), rng.uniform(-15, 15)
    return np.asarray((out - 128) * contrast + 128 + brightness, dtype=np.float32)


def _sharpness(image: NDArray[np.float32], rng: np.random.Generator) -> NDArray[np.float32]:
    h, w = image.shape[:2]
    if rng.random() < 0.5:  # down- and up-sample: the blur of a low-resolution swap
        factor = rng.uniform(0.25, 0.6)
        small = cv2.resize(image, (max(8, int(w * factor)), max(8, int(h * factor))),
                           interpolation=cv2.INTER_AREA)  # fmt: skip
        return np.asarray(cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR))
    blurred = cv2.GaussianBlur(image, (0, 0), 1.0)
    amount = rng.uniform(0.3, 1.0)
    return np.asarray(image + amount * (image - blurred), dtype=np.float32)


def _shift_scale(image: NDArray[np.float32], rng: np.random.Generator) -> NDArray[np.float32]:
    h, w = image.shape[:2]
    scale = rng.uniform(0.95, 1.05)
    tx, ty = rng.uniform(-0.03, 0.03, 2) * (w, h)
    matrix = np.array(
        [[scale, 0, (1 - scale) * w / 2 + tx], [0, scale, (1 - scale) * h / 2 + ty]],
        dtype=np.float64,
    )
    warped = cv2.warpAffine(image, matrix, (w, h), borderMode=cv2.BORDER_REFLECT)
    return np.asarray(warped, dtype=np.float32)


def self_blend(
    face: RGBImage, landmarks: NDArray[np.float64], rng: np.random.Generator
) -> tuple[RGBImage, Mask]:
    """One self-blended fake of `face` (any size, landmarks in its pixels) and its mask."""
    target = face.astype(np.float32)
    source = _shift_scale(_sharpness(_colour_shift(target, rng), rng), rng)
    if rng.random() < 0.5:  # which side carries the alteration does not matter to a viewer
        source, target = target, source
    mask = blend_mask(landmarks, (face.shape[0], face.shape[1]), rng)
    blended = source * mask[..., None] + target * (1 - mask[..., None])
    return np.clip(blended + 0.5, 0, 255).astype(np.uint8), mask


def boundary(mask: Mask) -> Mask:
    """The Face X-ray target: 1 on the blending boundary, 0 inside and outside."""
    return np.asarray(4.0 * mask * (1.0 - mask), dtype=np.float32)
