"""The chart behind the evidence: each measure over time against the real clips' norm."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from fauxlab.charts import Rule, Series, line_chart, palette
from fauxlab.detection.evidence import Figure

Floats = NDArray[np.float64]

COLOURS = {"texture": palette.BLUE, "stillness": palette.ORANGE}


def timeline(curves: dict[str, tuple[Floats, Floats]], p5: dict[str, float]) -> Figure:
    """Each measure per keyframe pair over its real-clip 5th percentile, so that one line
    at 1 shows where a measure drops below what real clips do."""
    series, top = [], 3.0
    for name, (times, values) in curves.items():
        scaled = values / p5[name]
        top = max(top, float(np.max(scaled)) * 1.05 if scaled.size else 0.0)
        points = list(zip(times.tolist(), scaled.tolist(), strict=True))
        series.append(Series(name, points, colour=COLOURS.get(name)))
    chart = line_chart(
        series,
        title="Signs of one photo made to move, against real clips",
        x_title="time into the video (seconds)",
        y_title="times the real-clip 5th percentile",
        y_range=(0.0, min(top, 10.0)),
        rules=[Rule(1.0, "95% of real clips stay above")],
    )
    return Figure(
        "reenactment",
        "Each reenactment measure between consecutive keyframes, divided by the 5th "
        "percentile that real clips reach (the line at 1; below it is unusual): how much "
        "the skin's fine texture changed once the motion was undone, and how much the "
        "picture away from the head changed against the face. A photo made to move stays "
        "low on both. The judgement uses each measure's median over the clip "
        "(docs/reenactment.md).",
        chart,
        "svg",
    )
