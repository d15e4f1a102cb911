"""Pixels to PNG, for the figures that are pictures (heatmaps, face crops), not charts."""

from __future__ import annotations

import io

from PIL import Image

from fauxlab.media.images import RGBImage


def png_bytes(image: RGBImage) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()
