"""Detection metrics in plain numpy: ROC, AUC, average precision, EER, accuracy.

Labels are 1 for fake and 0 for real; a higher score means "more likely fake", and a file
counts as called fake at threshold t when its score is >= t. scikit-learn would give the
same numbers, but a 30 MB dependency for five short functions is not worth it.

Tied scores are kept together: the ROC curve steps once per distinct score, so a tie
between a fake and a real file counts as half a correct ranking in the AUC (the
Mann-Whitney convention), never as a win or a loss that depends on input order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
Labels = Sequence[int] | NDArray[np.int_]
Scores = Sequence[float] | FloatArray


def _check(labels: Labels, scores: Scores) -> tuple[NDArray[np.int_], FloatArray]:
    y = np.asarray(labels).astype(np.int64).ravel()
    s = np.asarray(scores, dtype=np.float64).ravel()
    if y.shape != s.shape:
        raise ValueError(f"{y.size} labels but {s.size} scores")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("labels must be 0 (real) or 1 (fake)")
    if not np.isfinite(s).all():
        raise ValueError("scores must be finite numbers")
    if not (y == 1).any() or not (y == 0).any():
        raise ValueError("need at least one real (0) and one fake (1) example")
    return y, s


def _counts(y: NDArray[np.int_], s: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Cumulative true and false positives at each distinct score, highest first."""
    order = np.argsort(-s, kind="mergesort")
    s, y = s[order], y[order]
    last_of_group = np.r_[np.flatnonzero(np.diff(s)), s.size - 1]
    tps = np.cumsum(y)[last_of_group].astype(np.float64)
    fps = (last_of_group + 1 - tps).astype(np.float64)
    return tps, fps, s[last_of_group]


def roc_curve(labels: Labels, scores: Scores) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(fpr, tpr, thresholds), one point per distinct score plus (0, 0) at threshold +inf.

    Point i is the operating point "fake when score >= thresholds[i]"."""
    y, s = _check(labels, scores)
    tps, fps, thresholds = _counts(y, s)
    tpr = np.r_[0.0, tps / tps[-1]]
    fpr = np.r_[0.0, fps / fps[-1]]
    return fpr, tpr, np.r_[np.inf, thresholds]


def roc_auc(labels: Labels, scores: Scores) -> float:
    """Area under the ROC curve: the chance a random fake scores above a random real,
    ties counting one half (the trapezoid over tied groups gives exactly that)."""
    fpr, tpr, _ = roc_curve(labels, scores)
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2.0))


def average_precision(labels: Labels, scores: Scores) -> float:
    """Precision averaged over recall steps, sum (R_n - R_n-1) * P_n, without the
    optimistic interpolation of the trapezoid (the same definition as scikit-learn)."""
    y, s = _check(labels, scores)
    tps, fps, _ = _counts(y, s)
    precision = tps / (tps + fps)
    recall = tps / tps[-1]
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def equal_error_rate(labels: Labels, scores: Scores) -> tuple[float, float]:
    """(eer, threshold): where the false-positive rate equals the miss rate.

    The ROC is interpolated linearly between the two operating points the rates cross
    between; the threshold returned is that of the nearer of those two points (never
    +inf), so using it reproduces an error rate close to the EER on this data."""
    fpr, tpr, thresholds = roc_curve(labels, scores)
    gap = (1.0 - tpr) - fpr  # miss rate minus false-positive rate: 1 at +inf, -1 at the end
    i = int(np.flatnonzero(gap <= 0)[0])
    if gap[i] == 0:
        return float(fpr[i]), float(thresholds[i])
    alpha = gap[i - 1] / (gap[i - 1] - gap[i])
    eer = fpr[i - 1] + alpha * (fpr[i] - fpr[i - 1])
    nearer = i if alpha >= 0.5 or i - 1 == 0 else i - 1
    return float(eer), float(thresholds[nearer])


def accuracy_at(
    labels: Labels,
    scores: Scores,
    threshold: float,
) -> float:
    """Share of files called correctly when "fake" means score >= threshold.

    Unlike the other metrics this is defined for one class alone (a folder of fakes)."""
    y = np.asarray(labels).astype(np.int64).ravel()
    s = np.asarray(scores, dtype=np.float64).ravel()
    if y.shape != s.shape or y.size == 0:
        raise ValueError("need as many scores as labels, and at least one")
    return float(np.mean((s >= threshold) == (y == 1)))
