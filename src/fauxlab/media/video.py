"""Video decoding with frame sampling, and H.264 mp4 writing that keeps the source's audio.

Everything goes through PyAV (FFmpeg in-process), so no external binary is needed.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType
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
from fauxlab.media._atomic import partial_path, publish, refuse_existing
from fauxlab.media.discover import check_readable_file
from fauxlab.media.images import DEFAULT_MAX_PIXELS
from fauxlab.media.limits import media_limits, pixel_limit
from fauxlab.media.sampling import Sampling

# Audio codecs an mp4 can carry as they are (decoder names included: mp3 decodes as
# "mp3float"); anything else is re-encoded to AAC.
_MP4_AUDIO_COPY = frozenset({"aac", "mp3", "mp3float", "alac", "opus", "ac3", "eac3", "flac"})
_OUTPUT_FORMATS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov"}
_AAC_LAYOUTS = frozenset({"mono", "stereo", "3.0", "4.0", "5.0", "5.1", "7.1"})
_AAC_LAYOUT_BY_CHANNELS = {1: "mono", 2: "stereo", 3: "3.0", 4: "4.0", 5: "5.0", 6: "5.1", 8: "7.1"}
# The output video clock: 90 kHz, as in MPEG, holds 24, 25, 30 and 30000/1001 fps exactly
# and keeps a variable-rate source's own timestamps to within 11 µs.
_TICKS = 90_000
_TIME_BASE = Fraction(1, _TICKS)


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


def _open(path: Path) -> Any:
    check_readable_file(path)
    try:
        return av.open(str(path), metadata_errors="ignore")
    except av.error.FFmpegError as exc:
        raise CorruptMediaError(
            f"{path}: cannot be opened as video; it is corrupt, truncated or not a video"
        ) from exc


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
    with _open(path) as container:
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


def _is_flush(packet: Any) -> bool:
    """The empty packet PyAV's demuxer ends with, to flush the decoder."""
    return packet.dts is None and packet.size == 0


def _count_packets(path: Path) -> int:
    """Frames in a video whose header does not say (Matroska, WebM): count its packets."""
    with _open(path) as container:
        stream = _video_stream(container, path)
        try:
            return sum(1 for packet in container.demux(stream) if not _is_flush(packet))
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
    with _open(path) as container:
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
                if not _is_flush(packet):
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


def _aac_settings(context: Any) -> tuple[int, str]:
    """A sample rate and channel layout the AAC encoder takes, as close to the source's as
    it allows (an unnamed "2 channels" layout, as Matroska PCM has, becomes "stereo")."""
    rates = av.codec.Codec("aac", "w").audio_rates or ()
    rate = int(context.sample_rate)
    if rates and rate not in rates:
        rate = min(rates, key=lambda r: (abs(r - rate), -r))
    name = context.layout.name
    if name in _AAC_LAYOUTS:
        return rate, name
    channels = context.layout.nb_channels
    return rate, _AAC_LAYOUT_BY_CHANNELS.get(channels, "stereo")


class VideoWriter:
    """Encode RGB frames to an H.264 mp4, re-muxing the audio of `audio_from` alongside.

    Audio packets are interleaved by time as frames arrive, and anything left is written
    on close, so the output keeps the source's sound, duration and sample rate. The file
    is written under a hidden temporary name and only linked into place when complete;
    an exception inside `with VideoWriter(...)` leaves nothing behind.
    """

    def __init__(
        self,
        path: Path,
        fps: float,
        *,
        audio_from: Path | None = None,
        crf: int = 18,
        overwrite: bool = False,
        preset: str = "medium",
    ) -> None:
        suffix = path.suffix.lower()
        if suffix not in _OUTPUT_FORMATS:
            raise UnsupportedFormatError(f"{path}: video output must be .mp4, .m4v or .mov")
        if not (math.isfinite(fps) and fps > 0):
            raise ValueError(f"fps must be a positive number, got {fps}")
        if not 0 <= crf <= 51:
            raise ValueError(f"crf must be between 0 and 51, got {crf}")
        refuse_existing(path, overwrite)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._overwrite = overwrite
        self._partial = partial_path(path)
        self._rate = Fraction(fps).limit_denominator(1001)
        self._codec_options = {"crf": str(crf), "preset": preset}
        self._video: Any = None
        self._size: tuple[int, int] | None = None
        self._last_pts = -1
        self._last_time: Fraction | None = None
        self._frames = 0
        self._source: Any = None
        self._audio_path = audio_from
        self._audio_out: Any = None
        self._audio_packets: Iterator[Any] | None = None
        self._transcode_audio = False
        self._done = False
        self._out: Any = av.open(
            str(self._partial),
            mode="w",
            format=_OUTPUT_FORMATS[suffix],
            options={"movflags": "+faststart"},  # index first, so players can stream it
        )
        try:
            if audio_from is not None:
                self._attach_audio(audio_from)
        except BaseException:
            self.abort()
            raise

    @property
    def frames_written(self) -> int:
        return self._frames

    def _attach_audio(self, source: Path) -> None:
        self._source = _open(source)
        if not self._source.streams.audio:
            self._source.close()
            self._source = None
            return
        audio_in = self._source.streams.audio[0]
        context = audio_in.codec_context
        if context is not None and context.name in _MP4_AUDIO_COPY:
            self._audio_out = self._out.add_stream_from_template(audio_in)
        elif context is not None:
            self._transcode_audio = True
            rate, layout = _aac_settings(context)
            self._audio_out = self._out.add_stream("aac", rate=rate)
            self._audio_out.codec_context.layout = layout
        else:
            raise UnsupportedFormatError(f"{source}: no decoder for this file's audio codec")
        self._audio_packets = self._source.demux(audio_in)

    def _open_video(self, width: int, height: int) -> None:
        stream = self._out.add_stream("libx264", rate=self._rate)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = _TIME_BASE
        stream.codec_context.options = self._codec_options
        self._video = stream
        self._size = (width, height)

    def write(self, rgb: NDArray[np.uint8], time: float | None = None) -> None:
        """Add one RGB uint8 frame (H, W, 3); `time` (seconds, e.g. `Frame.time`) keeps the
        source's timing and so its sync with the audio, else frames are evenly spaced."""
        if self._done:
            raise ValueError(f"{self.path}: the writer is already closed")
        array = np.asarray(rgb)
        if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] != 3:
            raise ValueError(
                f"VideoWriter needs RGB uint8 frames (H, W, 3), got {array.dtype} {array.shape}"
            )
        height, width = array.shape[:2]
        even = array[: height - height % 2, : width - width % 2]  # yuv420p needs even sizes
        size = (even.shape[1], even.shape[0])
        if min(size) < 2:
            raise ValueError(f"frame of {width}x{height} pixels is too small to encode")
        if self._video is None:
            self._open_video(*size)
        elif size != self._size:
            raise ValueError(f"frame size {size} differs from the video's {self._size}")
        if time is not None:
            when = Fraction(time)
        elif self._last_time is None:
            when = Fraction(0)
        else:
            when = self._last_time + 1 / self._rate
        pts = max(round(when * _TICKS), self._last_pts + 1)
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(even), format="rgb24")
        frame.pts, frame.time_base = pts, _TIME_BASE
        frame.duration = round(_TICKS / self._rate)
        self._last_pts, self._last_time = pts, when
        for packet in self._video.encode(frame):
            self._out.mux(packet)
        self._frames += 1
        self._mux_audio_until(float(pts * _TIME_BASE))

    def _mux_audio_until(self, until: float | None) -> None:
        """Copy (or re-encode) source audio up to the first packet past `until` seconds,
        or all of it for None; the muxer interleaves the streams by time."""
        if self._audio_packets is None:
            return
        while (packet := self._next_audio_packet()) is not None:
            if self._transcode_audio:
                self._encode_audio(packet)  # the final empty packet flushes the decoder
            elif not _is_flush(packet):
                packet.stream = self._audio_out
                self._out.mux(packet)
            if (
                until is not None
                and packet.pts is not None
                and packet.time_base is not None
                and float(packet.pts * packet.time_base) > until
            ):
                return

    def _next_audio_packet(self) -> Any:
        if self._audio_packets is None:
            return None
        try:
            return next(self._audio_packets, None)
        except av.error.FFmpegError as exc:
            raise CorruptMediaError(f"{self._audio_path}: audio data is corrupt ({exc})") from exc

    def _encode_audio(self, packet: Any) -> None:
        try:
            frames = packet.decode()
        except av.error.FFmpegError as exc:
            raise CorruptMediaError(f"{self._audio_path}: audio data is corrupt ({exc})") from exc
        for decoded in frames:
            for out_packet in self._audio_out.encode(decoded):
                self._out.mux(out_packet)

    def close(self) -> Path:
        """Flush encoders, write the rest of the audio and move the file into place."""
        if self._done:
            return self.path
        if self._video is None:
            self.abort()
            raise InputError(f"{self.path}: no frame was written")
        try:
            for packet in self._video.encode(None):
                self._out.mux(packet)
            self._mux_audio_until(None)
            if self._transcode_audio:
                for packet in self._audio_out.encode(None):
                    self._out.mux(packet)
            self._out.close()
            if self._source is not None:
                self._source.close()
                self._source = None
            publish(self._partial, self.path, self._overwrite)
        except BaseException:
            self.abort()
            raise
        self._done = True
        return self.path

    def abort(self) -> None:
        """Give up: close everything and remove the partial file."""
        self._done = True
        with contextlib.suppress(Exception):
            self._out.close()
        if self._source is not None:
            with contextlib.suppress(Exception):
                self._source.close()
            self._source = None
        self._partial.unlink(missing_ok=True)

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
