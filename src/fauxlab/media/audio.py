"""A file's sound track as mono float samples, and its loudness over time.

Decoded in-process with PyAV and resampled to one channel at one rate, so evidence that
listens (lip sync, playback speed) sees the same kind of signal from any container or
codec. A file without a sound track is a normal case (`read_audio` returns None); a
sound track that cannot be decoded is an error.
"""

from __future__ import annotations

from dataclasses import dataclass
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
from fauxlab.media.video import open_container

DEFAULT_SAMPLE_RATE = 16_000  # speech lives below 8 kHz; a quarter of CD rate keeps it small
# Longest sound decoded: an hour is 230 MB of float32 at 16 kHz, and a call or a speech
# to check is minutes long; longer recordings should be cut into the part in question.
MAX_AUDIO_SECONDS = 3600.0
# containers whose header states the exact length (others, like MP3, only estimate it)
_EXACT_LENGTH_FORMATS = frozenset({"flac", "mov,mp4,m4a,3gp,3g2,mj2"})
_BLOCK = 2048  # windows analysed per FFT batch, to bound memory on long files

Samples = NDArray[np.float32]


@dataclass(frozen=True)
class Audio:
    """Mono samples in [-1, 1] (full scale), their rate, and the time of the first sample
    on the container's clock (the clock video frame times use)."""

    samples: Samples
    sample_rate: int
    start: float = 0.0

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate

    @property
    def end(self) -> float:
        return self.start + self.duration


def _open(path: Path) -> Any:
    return open_container(path, "cannot be opened; it is corrupt, truncated or not a media file")


def _check_wav_complete(path: Path) -> None:
    """Raise if a WAV file's data chunk announces more bytes than the file holds (a cut-off
    download decodes as a shorter sound without any decoder error). Sizes of 0 and
    0xFFFFFFFF are what streaming writers leave: no claim, nothing to check."""
    with path.open("rb") as handle:
        head = handle.read(12)
        if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return
        size = path.stat().st_size
        position = 12
        while position + 8 <= size:
            handle.seek(position)
            chunk = handle.read(8)
            length = int.from_bytes(chunk[4:8], "little")
            if chunk[:4] == b"data":
                if 0 < length < 0xFFFFFFFF and position + 8 + length > size:
                    raise CorruptMediaError(
                        f"{path}: truncated: its header announces {length:,} bytes of sound "
                        f"but the file ends after {size - position - 8:,}"
                    )
                return
            position += 8 + length + (length & 1)


def _too_long(path: Path, seconds: float, limit: float) -> MediaTooLargeError:
    return MediaTooLargeError(
        f"{path}: the sound lasts {seconds / 60:.0f} min or more, over the limit of "
        f"{limit / 60:.0f} min; cut out the part to check"
    )


def read_audio(
    path: Path,
    sample_rate: int = DEFAULT_SAMPLE_RATE,
    max_seconds: float = MAX_AUDIO_SECONDS,
) -> Audio | None:
    """The first sound track of `path` as mono float32 at `sample_rate` (any channel
    count and rate mixed down and resampled), or None when the file has no sound track.
    Raises `CorruptMediaError` when the sound cannot be decoded and `MediaTooLargeError`
    when it lasts longer than `max_seconds`."""
    with _open(path) as container:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        if stream.codec_context is None:
            raise UnsupportedFormatError(f"{path}: no decoder for this file's audio codec")
        _check_wav_complete(path)
        announced = _announced_seconds(container, stream)
        if announced is not None and announced > max_seconds:
            raise _too_long(path, announced, max_seconds)
        resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
        chunks: list[Samples] = []
        count = 0
        limit = int(max_seconds * sample_rate)
        start: float | None = None
        try:
            for frame in container.decode(stream):
                if start is None and frame.time is not None:
                    start = float(frame.time)
                for out in resampler.resample(frame):
                    chunks.append(flat_samples(out))
                    count += chunks[-1].size
                if count > limit:  # the header lied or said nothing
                    raise _too_long(path, count / sample_rate, max_seconds)
            chunks.extend(flat_samples(out) for out in resampler.resample(None))
        except av.error.FFmpegError as exc:
            raise CorruptMediaError(
                f"{path}: the sound is corrupt or truncated and cannot be decoded ({exc})"
            ) from exc
    samples = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    decoded = samples.size / sample_rate
    exact = container.format.name in _EXACT_LENGTH_FORMATS
    if exact and announced is not None and decoded < announced - max(0.25, 0.02 * announced):
        raise CorruptMediaError(
            f"{path}: truncated: its header announces {announced:.1f} s of sound but only "
            f"{decoded:.1f} s could be decoded"
        )
    if samples.size == 0:
        raise CorruptMediaError(f"{path}: the sound track holds no decodable samples")
    return Audio(samples, sample_rate, start or 0.0)


def _announced_seconds(container: Any, stream: Any) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return float(container.duration) / av.time_base
    return None


def flat_samples(frame: Any) -> Samples:
    return np.asarray(frame.to_ndarray(), dtype=np.float32).reshape(-1)


def band_rms(
    audio: Audio,
    centres: NDArray[np.float64],
    window: float,
    band: tuple[float, float] | None = None,
) -> NDArray[np.float64]:
    """RMS of the sound (full scale = 1) in windows of `window` seconds centred on
    `centres` (seconds, container clock), counting only frequencies inside `band` (Hz)
    when given. Windows reaching outside the sound track give 0."""
    size = max(2, round(window * audio.sample_rate))
    first = np.rint((centres - audio.start) * audio.sample_rate - size / 2).astype(np.int64)
    inside = (first >= 0) & (first + size <= len(audio.samples))
    out = np.zeros(len(centres), dtype=np.float64)
    starts = first[inside]
    values = np.empty(len(starts), dtype=np.float64)
    if band is not None:
        freqs = np.fft.rfftfreq(size, 1.0 / audio.sample_rate)
        keep = (freqs >= band[0]) & (freqs <= band[1])
    for lo in range(0, len(starts), _BLOCK):
        block = audio.samples[starts[lo : lo + _BLOCK, None] + np.arange(size)[None, :]]
        if band is None:
            power = np.mean(block.astype(np.float64) ** 2, axis=1)
        else:  # Parseval: the band's share of the window's mean power
            spectrum = np.abs(np.fft.rfft(block, axis=1)) ** 2
            power = 2.0 * spectrum[:, keep].sum(axis=1) / size**2
        values[lo : lo + _BLOCK] = np.sqrt(power)
    out[inside] = values
    return out


@dataclass(frozen=True)
class Sound:
    """A sound track as it is: every channel, at the file's own rate (what a sealed copy
    must keep; `read_audio` mixes down for listening evidence instead)."""

    channels: NDArray[np.float32]  # (channels, n), full scale 1
    sample_rate: int

    @property
    def duration(self) -> float:
        return self.channels.shape[1] / self.sample_rate


def read_sound(path: Path, max_seconds: float = MAX_AUDIO_SECONDS) -> Sound:
    """The first sound track of `path` with all its channels at its own rate. Raises
    `InputError` when the file has no sound, as `read_audio` does for the rest."""
    with _open(path) as container:
        if not container.streams.audio:
            raise InputError(f"{path}: has no sound track")
        stream = container.streams.audio[0]
        rate = int(stream.rate or stream.codec_context.sample_rate or 0)
        channels = int(stream.codec_context.channels or 0)
    if rate <= 0 or channels <= 0:
        raise CorruptMediaError(f"{path}: the sound track states no sample rate or channels")
    mixed = read_audio(path, rate, max_seconds)
    if mixed is None:  # pragma: no cover - checked above
        raise InputError(f"{path}: has no sound track")
    if channels == 1:
        return Sound(mixed.samples[None, :], rate)
    return Sound(_planar(path, rate, channels, len(mixed.samples)), rate)


def _planar(path: Path, rate: int, channels: int, length: int) -> NDArray[np.float32]:
    """All channels as (channels, length) float32 at `rate` (decoded a second time: the
    first pass, `read_audio`, did every check)."""
    with _open(path) as container:
        stream = container.streams.audio[0]
        layout = stream.layout.name
        resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate)
        parts: list[NDArray[np.float32]] = []
        for frame in container.decode(stream):
            parts.extend(np.asarray(o.to_ndarray(), np.float32) for o in resampler.resample(frame))
        parts.extend(np.asarray(o.to_ndarray(), np.float32) for o in resampler.resample(None))
    planar = np.concatenate(parts, axis=1) if parts else np.zeros((channels, 0), np.float32)
    out = np.zeros((planar.shape[0], length), np.float32)
    out[:, : min(length, planar.shape[1])] = planar[:, :length]
    return out
