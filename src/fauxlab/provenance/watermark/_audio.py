"""Marking a sound with the 32-bit id, and reading it back, at any sample rate.

    marked = embed_audio(samples, rate, payload)   # (n,) or (channels, n) float in and out
    reading = extract_audio(marked, rate)          # AudioWatermarkReading

The mark is made at 16 kHz, where the layout lives (`_audio_layout`): each spectrogram
cell of the 500-7000 Hz band is scaled by ±`MARK_DB` dB, the sign its chip's. Scaling the
sound's own magnitude keeps the mark under the sound everywhere: louder where the speech
is loud, nothing in silence, a fixed fraction of each cell's energy (the change is 19 dB
under the cell), under the masking threshold a sound sets in its own critical band. The
difference this makes is computed at 16 kHz, brought to the sound's own rate and added
to every channel (the same in each: computed on their mix), so what lies outside the
band is untouched.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from fauxlab.errors import InputError
from fauxlab.media.audio import read_audio
from fauxlab.provenance.watermark._audio_detect import (
    HYPOTHESES,
    THRESHOLD,
    hops,
    istft,
    p_value,
    search,
    stft,
)
from fauxlab.provenance.watermark._audio_layout import (
    BAND_BINS,
    FIRST_BIN,
    FRAME_HOPS,
    HOP,
    MARK_DB,
    RATE,
    audio_layout,
    cell_pattern,
)
from fauxlab.provenance.watermark._image import check_payload
from fauxlab.provenance.watermark._layout import DEFAULT_KEY

MIN_SECONDS = FRAME_HOPS * HOP / RATE  # one whole frame: 1.536 s
MAX_RATE = 384_000
SILENCE = 1e-4  # peak level (full scale 1) under which a sound is taken as silent

Samples = NDArray[np.float32]


@dataclass(frozen=True)
class AudioWatermarkReading:
    """What `extract_audio` found. `payload` is None unless `found`; `decoded` is the
    decoder's best guess either way. `score`, `threshold`, `p_value` and `confidence` mean
    what they mean for the image mark (a false-positive rate of at most 1e-6 on any
    unmarked sound). `speed` is the playback speed undone (1.0: none); `offset` (seconds)
    where in the sound a frame of the mark starts; `seconds` how much sound was read."""

    found: bool
    payload: int | None
    confidence: float
    score: float
    threshold: float
    p_value: float
    agreement: float
    decoded: int
    speed: float = 1.0
    offset: float = 0.0
    seconds: float = 0.0
    hypotheses: int = 0

    @property
    def undone(self) -> tuple[str, ...]:
        """The edits the decoder undid, in words (none unless found)."""
        if not self.found or abs(self.speed - 1.0) < 1e-9:
            return ()
        return (f"a speed change to {self.speed:.3f}x",)


def _resample(samples: NDArray[np.floating[Any]], source: int, target: int) -> NDArray[np.float64]:
    """Polyphase resampling from `source` to `target` Hz along the last axis."""
    if source == target:
        return np.asarray(samples, dtype=np.float64)
    ratio = Fraction(target, source).limit_denominator(1000)
    from scipy import signal  # imported here: a second at start-up for every command

    out = signal.resample_poly(
        np.asarray(samples, np.float64), ratio.numerator, ratio.denominator, axis=-1
    )
    return np.asarray(out, dtype=np.float64)


def check_sound(samples: NDArray[np.floating[Any]], sample_rate: int) -> NDArray[np.float32]:
    """Samples as float32 (n,) or (channels, n), long enough to carry one frame."""
    array = np.asarray(samples)
    if not np.issubdtype(array.dtype, np.floating) or array.ndim not in (1, 2):
        raise ValueError(
            f"need float samples (n,) or (channels, n), got {array.dtype} {array.shape}"
        )
    if not 8000 <= sample_rate <= MAX_RATE:
        raise InputError(f"a sample rate of {sample_rate} Hz is outside 8000..{MAX_RATE} Hz")
    seconds = array.shape[-1] / sample_rate
    if seconds < MIN_SECONDS:
        raise InputError(
            f"{seconds:.2f} s of sound is too short to carry a watermark "
            f"(needs at least {MIN_SECONDS:.2f} s)"
        )
    if not np.all(np.isfinite(array)):
        raise InputError("the sound holds NaN or infinite samples")
    return array.astype(np.float32)


def mark_signal(
    samples: NDArray[np.floating[Any]], sample_rate: int, payload: int, key: int
) -> Samples:
    """What `embed_audio` adds: the mark for a mono mix, at `sample_rate`."""
    mono = samples if samples.ndim == 1 else samples.mean(axis=0)
    work = _resample(mono, sample_rate, RATE)
    count = hops(len(work))
    spectrum = stft(work, count)
    chips = audio_layout(key).chips(check_payload(payload))
    gain = np.zeros(spectrum.shape)
    gain[:, FIRST_BIN : FIRST_BIN + BAND_BINS] = (
        10 ** (MARK_DB * cell_pattern(chips, count) / 20) - 1
    )
    mark = istft(spectrum * gain, len(work))
    back = _resample(mark, RATE, sample_rate)
    fitted = np.zeros(mono.shape[-1], dtype=np.float64)
    fitted[: min(len(back), len(fitted))] = back[: len(fitted)]
    return fitted.astype(np.float32)


def embed_audio(
    samples: NDArray[np.floating[Any]], sample_rate: int, payload: int, *, key: int = DEFAULT_KEY
) -> Samples:
    """A copy of `samples` ((n,) mono or (channels, n), full scale 1) carrying `payload`
    (0 <= payload < 2**32), at the same rate and length, clipped to [-1, 1]."""
    array = check_sound(samples, sample_rate)
    if float(np.max(np.abs(array))) < SILENCE:
        raise InputError(
            "the sound is silent: a watermark that follows the sound has nothing to ride on"
        )
    mark = mark_signal(array, sample_rate, payload, key)
    marked = array + (mark if array.ndim == 1 else mark[None, :])
    return np.clip(marked, -1.0, 1.0).astype(np.float32)  # type: ignore[no-any-return]


def extract_audio(
    samples: NDArray[np.floating[Any]], sample_rate: int, *, key: int = DEFAULT_KEY
) -> AudioWatermarkReading:
    """Look for a mark in a sound as it may have travelled: re-encoded, resampled, cut,
    with noise added, or played 0.9x to 1.1x as fast."""
    array = check_sound(samples, sample_rate)
    mono = array if array.ndim == 1 else array.mean(axis=0)
    work = _resample(mono, sample_rate, RATE).astype(np.float32)
    candidate, decoded = search(work, audio_layout(key))
    found = candidate.score >= THRESHOLD
    p = p_value(candidate.score)
    return AudioWatermarkReading(
        found=found,
        payload=candidate.payload if found else None,
        confidence=1.0 - p,
        score=candidate.score,
        threshold=THRESHOLD,
        p_value=p,
        agreement=candidate.agreement,
        decoded=candidate.payload,
        speed=candidate.speed,
        offset=candidate.offset * HOP / RATE / candidate.speed,
        seconds=len(work) / RATE,
        hypotheses=decoded,
    )


def snr_db(original: NDArray[np.floating[Any]], marked: NDArray[np.floating[Any]]) -> float:
    """Signal-to-mark ratio in dB: the sound's energy over the change's."""
    noise = float(np.sum((np.asarray(marked, np.float64) - original) ** 2))
    power = float(np.sum(np.asarray(original, np.float64) ** 2))
    return math.inf if noise == 0 else 10 * math.log10(max(power, 1e-30) / noise)


def read_sound_file(path: Path, *, key: int = DEFAULT_KEY) -> AudioWatermarkReading:
    """Read the mark of a sound file (or a video's sound track), mixed down to 16 kHz."""
    heard = read_audio(path, RATE)
    if heard is None:
        raise InputError(f"{path}: has no sound track to read a watermark from")
    return extract_audio(heard.samples, RATE, key=key)


__all__ = [
    "HYPOTHESES",
    "MIN_SECONDS",
    "THRESHOLD",
    "AudioWatermarkReading",
    "embed_audio",
    "extract_audio",
    "read_sound_file",
    "snr_db",
]
