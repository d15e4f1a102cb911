"""The blink rule on eye-openness series with known events, and the blink probability.

The real-media checks (hand-counted clips, long real clips not flagged) are in
tests/integration/test_blink_lipsync.py; these pin the rule's edge cases, which the
shared clips do not all contain."""

from __future__ import annotations

import numpy as np
import pytest

from fauxlab.detection.detectors.blink.detector import (
    P_LONG,
    P_MAX,
    P_NORMAL,
    _poisson_cdf,
    blink_probability,
    find_closures,
)

FPS = 25.0
OPEN = 0.30


def _eyes(seconds: float = 10.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two open eyes with a little landmark noise."""
    rng = np.random.default_rng(seed)
    n = round(seconds * FPS)
    return OPEN + rng.normal(0, 0.008, n), OPEN + rng.normal(0, 0.008, n)


def _close(eye: np.ndarray, first: int, values: list[float]) -> None:
    eye[first : first + len(values)] = values


def test_a_two_frame_blink_counts_and_a_one_frame_dip_does_not() -> None:
    right, left = _eyes()
    for eye in (right, left):
        _close(eye, 50, [0.05, 0.06])  # two frames shut
        _close(eye, 150, [0.04])  # one frame: tracking noise, not a blink
    closures = find_closures(right, left, FPS)
    assert [(first <= 50, last >= 51) for first, last, _ in closures] == [(True, True)]


def test_a_wink_or_a_squint_is_not_a_blink() -> None:
    right, left = _eyes()
    _close(right, 40, [0.03, 0.03, 0.03])  # one eye only
    for eye in (right, left):
        _close(eye, 120, [0.19] * 6)  # both eyes at 0.63 of open: a squint
    assert find_closures(right, left, FPS) == []


def test_a_shallow_blink_of_both_eyes_counts() -> None:
    """Half-closed at the deepest (0.4 of open), as in voxceleb-2's last blink."""
    right, left = _eyes()
    for eye in (right, left):
        _close(eye, 80, [0.2, 0.12, 0.15, 0.2])
    assert len(find_closures(right, left, FPS)) == 1


def test_two_blinks_apart_are_two_and_flicker_while_shut_is_one() -> None:
    right, left = _eyes()
    for eye in (right, left):
        _close(eye, 30, [0.05, 0.05, 0.3, 0.3, 0.3, 0.05, 0.05])  # reopened for 3 frames
        # eyes shut for 2 s, FaceMesh flickering half open on single frames
        _close(eye, 120, [0.03, 0.2] * 25)
    closures = find_closures(right, left, FPS)
    assert len(closures) == 3
    first, last, _ = closures[-1]
    assert last - first + 1 >= 49


def test_the_open_level_follows_the_eye_not_a_fixed_ear() -> None:
    """A narrow-eyed person (open EAR 0.15) blinks to 0.05: found; a fixed EAR threshold
    of 0.2 would call every frame closed."""
    right, left = _eyes()
    right, left = right / 2, left / 2
    for eye in (right, left):
        _close(eye, 60, [0.05, 0.05, 0.06])
        _close(eye, 170, [0.04, 0.05])
    assert len(find_closures(right, left, FPS)) == 2


def test_poisson_cdf() -> None:
    assert _poisson_cdf(0, 2.0) == pytest.approx(np.exp(-2.0))
    assert _poisson_cdf(2, 2.0) == pytest.approx(np.exp(-2.0) * (1 + 2 + 2))


def test_probability_stays_low_for_normal_and_frequent_blinking() -> None:
    assert blink_probability(5, 20.0, [150.0] * 5) == P_NORMAL  # 15 a minute
    assert blink_probability(30, 30.0, [120.0] * 30) == P_NORMAL  # 60 a minute: not held
    assert blink_probability(0, 6.0, []) == P_NORMAL  # too short to be surprising


def test_probability_rises_modestly_with_time_without_a_blink() -> None:
    values = [blink_probability(0, s, []) for s in (10.0, 20.0, 30.0, 60.0, 300.0)]
    assert values == sorted(values)
    assert values[1] < 0.6 < values[2]  # 20 s without a blink is not yet damning
    assert values[-1] == pytest.approx(P_MAX)


def test_long_blinks_raise_it_a_little() -> None:
    assert blink_probability(6, 30.0, [700.0, 650.0, 800.0, 600.0, 700.0, 690.0]) == P_LONG
    assert blink_probability(2, 30.0, [700.0, 650.0]) < P_LONG  # two long ones prove nothing
