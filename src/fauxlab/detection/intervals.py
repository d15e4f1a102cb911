"""Detection metrics with 95% bootstrap intervals, for one scorer on a labelled set.

Development sets of third-party fakes hold tens of files, not thousands: an AUC of 0.80 on
11 fakes and 6 reals can be anything from 0.55 to 1.0. Every number `fauxlab bench`
reports therefore carries a percentile interval from a stratified bootstrap (reals and
fakes resampled apart, so each replicate keeps both classes and the class sizes of the
set), with a fixed seed so the same scores give the same interval.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from fauxlab.detection.metrics import average_precision, roc_auc

REPLICATES = 1000
SEED = 0

Metric = Callable[[NDArray[np.int64], NDArray[np.float64]], float]


@dataclass(frozen=True)
class Estimate:
    """A metric on the whole set and its 95% bootstrap interval."""

    value: float
    low: float
    high: float

    def as_list(self, digits: int = 4) -> list[float]:
        return [round(self.value, digits), round(self.low, digits), round(self.high, digits)]

    def __str__(self) -> str:
        return f"{self.value:.3f} [{self.low:.2f}, {self.high:.2f}]"


@dataclass(frozen=True)
class ScorerMetrics:
    """How one scorer (the fused verdict or one detector) separates the set."""

    name: str
    judged: int  # files the scorer gave a probability; the others count as score 0
    auc: Estimate
    ap: Estimate
    accuracy: Estimate
    false_positive_rate: Estimate  # share of reals called fake at the threshold
    miss_rate: Estimate  # share of fakes not called fake at the threshold


def _fpr(threshold: float) -> Metric:
    return lambda y, s: float(np.mean(s[y == 0] >= threshold))


def _miss(threshold: float) -> Metric:
    return lambda y, s: float(np.mean(s[y == 1] < threshold))


def _accuracy(threshold: float) -> Metric:
    return lambda y, s: float(np.mean((s >= threshold) == (y == 1)))


def bootstrap(
    labels: NDArray[np.int64],
    scores: NDArray[np.float64],
    metrics: Sequence[Metric],
    replicates: int = REPLICATES,
    seed: int = SEED,
) -> list[Estimate]:
    """Each metric on the set, with the 2.5th and 97.5th percentiles over `replicates`
    stratified resamples (the same resamples for every metric)."""
    real = np.flatnonzero(labels == 0)
    fake = np.flatnonzero(labels == 1)
    if real.size == 0 or fake.size == 0:
        raise ValueError("need at least one real (0) and one fake (1) example")
    rng = np.random.default_rng(seed)
    values = np.empty((replicates, len(metrics)))
    for r in range(replicates):
        pick = np.concatenate(
            [rng.choice(real, real.size, replace=True), rng.choice(fake, fake.size, replace=True)]
        )
        y, s = labels[pick], scores[pick]
        values[r] = [metric(y, s) for metric in metrics]
    low, high = np.percentile(values, [2.5, 97.5], axis=0)
    return [
        Estimate(metric(labels, scores), float(lo), float(hi))
        for metric, lo, hi in zip(metrics, low, high, strict=True)
    ]


def scorer_metrics(
    name: str,
    labels: Sequence[int],
    probabilities: Sequence[float | None],
    threshold: float,
    replicates: int = REPLICATES,
) -> ScorerMetrics:
    """AUC, AP, accuracy, false-positive and miss rates of one scorer, each with its
    interval. A file the scorer could not judge scores 0, as in the fused verdict: no
    alarm is the least suspicious answer a detector can give."""
    y = np.asarray(labels, dtype=np.int64)
    s = np.asarray([0.0 if p is None else p for p in probabilities], dtype=np.float64)
    auc, ap, accuracy, fpr, miss = bootstrap(
        y,
        s,
        [
            lambda a, b: roc_auc(a, b),
            lambda a, b: average_precision(a, b),
            _accuracy(threshold),
            _fpr(threshold),
            _miss(threshold),
        ],
        replicates,
    )
    judged = sum(p is not None for p in probabilities)
    return ScorerMetrics(name, judged, auc, ap, accuracy, fpr, miss)
