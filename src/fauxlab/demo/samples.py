"""Media fauxlab may ship and use anywhere: the sample images of its dependencies."""

from __future__ import annotations

import numpy as np
from skimage import data

from fauxlab.media.images import RGBImage


def astronaut() -> RGBImage:
    """scikit-image's astronaut portrait (Eileen Collins, NASA, public domain), 512x512 RGB."""
    return np.asarray(data.astronaut(), dtype=np.uint8)  # type: ignore[no-untyped-call]
