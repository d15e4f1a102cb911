"""Small 1-D signal helpers in numpy, so the package needs nothing beyond numpy and PyAV.

Running medians and percentiles, the chi-square tail for the cycle test, and peak
picking for loudness and mouth-opening curves.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


def _windows(values: FloatArray, size: int) -> FloatArray:
    half = size // 2
    padded = np.pad(values, (half, half), mode="edge")
    return np.asarray(sliding_window_view(padded, 2 * half + 1), dtype=np.float64)


def running_median(values: FloatArray, size: int) -> FloatArray:
    """Median of each value's centred window of `size` (edges repeated)."""
    return np.asarray(np.median(_windows(values, size), axis=1), dtype=np.float64)


def running_percentile(values: FloatArray, q: float, size: int) -> FloatArray:
    """q-th percentile of each value's centred window of `size` (edges repeated)."""
    return np.asarray(np.percentile(_windows(values, size), q, axis=1), dtype=np.float64)


def chi2_log10_sf(x: float, dof: int) -> float:
    """log10 of P(chi-square with `dof` degrees of freedom >= x), in closed form."""
    if x <= 0:
        return 0.0
    half = x / 2.0
    if dof % 2 == 0:
        terms = [i * math.log(half) - math.lgamma(i + 1) for i in range(dof // 2)]
        top = max(terms)
        log_sum = top + math.log(sum(math.exp(t - top) for t in terms))
        return (log_sum - half) / math.log(10)
    # odd: erfc(sqrt(x/2)) plus exp(-x/2) times a sum over half-integer powers
    tail = math.erfc(math.sqrt(half))
    log_tail = math.log(tail) if tail > 0 else -math.inf
    terms = [(i + 0.5) * math.log(half) - math.lgamma(i + 1.5) for i in range(dof // 2)]
    if not terms:
        return log_tail / math.log(10)
    top = max(terms)
    log_series = top - half + math.log(sum(math.exp(t - top) for t in terms))
    return float(np.logaddexp(log_tail, log_series)) / math.log(10)


def peaks(values: FloatArray, prominence: float, distance: int) -> NDArray[np.intp]:
    """Local maxima that rise `prominence` above the lowest point within `distance` on
    both sides, at least `distance` apart (the higher one wins)."""
    n = len(values)
    if n < 3:
        return np.zeros(0, dtype=np.intp)
    inner = values[1:-1]
    candidates = np.flatnonzero((inner > values[:-2]) & (inner >= values[2:])) + 1
    kept: list[int] = []
    for i in sorted(candidates, key=lambda k: -values[k]):
        low, high = max(0, i - distance), min(n, i + distance + 1)
        rise = values[i] - max(values[low : i + 1].min(), values[i:high].min())
        if rise >= prominence and all(abs(i - k) >= distance for k in kept):
            kept.append(int(i))
    return np.asarray(sorted(kept), dtype=np.intp)
