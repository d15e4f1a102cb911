"""Faces in a still or along a video: detect, then (for video) track and smooth."""

from __future__ import annotations

import atexit
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from fauxlab.faces.detect import FaceBackend, make_backend
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


_still_backends: dict[tuple[str, int], FaceBackend] = {}
_still_lock = threading.Lock()


def _close_still_backends() -> None:
    with _still_lock:
        for backend in _still_backends.values():
            backend.close()
        _still_backends.clear()


def faces_in_image(image: RGBImage, options: FaceOptions | None = None) -> list[Face]:
    """Faces in one still. Still-mode backends keep nothing from one picture to the next,
    and building MediaPipe's two graphs cost about three times as much as running them on
    a 256 px photo, so each process builds one backend per setting and keeps it."""
    options = options or FaceOptions()
    key = (options.backend, options.max_faces)
    with _still_lock:
        backend = _still_backends.get(key)
        if backend is None:
            backend = make_backend(options.backend, video=False, max_faces=options.max_faces)
            if not _still_backends:
                atexit.register(_close_still_backends)
            _still_backends[key] = backend
        return backend.detect(image)


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
