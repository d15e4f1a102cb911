"""Fitting the fused maximum on a development set (numpy only).

The development set is a table: one row per file, one column per detector holding its
weighted probability `q = min(1, w * p)` (NaN where it could not judge), and a label
(1 fake). The fit chooses each detector's calibration (fusion_model.Calibration) to
minimise the log loss of the fused probability `max_i sigmoid(scale_i * logit(q_i) +
shift_i)` itself, the two classes weighted equally, with a small pull towards the
identity (the interim rule). Only the detector that sets a row's maximum gets that row's
gradient, so a detector is never asked to score fakes it cannot see: a GAN face that
`learned` scores low is the business of `spectrum` and `generated`.

A detector that judged fewer than `min_each` rows of either class keeps the identity:
with no fakes of its kind in the set (no fake videos for `blink`, `lipsync`,
`shallowfake`), a fit would only learn to silence it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from fauxlab.detection.fusion_model import EPSILON, IDENTITY, Calibration
from fauxlab.detection.metrics import roc_auc

NEUTRAL = 0.5
Floats = NDArray[np.float64]


@dataclass(frozen=True)
class Separation:
    """How well one fused probability separates the classes."""

    auc: float
    accuracy: float  # share right at the threshold (p >= threshold is fake)
    n_real: int
    n_fake: int


def fitted_columns(q: Floats, labels: NDArray[np.int64], min_each: int) -> list[bool]:
    """Which detectors judged at least `min_each` rows of each class."""
    judged = ~np.isnan(q)
    return [
        bool(judged[labels == 0, k].sum() >= min_each and judged[labels == 1, k].sum() >= min_each)
        for k in range(q.shape[1])
    ]


def _logits(q: Floats) -> Floats:
    clipped = np.clip(q, EPSILON, 1.0 - EPSILON)
    return np.asarray(np.log(clipped / (1.0 - clipped)), dtype=np.float64)


def fused_maximum(q: Floats, calibrations: Sequence[Calibration]) -> Floats:
    """Each row's fused probability; NEUTRAL where no detector could judge."""
    out = np.full(q.shape[0], NEUTRAL)
    for row in range(q.shape[0]):
        said = [c.apply(float(v)) for v, c in zip(q[row], calibrations, strict=True) if v == v]
        if said:
            out[row] = max(said)
    return out


def fit_maximum(
    q: Floats,
    labels: NDArray[np.int64],
    min_each: int = 20,
    steps: int = 4000,
    rate: float = 0.03,
    pull: float = 1e-2,
    tied: bool = True,
) -> list[Calibration]:
    """Calibrations (one per column of `q`) that minimise the fused maximum's log loss;
    `tied`: the same calibration for every fitted column."""
    fit = np.array(fitted_columns(q, labels, min_each))
    keep = ~np.isnan(q).all(axis=1)
    logits, y = _logits(np.nan_to_num(q[keep], nan=0.5)), labels[keep].astype(np.float64)
    missing = np.isnan(q[keep])
    weight = np.where(y == 1, 0.5 / max(1.0, y.sum()), 0.5 / max(1.0, (1 - y).sum()))
    theta = np.zeros((2, q.shape[1]))  # log scale, shift
    first, second = np.zeros_like(theta), np.zeros_like(theta)
    rows = np.arange(len(y))
    for step in range(1, steps + 1):
        z = np.exp(theta[0]) * logits + theta[1]
        z[missing] = -np.inf
        top = np.argmax(z, axis=1)
        p = 1.0 / (1.0 + np.exp(-z[rows, top]))
        g = (p - y) * weight
        grad = np.zeros_like(theta)
        np.add.at(grad[1], top, g)
        np.add.at(grad[0], top, g * np.exp(theta[0, top]) * logits[rows, top])
        grad += pull * theta
        grad[:, ~fit] = 0.0
        if tied:  # one calibration for all fitted detectors: their order is kept
            grad[:, fit] = grad[:, fit].sum(axis=1, keepdims=True)
        first = 0.9 * first + 0.1 * grad  # Adam
        second = 0.999 * second + 0.001 * grad**2
        theta -= rate * (first / (1 - 0.9**step)) / (np.sqrt(second / (1 - 0.999**step)) + 1e-8)
    return [
        Calibration(math.exp(float(theta[0, k])), float(theta[1, k])) if fit[k] else IDENTITY
        for k in range(q.shape[1])
    ]


def separation(
    labels: NDArray[np.int64], probabilities: Floats, threshold: float = 0.5
) -> Separation:
    right = (probabilities >= threshold).astype(np.int64) == labels
    return Separation(
        auc=roc_auc(labels, probabilities),
        accuracy=float(right.mean()),
        n_real=int((labels == 0).sum()),
        n_fake=int((labels == 1).sum()),
    )
