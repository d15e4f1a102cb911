"""Video decoding with frame sampling (writing is in `video_writer.py`).

Everything goes through PyAV (FFmpeg in-process), so no external binary is needed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.error
import numpy as np
from numpy.typing import NDArray

from fauxlab.errors import (
    CorruptMediaError,
    InputError,
    MediaTooLargeError,
    UnsupportedFormatError,
)
from fauxlab.media.discover import check_readable_file
from fauxlab.media.images import DEFAULT_MAX_PIXELS
from fauxlab.media.limits import media_limits, pixel_limit
from fauxlab.media.sampling import Sampling


@dataclass(frozen=True)
class VideoInfo:
    """What a container says about itself, read without decoding beyond the first frame.

    `width` and `height` are those of the frames `iter_frames` yields, that is after the
    display rotation (`rotation`, degrees counterclockwise) a phone may have recorded.
    """

    path: Path
    width: int
    height: int
    fps: float
    duration: float
    frame_count: int
    codec: str
    audio_codec: str | None
    sample_rate: int | None
    container: str
    rotation: int = 0

    @property
    def has_audio(self) -> bool:
        return self.audio_codec is not None


@dataclass(frozen=True)
class Frame:
    """One decoded frame: its index in presentation order, its time in seconds and RGB pixels."""

    index: int
    time: float
    image: NDArray[np.uint8]


NOT_A_VIDEO = "cannot be opened as video; it is corrupt, truncated or not a video"


def open_container(path: Path, failure: str = NOT_A_VIDEO) -> Any:
    """The file opened by PyAV; one it cannot open is a CorruptMediaError saying `failure`."""
    check_readable_file(path)
    try:
        return av.open(str(path), metadata_errors="ignore")
    except av.error.FFmpegError as exc:
        raise CorruptMediaError(f"{path}: {failure}") from exc


def _video_stream(container: Any, path: Path) -> Any:
    if not container.streams.video:
        raise InputError(f"{path}: contains no video stream")
    stream = container.streams.video[0]
    if stream.codec_context is None:
        raise UnsupportedFormatError(f"{path}: no decoder for this video's codec")
    return stream


def _check_complete(container: Any, path: Path) -> None:
    """Raise if the container's index points past the end of the file: a truncated
    download whose index (an mp4 `moov` at the front) survived but whose data did not."""
    size = path.stat().st_size
    for stream in (*container.streams.video[:1], *container.streams.audio[:1]):
        entries = stream.index_entries
        if entries is None or len(entries) == 0:
            continue
        end = max(entry.pos + entry.size for entry in entries)
        if end > size:
            raise CorruptMediaError(
                f"{path}: truncated: its index needs {end:,} bytes but the file has {size:,}"
            )


def _rotation(frame: Any) -> int:
    """The frame's display rotation in degrees counterclockwise, a multiple of 90."""
    try:
        angle = int(frame.rotation)
    except (AttributeError, TypeError, ValueError):
        return 0
    return (round(angle / 90) * 90) % 360


def _upright(frame: Any, rotation: int) -> NDArray[np.uint8]:
    """The frame as an RGB array that owns its memory, C-contiguous (PyAV returns a strided
    view when a row's bytes are padded, which OpenCV cannot draw on), rotated upright."""
    rgb: NDArray[np.uint8] = frame.to_ndarray(format="rgb24")
    if rotation:
        rgb = np.rot90(rgb, k=rotation // 90)
    return np.ascontiguousarray(rgb)


def _first_frame(container: Any, stream: Any, path: Path) -> Any:
    try:
        for packet in container.demux(stream):
            for frame in packet.decode():
                return frame
    except av.error.FFmpegError as exc:
        raise CorruptMediaError(f"{path}: the first video frame cannot be decoded ({exc})") from exc
    raise CorruptMediaError(f"{path}: no frame could be decoded; the video is empty or broken")


def probe_video(path: Path, max_pixels: int = DEFAULT_MAX_PIXELS) -> VideoInfo:
    """Read a video's header (size, rate, duration, codecs), check the file holds all the
    data its index promises, and decode the first frame for its display rotation."""
    max_pixels = pixel_limit(max_pixels)
    with open_container(path) as container:
        stream = _video_stream(container, path)
        width, height = stream.codec_context.width, stream.codec_context.height
        if width <= 0 or height <= 0:
            raise CorruptMediaError(f"{path}: video stream has no frame size")
        if width * height > max_pixels:
            raise MediaTooLargeError(
                f"{path}: {width}x{height} frames exceed the limit of {max_pixels:,} pixels"
            )
        _check_complete(container, path)
        rate = stream.average_rate or stream.guessed_rate or Fraction(25)
        fps = float(rate)
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / av.time_base
        else:
            duration = 0.0
        frame_count = stream.frames or round(duration * fps)
        if duration <= 0 and frame_count > 0:
            duration = frame_count / fps
        _check_length(path, duration, frame_count)
        audio = container.streams.audio[0] if container.streams.audio else None
        audio_context = audio.codec_context if audio is not None else None
        codec = stream.codec_context.name
        container_name = container.format.name
        rotation = _rotation(_first_frame(container, stream, path))
    if rotation in (90, 270):
        width, height = height, width
    return VideoInfo(
        path=path,
        width=width,
        height=height,
        fps=fps,
        duration=duration,
        frame_count=frame_count,
        codec=codec,
        audio_codec=audio_context.name if audio_context is not None else None,
        sample_rate=audio_context.sample_rate if audio_context is not None else None,
        container=container_name,
        rotation=rotation,
    )


def _check_length(path: Path, seconds: float, frames: int) -> None:
    """Refuse a video longer than this process's ceilings (`fauxlab.media.limits`)."""
    limits = media_limits()
    if limits.max_seconds is not None and seconds > limits.max_seconds:
        raise MediaTooLargeError(
            f"{path}: too long: {seconds:,.0f} s of video, above this limit of "
            f"{limits.max_seconds:,.0f} s; trim it"
        )
    if limits.max_frames is not None and frames > limits.max_frames:
        raise MediaTooLargeError(
            f"{path}: too long: {frames:,} frames, above this limit of {limits.max_frames:,}; "
            "trim it"
        )


def _check_frame(path: Path, frame: Any, index: int, max_pixels: int) -> None:
    """Every decoded frame, before it is converted: a video's header gives the size of its
    first frames only, and later ones may be far larger."""
    width, height = int(frame.width), int(frame.height)
    if width * height > max_pixels:
        raise MediaTooLargeError(
            f"{path}: too large: frame {index} is {width}x{height}, above the limit of "
            f"{max_pixels:,} pixels"
        )


def is_flush(packet: Any) -> bool:
    """The empty packet PyAV's demuxer ends with, to flush the decoder."""
    return packet.dts is None and packet.size == 0


def _count_packets(path: Path) -> int:
    """Frames in a video whose header does not say (Matroska, WebM): count its packets."""
    with open_container(path) as container:
        stream = _video_stream(container, path)
        try:
            return sum(1 for packet in container.demux(stream) if not is_flush(packet))
        except av.error.FFmpegError as exc:
            raise CorruptMediaError(f"{path}: video data is corrupt ({exc})") from exc


def iter_frames(
    path: Path, sampling: Sampling | None = None, max_pixels: int = DEFAULT_MAX_PIXELS
) -> Iterator[Frame]:
    """Decode a video lazily, converting to RGB only the frames the sampling keeps.

    Frames come upright (display rotation applied) with their presentation time in
    seconds. A file that turns out truncated or undecodable part-way raises
    `CorruptMediaError` after the frames decoded before the damage.
    """
    info = probe_video(path, max_pixels)
    max_pixels = pixel_limit(max_pixels)
    sampling = sampling or Sampling()
    decoded = packets = kept = 0
    last: tuple[int, float, Any] | None = None  # the latest frame not kept, for "count"
    with open_container(path) as container:
        stream = _video_stream(container, path)
        stream.codec_context.thread_type = "AUTO"
        expected = stream.frames or 0  # mp4, mov and avi list their frames; Matroska does not
        total = None
        if sampling.mode == "count":
            total = expected or _count_packets(path)
        selector = sampling.selector(info.duration, total)
        wanted = selector.target
        demuxed = container.demux(stream)
        while True:
            try:
                packet = next(demuxed, None)
                if packet is None:
                    break
                if not is_flush(packet):
                    packets += 1
                frames = packet.decode()  # the final empty packet flushes the decoder
            except av.error.FFmpegError as exc:
                raise CorruptMediaError(
                    f"{path}: video data is corrupt after frame {decoded} ({exc})"
                ) from exc
            for frame in frames:
                index = decoded
                decoded += 1
                _check_frame(path, frame, index, max_pixels)
                time = float(frame.time) if frame.time is not None else index / info.fps
                _check_length(path, time, decoded)
                if selector.wants(index, time):
                    kept += 1
                    last = None
                    yield Frame(index, time, _upright(frame, _rotation(frame)))
                else:
                    last = (index, time, frame)
        if wanted is not None and kept < wanted and last is not None:
            # the decoder gave fewer frames than the index promised (an edit list dropped
            # some): the last one stands in for the count's final, unreached target
            index, time, frame = last
            yield Frame(index, time, _upright(frame, _rotation(frame)))
    if decoded == 0:
        raise CorruptMediaError(f"{path}: no frame could be decoded; the video is empty or broken")
    if expected and packets < expected:
        raise CorruptMediaError(
            f"{path}: truncated: the file holds {packets} of the {expected} frames it lists"
        )
