"""Bootstrap intervals of bench metrics: right values, honest widths, reproducible."""

from __future__ import annotations

import numpy as np
import pytest

from fauxlab.detection.intervals import scorer_metrics
from fauxlab.detection.metrics import roc_auc


def test_values_are_the_whole_set_metrics() -> None:
    labels = [0, 0, 0, 0, 1, 1, 1, 1]
    probs = [0.1, 0.2, 0.6, 0.3, 0.4, 0.7, 0.8, 0.9]
    m = scorer_metrics("x", labels, probs, threshold=0.5, replicates=200)
    assert m.auc.value == pytest.approx(roc_auc(labels, probs))
    assert m.false_positive_rate.value == pytest.approx(1 / 4)  # 0.6 among the reals
    assert m.miss_rate.value == pytest.approx(1 / 4)  # 0.4 among the fakes
    assert m.accuracy.value == pytest.approx(6 / 8)
    for e in (m.auc, m.ap, m.accuracy, m.false_positive_rate, m.miss_rate):
        assert 0.0 <= e.low <= e.value <= e.high <= 1.0


def test_unjudged_files_score_zero_and_are_counted() -> None:
    m = scorer_metrics("x", [0, 1, 1], [None, 0.9, None], threshold=0.5, replicates=50)
    assert m.judged == 1
    assert m.miss_rate.value == pytest.approx(0.5)  # the unjudged fake is missed


def test_perfect_separation_has_a_point_interval() -> None:
    m = scorer_metrics("x", [0] * 5 + [1] * 5, [0.1] * 5 + [0.9] * 5, 0.5, replicates=200)
    assert (m.auc.low, m.auc.high) == (1.0, 1.0)
    assert (m.false_positive_rate.low, m.false_positive_rate.high) == (0.0, 0.0)


def test_small_sets_get_wide_intervals_and_large_sets_narrow_ones() -> None:
    rng = np.random.default_rng(3)

    def width(n: int) -> float:
        labels = [0] * n + [1] * n
        scores = np.r_[rng.normal(0.4, 0.2, n), rng.normal(0.6, 0.2, n)].clip(0, 1)
        m = scorer_metrics("x", labels, scores.tolist(), 0.5, replicates=300)
        return m.auc.high - m.auc.low

    assert width(10) > 2 * width(400)


def test_same_scores_same_interval() -> None:
    labels = [0, 1] * 10
    probs = [0.3, 0.6, 0.5, 0.4] * 5
    a = scorer_metrics("x", labels, probs, 0.5, replicates=100)
    b = scorer_metrics("x", labels, probs, 0.5, replicates=100)
    assert a == b
