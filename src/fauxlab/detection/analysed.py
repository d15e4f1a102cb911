"""A file decoded once and its faces found once, shared by every detector.

Face landmarks are tracked on every frame of a video (blink, flicker and lip-sync
evidence need the full rate), but only a few evenly spaced keyframes keep their pixels
(the learned and spectral detectors score those): 32 frames of 720p video are 88 MB,
a whole 30 s clip would be 2 GB.

A sound file is media with no frames: the face and picture detectors find nothing to
judge, and the listening detectors read its sound (decoded once, here, so that a file
that cannot be decoded is an input error, not evidence).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from fauxlab.errors import CorruptMediaError
from fauxlab.faces.pipeline import FaceOptions, faces_in_image, faces_in_video
from fauxlab.faces.types import Face
from fauxlab.media import (
    Audio,
    MediaKind,
    VideoInfo,
    media_kind,
    probe_video,
    read_audio,
    read_image,
)
from fauxlab.media.audio import DEFAULT_SAMPLE_RATE
from fauxlab.media.images import DEFAULT_MAX_PIXELS, RGBImage

DEFAULT_KEYFRAMES = 32


@dataclass(frozen=True)
class FrameRecord:
    """One decoded frame: where it is in time and the tracked faces in it."""

    index: int
    time: float
    faces: list[Face]


@dataclass(frozen=True)
class AnalysisOptions:
    keyframes: int = DEFAULT_KEYFRAMES  # frames of a video whose pixels the detectors see
    faces: FaceOptions = field(default_factory=FaceOptions)
    max_pixels: int = DEFAULT_MAX_PIXELS


@dataclass
class AnalysedMedia:
    """Everything detectors may look at. A still image is one frame at time 0, which is
    also its only keyframe."""

    path: Path
    kind: MediaKind
    width: int
    height: int
    frames: list[FrameRecord]
    images: dict[int, RGBImage]  # frame index -> pixels, for keyframes only
    video: VideoInfo | None = None
    # decoded sound tracks by sample rate (None: the file has none), filled on demand
    _sound: dict[int, Audio | None] = field(default_factory=dict, repr=False)

    @property
    def is_video(self) -> bool:
        return self.kind is MediaKind.VIDEO

    @property
    def fps(self) -> float | None:
        return self.video.fps if self.video is not None else None

    @property
    def is_audio(self) -> bool:
        return self.kind is MediaKind.AUDIO

    @property
    def has_audio(self) -> bool:
        if self.is_audio:
            return True
        return self.video is not None and self.video.audio_codec is not None

    @property
    def duration(self) -> float | None:
        """Seconds of a video or a sound file; None for a still image."""
        if self.video is not None:
            return self.video.duration
        sound = self._sound.get(DEFAULT_SAMPLE_RATE)
        return sound.duration if sound is not None else None

    def sound(self, sample_rate: int = DEFAULT_SAMPLE_RATE) -> Audio | None:
        """The file's sound as mono samples at `sample_rate`, decoded once per rate; None
        for an image or a video without sound. Raises `InputError` when it cannot be
        decoded."""
        if not self.has_audio:
            return None
        if sample_rate not in self._sound:
            self._sound[sample_rate] = read_audio(self.path, sample_rate)
        return self._sound[sample_rate]

    @property
    def face_count(self) -> int:
        return sum(len(f.faces) for f in self.frames)

    def keyframes(self) -> list[tuple[FrameRecord, RGBImage]]:
        by_index = {f.index: f for f in self.frames}
        return [(by_index[i], image) for i, image in sorted(self.images.items())]

    def tracks(self) -> dict[int, list[tuple[FrameRecord, Face]]]:
        """Each person's faces in frame order, keyed by track id."""
        out: dict[int, list[tuple[FrameRecord, Face]]] = {}
        for frame in self.frames:
            for face in frame.faces:
                out.setdefault(face.track_id, []).append((frame, face))
        return out


def _keyframe_times(duration: float, count: int) -> list[float]:
    """Centres of `count` equal slices of the clip."""
    return [(k + 0.5) * duration / count for k in range(count)]


def analyse(
    path: Path,
    options: AnalysisOptions | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> AnalysedMedia:
    """Decode `path`, find and track its faces, and keep the keyframes' pixels.

    `progress(done, total)` is called every few frames of a video (total is the frame
    count the container announces, which may be an estimate)."""
    options = options or AnalysisOptions()
    kind = media_kind(path)
    if kind is MediaKind.IMAGE:
        image = read_image(path, options.max_pixels)
        faces = faces_in_image(image, options.faces)
        h, w = image.shape[:2]
        return AnalysedMedia(path, kind, w, h, [FrameRecord(0, 0.0, faces)], {0: image})
    if kind is MediaKind.AUDIO:
        sound = read_audio(path)
        if sound is None:
            raise CorruptMediaError(f"{path}: holds no sound track")
        return AnalysedMedia(path, kind, 0, 0, [], {}, None, {DEFAULT_SAMPLE_RATE: sound})
    info = probe_video(path, options.max_pixels)
    wanted = _keyframe_times(info.duration, max(1, options.keyframes)) if info.duration else []
    frames: list[FrameRecord] = []
    images: dict[int, RGBImage] = {}
    last_image: RGBImage | None = None
    for item in faces_in_video(path, options=options.faces):
        frames.append(FrameRecord(item.index, item.time, item.faces))
        if (wanted and item.time >= wanted[0]) or (not wanted and len(images) < options.keyframes):
            images[item.index] = item.image.copy()
            while wanted and item.time >= wanted[0]:
                wanted.pop(0)
        if progress is not None and item.index % 16 == 0:
            progress(item.index, info.frame_count)
        last_image = item.image
    if last_image is not None and not images:  # a clip shorter than its header says
        images[frames[-1].index] = last_image.copy()
    return AnalysedMedia(path, kind, info.width, info.height, frames, images, info)
