"""The same laundering for both classes: resize, blur and JPEG, as images meet online.

Without it the classifier learns whatever separates the two folders most easily (size,
JPEG blocks, the filter that shrank the reals) instead of the generator's traces, and
the first re-shared copy of a fake fools it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from fauxlab.media.images import RGBImage


@dataclass(frozen=True)
class Augmentation:
    resize_p: float = 0.5
    resize_range: tuple[float, float] = (0.5, 1.5)
    blur_p: float = 0.3
    blur_sigma: tuple[float, float] = (0.3, 1.5)
    jpeg_p: float = 0.6
    jpeg_quality: tuple[int, int] = (60, 95)


def jpeg(image: RGBImage, quality: int) -> RGBImage:
    """Encode and decode as JPEG in memory (4:2:0, as cameras and websites do)."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=quality)
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        return np.asarray(decoded.convert("RGB"), dtype=np.uint8).copy()


def launder(image: RGBImage, rng: np.random.Generator, aug: Augmentation) -> RGBImage:
    """Randomly resize (bicubic), blur (Gaussian) and JPEG-compress, in that order."""
    picture = Image.fromarray(image)
    if rng.random() < aug.resize_p:
        factor = rng.uniform(*aug.resize_range)
        w, h = picture.size
        size = (max(16, round(w * factor)), max(16, round(h * factor)))
        picture = picture.resize(size, Image.Resampling.BICUBIC)
    if rng.random() < aug.blur_p:
        picture = picture.filter(ImageFilter.GaussianBlur(rng.uniform(*aug.blur_sigma)))
    out = np.asarray(picture, dtype=np.uint8)
    if rng.random() < aug.jpeg_p:
        out = jpeg(out, int(rng.integers(aug.jpeg_quality[0], aug.jpeg_quality[1] + 1)))
    return out
