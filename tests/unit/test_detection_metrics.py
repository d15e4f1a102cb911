"""Detection metrics against cases worked out by hand, ties included."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from fauxlab.detection.metrics import (
    accuracy_at,
    average_precision,
    equal_error_rate,
    roc_auc,
    roc_curve,
)

# The textbook case: fakes score 0.35 and 0.8, reals 0.1 and 0.4.
LABELS = [0, 0, 1, 1]
SCORES = [0.1, 0.4, 0.35, 0.8]


def _pairwise_auc(labels: list[int], scores: list[float]) -> float:
    """The definition: share of (fake, real) pairs ranked right, ties counting 1/2."""
    fakes = [s for s, y in zip(scores, labels, strict=True) if y == 1]
    reals = [s for s, y in zip(scores, labels, strict=True) if y == 0]
    wins = sum(1.0 if f > r else 0.5 if f == r else 0.0 for f, r in itertools.product(fakes, reals))
    return wins / (len(fakes) * len(reals))


def test_roc_curve_by_hand() -> None:
    fpr, tpr, thresholds = roc_curve(LABELS, SCORES)
    assert thresholds[0] == np.inf
    assert thresholds[1:].tolist() == [0.8, 0.4, 0.35, 0.1]
    assert fpr.tolist() == [0.0, 0.0, 0.5, 0.5, 1.0]
    assert tpr.tolist() == [0.0, 0.5, 0.5, 1.0, 1.0]


def test_auc_by_hand() -> None:
    assert roc_auc(LABELS, SCORES) == pytest.approx(0.75)
    assert roc_auc([0, 1], [0.2, 0.9]) == 1.0
    assert roc_auc([0, 1], [0.9, 0.2]) == 0.0


def test_ties_count_one_half() -> None:
    # fakes {0.5, 0.9}, reals {0.5, 0.2}: pairs 1/2 + 1 + 1 + 1 = 3.5 of 4
    assert roc_auc([0, 1, 0, 1], [0.5, 0.5, 0.2, 0.9]) == pytest.approx(0.875)
    # every score equal: no ranking at all
    assert roc_auc([0, 1, 0, 1, 1], [0.3] * 5) == pytest.approx(0.5)


def test_ties_do_not_depend_on_input_order() -> None:
    labels, scores = [1, 0, 1, 0, 0, 1], [0.5, 0.5, 0.5, 0.1, 0.7, 0.9]
    rng = np.random.default_rng(0)
    expected = roc_auc(labels, scores)
    for _ in range(10):
        order = rng.permutation(len(labels))
        shuffled = roc_auc([labels[i] for i in order], [scores[i] for i in order])
        assert shuffled == pytest.approx(expected)


def test_auc_matches_pair_counting_on_random_data_with_ties() -> None:
    rng = np.random.default_rng(1)
    for _ in range(20):
        labels = rng.integers(0, 2, 30).tolist()
        labels[:2] = [0, 1]
        scores = (rng.integers(0, 6, 30) / 5).tolist()  # few distinct values: many ties
        assert roc_auc(labels, scores) == pytest.approx(_pairwise_auc(labels, scores))


def test_average_precision_by_hand() -> None:
    # ranked: 0.8 fake (P 1, R 1/2), 0.4 real, 0.35 fake (P 2/3, R 1): 1/2*1 + 1/2*2/3
    assert average_precision(LABELS, SCORES) == pytest.approx(5 / 6)
    assert average_precision([0, 1, 1], [0.1, 0.8, 0.9]) == 1.0
    # a tie between one fake and one real at the top: one step, precision 1/2
    assert average_precision([0, 1], [0.5, 0.5]) == pytest.approx(0.5)


def test_equal_error_rate_on_an_operating_point() -> None:
    # at t = 0.4: one real of two called fake, one fake of two missed
    eer, threshold = equal_error_rate(LABELS, SCORES)
    assert eer == pytest.approx(0.5) and threshold == 0.4


def test_equal_error_rate_where_the_rates_meet() -> None:
    # reals 0.1 0.2 0.3 0.6, fakes 0.5 0.7 0.8 0.9: at t=0.7 fpr 0, miss 1/4; at t=0.6 fpr 1/4,
    # miss 1/4: the rates meet there
    labels = [0, 0, 0, 0, 1, 1, 1, 1]
    scores = [0.1, 0.2, 0.3, 0.6, 0.5, 0.7, 0.8, 0.9]
    eer, threshold = equal_error_rate(labels, scores)
    assert eer == pytest.approx(0.25) and threshold == 0.6
    # perfect separation: no error at the lowest fake score
    eer, threshold = equal_error_rate([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
    assert eer == 0.0 and threshold == 0.8


def test_equal_error_rate_between_points_picks_the_nearer_threshold() -> None:
    # one real, one fake, tied: from (fpr 0, miss 1) straight to (1, 0); they cross at 1/2
    eer, threshold = equal_error_rate([0, 1], [0.5, 0.5])
    assert eer == pytest.approx(0.5) and threshold == 0.5


def test_accuracy_at() -> None:
    assert accuracy_at(LABELS, SCORES, 0.5) == pytest.approx(0.75)  # 0.35 fake missed
    assert accuracy_at(LABELS, SCORES, 0.35) == pytest.approx(0.75)  # 0.4 real called fake
    assert accuracy_at([1, 1], [0.9, 0.2], 0.5) == 0.5  # one class alone is fine
    assert accuracy_at([0], [0.5], 0.5) == 0.0  # >= threshold means fake


@pytest.mark.parametrize(
    ("labels", "scores"),
    [([1, 1], [0.1, 0.2]), ([0, 1], [0.1]), ([0, 2], [0.1, 0.2]), ([0, 1], [0.1, float("nan")])],
)
def test_bad_input_is_refused(labels: list[int], scores: list[float]) -> None:
    with pytest.raises(ValueError):
        roc_auc(labels, scores)
