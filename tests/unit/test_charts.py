"""The chart drawer: round ticks, and SVG a browser and a printer can trust (parsed back
with xml.etree: real text at a legible size, finite coordinates, escaped labels)."""

from __future__ import annotations

import math
import re
from xml.etree import ElementTree

import numpy as np
import pytest

from fauxlab.charts import Mark, Rule, Series, Span, line_chart, verdict_bands
from fauxlab.charts.svg import SMALL, text_width
from fauxlab.charts.ticks import decimals, nice_range, nice_step, nice_ticks, tick_labels
from fauxlab.detection.fusion import Bands
from fauxlab.detection.report.figures import timeline_svg
from fauxlab.synthesis.gan.plots import curves_svg

NS = "{http://www.w3.org/2000/svg}"
NUMBER = re.compile(r"-?\d+(\.\d+)?")


def _is_round(step: float) -> bool:
    mantissa = step / 10 ** math.floor(math.log10(step))  # 0.0099999 (float noise) -> 9.9999
    return any(math.isclose(mantissa, m, rel_tol=1e-6) for m in (1.0, 2.0, 5.0, 10.0))


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0.0, 1.0, [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]),
        (-2.26, 4.22, [-2.0, 0.0, 2.0, 4.0]),  # the ticks: -2.26 ... 4.22
        (0.0, 7.93, [0.0, 2.0, 4.0, 6.0]),
        (-1.0, 1.0, [-1.0, -0.5, 0.0, 0.5, 1.0]),
        (0.0, 0.3, [0.0, 0.1, 0.2, 0.3]),  # 3 * 0.1 lands on 0.3, not 0.30000000000000004
    ],
)
def test_ticks_are_round_values_inside_the_range(
    low: float, high: float, expected: list[float]
) -> None:
    assert nice_ticks(low, high) == expected


def test_ticks_of_many_ranges_are_round_evenly_spaced_and_labelled_apart() -> None:
    rng = np.random.default_rng(7)
    for _ in range(500):
        low = float(rng.normal(0, 10 ** rng.uniform(-3, 4)))
        high = low + float(10 ** rng.uniform(-3, 4))
        ticks = nice_ticks(low, high)
        assert 3 <= len(ticks) <= 8, (low, high, ticks)
        assert all(low - 1e-9 * abs(low) <= t <= high + 1e-9 * abs(high) for t in ticks)
        steps = np.diff(ticks)
        assert _is_round(float(steps[0])) and np.allclose(steps, steps[0], rtol=1e-6), ticks
        labels = tick_labels(ticks)
        assert len(set(labels)) == len(labels), (ticks, labels)


def test_labels_carry_the_decimals_their_step_needs_and_a_true_minus() -> None:
    assert tick_labels([0.0, 0.2, 0.4]) == ["0.0", "0.2", "0.4"]
    assert tick_labels([-2.0, 0.0, 2.0]) == ["\u22122", "0", "2"]
    assert tick_labels([0.0, 0.05, 0.1]) == ["0.00", "0.05", "0.10"]
    assert (decimals(5.0), decimals(0.5), decimals(0.02)) == (0, 1, 2)


def test_a_range_that_follows_the_data_widens_to_whole_steps() -> None:
    assert nice_range(0.977, 4.22) == (0.0, 5.0)
    assert nice_range(3.0, 3.0)[0] < 3.0 < nice_range(3.0, 3.0)[1]  # a flat line has room
    assert nice_range(math.nan, 1.0) == (0.0, 1.0)
    assert nice_step(0.0) == 1.0


def _parse(markup: str) -> ElementTree.Element:
    root = ElementTree.fromstring(markup)
    assert root.tag == f"{NS}svg"
    return root


def _coordinates(root: ElementTree.Element) -> list[float]:
    names = ("x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "width", "height", "points")
    values: list[str] = []
    moved = {id(n) for g in root.iter(f"{NS}g") for n in g.iter() if n is not g}
    for node in root.iter():
        values += [node.attrib[n] for n in names if n in node.attrib and id(node) not in moved]
    text = " ".join(values).replace(",", " ")
    assert "nan" not in text.lower() and "inf" not in text.lower(), text
    return [float(v) for v in text.split()]


def _chart() -> str:
    t = np.linspace(0, 7.93, 60)
    p = 0.5 + 0.45 * np.sin(t)
    p[20] = np.nan  # a gap: the line breaks there
    return line_chart(
        [
            Series("learned <face 0> & co", list(zip(t.tolist(), p.tolist(), strict=True))),
            Series("spectrum", [(1.0, 0.2), (5.0, 0.3)], kind="points"),
            Series("repeated frame", [(2.0, 0.1)], kind="stems"),
        ],
        title="How likely each moment is fake",
        x_title="time into the video (seconds)",
        y_title="probability of fake",
        y_range=(0.0, 1.0),
        bands=verdict_bands(0.35, 0.65),
        rules=[Rule(0.5, "threshold 0.50")],
        marks=[Mark(2.5, "cut"), Mark(2.6, "cut")],
        spans=[Span(4.0, 4.3, "blink", "#56B4E9"), Span(6.0, 6.2, "blink", "#56B4E9")],
    ).markup


def test_every_text_is_real_text_at_least_the_small_size() -> None:
    root = _parse(_chart())
    texts = list(root.iter(f"{NS}text"))
    assert len(texts) >= 15
    assert min(float(t.attrib["font-size"]) for t in texts) >= SMALL >= 14
    words = {t.text for t in texts}
    assert {"0.0", "0.2", "1.0", "0", "2", "4", "6"} <= words  # round ticks, both axes
    assert {"time into the video (seconds)", "probability of fake", "threshold 0.50"} <= words
    assert {"fake", "uncertain", "real", "cut"} <= words
    assert "learned <face 0> & co" in words  # escaped in the markup, intact when parsed
    assert [t.text for t in texts].count("blink") == 1  # one legend entry for many blinks


def test_coordinates_are_finite_and_inside_the_picture() -> None:
    root = _parse(_chart())
    width, height = float(root.attrib["width"]), float(root.attrib["height"])
    assert root.attrib["viewBox"] == f"0 0 {width:g} {height:g}"
    for value in _coordinates(root):
        assert -1 <= value <= max(width, height) + 1
    polylines = [p for p in root.iter(f"{NS}polyline")]
    assert len(polylines) == 2  # the NaN split the line in two
    dashed = [n for n in root.iter(f"{NS}line") if n.attrib.get("stroke-dasharray") == "2 3"]
    assert len(dashed) == 2  # both cuts drawn, the second's label left out (too close)


def test_the_report_timeline_marks_cuts_bands_and_the_threshold() -> None:
    limits = Bands(threshold=0.5, margin=0.15)
    chart = timeline_svg(
        {"learned": [(0.0, 0.1), (2.0, 0.8), (4.0, 0.2)]}, limits, 4.6, [2.5], [(2.0, 0.8)]
    )
    root = _parse(chart.markup)
    words = {t.text for t in root.iter(f"{NS}text")}
    assert {"cut", "threshold 0.50", "fake", "real", "face shown below", "learned"} <= words
    assert len(list(root.iter(f"{NS}circle"))) == 2  # the face shown, and its legend swatch
    _coordinates(root)


def test_an_empty_chart_still_draws_axes() -> None:
    root = _parse(line_chart([], title="nothing yet", x_title="x", y_title="y").markup)
    assert {t.text for t in root.iter(f"{NS}text")} >= {"nothing yet", "0.0", "1.0"}
    _coordinates(root)


def test_gan_curves_are_one_svg_document_with_both_charts() -> None:
    records = [
        {"step": s, "loss_d": 1.4 - s / 100, "loss_g": 0.7 + s / 200, "d_real": 0.6, "d_fake": 0.4}
        for s in range(0, 100, 10)
    ]
    root = ElementTree.fromstring(curves_svg(records))
    charts = root.findall(f"{NS}svg")
    assert len(charts) == 2
    assert {"training step", "D cannot tell them apart"} <= {t.text for t in root.iter(f"{NS}text")}


def test_long_titles_and_labels_are_cut_to_fit_the_chart() -> None:
    name = "a folder with a very long name " * 6
    chart = line_chart(
        [Series(name, [(0.0, 0.0), (1.0, 1.0)])], title=name, x_title="x", y_title="y"
    )
    root = _parse(chart.markup)
    for node in root.iter(f"{NS}text"):
        if "text-anchor" in node.attrib:  # ticks and axis titles: short, placed by anchor
            continue
        right = float(node.attrib["x"]) + text_width(
            node.text or "", float(node.attrib["font-size"])
        )
        assert right <= chart.width, node.text
    assert root.attrib["aria-label"] == name  # the whole title stays readable by name
