"""The picture behind the evidence: how much each frame differs from the next, over time.

Repeated frames show as dips to zero, marked with short stems; a cut is a spike far
above the rest, marked with a dotted line, so a person can check both against the numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from fauxlab.charts import Mark, Series, line_chart, palette
from fauxlab.detection.detectors.shallowfake.cuts import Cut
from fauxlab.detection.detectors.shallowfake.frames import FrameSignals
from fauxlab.detection.evidence import Figure


def change_figure(signals: FrameSignals, repeats: Sequence[int], cuts: Sequence[Cut]) -> Figure:
    """Frame-to-frame change over time, repeated frames and cuts marked."""
    times = signals.times[1:]
    change = signals.change
    top = max(1.0, 1.5 * float(np.percentile(change, 99))) if len(change) else 1.0
    series = [
        Series(
            "frame change",
            [(float(t), float(min(c, top))) for t, c in zip(times, change, strict=True)],
            colour=palette.BLUE,
        )
    ]
    if repeats:
        stems = [(float(times[i]), 0.25 * top) for i in repeats]
        series.append(Series("repeated frame", stems, palette.ORANGE, kind="stems"))
    chart = line_chart(
        series,
        title="How much each frame differs from the one before",
        x_title="time into the video (seconds)",
        y_title="change (grey levels)",
        x_range=(float(signals.times[0]), float(signals.times[-1])),
        y_range=(0.0, top),
        marks=[Mark(c.time, "cut") for c in cuts],
    )
    caption = (
        "Each point is how much the picture changed since the previous frame. In ordinary "
        "footage it rises and falls with movement. Repeated frames (orange stems) drop to zero; "
        "a regular rhythm of them means the clip was slowed by repeating frames. A cut (dotted "
        "line) is a change far larger than any around it: two recordings joined."
    )
    return Figure("frame-change", caption, chart, "svg")
