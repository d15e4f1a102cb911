"""Mouth steering: the guide that draws the wanted opening, found from what was drawn."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from fauxlab.synthesis.faceswap.steer import MIN_SLOPE, MouthSteering

# B's mouth openings as run.json keeps them: 21 quantiles from closed to 0.4
QUANTILES = list(np.linspace(0.0, 0.4, 21))


def _decoder(gain: float, offset: float):  # type: ignore[no-untyped-def]
    """A stand-in for decoder + FaceMesh: each drawn image carries its measured opening
    (gain x guide + offset) in its first pixel, which the meter reads back."""

    def render(guides: Sequence[float]) -> list[np.ndarray]:
        return [np.full((4, 4, 3), gain * g + offset, np.float32) for g in guides]

    def meter(face: np.ndarray) -> float | None:
        return float(face[0, 0, 0])

    return render, meter


def test_a_decoder_that_follows_half_the_guide_is_asked_for_twice_the_change() -> None:
    render, meter = _decoder(0.5, 0.05)
    steering = MouthSteering(QUANTILES, meter)
    guide = steering(0.15, render)
    assert guide == pytest.approx(0.2)  # 0.5 * 0.2 + 0.05 = 0.15
    assert meter(render([guide])[0]) == pytest.approx(0.15)


def test_the_steered_guide_stays_near_the_trained_range() -> None:
    render, meter = _decoder(0.3, 0.0)
    steering = MouthSteering(QUANTILES, meter)
    low, high = steering.bounds
    assert low == 0.0 and high == pytest.approx(0.5)
    assert steering(0.39, render) == pytest.approx(high)


def test_a_guide_the_drawing_ignores_or_no_face_leaves_the_transfer_alone() -> None:
    render, meter = _decoder(MIN_SLOPE / 2, 0.1)
    assert MouthSteering(QUANTILES, meter)(0.25, render) == 0.25
    flat = MouthSteering(QUANTILES, lambda face: None)
    assert flat(0.25, render) == 0.25
    steering = MouthSteering(QUANTILES, meter)
    assert steering.solve(0.25, [0.1, 0.25, 0.4], [0.2, None, None]) == 0.25
    assert steering.solve(0.2, [0.1, 0.2, 0.3], [0.05, None, 0.15]) == pytest.approx(0.4)
