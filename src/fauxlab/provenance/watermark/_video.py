"""Marking every frame of a video with one payload, and reading it back from many frames.

Reading pools the whitened work maps of the sampled frames before the search, which is
the same as summing each chip's soft value over frames at a shared tile position: the
compression noise of each frame averages out while the mark, identical in every frame,
adds up. An edit applied to every frame (a mirror, a rotation, a crop, letterbox bars)
is then undone once, on the pooled map, as for a single picture. Pooling keeps the
detection threshold as it is (the pooled map is still a function of the pictures alone;
see `_detect`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from fauxlab.errors import InputError
from fauxlab.media import Sampling, VideoWriter, iter_frames, probe_video
from fauxlab.provenance.borders import NO_BARS, common_bars, find_bars, strip_bars
from fauxlab.provenance.watermark._detect import WorkMap, work_map
from fauxlab.provenance.watermark._image import (
    RGBImage,
    View,
    WatermarkReading,
    apply_mark,
    check_image,
    check_payload,
    read_views,
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
    """Read one payload from several frames of the same video, pooling their evidence.

    Bars are those every frame shows (`common_bars`): the pooled map of the frames
    without them is searched first, then that of the frames as they are."""
    kept: list[RGBImage] = []
    for frame in frames:
        kept.append(check_image(frame))
    if not kept:
        raise InputError("no frames to read a watermark from")
    bars = common_bars([find_bars(frame) for frame in kept])
    shape = (kept[0].shape[0], kept[0].shape[1])
    found = [View(_pooled(kept), NO_BARS, shape)]
    if bars != NO_BARS:
        inner = [strip_bars(frame, bars) for frame in kept]
        found.insert(0, View(_pooled(inner), bars, (inner[0].shape[0], inner[0].shape[1])))
    return read_views(found, layout(key), frames=len(kept))


def _pooled(frames: list[RGBImage]) -> WorkMap:
    pooled = work_map(frames[0])
    for frame in frames[1:]:
        pooled += work_map(frame)
    return pooled


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
