"""Charts for reports, evidence and run pages: inline SVG line charts with round ticks,
axis titles in words and colour-blind-safe colours (svg.py), and PNG encoding for the
figures that are pictures (raster.py).

matplotlib is not used: a plotting stack for a few lines on two axes buys nothing that
forty lines of SVG do not, and SVG text stays sharp at any zoom and in print.
"""

from __future__ import annotations

from fauxlab.charts.raster import png_bytes
from fauxlab.charts.svg import Band, Mark, Rule, Series, Span, Svg, line_chart, verdict_bands

__all__ = [
    "Band",
    "Mark",
    "Rule",
    "Series",
    "Span",
    "Svg",
    "line_chart",
    "png_bytes",
    "verdict_bands",
]
