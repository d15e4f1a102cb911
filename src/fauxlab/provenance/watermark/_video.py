"""Marking every frame of a video with one payload, and reading it back from many frames.

Reading pools the whitened work maps of the sampled frames before the search, which is
the same as summing each chip's soft value over frames at a shared tile position: the
compression noise of each frame averages out while the mark, identical in every frame,
adds up. Pooling keeps the detection threshold as it is (the pooled map is still a
function of the pictures alone; see `_detect`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from fauxlab.errors import InputError
from fauxlab.media import Sampling, VideoWriter, iter_frames, probe_video
from fauxlab.provenance.watermark._detect import WorkMap, work_map
from fauxlab.provenance.watermark._image import (
    RGBImage,
    WatermarkReading,
    apply_mark,
    check_image,
    check_payload,
    read_map,
)
from fauxlab.provenance.watermark._layout import DEFAULT_KEY, layout, render

DEFAULT_READ_FRAMES = 24


class _Marks:
    """The rendered mark for one payload, cached per frame size."""

    def __init__(self, payload: int, key: int) -> None:
        self._chips = layout(key).chips(check_payload(payload))
        self._by_size: dict[tuple[int, int], NDArray[np.float32]] = {}

    def apply(self, frame: RGBImage) -> RGBImage:
        array = check_image(frame)
        size = (array.shape[0], array.shape[1])
        if size not in self._by_size:
            self._by_size[size] = render(self._chips, *size)
        return apply_mark(array, self._by_size[size])


def embed_frames(
    frames: Iterable[RGBImage], payload: int, *, key: int = DEFAULT_KEY
) -> Iterator[RGBImage]:
    """Mark each frame with the same payload (the mark is rendered once per frame size)."""
    marks = _Marks(payload, key)
    for frame in frames:
        yield marks.apply(frame)


def extract_frames(frames: Iterable[RGBImage], *, key: int = DEFAULT_KEY) -> WatermarkReading:
    """Read one payload from several frames of the same video, pooling their evidence."""
    pooled: WorkMap | None = None
    count = 0
    for frame in frames:
        plane = work_map(check_image(frame))
        pooled = plane if pooled is None else pooled + plane
        count += 1
    if pooled is None:
        raise InputError("no frames to read a watermark from")
    return read_map(pooled, layout(key), frames=count)


def mark_video(
    source: Path,
    target: Path,
    payload: int,
    *,
    crf: int = 18,
    overwrite: bool = False,
    key: int = DEFAULT_KEY,
) -> Path:
    """Write `target`, an H.264 mp4 of every frame of `source` marked, with its audio."""
    marks = _Marks(payload, key)
    info = probe_video(source)
    with VideoWriter(target, info.fps, audio_from=source, crf=crf, overwrite=overwrite) as out:
        for frame in iter_frames(source, Sampling("all")):
            out.write(marks.apply(frame.image), frame.time)
    return target


def read_video(
    path: Path, *, frames: int = DEFAULT_READ_FRAMES, key: int = DEFAULT_KEY
) -> WatermarkReading:
    """Read the payload of a video from `frames` frames spread evenly over it."""
    sampled = iter_frames(path, Sampling("count", frames))
    return extract_frames((frame.image for frame in sampled), key=key)
