"""The chart behind the evidence: each measure over time against the real clips' norm."""

from __future__ import annotations

from fauxlab.charts import palette
from fauxlab.detection.detectors.temporal.score import NORMS
from fauxlab.detection.evidence import Figure
from fauxlab.detection.norms import Floats, NormChart, norm_timeline

COLOURS = {
    "flicker": palette.BLUE,
    "jitter": palette.ORANGE,
    "identity": palette.GREEN,
    "colour": palette.VERMILLION,
}


CHART = NormChart(
    title="Temporal consistency of the main face, against real clips",
    y_title="times the real-clip limit",
    rule="95% of real clips stay below",
    y_floor=2.0,
    y_cap=6.0,
)


def timeline(curves: dict[str, tuple[Floats, Floats]]) -> Figure:
    """Each measure's per-frame (jitter) or per-keyframe values over its real-clip 95th
    percentile, so that one line at 1 shows where every measure leaves the normal range."""
    chart = norm_timeline(curves, NORMS, COLOURS, CHART)
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
