"""A marked video survives H.264 re-encoding: every frame marked, written at CRF 23 with
its sound, and the payload read back from sampled frames of the new file."""

from __future__ import annotations

from pathlib import Path

import pytest

from fauxlab.media import Sampling, VideoWriter, iter_frames, probe_video
from fauxlab.provenance.watermark import extract, mark_video, read_video

PAYLOAD = 0xC0FFEE42


def test_marked_video_survives_h264_crf23(video_with_audio: Path, tmp_path: Path) -> None:
    target = mark_video(video_with_audio, tmp_path / "marked.mp4", PAYLOAD, crf=23)
    source, marked = probe_video(video_with_audio), probe_video(target)
    assert marked.has_audio and (marked.width, marked.height) == (source.width, source.height)
    assert abs(marked.frame_count - source.frame_count) <= 1
    reading = read_video(target)
    assert reading.found and reading.payload == PAYLOAD
    assert reading.frames >= 16
    one = next(iter_frames(target, Sampling("count", 1)))
    assert extract(one.image).payload == PAYLOAD  # a single frame is enough too


def test_second_generation_crf28(video_with_audio: Path, tmp_path: Path) -> None:
    """Marked at CRF 23, then re-encoded by someone else at CRF 28 (half the frames)."""
    first = mark_video(video_with_audio, tmp_path / "marked.mp4", PAYLOAD, crf=23)
    second = tmp_path / "again.mp4"
    info = probe_video(first)
    with VideoWriter(second, info.fps / 2, crf=28) as writer:
        for frame in iter_frames(first, Sampling("every", 2)):
            writer.write(frame.image)
    reading = read_video(second, frames=12)
    assert reading.found and reading.payload == PAYLOAD


def test_unmarked_video_reads_nothing(video_with_audio: Path) -> None:
    reading = read_video(video_with_audio)
    assert not reading.found and reading.payload is None


@pytest.mark.parametrize("frames", [0, -3])
def test_bad_frame_count(video_with_audio: Path, frames: int) -> None:
    with pytest.raises(ValueError):
        read_video(video_with_audio, frames=frames)
