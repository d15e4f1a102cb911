"""The chart behind the evidence: each measure over time against the real clips' norm."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from fauxlab.charts import Rule, Series, line_chart, palette
from fauxlab.detection.evidence import Figure

Floats = NDArray[np.float64]

COLOURS = {
    "flicker": palette.BLUE,
    "jitter": palette.ORANGE,
    "identity": palette.GREEN,
    "colour": palette.VERMILLION,
}


def timeline(curves: dict[str, tuple[Floats, Floats]], p95: dict[str, float]) -> Figure:
    """Each measure's per-frame (jitter) or per-keyframe values over its real-clip 95th
    percentile, so that one line at 1 shows where every measure leaves the normal range."""
    series, top = [], 2.0
    for name, (times, values) in curves.items():
        scaled = values / p95[name]
        top = max(top, float(np.max(scaled)) * 1.05 if scaled.size else 0.0)
        points = list(zip(times.tolist(), scaled.tolist(), strict=True))
        series.append(Series(name, points, colour=COLOURS.get(name)))
    chart = line_chart(
        series,
        title="Temporal consistency of the main face, against real clips",
        x_title="time into the video (seconds)",
        y_title="times the real-clip limit",
        y_range=(0.0, min(top, 6.0)),
        rules=[Rule(1.0, "95% of real clips stay below")],
    )
    return Figure(
        "temporal",
        "Each temporal measure over time, divided by the 95th percentile that real clips "
        "reach (the line at 1): seam flicker between keyframes, landmark jitter per frame, "
        "each keyframe's identity distance from the track's mean, and the cheeks' red-green "
        "difference from the forehead or neck away from its mean. The judgement uses each "
        "measure's summary over the clip (docs/temporal.md).",
        chart,
        "svg",
    )
