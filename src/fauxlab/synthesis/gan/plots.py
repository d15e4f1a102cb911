"""Training curves drawn with Pillow (matplotlib is not a dependency of fauxlab)."""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from fauxlab.synthesis.gan.imaging import RGB

COLOURS = {
    "loss_d": (214, 39, 40),
    "loss_g": (31, 119, 180),
    "d_real": (44, 160, 44),
    "d_fake": (255, 127, 14),
}
PANELS = (("losses", ("loss_d", "loss_g")), ("D(real) and D(fake)", ("d_real", "d_fake")))


def _series(records: list[dict[str, Any]], key: str) -> list[tuple[float, float]]:
    return [(float(r["step"]), float(r[key])) for r in records if key in r and "step" in r]


def _panel(
    draw: ImageDraw.ImageDraw,
    box: tuple[int, int, int, int],
    title: str,
    series: dict[str, list[tuple[float, float]]],
) -> None:
    left, top, right, bottom = box
    draw.rectangle(box, outline=(160, 160, 160))
    points = [p for values in series.values() for p in values]
    legend = "   ".join(series)
    draw.text((left + 6, top - 16), f"{title}:  {legend}", fill=(0, 0, 0))
    if not points:
        return
    x0, x1 = min(p[0] for p in points), max(p[0] for p in points)
    y0, y1 = min(p[1] for p in points), max(p[1] for p in points)
    x1, y1 = (x1 if x1 > x0 else x0 + 1), (y1 if y1 > y0 else y0 + 1)
    draw.text((left + 4, top + 2), f"{y1:.3g}", fill=(90, 90, 90))
    draw.text((left + 4, bottom - 14), f"{y0:.3g}", fill=(90, 90, 90))
    draw.text((right - 90, bottom + 4), f"step {int(x1)}", fill=(90, 90, 90))
    for name, values in series.items():
        xy = [
            (
                left + 4 + (x - x0) / (x1 - x0) * (right - left - 8),
                bottom - 4 - (y - y0) / (y1 - y0) * (bottom - top - 8),
            )
            for x, y in values
        ]
        if len(xy) > 1:
            draw.line(xy, fill=COLOURS.get(name, (0, 0, 0)), width=2)
        for i, label in enumerate(series):  # colour key under the title
            draw.rectangle(
                (right - 120 + i * 60, top - 12, right - 110 + i * 60, top - 4),
                fill=COLOURS.get(label, (0, 0, 0)),
            )


def curves_chart(records: list[dict[str, Any]], width: int = 800, height: int = 560) -> RGB:
    """Two panels: both losses, and D's mean sigmoid score on real and on generated images."""
    image = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    panel_height = (height - 80) // 2
    for i, (title, keys) in enumerate(PANELS):
        top = 30 + i * (panel_height + 30)
        series = {k: _series(records, k) for k in keys}
        _panel(draw, (40, top, width - 20, top + panel_height), title, series)
    return np.asarray(image, dtype=np.uint8).copy()
