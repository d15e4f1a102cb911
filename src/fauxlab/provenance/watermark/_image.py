"""Marking and reading one image; the reading type and the checks on what comes in."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from fauxlab.errors import InputError
from fauxlab.provenance.borders import NO_BARS, Bars, find_bars, strip_bars
from fauxlab.provenance.watermark._detect import (
    HYPOTHESES,
    PER_VIEW,
    THRESHOLD,
    Candidate,
    WorkMap,
    search,
    work_map,
)
from fauxlab.provenance.watermark._layout import (
    DEFAULT_KEY,
    PAYLOAD_BITS,
    Layout,
    layout,
    render,
)

RGBImage = NDArray[np.uint8]
MAX_VIEWS = 2  # the picture without its bars, and as it is
assert MAX_VIEWS * PER_VIEW <= HYPOTHESES, "the threshold's union bound must cover every read"
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
    height and width this one seems to show ((1, 1) unless cropped; above 1 where borders
    were added); `frames` how many frames were pooled. `mirrored`, `rotation` (degrees,
    counter-clockwise as seen) and `bars` (pixels stripped at the top, bottom, left and
    right) say what the decoder undid; `undone` says it in words. `hypotheses`: how many
    the reading decoded (the union bound allows HYPOTHESES).
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
    mirrored: bool = False
    rotation: float = 0.0
    bars: Bars = NO_BARS
    hypotheses: int = 0

    @property
    def undone(self) -> tuple[str, ...]:
        """The edits the decoder undid to find the mark, in words (none unless found):
        how the file travelled since it was sealed."""
        if not self.found:
            return ()
        edits = []
        top, bottom, left, right = self.bars
        if top or bottom:
            edits.append(f"letterbox bars ({top} px above, {bottom} px below)")
        if left or right:
            edits.append(f"pillarbox bars ({left} px left, {right} px right)")
        if self.mirrored:
            edits.append("a mirror")
        if abs(self.rotation) >= 0.5:
            turn = "counter-clockwise" if self.rotation > 0 else "clockwise"
            edits.append(f"a {_degrees(abs(self.rotation))}-degree {turn} rotation")
        height, width = self.crop
        if max(height, width) > 1.03:
            edits.append(f"added borders (the picture fills {1 / height:.0%} x {1 / width:.0%})")
        elif min(height, width) < 0.97:
            if abs(height - width) < 0.03:
                edits.append(f"a crop to {height:.0%}")
            else:
                edits.append(f"a crop to {height:.0%} of the height x {width:.0%} of the width")
        return tuple(edits)


def _degrees(value: float) -> str:
    return f"{value:.1f}" if value < 1.5 else f"{value:.0f}"


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


@dataclass(frozen=True)
class View:
    """A work map to search, what was cut off the picture to make it, and the size (px)
    of what was left, to state a rotation in the picture's own pixels."""

    plane: WorkMap
    bars: Bars
    shape: tuple[int, int]


def views(image: RGBImage) -> list[View]:
    """The picture without its bars first, if it has any, then as it is."""
    whole = View(work_map(image), NO_BARS, (image.shape[0], image.shape[1]))
    bars = find_bars(image)
    if bars == NO_BARS:
        return [whole]
    inner = strip_bars(image, bars)
    return [View(work_map(inner), bars, (inner.shape[0], inner.shape[1])), whole]


def read_views(found_views: list[View], lay: Layout, frames: int = 1) -> WatermarkReading:
    """Search each view in turn until one is found, and decide at the fixed threshold: a
    reading decodes at most 2 x PER_VIEW <= HYPOTHESES hypotheses."""
    best: tuple[Candidate, View] | None = None
    scored = 0
    for view in found_views:
        candidate, count = search(view.plane, lay, view.shape[0] / view.shape[1])
        scored += count
        if best is None or candidate.score > best[0].score:
            best = (candidate, view)
        if candidate.score >= THRESHOLD:
            break
    if best is None:
        raise ValueError("no view to read")
    candidate, view = best
    found = candidate.score >= THRESHOLD
    log_p = math.log(HYPOTHESES) + PAYLOAD_BITS * math.log(2) - candidate.score**2 / 2
    p_value = min(1.0, math.exp(min(log_p, 0.0)))
    return WatermarkReading(
        found=found,
        payload=candidate.payload if found else None,
        confidence=1.0 - p_value,
        score=candidate.score,
        threshold=THRESHOLD,
        p_value=p_value,
        agreement=candidate.agreement,
        decoded=candidate.payload,
        crop=candidate.pose.crop(),
        frames=frames,
        mirrored=candidate.pose.mirrored,
        rotation=candidate.pose.rotation(*view.shape),
        bars=view.bars,
        hypotheses=scored,
    )


def extract(image: RGBImage, *, key: int = DEFAULT_KEY) -> WatermarkReading:
    """Look for a mark in an RGB uint8 image, as it may have been edited: resized, cropped
    to any aspect, mirrored, turned by up to 10 degrees, letterboxed or pillarboxed."""
    return read_views(views(check_image(image)), layout(key))
