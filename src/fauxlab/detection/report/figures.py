"""Pictures for the report: a keyframe with its faces boxed, and the score timeline."""

from __future__ import annotations

import io
from collections.abc import Sequence

import cv2
import numpy as np
from PIL import Image

from fauxlab.charts import Series, line_chart, png_bytes
from fauxlab.detection.fusion import Bands
from fauxlab.faces.types import Box
from fauxlab.media.images import RGBImage

THUMB_SIDE = 360  # pixels on the longer side: enough to see the boxes, small to embed
COLOURS = {
    "fake": (198, 40, 40),
    "uncertain": (239, 108, 0),
    "real": (46, 125, 50),
    "unscored": (96, 125, 139),
}


def colour_of(probability: float | None, limits: Bands) -> tuple[int, int, int]:
    """Red for a face in the fake band, amber when uncertain, green when real, grey when
    no detector scored it."""
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


def timeline_png(
    points: Sequence[tuple[str, float, float]],
    limits: Bands,
    duration: float | None,
) -> bytes:
    """P(fake) over time, one line per series name (detector and track), with the
    threshold and the edges of the uncertain band as horizontal rules."""
    by_series: dict[str, list[tuple[float, float]]] = {}
    for name, t, probability in points:
        by_series.setdefault(name, []).append((t, probability))
    series = [Series(name, sorted(pts)) for name, pts in by_series.items()]
    end = duration or max((t for _, t, _ in points), default=1.0)
    chart = line_chart(
        series,
        title="Probability of fake, frame by frame",
        x_label="time (s)",
        y_label="P(fake)",
        x_range=(0.0, max(end, 1e-3)),
        y_range=(0.0, 1.0),
        horizontal=[
            (limits.threshold, "threshold"),
            (limits.fake_from, "fake above"),
            (limits.real_below, "real below"),
        ],
    )
    return png_bytes(chart)
