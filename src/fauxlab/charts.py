"""Plain line charts drawn with Pillow, for reports and evidence (matplotlib is not a
dependency: a 40 MB plotting stack for a few lines is not worth it).

A chart is an RGB array; `png_bytes` turns it into what reports embed.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from fauxlab.media.images import RGBImage

PALETTE = (
    (31, 119, 180),
    (214, 39, 40),
    (44, 160, 44),
    (255, 127, 14),
    (148, 103, 189),
    (140, 86, 75),
)
GRID = (225, 225, 225)
INK = (40, 40, 40)
MUTED = (110, 110, 110)


@dataclass(frozen=True)
class Series:
    label: str
    points: Sequence[tuple[float, float]]
    colour: tuple[int, int, int] | None = None
    dashed: bool = False


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    return [low + (high - low) * i / (count - 1) for i in range(count)]


def _dashed(
    draw: ImageDraw.ImageDraw, xy: list[tuple[float, float]], colour: tuple[int, int, int]
) -> None:
    for i in range(0, len(xy) - 1, 2):
        draw.line(xy[i : i + 2], fill=colour, width=2)


def line_chart(
    series: Sequence[Series],
    title: str,
    x_label: str,
    y_label: str,
    x_range: tuple[float, float] | None = None,
    y_range: tuple[float, float] | None = None,
    horizontal: Sequence[tuple[float, str]] = (),
    size: tuple[int, int] = (720, 360),
) -> RGBImage:
    """Lines on shared axes, a legend, optional labelled horizontal rules (thresholds)."""
    width, height = size
    left, top, right, bottom = 60, 34, width - 16, height - 40
    image = Image.new("RGB", size, (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.text((left, 8), title, fill=INK)
    points = [p for s in series for p in s.points]
    xs = [p[0] for p in points] or [0.0, 1.0]
    ys = [p[1] for p in points] + [h for h, _ in horizontal] or [0.0, 1.0]
    x0, x1 = x_range or (min(xs), max(xs))
    y0, y1 = y_range or (min(ys), max(ys))
    x1, y1 = (x1 if x1 > x0 else x0 + 1.0), (y1 if y1 > y0 else y0 + 1.0)

    def to_px(x: float, y: float) -> tuple[float, float]:
        return (
            left + (x - x0) / (x1 - x0) * (right - left),
            bottom - (y - y0) / (y1 - y0) * (bottom - top),
        )

    for y in _ticks(y0, y1):
        _, py = to_px(x0, y)
        draw.line([(left, py), (right, py)], fill=GRID)
        draw.text((4, py - 6), f"{y:.3g}", fill=MUTED)
    for x in _ticks(x0, x1):
        px, _ = to_px(x, y0)
        draw.text((px - 10, bottom + 4), f"{x:.3g}", fill=MUTED)
    draw.rectangle((left, top, right, bottom), outline=(160, 160, 160))
    draw.text(((left + right) // 2 - 3 * len(x_label), height - 18), x_label, fill=INK)
    draw.text((4, top - 18), y_label, fill=INK)
    for value, label in horizontal:
        _, py = to_px(x0, value)
        _dashed(draw, [(left + t, py) for t in range(0, right - left, 6)], MUTED)
        draw.text((right - 6 * len(label) - 4, py - 13), label, fill=MUTED)
    for i, s in enumerate(series):
        colour = s.colour or PALETTE[i % len(PALETTE)]
        xy = [to_px(x, y) for x, y in s.points]
        if len(xy) == 1:
            px, py = xy[0]
            draw.ellipse((px - 3, py - 3, px + 3, py + 3), fill=colour)
        elif s.dashed:
            _dashed(draw, xy, colour)
        elif xy:
            draw.line(xy, fill=colour, width=2)
        key_x = left + 8 + i * 150
        draw.rectangle((key_x, top + 6, key_x + 12, top + 14), fill=colour)
        draw.text((key_x + 16, top + 3), s.label, fill=INK)
    return np.asarray(image, dtype=np.uint8).copy()


def png_bytes(image: RGBImage) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()
