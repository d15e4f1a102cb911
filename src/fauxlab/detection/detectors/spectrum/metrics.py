"""The two numbers spectral training prints, as (fake scores, real scores) views of the
shared detection metrics."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from fauxlab.detection.metrics import roc_auc


def _labelled(
    fake_scores: ArrayLike, real_scores: ArrayLike
) -> tuple[NDArray[np.int_], NDArray[np.float64]]:
    fake = np.asarray(fake_scores, dtype=np.float64).ravel()
    real = np.asarray(real_scores, dtype=np.float64).ravel()
    labels = np.concatenate([np.ones(fake.size, dtype=np.int_), np.zeros(real.size, dtype=np.int_)])
    return labels, np.concatenate([fake, real])


def auc(fake_scores: ArrayLike, real_scores: ArrayLike) -> float:
    """P(a random fake scores above a random real), ties counting half."""
    labels, scores = _labelled(fake_scores, real_scores)
    if labels.min() == labels.max():
        raise ValueError("AUC needs at least one score of each class")
    return roc_auc(labels, scores)


def balanced_accuracy(fake_scores: ArrayLike, real_scores: ArrayLike, threshold: float) -> float:
    """Mean of the share of fakes at or above and reals below the threshold."""
    fake = np.asarray(fake_scores, dtype=np.float64)
    real = np.asarray(real_scores, dtype=np.float64)
    return float(((fake >= threshold).mean() + (real < threshold).mean()) / 2)
