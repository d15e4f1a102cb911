"""Flat bars a platform adds around a picture: letterbox (above and below), pillarbox
(left and right), as video sites and phone screenshots do to fit another aspect.

Found by their flatness alone: runs of border lines, each nearly constant and at the level
of the outermost line. A marked picture's own flat areas are not taken for bars, as the
watermark makes them vary by a few grey levels, and both readers that strip bars (the
watermark and the PDQ look-up) also read the picture as it is.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

BAR_FLATNESS = 2.0  # grey levels: a border line this flat, at the edge line's level, is a bar
MIN_BAR = 0.01  # share of a side under which a flat border is left alone
MIN_LEFT = 64  # pixels a side that must remain, or no bars are reported

Bars = tuple[int, int, int, int]
"""Pixels of flat bars at the top, bottom, left and right."""
NO_BARS: Bars = (0, 0, 0, 0)


def _grey(image: NDArray[np.uint8]) -> NDArray[np.float32]:
    if image.ndim == 2:
        return image.astype(np.float32)
    grey = cv2.cvtColor(np.ascontiguousarray(image[..., :3]), cv2.COLOR_RGB2GRAY)
    return grey.astype(np.float32)  # type: ignore[no-any-return]


def _run(lines: NDArray[np.float32]) -> int:
    """How many lines, from the first, are flat and at the first one's level."""
    level = float(lines[0].mean())
    flat = (lines.std(axis=1) <= BAR_FLATNESS) & (
        np.abs(lines.mean(axis=1) - level) <= BAR_FLATNESS
    )
    return 0 if flat.all() else int(np.argmin(flat))


def find_bars(image: NDArray[np.uint8]) -> Bars:
    """The bars around an image (grey or RGB uint8). A side whose run is under MIN_BAR of
    the picture counts as none, and so do all of them if what is left would be under
    MIN_LEFT pixels a side (a flat picture has no bars, it is all bar)."""
    plane = _grey(image)
    height, width = plane.shape
    runs = (_run(plane), _run(plane[::-1]), _run(plane.T), _run(plane.T[::-1]))
    sides = (height, height, width, width)
    top, bottom, left, right = (
        count if count >= max(2.0, MIN_BAR * side) else 0
        for count, side in zip(runs, sides, strict=True)
    )
    if height - top - bottom < MIN_LEFT or width - left - right < MIN_LEFT:
        return NO_BARS
    return (top, bottom, left, right)


def strip_bars(image: NDArray[np.uint8], bars: Bars) -> NDArray[np.uint8]:
    """The picture inside its bars."""
    top, bottom, left, right = bars
    height, width = image.shape[:2]
    return image[top : height - bottom, left : width - right]


def common_bars(found: list[Bars]) -> Bars:
    """The bars every frame of a video shows: the thinnest on each side (a dark scene's
    flat rows are not the letterbox)."""
    if not found:
        return NO_BARS
    top, bottom, left, right = (min(side) for side in zip(*found, strict=True))
    return (top, bottom, left, right)
