"""Sound out through PyAV: write a file, or pass samples through a lossy codec in memory.

The codecs calls and social media use (MP3, AAC, Opus at low bit rates) are what a voice
detector must survive, so the same encoder that writes files also round-trips samples.
"""

from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from fauxlab.errors import SettingError
from fauxlab.media.audio import Samples

# container format, codec and the rates its encoder takes (None: any)
FORMATS: dict[str, tuple[str, str, tuple[int, ...] | None]] = {
    ".wav": ("wav", "pcm_s16le", None),
    ".flac": ("flac", "flac", None),
    ".mp3": ("mp3", "libmp3lame", (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)),
    ".m4a": ("ipod", "aac", None),
    ".ogg": ("ogg", "libopus", (8000, 12000, 16000, 24000, 48000)),
    ".opus": ("opus", "libopus", (8000, 12000, 16000, 24000, 48000)),
}


def _layout(channels: int) -> str:
    layouts = {1: "mono", 2: "stereo", 3: "2.1", 4: "quad", 6: "5.1", 8: "7.1"}
    if channels not in layouts:
        raise SettingError(f"cannot write {channels} channels; choose from {sorted(layouts)}")
    return layouts[channels]


def _encode(
    target: Any,
    suffix: str,
    samples: Samples,
    sample_rate: int,
    bitrate: int | None,
) -> None:
    """Encode `samples` (n,) mono or (channels, n) into `target` (a path or a buffer)."""
    if suffix not in FORMATS:
        raise SettingError(f"cannot write {suffix!r} sound; choose from {', '.join(FORMATS)}")
    container_format, codec, rates = FORMATS[suffix]
    planar = np.atleast_2d(np.asarray(samples, np.float32))
    channels = planar.shape[0]
    rate = sample_rate
    if rates is not None and rate not in rates:
        rate = min(rates, key=lambda r: (r < sample_rate, abs(r - sample_rate)))
    with av.open(target, "w", format=container_format) as container:
        stream: Any = container.add_stream(codec, rate=rate)
        stream.layout = _layout(channels)
        if bitrate is not None:
            stream.bit_rate = bitrate
        interleaved = np.clip(planar, -1.0, 1.0).T.reshape(1, -1)  # packed: one plane
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(interleaved), format="flt", layout=_layout(channels)
        )
        frame.sample_rate = sample_rate
        context = stream.codec_context
        resampler = av.AudioResampler(
            format=context.format.name, layout=_layout(channels), rate=rate, frame_size=1024
        )
        written = 0
        for chunk in [*resampler.resample(frame), *resampler.resample(None)]:
            # explicit times, so the encoder's priming samples get negative times and the
            # container trims them (else AAC adds about 1024 samples of delay at the start)
            chunk.pts, chunk.time_base = written, Fraction(1, rate)
            written += chunk.samples
            for packet in stream.encode(chunk):
                container.mux(packet)
        tail = list(stream.encode(None))
        if tail and tail[-1].pts is not None and tail[-1].duration:
            # the last frame is padded to 1024 samples: say how many of them are sound,
            # so the file lasts as long as the samples given, not up to a frame more
            tail[-1].duration = max(1, min(tail[-1].duration, written - tail[-1].pts))
        for packet in tail:
            container.mux(packet)


def write_audio(path: Path, samples: Samples, sample_rate: int, bitrate: int | None = None) -> Path:
    """Write `samples` ((n,) mono or (channels, n), full scale 1) to `path`, whose suffix
    picks the format (see `FORMATS`); lossy encoders get `bitrate` (bits a second)."""
    _encode(str(path), path.suffix.lower(), samples, sample_rate, bitrate)
    return path


def recode(samples: Samples, sample_rate: int, suffix: str, bitrate: int | None) -> Samples:
    """`samples` (mono) after encoding as `suffix` at `bitrate` and decoding back to
    `sample_rate`, trimmed or padded to the same length (codecs add a little delay)."""
    buffer = io.BytesIO()
    _encode(buffer, suffix, samples, sample_rate, bitrate)
    buffer.seek(0)
    resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
    chunks: list[Samples] = []
    with av.open(buffer, "r") as container:
        for frame in container.decode(container.streams.audio[0]):
            chunks.extend(
                np.asarray(o.to_ndarray(), np.float32).reshape(-1)
                for o in resampler.resample(frame)
            )
        chunks.extend(
            np.asarray(o.to_ndarray(), np.float32).reshape(-1) for o in resampler.resample(None)
        )
    out = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    fitted = np.zeros(len(samples), np.float32)
    fitted[: min(len(out), len(samples))] = out[: len(samples)]
    return fitted
