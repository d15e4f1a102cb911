"""Line charts as inline SVG: text stays text (sharp at any zoom, in print, searchable),
and no plotting stack is needed for a few lines on two axes.

Text sizes are CSS pixels at the chart's natural width (`WIDTH`); pages show charts at
that width or a little less, so the smallest text reads like a figure caption.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from fauxlab.charts import palette
from fauxlab.charts.ticks import nice_range, nice_ticks, tick_labels

WIDTH, HEIGHT = 720, 340
FONT = 16  # title, legend, axis titles: the body text of a report
SMALL = 15  # tick values and the labels on lines
CHAR = 0.56  # average glyph width of a sans-serif face, in ems, for layout estimates
FAMILY = "system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif"

Point = tuple[float, float]


@dataclass(frozen=True)
class Svg:
    """One chart's markup: embed `markup` in HTML as it is, or save `data` as a .svg file."""

    markup: str
    width: int
    height: int

    @property
    def data(self) -> bytes:
        return ('<?xml version="1.0" encoding="UTF-8"?>\n' + self.markup + "\n").encode()


@dataclass(frozen=True)
class Series:
    """A named line (or dots, or stems rising from the x axis) of (x, y) points; points
    that are not finite break the line."""

    label: str
    points: Sequence[Point]
    colour: str | None = None
    dashed: bool = False
    kind: Literal["line", "points", "stems"] = "line"


@dataclass(frozen=True)
class Rule:
    """A labelled horizontal line: a threshold, a norm."""

    value: float
    label: str


@dataclass(frozen=True)
class Band:
    """A labelled horizontal zone of y values: "fake" above 0.7, "real" below 0.3."""

    low: float
    high: float
    label: str
    colour: str


@dataclass(frozen=True)
class Mark:
    """A labelled vertical line at one x: a cut in a video."""

    at: float
    label: str


@dataclass(frozen=True)
class Span:
    """A shaded run of x values, named in the legend: a blink, a window of lags."""

    start: float
    end: float
    label: str
    colour: str


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if math.isfinite(value) else "0"


def text_width(text: str, size: float) -> float:
    """Estimated width of `text` in pixels at font size `size`."""
    return len(text) * size * CHAR


def _text(x: float, y: float, text: str, size: int, **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{_e(v)}"' for k, v in attrs.items())
    return f'<text x="{_num(x)}" y="{_num(y)}" font-size="{size}"{extra}>{_e(text)}</text>'


def _halo(x: float, y: float, text: str, size: int, **attrs: str) -> str:
    """Text with a white outline, readable over lines and shading."""
    return _text(x, y, text, size, stroke="#fff", stroke_width="4", paint_order="stroke", **attrs)


def _fit(text: str, room: float, size: int) -> str:
    """`text` cut with an ellipsis where it would run past `room` pixels (the full text
    stays in the chart's accessible name)."""
    if text_width(text, size) <= room:
        return text
    keep = max(1, int(room / (size * CHAR)) - 1)
    return text[:keep].rstrip() + "\u2026"


@dataclass(frozen=True)
class _Axes:
    """Where data values land in the picture."""

    left: float
    top: float
    right: float
    bottom: float
    x0: float
    x1: float
    y0: float
    y1: float

    def x(self, value: float) -> float:
        share = (value - self.x0) / (self.x1 - self.x0)
        return self.left + min(1.0, max(0.0, share)) * (self.right - self.left)

    def y(self, value: float) -> float:
        share = (value - self.y0) / (self.y1 - self.y0)
        return self.bottom - min(1.0, max(0.0, share)) * (self.bottom - self.top)


def _range(
    given: tuple[float, float] | None, values: list[float]
) -> tuple[float, float, list[float]]:
    """The axis range and its ticks: the given range as it is, else the data's, rounded out."""
    finite = [v for v in values if math.isfinite(v)]
    if given is not None and given[1] > given[0]:
        low, high = given
    elif finite:
        low, high = nice_range(min(finite), max(finite))
    else:
        low, high = 0.0, 1.0
    return low, high, nice_ticks(low, high)


def _legend_items(series: Sequence[Series], spans: Sequence[Span]) -> list[tuple[str, str]]:
    """(swatch markup at the origin, label) for every named thing in the legend."""
    items: list[tuple[str, str]] = []
    for s in series:
        if not s.label:
            continue
        colour, dash = _style(series, s)
        if s.kind == "points":
            swatch = f'<circle cx="11" cy="-5" r="5" fill="{colour}"/>'
        elif s.kind == "stems":
            swatch = f'<line x1="11" x2="11" y1="-12" y2="2" stroke="{colour}" stroke-width="3"/>'
        else:
            swatch = (
                f'<line x1="0" x2="22" y1="-5" y2="-5" stroke="{colour}" stroke-width="3"{dash}/>'
            )
        items.append((swatch, s.label))
    named: set[str] = set()
    for span in spans:  # many blinks, one "blink" in the legend
        if not span.label or span.label in named:
            continue
        named.add(span.label)
        swatch = f'<rect x="2" y="-13" width="18" height="14" fill="{span.colour}" opacity="0.3"/>'
        items.append((swatch, span.label))
    return items


def _style(series: Sequence[Series], one: Series) -> tuple[str, str]:
    """The colour of a series and its dash attribute ('' for a solid line)."""
    index = series.index(one)
    colour = one.colour or palette.LINES[index % len(palette.LINES)]
    pattern = "6 4" if one.dashed else palette.DASHES[(index // len(palette.LINES)) % 4]
    return colour, f' stroke-dasharray="{pattern}"' if pattern else ""


def _legend(
    items: list[tuple[str, str]], left: float, right: float, top: float
) -> tuple[str, float]:
    """The legend in rows from `top`, and the y under its last row."""
    if not items:
        return "", top
    parts: list[str] = []
    x, y = left, top + FONT
    for swatch, full in items:
        label = _fit(full, right - left - 30, FONT)
        width = 30 + text_width(label, FONT) + 18
        if x > left and x + width > right:
            x, y = left, y + FONT + 8
        parts.append(f'<g transform="translate({_num(x)},{_num(y)})">{swatch}</g>')
        parts.append(_text(x + 30, y, label, FONT, fill=palette.INK))
        x += width
    return "".join(parts), y + 10


def _segments(points: Sequence[Point], axes: _Axes) -> list[list[Point]]:
    """Runs of finite points in picture coordinates."""
    runs: list[list[Point]] = [[]]
    for x, y in points:
        if math.isfinite(x) and math.isfinite(y):
            runs[-1].append((axes.x(x), axes.y(y)))
        elif runs[-1]:
            runs.append([])
    return [r for r in runs if r]


def _draw_series(series: Sequence[Series], axes: _Axes) -> str:
    parts: list[str] = []
    for s in series:
        colour, dash = _style(series, s)
        title = f"<title>{_e(s.label)}</title>" if s.label else ""
        for run in _segments(s.points, axes):
            if s.kind == "points" or len(run) == 1:
                parts.extend(
                    f'<circle cx="{_num(x)}" cy="{_num(y)}" r="4.5" fill="{colour}">'
                    f"{title}</circle>"
                    for x, y in run
                )
            elif s.kind == "stems":
                base = axes.y(max(axes.y0, min(0.0, axes.y1)))
                parts.extend(
                    f'<line x1="{_num(x)}" x2="{_num(x)}" y1="{_num(base)}" y2="{_num(y)}" '
                    f'stroke="{colour}" stroke-width="2"/>'
                    for x, y in run
                )
            else:
                coords = " ".join(f"{_num(x)},{_num(y)}" for x, y in run)
                parts.append(
                    f'<polyline points="{coords}" fill="none" stroke="{colour}" '
                    f'stroke-width="2.5" stroke-linejoin="round"{dash}>{title}</polyline>'
                )
    return "".join(parts)


def _bands(bands: Sequence[Band], axes: _Axes) -> str:
    parts: list[str] = []
    for band in bands:
        top, bottom = axes.y(band.high), axes.y(band.low)
        parts.append(
            f'<rect x="{_num(axes.left)}" y="{_num(top)}" width="{_num(axes.right - axes.left)}" '
            f'height="{_num(bottom - top)}" fill="{band.colour}" opacity="0.13"/>'
        )
        if bottom - top >= SMALL + 6:  # named at its top left; too thin, colour must do
            parts.append(_halo(axes.left + 6, top + SMALL + 2, band.label, SMALL, fill=palette.INK))
    return "".join(parts)


def _spans(spans: Sequence[Span], axes: _Axes) -> str:
    return "".join(
        f'<rect x="{_num(axes.x(s.start))}" y="{_num(axes.top)}" '
        f'width="{_num(max(1.5, axes.x(s.end) - axes.x(s.start)))}" '
        f'height="{_num(axes.bottom - axes.top)}" fill="{s.colour}" opacity="0.3">'
        f"<title>{_e(s.label)}</title></rect>"
        for s in spans
    )


def _rules(rules: Sequence[Rule], axes: _Axes) -> str:
    parts: list[str] = []
    for rule in rules:
        y = axes.y(rule.value)
        parts.append(
            f'<line x1="{_num(axes.left)}" x2="{_num(axes.right)}" y1="{_num(y)}" y2="{_num(y)}" '
            f'stroke="{palette.INK}" stroke-width="1.5" stroke-dasharray="6 4"/>'
        )
        if rule.label:
            parts.append(
                _halo(axes.right - 6, y - 5, rule.label, SMALL, fill=palette.INK, text_anchor="end")
            )
    return "".join(parts)


def _marks(marks: Sequence[Mark], axes: _Axes) -> str:
    parts: list[str] = []
    free_from = -math.inf  # a label is left out where it would overlap the previous one
    for mark in sorted(marks, key=lambda m: m.at):
        x = axes.x(mark.at)
        parts.append(
            f'<line x1="{_num(x)}" x2="{_num(x)}" y1="{_num(axes.top)}" y2="{_num(axes.bottom)}" '
            f'stroke="{palette.BLACK}" stroke-width="2" stroke-dasharray="2 3">'
            f"<title>{_e(mark.label)}</title></line>"
        )
        width = text_width(mark.label, SMALL)
        anchor_end = x + 4 + width > axes.right
        start = x - 4 - width if anchor_end else x + 4
        if mark.label and start >= free_from:
            parts.append(
                _halo(
                    x - 4 if anchor_end else x + 4,
                    axes.bottom - 6,
                    mark.label,
                    SMALL,
                    fill=palette.INK,
                    text_anchor="end" if anchor_end else "start",
                )
            )
            free_from = start + width + 6
    return "".join(parts)


def _axes_markup(axes: _Axes, x_ticks: list[float], y_ticks: list[float]) -> str:
    parts: list[str] = []
    for value, label in zip(y_ticks, tick_labels(y_ticks), strict=True):
        y = axes.y(value)
        parts.append(
            f'<line x1="{_num(axes.left)}" x2="{_num(axes.right)}" y1="{_num(y)}" '
            f'y2="{_num(y)}" stroke="{palette.GRID}"/>'
        )
        parts.append(
            _text(axes.left - 8, y + SMALL / 3, label, SMALL, fill=palette.INK, text_anchor="end")
        )
    for value, label in zip(x_ticks, tick_labels(x_ticks), strict=True):
        x = axes.x(value)
        parts.append(
            f'<line x1="{_num(x)}" x2="{_num(x)}" y1="{_num(axes.bottom)}" '
            f'y2="{_num(axes.bottom + 5)}" stroke="{palette.INK}"/>'
        )
        parts.append(
            _text(x, axes.bottom + 8 + SMALL, label, SMALL, fill=palette.INK, text_anchor="middle")
        )
    parts.append(
        f'<rect x="{_num(axes.left)}" y="{_num(axes.top)}" width="{_num(axes.right - axes.left)}" '
        f'height="{_num(axes.bottom - axes.top)}" fill="none" stroke="#999"/>'
    )
    return "".join(parts)


def line_chart(
    series: Sequence[Series],
    *,
    title: str,
    x_title: str,
    y_title: str,
    x_range: tuple[float, float] | None = None,
    y_range: tuple[float, float] | None = None,
    rules: Sequence[Rule] = (),
    bands: Sequence[Band] = (),
    marks: Sequence[Mark] = (),
    spans: Sequence[Span] = (),
    size: tuple[int, int] = (WIDTH, HEIGHT),
) -> Svg:
    """Lines on shared axes with round ticks, axis titles in words, a legend, and optional
    thresholds (`rules`), verdict zones (`bands`), events (`marks`) and intervals (`spans`).

    `size` is the plotting area plus its axes; the title and legend add to the height."""
    width, plot_height = size
    xs = [x for s in series for x, _ in s.points] + [m.at for m in marks]
    ys = [y for s in series for _, y in s.points] + [r.value for r in rules]
    x0, x1, x_ticks = _range(x_range, xs)
    y0, y1, y_ticks = _range(y_range, ys)
    y_label_width = max((text_width(t, SMALL) for t in tick_labels(y_ticks)), default=0.0)
    left = 12 + FONT + 8 + y_label_width + 8
    right = width - 16 - text_width(tick_labels(x_ticks)[-1] if x_ticks else "", SMALL) / 2

    head = _text(left, FONT + 4, _fit(title, width - left - 8, FONT + 1), FONT + 1,
                 fill=palette.INK, font_weight="600")  # fmt: skip
    legend, legend_bottom = _legend(_legend_items(series, spans), left, right, FONT + 14)
    top = legend_bottom + 10
    # tall enough for the (rotated) y-axis title to fit beside the plot
    bottom = top + max(plot_height - 2 * SMALL - 30, text_width(y_title, FONT) + 16)
    height = math.ceil(bottom + 2 * SMALL + 30)
    axes = _Axes(left, top, right, bottom, x0, x1, y0, y1)

    middle_y = (top + bottom) / 2
    titles = _text((left + right) / 2, height - 8, x_title, FONT, fill=palette.INK,
                   text_anchor="middle") + _text(
        12 + FONT - 4, middle_y, y_title, FONT, fill=palette.INK, text_anchor="middle",
        transform=f"rotate(-90 {_num(12 + FONT - 4)} {_num(middle_y)})",
    )  # fmt: skip
    body = (
        _bands(bands, axes)
        + _spans(spans, axes)
        + _axes_markup(axes, x_ticks, y_ticks)
        + _rules(rules, axes)
        + _draw_series(series, axes)
        + _marks(marks, axes)
    )
    markup = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{_e(title)}" '
        f'font-family="{_e(FAMILY)}"><title>{_e(title)}</title>'
        f'<rect width="{width}" height="{height}" fill="#fff"/>'
        f"{head}{legend}{body}{titles}</svg>"
    )
    return Svg(markup, width, height)


def verdict_bands(real_below: float, fake_from: float) -> list[Band]:
    """The three zones of a probability axis: real, uncertain, fake."""
    return [
        Band(0.0, real_below, "real", palette.REAL),
        Band(real_below, fake_from, "uncertain", palette.UNCERTAIN),
        Band(fake_from, 1.0, "fake", palette.FAKE),
    ]
