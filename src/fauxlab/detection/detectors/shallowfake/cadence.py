"""Cadences in the frame differences: repeated frames, and cycles of dropped or blended ones.

An editor that slows a clip to 0.75x at the same frame rate must invent one frame in
four: it repeats one (a near-zero difference every 4th frame) or blends two (a frame
nearer the average of its neighbours every 4th frame). Speeding up to 1.25x drops one
frame in five (a doubled difference every 4th frame). This module finds such cadences;
`speed` decides what they mean.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from numpy.typing import NDArray

from fauxlab.detection.detectors.shallowfake._signal import (
    chi2_log10_sf,
    running_median,
    running_percentile,
)
from fauxlab.detection.detectors.shallowfake.frames import FloatArray

DUPLICATE_RATIO = 0.2  # a repeat differs from its neighbour by < 20% of the local change
MIN_MOTION = 0.25  # grey levels; below this the scene is still and repeats mean nothing
WINDOW = 4  # frames each side for the local level of change
PERIODS = range(2, 9)  # cycles editors produce: 0.75/1.25x -> 4, 0.8/1.2x -> 5, 0.5/1.5x -> 2
DETREND = 9  # frames; a running median removes the slow rise and fall of motion


@dataclass(frozen=True)
class Repeats:
    """Frames that repeat the previous one while the scene around them moves."""

    indices: list[int]  # i: frame i+1 repeats frame i
    moving: int  # frame pairs where the scene moves (the denominator)
    spacing: float | None  # frames between repeats on the most regular lattice
    regularity: float  # 0 (scattered) to 1 (a strict cadence), Rayleigh's R on that lattice

    @property
    def fraction(self) -> float:
        return len(self.indices) / self.moving if self.moving else 0.0


@dataclass(frozen=True)
class Pattern:
    """A cycle of `period` frames in how much consecutive frames differ."""

    period: int
    explained: float  # share of the detrended variation it explains beyond frame types
    log10_p: float  # chance of so strong a cycle in noise, combined over both signals
    frequencies: tuple[float, ...]  # its strong harmonics, cycles per frame
    skew: float  # > 0: one phase changes much more than the rest (dropped frames)


def local_level(change: FloatArray) -> FloatArray:
    """The usual change around each frame pair (upper quartile of its neighbourhood), which
    stays up even when every other pair is a repeat (0.5x)."""
    return running_percentile(change, 75, 2 * WINDOW + 1)


def find_repeats(change: FloatArray) -> Repeats:
    """Repeated frames, and how regular their cadence is."""
    if len(change) < 2 * WINDOW + 1:
        return Repeats([], 0, None, 0.0)
    level = local_level(change)
    moving = level >= MIN_MOTION
    repeat = moving & (change < DUPLICATE_RATIO * level)
    indices = [int(i) for i in np.flatnonzero(repeat)]
    spacing, regularity = _lattice(
        np.asarray(indices, dtype=np.float64), len(indices) / max(1, int(moving.sum()))
    )
    return Repeats(indices, int(moving.sum()), spacing, regularity)


def _lattice(positions: FloatArray, density: float) -> tuple[float | None, float]:
    """The spacing T whose lattice the positions fit best, and the fit (Rayleigh's R:
    the length of the mean of exp(2 pi i t / T), 1 when every position is on the lattice).

    Only spacings near the observed density are tried, so the harmonics T/2, T/3 (on
    which a lattice also fits perfectly) are not mistaken for it."""
    if len(positions) < 4 or density <= 0:
        return None, 0.0
    low, high = max(1 / 16, 0.5 * density), min(0.5, 1.25 * density)
    if low >= high:
        return None, 0.0
    span = float(positions.max() - positions.min()) + 1.0
    frequencies = np.arange(low, high, 0.1 / span)
    phases = np.exp(2j * np.pi * np.outer(frequencies, positions))
    strength = np.abs(phases.mean(axis=1))
    best = int(np.argmax(strength))
    return float(1 / frequencies[best]), float(strength[best])


def _detrended_log(values: FloatArray) -> FloatArray:
    logged = np.log(values + 0.02)
    return np.asarray(logged - running_median(logged, DETREND), dtype=np.float64)


def _fold(x: FloatArray, period: int) -> tuple[float, float, FloatArray]:
    """Explained share, log10 p-value (F test) and the mean at each phase of the cycle."""
    n = len(x) // period * period
    folded = x[:n].reshape(-1, period)
    means = folded.mean(axis=0)
    total = float(((x[:n] - x[:n].mean()) ** 2).sum())
    between = float(folded.shape[0] * ((means - x[:n].mean()) ** 2).sum())
    if total <= 0:
        return 0.0, 0.0, means
    share = min(between / total, 1 - 1e-12)
    f = (share / (period - 1)) / ((1 - share) / (n - period))
    # (P - 1) F is close to chi-square with P - 1 degrees of freedom for the 40+ frames
    # a clip must have; numpy has no F distribution
    return share, max(chi2_log10_sf((period - 1) * f, period - 1), -300.0), means


def _harmonics(means: list[FloatArray], period: int) -> tuple[float, ...]:
    """The cycle's harmonics that carry real power (>= 10% of the strongest), in cycles
    per frame, lowest first. A cycle with one odd frame in P has equal power at 1/P,
    2/P, ...: which of them is "the" frequency is left to the caller."""
    power = np.asarray(sum(np.abs(np.fft.rfft(m - m.mean()))[1:] ** 2 for m in means))
    if not np.any(power > 0):
        return ()
    found = {Fraction(int(k) + 1, period) for k in np.flatnonzero(power >= 0.1 * power.max())}
    return tuple(float(f) for f in sorted(found))


def _skew(means: FloatArray) -> float:
    """How much the highest phase stands out above the middle, against the lowest below."""
    deviation = means - np.median(means)
    return float(deviation.max() + deviation.min())


def _coding_share(x: FloatArray, coding: NDArray[np.int8] | None) -> float:
    """Share of x's variation that the coding type of each pair's later frame explains."""
    if coding is None or len(coding) < len(x) + 1:
        return 0.0
    kinds = coding[1 : len(x) + 1]
    total = float(((x - x.mean()) ** 2).sum())
    if total <= 0:
        return 0.0
    between = sum(
        int((kinds == k).sum()) * (float(x[kinds == k].mean()) - float(x.mean())) ** 2
        for k in np.unique(kinds)
    )
    return between / total


def find_pattern(
    change: FloatArray, bend: FloatArray, coding: NDArray[np.int8] | None = None
) -> Pattern | None:
    """The strongest frame cycle of PERIODS in the change and bend signals together.

    Its explained share is net of what the encoder's frame types (`coding`, one per
    frame) explain: B-frames coded at lower quality than P-frames make a cycle of their
    own (one real clip's encoder cycle explained 0.12, of which frame types 0.09)."""
    signals = [_detrended_log(change), _detrended_log(bend)]
    by_coding = [_coding_share(s, coding) for s in signals]
    best: Pattern | None = None
    for period in PERIODS:
        if min(len(s) for s in signals) < 4 * period:
            continue
        folds = [_fold(s, period) for s in signals]
        log10_p = sum(f[1] for f in folds)
        if best is None or log10_p < best.log10_p:
            explained = max(max(0.0, f[0] - c) for f, c in zip(folds, by_coding, strict=True))
            harmonics = _harmonics([f[2] for f in folds], period)
            best = Pattern(period, explained, log10_p, harmonics, _skew(folds[0][2]))
    return best
