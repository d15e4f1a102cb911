"""Round tick values ("nice numbers", Heckbert 1990) and their labels.

A reader takes 0, 0.2, 0.4 in at a glance; 0.977 and -0.643 make them do arithmetic.
"""

from __future__ import annotations

import math

# (upper limit of raw step / power of ten, the round step it becomes)
STEPS = ((1.5, 1.0), (3.0, 2.0), (7.0, 5.0))


def nice_step(span: float, count: int = 5) -> float:
    """The round step (1, 2 or 5 times a power of ten) nearest to cutting `span` into
    `count` - 1 parts."""
    if not math.isfinite(span) or span <= 0:
        return 1.0
    raw = span / max(1, count - 1)
    power = 10.0 ** math.floor(math.log10(raw))
    for limit, step in STEPS:
        if raw < limit * power:
            return step * power
    return 10.0 * power


def nice_range(low: float, high: float, count: int = 5) -> tuple[float, float]:
    """`low`..`high` widened to whole steps, for axes whose range follows the data."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return 0.0, 1.0
    if high <= low:
        low, high = low - 0.5 * max(1.0, abs(low)), high + 0.5 * max(1.0, abs(high))
    step = nice_step(high - low, count)
    return math.floor(low / step + 1e-9) * step, math.ceil(high / step - 1e-9) * step


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round values from `low` to `high` (both included when they are round themselves)."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low] if math.isfinite(low) else []
    step = nice_step(high - low, count)
    while math.floor(high / step + 1e-9) - math.ceil(low / step - 1e-9) < 2:
        step = _smaller(step)  # a fixed range may hold only two ticks of the nearest step
    first = math.ceil(low / step - 1e-9)
    last = math.floor(high / step + 1e-9)
    # round away float noise so that labels and positions agree: 3 * 0.1 -> 0.3
    digits = decimals(step) + 2
    return [round(i * step, digits) + 0.0 for i in range(first, last + 1)]


def _smaller(step: float) -> float:
    """The next round step down: 5 -> 2 -> 1 -> 0.5."""
    power = 10.0 ** math.floor(math.log10(step) + 1e-9)
    mantissa = round(step / power)
    return {5: 2.0, 2: 1.0}.get(mantissa, 0.5) * power


def decimals(step: float) -> int:
    """Digits after the point that a tick of this step needs: 0.2 -> 1, 0.05 -> 2, 5 -> 0."""
    if not math.isfinite(step) or step <= 0 or step >= 1:
        return 0
    return max(0, -math.floor(math.log10(step) + 1e-9))


def tick_labels(ticks: list[float]) -> list[str]:
    """The ticks written with as many decimals as their step needs, and no more."""
    if len(ticks) < 2:
        return [f"{t:g}" for t in ticks]
    places = decimals(ticks[1] - ticks[0])
    return [f"{t:.{places}f}".replace("-", "\u2212") for t in ticks]  # a true minus sign
