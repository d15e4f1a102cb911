"""Measures judged against real footage only: a modest P(fake) and the chart behind it.

Video evidence such as temporal consistency and reenactment has no fakes to fit on, so
each measure is compared with what real clips give: their median and a percentile on
the side fakes lie (the 95th where fakes give large values, the 5th where they give
small ones). Within the percentile a value is ordinary: P rises only from P_LOW at the
median to P_NORMAL at the percentile. Beyond it P rises linearly in how many times the
value passes the percentile, to P_MAX at RISE times.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from fauxlab.charts import Rule, Series, Svg, line_chart

P_LOW, P_NORMAL, P_MAX = 0.05, 0.1, 0.8
RISE = 2.0  # a value RISE times past the real clips' percentile gets P_MAX

Floats = NDArray[np.float64]


@dataclass(frozen=True)
class RealClipNorm:
    """What real clips give for one measure, and what it is, for a person to check.

    `percentile` is 95 for a measure that is large on fakes, 5 for one that is small.
    """

    name: str
    what: str
    unit: str
    median: float
    limit: float  # the real clips' value at `percentile`
    percentile: int

    @property
    def fakes_above(self) -> bool:
        return self.percentile > 50

    def times_past(self, value: float) -> float:
        """How many times the value passes the limit on the fakes' side (1 at the limit)."""
        if self.fakes_above:
            return value / max(self.limit, 1e-12)
        return self.limit / max(value, 1e-12)

    def probability(self, value: float) -> float:
        past = self.times_past(value)
        if past <= 1.0:
            share = (value - self.median) / (self.limit - self.median or 1e-12)
            return P_LOW + (P_NORMAL - P_LOW) * min(1.0, max(0.0, share))
        return P_NORMAL + (P_MAX - P_NORMAL) * min(1.0, (past - 1.0) / (RISE - 1.0))

    def describe(self, value: float) -> dict[str, Any]:
        return {
            "what": self.what,
            "value": round(value, 4),
            "unit": self.unit,
            "real_clips_median": self.median,
            f"real_clips_{self.percentile}th_percentile": self.limit,
            "probability": round(self.probability(value), 4),
        }


def large_on_fakes(name: str, what: str, unit: str, *, median: float, p95: float) -> RealClipNorm:
    """A measure judged against the real clips' 95th percentile."""
    return RealClipNorm(name, what, unit, median, p95, percentile=95)


def small_on_fakes(name: str, what: str, unit: str, *, median: float, p5: float) -> RealClipNorm:
    """A measure judged against the real clips' 5th percentile."""
    return RealClipNorm(name, what, unit, median, p5, percentile=5)


def past_their_limits(
    values: Mapping[str, float], norms: Mapping[str, RealClipNorm]
) -> tuple[dict[str, float], list[str]]:
    """Each measure's `times_past`, and the measures past their limit, furthest first:
    what an evidence summary names."""
    past = {name: norms[name].times_past(value) for name, value in values.items()}
    beyond = sorted((n for n, times in past.items() if times > 1.0), key=lambda n: -past[n])
    return past, beyond


@dataclass(frozen=True)
class NormChart:
    """The wording of a chart of measures over time against their norms."""

    title: str
    y_title: str
    rule: str
    y_floor: float  # the y axis reaches at least this far
    y_cap: float  # and never further than this


def norm_timeline(
    curves: Mapping[str, tuple[Floats, Floats]],
    norms: Mapping[str, RealClipNorm],
    colours: Mapping[str, str],
    chart: NormChart,
) -> Svg:
    """Each measure over time divided by its real-clip limit (SVG), so that one line at 1
    shows where every measure leaves what real clips do."""
    series, top = [], chart.y_floor
    for name, (times, values) in curves.items():
        scaled = values / norms[name].limit
        top = max(top, float(np.max(scaled)) * 1.05 if scaled.size else 0.0)
        points = list(zip(times.tolist(), scaled.tolist(), strict=True))
        series.append(Series(name, points, colour=colours.get(name)))
    return line_chart(
        series,
        title=chart.title,
        x_title="time into the video (seconds)",
        y_title=chart.y_title,
        y_range=(0.0, min(top, chart.y_cap)),
        rules=[Rule(1.0, chart.rule)],
    )
