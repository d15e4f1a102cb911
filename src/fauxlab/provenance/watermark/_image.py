"""Marking and reading one image; the reading type and the checks on what comes in."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from fauxlab.errors import InputError
from fauxlab.provenance.watermark._detect import (
    HYPOTHESES,
    THRESHOLD,
    WorkMap,
    search,
    work_map,
)
from fauxlab.provenance.watermark._layout import (
    DEFAULT_KEY,
    PAYLOAD_BITS,
    WORK,
    Layout,
    layout,
    render,
)

RGBImage = NDArray[np.uint8]
MIN_SIDE = 64  # below this a chip is under one pixel and the mark cannot survive anything


@dataclass(frozen=True)
class WatermarkReading:
    """What `extract` found. `payload` is None unless `found`; `decoded` is the decoder's
    best guess either way (chance-level bits when nothing was found).

    `score` is the detection statistic (see `fauxlab.provenance.watermark._detect`);
    `found` means `score >= threshold`, a false-positive rate of at most 1e-6 on any
    unmarked image. `p_value` bounds the chance an unmarked image scores this high;
    `confidence` is 1 - p_value. `agreement` is the share of data chips whose sign matches
    the decoded codeword (0.5 is chance). `crop` is the share of the marked picture's
    height and width this one seems to show ((1, 1) unless cropped); `frames` how many
    frames were pooled.
    """

    found: bool
    payload: int | None
    confidence: float
    score: float
    threshold: float
    p_value: float
    agreement: float
    decoded: int
    crop: tuple[float, float] = (1.0, 1.0)
    frames: int = 1


def check_payload(payload: int) -> int:
    if isinstance(payload, bool) or not isinstance(payload, int | np.integer):
        raise ValueError(f"payload must be an integer, got {type(payload).__name__}")
    if not 0 <= int(payload) < 2**PAYLOAD_BITS:
        raise ValueError(f"payload must be in [0, 2**{PAYLOAD_BITS}), got {payload}")
    return int(payload)


def check_image(image: RGBImage) -> RGBImage:
    array = np.asarray(image)
    if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] != 3:
        raise ValueError(f"need an RGB uint8 array (H, W, 3), got {array.dtype} {array.shape}")
    height, width = array.shape[:2]
    if min(height, width) < MIN_SIDE:
        raise InputError(
            f"a {width}x{height} image is too small to carry a watermark "
            f"(needs at least {MIN_SIDE} pixels a side)"
        )
    return array


def apply_mark(image: RGBImage, mark: NDArray[np.float32]) -> RGBImage:
    """Add the mark to R, G and B alike: luma moves, colour does not."""
    marked = image.astype(np.float32)
    marked += mark[..., None]
    np.rint(marked, out=marked)
    return np.clip(marked, 0, 255).astype(np.uint8)


def embed(image: RGBImage, payload: int, *, key: int = DEFAULT_KEY) -> RGBImage:
    """Return a copy of an RGB uint8 image carrying `payload` (0 <= payload < 2**32)."""
    array = check_image(image)
    value = check_payload(payload)
    height, width = array.shape[:2]
    return apply_mark(array, render(layout(key).chips(value), height, width))


def read_map(plane: WorkMap, lay: Layout, frames: int = 1) -> WatermarkReading:
    """Search a (possibly pooled) work map and decide, at the fixed threshold."""
    best, _ = search(plane, lay)
    found = best.score >= THRESHOLD
    log_p = math.log(HYPOTHESES) + PAYLOAD_BITS * math.log(2) - best.score**2 / 2
    p_value = min(1.0, math.exp(min(log_p, 0.0)))
    return WatermarkReading(
        found=found,
        payload=best.payload if found else None,
        confidence=1.0 - p_value,
        score=best.score,
        threshold=THRESHOLD,
        p_value=p_value,
        agreement=best.agreement,
        decoded=best.payload,
        crop=(best.size[0] / WORK, best.size[1] / WORK),
        frames=frames,
    )


def extract(image: RGBImage, *, key: int = DEFAULT_KEY) -> WatermarkReading:
    """Look for a mark in an RGB uint8 image, resized or cropped as it may have been."""
    return read_map(work_map(check_image(image)), layout(key))
