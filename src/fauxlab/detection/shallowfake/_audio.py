"""A private mono audio reader for the voice checks.

Kept inside this package until `fauxlab.media.audio` lands; then this file should become
a call to it. PyAV's resampler mixes down and resamples in one step.
"""

from __future__ import annotations

from pathlib import Path

import av
import av.error
import numpy as np

from fauxlab.detection.shallowfake.frames import FloatArray
from fauxlab.errors import CorruptMediaError

VOICE_RATE = 16_000  # Hz: covers voice pitch and its harmonics, a third of 48 kHz's work


def read_mono(path: Path, rate: int = VOICE_RATE) -> FloatArray | None:
    """The first audio stream as mono float samples at `rate`, or None when there is none."""
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except av.error.FFmpegError as exc:
        raise CorruptMediaError(f"{path}: cannot be opened") from exc
    chunks: list[FloatArray] = []
    with container:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        try:
            for frame in container.decode(stream):
                chunks.extend(
                    f.to_ndarray()[0].astype(np.float64) for f in resampler.resample(frame)
                )
            chunks.extend(f.to_ndarray()[0].astype(np.float64) for f in resampler.resample(None))
        except av.error.FFmpegError as exc:
            raise CorruptMediaError(f"{path}: audio data is corrupt ({exc})") from exc
    return np.concatenate(chunks) if chunks else np.zeros(0)
