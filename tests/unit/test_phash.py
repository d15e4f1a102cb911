"""PDQ perceptual hashes: stable under ordinary processing, far apart for different pictures."""

from __future__ import annotations

import io
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image

from fauxlab.media import VideoWriter, iter_frames, probe_video
from fauxlab.provenance.phash import (
    NEAR_DUPLICATE_DISTANCE,
    hamming,
    is_near_duplicate,
    pdq,
    pdq_hex,
    video_pdq,
)


def jpeg(image: NDArray[np.uint8], quality: int = 75) -> NDArray[np.uint8]:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))


def resized(image: NDArray[np.uint8], scale: float) -> NDArray[np.uint8]:
    height, width = image.shape[:2]
    size = (round(width * scale), round(height * scale))
    return np.asarray(Image.fromarray(image).resize(size, Image.Resampling.BILINEAR))


def test_hash_format_and_quality(astronaut: NDArray[np.uint8]) -> None:
    result = pdq(astronaut)
    assert len(result.hex) == 64 and int(result.hex, 16) >= 0
    assert result.quality == 100 and result.reliable
    assert pdq_hex(astronaut) == result.hex  # deterministic


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda im: jpeg(im, 75), id="jpeg-75"),
        pytest.param(lambda im: resized(im, 0.5), id="resize-0.5x"),
        pytest.param(lambda im: np.clip(im.astype(int) + 20, 0, 255).astype(np.uint8), id="+20"),
        pytest.param(lambda im: jpeg(resized(im, 0.5), 75), id="resize+jpeg"),
    ],
)
def test_ordinary_processing_stays_a_near_duplicate(
    astronaut: NDArray[np.uint8], edit: object
) -> None:
    assert callable(edit)
    distance = hamming(pdq_hex(astronaut), pdq_hex(edit(astronaut)))
    assert distance <= NEAR_DUPLICATE_DISTANCE


def test_different_real_faces_are_far_apart(shared_data: Path) -> None:
    files = sorted((shared_data / "faces" / "utkface").glob("*.jpg"))[:12]
    if len(files) < 12:
        pytest.skip("UTKFace faces not found in the shared data")
    hashes = [pdq_hex(np.asarray(Image.open(f).convert("RGB"))) for f in files]
    distances = [hamming(a, b) for a, b in combinations(hashes, 2)]
    assert min(distances) > NEAR_DUPLICATE_DISTANCE
    assert np.mean(distances) > 90  # unrelated PDQ hashes sit near 128 of 256


def test_grey_and_rgba_inputs(astronaut: NDArray[np.uint8]) -> None:
    grey = astronaut.mean(axis=2).astype(np.uint8)
    assert hamming(pdq_hex(grey), pdq_hex(np.repeat(grey[:, :, None], 3, axis=2))) == 0
    rgba = np.dstack([astronaut, np.full(astronaut.shape[:2], 255, np.uint8)])
    assert pdq_hex(rgba) == pdq_hex(astronaut)
    with pytest.raises(ValueError, match="uint8"):
        pdq(astronaut.astype(np.float32))


def test_hamming() -> None:
    zero, ones = "0" * 64, "f" * 64
    assert hamming(zero, ones) == 256 and hamming(ones, ones) == 0
    assert hamming(zero, "0" * 63 + "3") == 2
    assert is_near_duplicate(zero, "0" * 56 + "ffffffff") is False  # 32 bits
    with pytest.raises(ValueError):
        hamming(zero, "abc")


def test_video_frames_survive_a_reencode(video_without_audio: Path, tmp_path: Path) -> None:
    original = video_pdq(video_without_audio, frames=4)
    assert len(original) == 4 and all(h.reliable for h in original)
    copy = tmp_path / "copy.mp4"
    with VideoWriter(copy, probe_video(video_without_audio).fps, crf=30, preset="ultrafast") as out:
        for frame in iter_frames(video_without_audio):
            out.write(frame.image, frame.time)
    again = video_pdq(copy, frames=4)
    assert all(
        hamming(a.hex, b.hex) <= NEAR_DUPLICATE_DISTANCE
        for a, b in zip(original, again, strict=True)
    )
