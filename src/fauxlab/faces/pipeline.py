"""Faces in a still or along a video: detect, then (for video) track and smooth."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from fauxlab.faces.detect import make_backend
from fauxlab.faces.track import FaceTracker
from fauxlab.faces.types import Face
from fauxlab.media import MediaKind, Sampling, iter_frames, media_kind, read_image
from fauxlab.media.images import DEFAULT_MAX_PIXELS, RGBImage


@dataclass(frozen=True)
class FrameFaces:
    """The faces of one frame (a still image is frame 0 at time 0)."""

    index: int
    time: float
    image: RGBImage
    faces: list[Face]


@dataclass(frozen=True)
class FaceOptions:
    backend: str = "mediapipe"
    max_faces: int = 2
    smooth: bool = True
    track: bool = True  # False: detect afresh on every frame (slower; the benchmark baseline)
    max_pixels: int = DEFAULT_MAX_PIXELS


def faces_in_image(image: RGBImage, options: FaceOptions | None = None) -> list[Face]:
    options = options or FaceOptions()
    backend = make_backend(options.backend, video=False, max_faces=options.max_faces)
    try:
        return backend.detect(image)
    finally:
        backend.close()


def faces_in_video(
    path: Path, sampling: Sampling | None = None, options: FaceOptions | None = None
) -> Iterator[FrameFaces]:
    """Frames of a video with tracked faces: one track id per person, landmarks smoothed."""
    options = options or FaceOptions()
    backend = make_backend(options.backend, video=options.track, max_faces=options.max_faces)
    tracker = FaceTracker(smooth=options.smooth and options.track)
    try:
        for frame in iter_frames(path, sampling, options.max_pixels):
            faces = tracker.update(backend.detect(frame.image), frame.time)
            yield FrameFaces(frame.index, frame.time, frame.image, faces)
    finally:
        backend.close()


def faces_in_file(
    path: Path, sampling: Sampling | None = None, options: FaceOptions | None = None
) -> Iterator[FrameFaces]:
    """Either of the above, chosen by what the file is."""
    options = options or FaceOptions()
    if media_kind(path) is MediaKind.IMAGE:
        image = read_image(path, options.max_pixels)
        yield FrameFaces(0, 0.0, image, faces_in_image(image, options))
    else:
        yield from faces_in_video(path, sampling, options)
