"""The chart behind the evidence: each measure over time against the real clips' norm."""

from __future__ import annotations

from fauxlab.charts import palette
from fauxlab.detection.detectors.reenactment.score import NORMS
from fauxlab.detection.evidence import Figure
from fauxlab.detection.norms import Floats, NormChart, norm_timeline

COLOURS = {"texture": palette.BLUE, "stillness": palette.ORANGE, "identity": palette.GREEN}


CHART = NormChart(
    title="Signs of one photo made to move, against real clips",
    y_title="times the real-clip 5th percentile",
    rule="95% of real clips stay above",
    y_floor=3.0,
    y_cap=10.0,
)


def timeline(curves: dict[str, tuple[Floats, Floats]]) -> Figure:
    """Each measure per keyframe pair over its real-clip 5th percentile, so that one line
    at 1 shows where a measure drops below what real clips do."""
    chart = norm_timeline(curves, NORMS, COLOURS, CHART)
    return Figure(
        "reenactment",
        "Each reenactment measure between consecutive keyframes, divided by the 5th "
        "percentile that real clips reach (the line at 1; below it is unusual): how much "
        "the skin's fine texture changed once the motion was undone, how much the picture "
        "away from the head changed against the face, and how far the face's identity "
        "moved. A photo made to move stays low on all three. The judgement uses each "
        "measure's median over the clip (docs/reenactment.md).",
        chart,
        "svg",
    )
