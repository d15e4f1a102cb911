"""H.264 mp4 writing that keeps the source's audio.

Everything goes through PyAV (FFmpeg in-process), so no external binary is needed.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
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
    UnsupportedFormatError,
)
from fauxlab.media._atomic import partial_path, publish, refuse_existing
from fauxlab.media.video import is_flush, open_container

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
        self._source = open_container(source)
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
            elif not is_flush(packet):
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
