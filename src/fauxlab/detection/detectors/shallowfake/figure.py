"""The picture behind the evidence: how much each frame differs from the next, over time.

Repeated frames show as dips to zero, a cut as a spike far above the rest; both are
marked with thin stems so a person can check them against the numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from fauxlab.charts import Series, line_chart
from fauxlab.detection.detectors.shallowfake.cuts import Cut
from fauxlab.detection.detectors.shallowfake.frames import FrameSignals
from fauxlab.detection.evidence import Figure

MARK_WIDTH = 1e-3  # seconds each side of a stem's top


def _stems(times: Sequence[float], height: float) -> list[tuple[float, float]]:
    """A baseline with one spike per time: a stem plot drawn as a single line."""
    points: list[tuple[float, float]] = []
    for t in times:
        points += [(t - MARK_WIDTH, 0.0), (t, height), (t + MARK_WIDTH, 0.0)]
    return points


def change_figure(signals: FrameSignals, repeats: Sequence[int], cuts: Sequence[Cut]) -> Figure:
    """Frame-to-frame change over time, repeated frames and cuts marked."""
    times = signals.times[1:]
    change = signals.change
    top = max(1.0, 1.5 * float(np.percentile(change, 99))) if len(change) else 1.0
    series = [
        Series(
            "frame change",
            [(float(t), float(min(c, top))) for t, c in zip(times, change, strict=True)],
            colour=(31, 119, 180),
        )
    ]
    if repeats:
        series.append(
            Series(
                "repeated frame",
                _stems([float(times[i]) for i in repeats], 0.25 * top),
                (255, 127, 14),
            )
        )
    if cuts:
        series.append(Series("cut", _stems([c.time for c in cuts], top), (214, 39, 40)))
    chart = line_chart(
        series,
        title="How much each frame differs from the one before",
        x_label="time (s)",
        y_label="mean grey-level change",
        x_range=(float(signals.times[0]), float(signals.times[-1])),
        y_range=(0.0, top),
    )
    caption = (
        "Each point is how much the picture changed since the previous frame. In ordinary "
        "footage it rises and falls with movement. Repeated frames (orange) drop to zero; a "
        "regular rhythm of them means the clip was slowed by repeating frames. A cut (red) is "
        "a change far larger than any around it: two recordings joined."
    )
    return Figure("frame-change", caption, chart)
