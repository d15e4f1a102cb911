"""Evidence figures are drawn when looked at, and drawn before they leave a process."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from fauxlab.charts import Series, line_chart
from fauxlab.detection.evidence import Figure


def _counting_drawing() -> tuple[list[int], Figure]:
    calls: list[int] = []

    def draw() -> np.ndarray:
        calls.append(1)
        return np.full((8, 8, 3), 200, np.uint8)

    return calls, Figure("heat", "a caption", draw)


def test_a_figure_is_drawn_once_and_only_when_looked_at() -> None:
    calls, figure = _counting_drawing()
    assert calls == []
    assert figure.png.startswith(b"\x89PNG") and figure.image.shape == (8, 8, 3)
    assert len(calls) == 1


def test_pickling_draws_the_figure_and_undrawn_keeps_only_its_name() -> None:
    calls, figure = _counting_drawing()
    copy = pickle.loads(pickle.dumps(figure))
    assert calls == [1] and copy.name == "heat" and int(copy.image[0, 0, 0]) == 200
    bare = pickle.loads(pickle.dumps(figure.undrawn()))
    assert (bare.name, bare.caption) == ("heat", "a caption")
    with pytest.raises(ValueError, match="undrawn"):
        _ = bare.image


def test_a_chart_figure_carries_svg_and_says_so() -> None:
    chart = line_chart([Series("a", [(0.0, 0.1), (1.0, 0.9)])], title="t", x_title="x", y_title="y")
    figure = Figure("timeline", "a chart", lambda: chart, "svg")
    assert figure.file_name == "timeline.svg" and figure.media_type == "image/svg+xml"
    assert figure.data.startswith(b"<?xml") and b"<svg" in figure.data
    copy = pickle.loads(pickle.dumps(figure))
    assert copy.format == "svg" and copy.svg.markup == chart.markup
    assert figure.undrawn().format == "svg"
    with pytest.raises(TypeError, match="chart"):
        _ = figure.image


def test_a_figure_that_draws_what_it_did_not_declare_is_refused() -> None:
    figure = Figure("heat", "pixels", lambda: np.zeros((4, 4, 3), np.uint8), "svg")
    with pytest.raises(TypeError, match="declared svg"):
        _ = figure.picture
