"""The edits people make when they repost a picture (issue 29's table), as plain functions
on RGB arrays: used by tests/integration/test_repost_edits.py and
benchmarks/watermark_edits.py, so the test and the benchmark edit alike."""

from __future__ import annotations

import io

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

RGB = NDArray[np.uint8]


def jpeg(image: RGB, quality: int) -> RGB:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))


def crop(image: RGB, height: float, width: float) -> RGB:
    """The centre `height` x `width` share of the picture."""
    h, w = round(image.shape[0] * height), round(image.shape[1] * width)
    top, left = (image.shape[0] - h) // 2, (image.shape[1] - w) // 2
    return image[top : top + h, left : left + w]


def rotate(image: RGB, degrees: float) -> RGB:
    """Counter-clockwise, the canvas kept, black corners (Pillow's default)."""
    turned = Image.fromarray(image).rotate(degrees, resample=Image.Resampling.BICUBIC)
    return np.asarray(turned.convert("RGB"))


def pad(image: RGB, aspect: float) -> RGB:
    """Black bars to `aspect` (width / height): pillarbox or letterbox, centred."""
    h, w = image.shape[:2]
    height, width = (h, round(h * aspect)) if w / h < aspect else (round(w / aspect), w)
    height, width = height + height % 2, width + width % 2  # H.264 wants even sides
    out = np.zeros((height, width, 3), dtype=np.uint8)
    top, left = (height - h) // 2, (width - w) // 2
    out[top : top + h, left : left + w] = image
    return out


def screenshot(image: RGB) -> RGB:
    """Shrunk to 0.6, borders cropped, saved as JPEG 70."""
    small = cv2.resize(image, None, fx=0.6, fy=0.6, interpolation=cv2.INTER_AREA)
    return jpeg(crop(small, 0.92, 0.92), 70)


def mirror(image: RGB) -> RGB:
    return np.ascontiguousarray(image[:, ::-1])
