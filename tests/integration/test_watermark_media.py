"""A marked video survives H.264 re-encoding: every frame marked, written at CRF 23 with
its sound, and the payload read back from sampled frames of the new file."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image

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


def _pad(image: NDArray[np.uint8], aspect: float) -> NDArray[np.uint8]:
    """Black bars to `aspect` (width / height), centred, even sides for H.264."""
    h, w = image.shape[:2]
    height, width = (h, round(h * aspect)) if w / h < aspect else (round(w / aspect), w)
    height, width = height + height % 2, width + width % 2
    out = np.zeros((height, width, 3), dtype=np.uint8)
    top, left = (height - h) // 2, (width - w) // 2
    out[top : top + h, left : left + w] = image
    return out


def _rotate(image: NDArray[np.uint8], degrees: float) -> NDArray[np.uint8]:
    return np.asarray(Image.fromarray(image).rotate(degrees, resample=Image.Resampling.BICUBIC))


VIDEO_EDITS: dict[str, tuple[Callable[[NDArray[np.uint8]], NDArray[np.uint8]], str]] = {
    "mirror": (lambda im: np.ascontiguousarray(im[:, ::-1]), "a mirror"),
    "letterbox to 16:9": (lambda im: _pad(im, 16 / 9), "bars"),
    "pillarbox to 9:16": (lambda im: _pad(im, 9 / 16), "bars"),
    "rotate 2": (lambda im: _rotate(im, 2), ""),
}


@pytest.fixture(scope="module")
def marked_clip(video_with_audio: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return mark_video(video_with_audio, tmp_path_factory.mktemp("marked") / "m.mp4", PAYLOAD)


@pytest.mark.parametrize("edit", list(VIDEO_EDITS))
def test_every_frame_edited_and_reencoded_is_still_read(
    marked_clip: Path, edit: str, tmp_path: Path
) -> None:
    """The same edit on every frame (as a platform or an editor applies it), re-encoded
    at CRF 28: the pooled read undoes it once and finds the payload."""
    apply, phrase = VIDEO_EDITS[edit]
    edited = tmp_path / "edited.mp4"
    with VideoWriter(edited, probe_video(marked_clip).fps, crf=28) as writer:
        for frame in itertools.islice(iter_frames(marked_clip, Sampling("all")), 60):
            writer.write(apply(frame.image), frame.time)
    reading = read_video(edited, frames=16)
    assert reading.found and reading.payload == PAYLOAD, f"{edit}: {reading}"
    assert phrase in " ".join(reading.undone)
