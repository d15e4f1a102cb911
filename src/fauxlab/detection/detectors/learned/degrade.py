"""Degradations applied to real and fake crops alike, so that compression, scaling and
blur, which every shared video has, cannot decide the answer."""

from __future__ import annotations

import cv2
import numpy as np

from fauxlab.media.images import RGBImage


def jpeg(image: RGBImage, quality: int) -> RGBImage:
    ok, encoded = cv2.imencode(".jpg", image[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        return image
    decoded = cv2.imdecode(encoded, cv2.IMREAD_COLOR)
    return np.ascontiguousarray(decoded[..., ::-1])


def rescale(image: RGBImage, factor: float) -> RGBImage:
    h, w = image.shape[:2]
    small = cv2.resize(image, (max(8, round(w * factor)), max(8, round(h * factor))),
                       interpolation=cv2.INTER_AREA)  # fmt: skip
    return np.asarray(cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR), dtype=np.uint8)


def degrade(image: RGBImage, rng: np.random.Generator) -> RGBImage:
    """A random mix of down-scaling, blur, noise and JPEG, in the order sharing applies them."""
    out = image
    if rng.random() < 0.3:
        out = rescale(out, rng.uniform(0.4, 0.9))
    if rng.random() < 0.2:
        out = np.asarray(cv2.GaussianBlur(out, (0, 0), rng.uniform(0.3, 1.2)), dtype=np.uint8)
    if rng.random() < 0.1:
        noise = rng.normal(0, rng.uniform(1, 5), out.shape)
        out = np.clip(out + noise, 0, 255).astype(np.uint8)
    if rng.random() < 0.6:
        out = jpeg(out, int(rng.integers(40, 96)))
    return out
