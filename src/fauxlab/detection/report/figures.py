"""Pictures for the report: a keyframe with its faces boxed, the score timeline, and
the faces of the most suspicious moments."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import cv2
import numpy as np
from PIL import Image

from fauxlab.charts import Mark, Rule, Series, Svg, line_chart, palette, verdict_bands
from fauxlab.detection.fusion import Bands
from fauxlab.faces.types import Box
from fauxlab.media.images import RGBImage

THUMB_SIDE = 360  # pixels on the longer side: enough to see the boxes, small to embed
CROP_SIDE = 112  # a face under the timeline: enough to recognise, four fit in a row
# The chart bands' colour-blind-safe colours (Okabe-Ito), so boxes and charts agree.
COLOURS = {
    "fake": palette.rgb(palette.FAKE),
    "uncertain": palette.rgb(palette.UNCERTAIN),
    "real": palette.rgb(palette.REAL),
    "unscored": (96, 125, 139),
}


def colour_of(probability: float | None, limits: Bands) -> tuple[int, int, int]:
    """Vermillion for a face in the fake band, orange when uncertain, bluish green when
    real, grey when no detector scored it."""
    if probability is None:
        return COLOURS["unscored"]
    return COLOURS[limits.verdict(probability).value]


def thumbnail(
    image: RGBImage,
    boxes: Sequence[tuple[Box, float | None]],
    limits: Bands,
    side: int = THUMB_SIDE,
) -> bytes:
    """A small JPEG of `image` with each face box drawn in the colour of its score."""
    h, w = image.shape[:2]
    scale = min(1.0, side / max(h, w))
    small = cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))), cv2.INTER_AREA)
    canvas = np.ascontiguousarray(small)
    for box, probability in boxes:
        x0, y0, x1, y1 = (round(v * scale) for v in box)
        colour = colour_of(probability, limits)
        cv2.rectangle(canvas, (x0, y0), (x1, y1), colour, 2)
        if probability is not None:
            text = f"{probability:.2f}"
            cv2.rectangle(canvas, (x0, max(0, y0 - 16)), (x0 + 40, max(16, y0)), colour, -1)
            cv2.putText(
                canvas,
                text,
                (x0 + 3, max(12, y0 - 4)),
                cv2.FONT_HERSHEY_SIMPLEX,
                0.42,
                (255, 255, 255),
                1,
                cv2.LINE_AA,
            )
    buffer = io.BytesIO()
    Image.fromarray(canvas).save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def timeline_svg(
    series: Mapping[str, Sequence[tuple[float, float]]],
    limits: Bands,
    duration: float | None,
    cuts: Sequence[float] = (),
    shown: Sequence[tuple[float, float]] = (),
) -> Svg:
    """P(fake) over time, one line per series (a detector, and a face for face-level
    detectors) over the real, uncertain and fake zones, the threshold dashed, each cut a
    dotted line, and the moments whose faces are shown under the chart as black dots."""
    lines = [Series(name, sorted(points)) for name, points in series.items()]
    if shown:
        lines.append(Series("face shown below", list(shown), palette.BLACK, kind="points"))
    ends = [t for points in series.values() for t, _ in points] + list(cuts)
    end = duration or max(ends, default=1.0)
    return line_chart(
        lines,
        title="How likely each moment is fake, detector by detector",
        x_title="time into the video (seconds)",
        y_title="probability of fake",
        x_range=(0.0, max(end, 1e-3)),
        y_range=(0.0, 1.0),
        bands=verdict_bands(limits.real_below, limits.fake_from),
        rules=[Rule(limits.threshold, f"threshold {limits.threshold:.2f}")],
        marks=[Mark(t, "cut") for t in cuts],
    )


def face_crop(image: RGBImage, box: Box, probability: float, limits: Bands) -> bytes:
    """A small JPEG of one face with some context, framed in the colour of its score."""
    h, w = image.shape[:2]
    x0, y0, x1, y1 = box
    side = max(x1 - x0, y1 - y0) * 1.3
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    a, b = max(0, round(cx - side / 2)), max(0, round(cy - side / 2))
    c, d = min(w, round(cx + side / 2)), min(h, round(cy + side / 2))
    crop = image[b:d, a:c] if c > a and d > b else image
    small = cv2.resize(crop, (CROP_SIDE, CROP_SIDE), interpolation=cv2.INTER_AREA)
    framed = np.empty((CROP_SIDE + 8, CROP_SIDE + 8, 3), np.uint8)
    framed[:] = colour_of(probability, limits)
    framed[4:-4, 4:-4] = small
    buffer = io.BytesIO()
    Image.fromarray(framed).save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()
