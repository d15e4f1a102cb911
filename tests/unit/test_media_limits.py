"""Per-frame pixel checks and process-wide ceilings on video length (issue 23, item 3)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fauxlab.errors import MediaTooLargeError
from fauxlab.media import Sampling, iter_frames, probe_video, read_image
from fauxlab.media.limits import MediaLimits, media_limits, set_media_limits
from serve_helpers import crafted_mkv


@pytest.fixture
def limits() -> Iterator[None]:
    before = media_limits()
    yield
    set_media_limits(before)


def test_a_frame_larger_than_the_header_says_is_refused_before_conversion(tmp_path: Path) -> None:
    growing = crafted_mkv(tmp_path / "growing.mkv", [64] * 5 + [640] * 2)
    assert probe_video(growing, max_pixels=100_000).width == 64  # the header tells of 64x64
    seen = []
    with pytest.raises(MediaTooLargeError, match="frame 5 is 640x640"):
        for frame in iter_frames(growing, Sampling("all"), max_pixels=100_000):
            seen.append(frame.image.shape)
    assert seen == [(64, 64, 3)] * 5
    # the frames not kept by the sampling are checked too: they were decoded all the same
    with pytest.raises(MediaTooLargeError, match="640x640"):
        list(iter_frames(growing, Sampling("count", 1), max_pixels=100_000))


def test_process_ceilings_apply_on_top_of_the_callers_limits(tmp_path: Path, limits: None) -> None:
    long = crafted_mkv(tmp_path / "long.mkv", [16] * 90, fps=1)
    still = tmp_path / "still.png"
    from PIL import Image

    Image.new("RGB", (400, 400)).save(still)
    assert len(list(iter_frames(long, Sampling("all")))) == 90
    set_media_limits(MediaLimits(max_seconds=60))
    with pytest.raises(MediaTooLargeError, match="too long"):
        probe_video(long)
    set_media_limits(MediaLimits(max_frames=50))
    with pytest.raises(MediaTooLargeError, match="50"):
        list(iter_frames(long, Sampling("all")))
    set_media_limits(MediaLimits(max_pixels=100_000))
    with pytest.raises(MediaTooLargeError, match="400x400"):
        read_image(still)  # the caller's default limit is far higher
