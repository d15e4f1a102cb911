"""Frame sampling rules on synthetic timelines (no media needed)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fauxlab.media import Sampling
from fauxlab.media.sampling import FrameSelector


def _timeline(count: int, fps: float, start: float = 0.0) -> list[tuple[int, float]]:
    return [(i, start + i / fps) for i in range(count)]


def _pick(selector: FrameSelector, timeline: list[tuple[int, float]]) -> list[int]:
    return [index for index, time in timeline if selector.wants(index, time)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("all", Sampling()),
        ("every:5", Sampling("every", 5)),
        ("count:32", Sampling("count", 32)),
        ("fps:2", Sampling("fps", 2)),
        ("fps:0.5", Sampling("fps", 0.5)),
        (" Every:3 ", Sampling("every", 3)),
    ],
)
def test_parse(text: str, expected: Sampling) -> None:
    parsed = Sampling.parse(text)
    assert parsed == expected
    assert Sampling.parse(str(parsed)) == parsed


@pytest.mark.parametrize(
    "text",
    [
        "",
        "most",
        "every",
        "every:",
        "every:0",
        "every:-2",
        "every:1.5",
        "every:inf",
        "count:0",
        "count:2.5",
        "fps:0",
        "fps:-1",
        "fps:inf",
        "fps:nan",
        "fps:fast",
        "all:3",
    ],
)
def test_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="bad sampling"):
        Sampling.parse(text)


def test_str_forms() -> None:
    assert str(Sampling()) == "all"
    assert str(Sampling("every", 5)) == "every:5"
    assert str(Sampling("count", 8.0)) == "count:8"
    assert str(Sampling("fps", 2.5)) == "fps:2.5"


def test_all_and_every() -> None:
    timeline = _timeline(23, 30)
    assert _pick(Sampling().selector(), timeline) == list(range(23))
    assert _pick(Sampling("every", 5).selector(), timeline) == [0, 5, 10, 15, 20]
    assert _pick(Sampling("every", 1).selector(), timeline) == list(range(23))


def test_count_by_frame_count_is_exact_and_spread() -> None:
    picked = _pick(Sampling("count", 8).selector(5.0, 150), _timeline(150, 30))
    assert picked == [9, 28, 46, 65, 84, 103, 121, 140]  # the centre of each eighth


def test_count_when_asking_for_more_frames_than_exist() -> None:
    timeline = _timeline(5, 25)
    assert _pick(Sampling("count", 5).selector(0.2, 5), timeline) == [0, 1, 2, 3, 4]
    assert _pick(Sampling("count", 12).selector(0.2, 5), timeline) == [0, 1, 2, 3, 4]


def test_count_by_duration_when_frame_count_is_unknown() -> None:
    # the clock starts at the first frame, so a stream that begins late is still covered
    timeline = _timeline(150, 30, start=12.5)
    selector = Sampling("count", 8).selector(5.0)
    picked = _pick(selector, timeline)
    assert len(picked) == 8
    assert picked[0] < 150 / 8 and picked[-1] >= 150 - 150 / 8
    assert selector.target == 8


def test_count_with_duration_unknown_and_no_frame_count_is_refused() -> None:
    """The old behaviour silently gave a single frame; now the caller must say how long."""
    for duration in (None, 0.0, float("nan")):
        with pytest.raises(ValueError, match="frame count or its duration"):
            Sampling("count", 8).selector(duration)
    assert Sampling("count", 8).selector(None, 40).target == 8


def test_fps_on_a_constant_rate() -> None:
    timeline = _timeline(150, 30)  # 5 s
    picked = _pick(Sampling("fps", 2).selector(), timeline)
    assert picked == list(range(0, 150, 15))
    assert _pick(Sampling("fps", 60).selector(), timeline) == list(range(150))


def test_fps_when_frames_fall_between_steps() -> None:
    picked = _pick(Sampling("fps", 2).selector(), _timeline(78, 25))  # 0.04 s frames
    times = [i / 25 for i in picked]
    assert times == pytest.approx([0.0, 0.52, 1.0, 1.52, 2.0, 2.52, 3.0])


def test_fps_skips_gaps_without_bursts() -> None:
    """After a gap (a variable-rate video), one frame resumes the rate, not a burst."""
    timeline = [(0, 0.0), (1, 0.1), (2, 0.2), (3, 5.0), (4, 5.05), (5, 5.1), (6, 5.5)]
    picked = _pick(Sampling("fps", 2).selector(), timeline)
    assert picked == [0, 3, 6]


@settings(deadline=None)  # a loaded CI worker can take over 200 ms on one example
@given(
    frames=st.integers(min_value=1, max_value=2000),
    n=st.integers(min_value=1, max_value=300),
)
def test_count_property(frames: int, n: int) -> None:
    picked = _pick(Sampling("count", n).selector(None, frames), _timeline(frames, 30))
    assert len(picked) == min(n, frames)
    assert picked == sorted(set(picked))
    if n < frames:
        step = frames / n
        assert picked[0] <= step and picked[-1] >= frames - step


@settings(deadline=None)
@given(
    fps=st.sampled_from([24.0, 25.0, 30.0, 30000 / 1001, 60.0]),
    seconds=st.floats(min_value=0.5, max_value=60),
    rate=st.floats(min_value=0.1, max_value=10),
)
def test_fps_property(fps: float, seconds: float, rate: float) -> None:
    frames = max(1, int(seconds * fps))
    picked = _pick(Sampling("fps", rate).selector(), _timeline(frames, fps))
    duration = frames / fps
    expected = min(frames, math.ceil(duration * rate))
    assert abs(len(picked) - expected) <= 1
