"""What the voice swap model sees and what it gives back: WORLD's description of speech.

WORLD (Morise et al. 2016) splits each 10 ms frame into pitch (F0), a spectral envelope
(the vocal tract's filter, without pitch harmonics) and aperiodicity (how noisy each band
is). The model works on an 80-band log-mel summary of the envelope: the mel spectrogram a
neural TTS predicts, but with the harmonics already removed, so what is left to learn is
timbre and phonetic content, not pitch. On the way back the 80 bands are interpolated
(in the log domain) to WORLD's linear bins, the F0 is moved into the target speaker's
range (`map_f0`), the source's aperiodicity is kept, and WORLD synthesises the wave.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyworld
from numpy.typing import NDArray

from fauxlab.errors import InputError
from fauxlab.synthesis.voice.vocoders import mel_filters

RATE = 16_000  # speech lives below 8 kHz; fauxlab's audio reading resamples to it
FRAME_MS = 10.0  # WORLD frame period: 100 frames a second
BANDS = 80
FLOOR = 1e-10  # power floor before the log (the envelope's silence)
MIN_VOICED_FRAMES = 10  # 0.1 s with a pitch: less is not speech

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Analysis:
    """One utterance as WORLD sees it, frame by frame (frames first)."""

    f0: FloatArray  # Hz, 0 where unvoiced
    envelope: FloatArray  # frames x bins, linear power
    aperiodicity: FloatArray  # frames x bins, 0..1

    @property
    def frames(self) -> int:
        return len(self.f0)


def analyse(samples: NDArray[np.float32], rate: int = RATE) -> Analysis:
    """DIO + StoneMask pitch, CheapTrick envelope and D4C aperiodicity of mono `samples`."""
    x = np.ascontiguousarray(samples, np.float64)
    f0, times = pyworld.dio(x, rate, frame_period=FRAME_MS)
    f0 = pyworld.stonemask(x, f0, times, rate)
    envelope = pyworld.cheaptrick(x, f0, times, rate)
    aperiodicity = pyworld.d4c(x, f0, times, rate)
    return Analysis(f0, envelope, aperiodicity)


def synthesise(f0: FloatArray, envelope: FloatArray, aperiodicity: FloatArray) -> FloatArray:
    """WORLD synthesis at RATE (the inverse of `analyse`)."""
    wave: FloatArray = pyworld.synthesize(
        np.ascontiguousarray(f0),
        np.ascontiguousarray(envelope),
        np.ascontiguousarray(aperiodicity),
        RATE,
        FRAME_MS,
    )
    return wave


class MelEnvelope:
    """Linear WORLD envelope <-> 80-band log-mel envelope, at RATE."""

    def __init__(self, rate: int = RATE) -> None:
        n_fft = pyworld.get_cheaptrick_fft_size(rate)
        filters = mel_filters(rate, BANDS, n_fft)
        # each band the mean power under its triangle, so its value is a level, not a sum
        self.filters = filters / np.maximum(filters.sum(axis=1, keepdims=True), 1e-12)
        bins = np.linspace(0.0, rate / 2.0, n_fft // 2 + 1)
        self.centres = (filters * bins).sum(axis=1) / np.maximum(filters.sum(axis=1), 1e-12)
        self.bins = bins

    def to_mel(self, envelope: FloatArray) -> FloatArray:
        """frames x bins linear power -> frames x BANDS natural-log power."""
        mel: FloatArray = np.log(np.maximum(envelope @ self.filters.T, FLOOR))
        return mel

    def to_linear(self, mel: FloatArray) -> FloatArray:
        """frames x BANDS log power -> frames x bins linear power, interpolated in the log
        domain between band centres (held flat below the first and above the last)."""
        logs = np.stack([np.interp(self.bins, self.centres, row) for row in mel])
        linear: FloatArray = np.exp(logs)
        return linear


@dataclass(frozen=True)
class PitchStats:
    """Mean and standard deviation of log F0 over a speaker's voiced frames."""

    mean: float
    std: float

    @classmethod
    def of(cls, f0s: list[FloatArray]) -> PitchStats:
        voiced = np.concatenate([np.log(f[f > 0]) for f in f0s])
        if len(voiced) < MIN_VOICED_FRAMES:
            raise InputError("too little voiced speech to measure the speaker's pitch")
        return cls(float(voiced.mean()), float(max(voiced.std(), 1e-3)))

    def to_dict(self) -> dict[str, float]:
        return {"log_f0_mean": self.mean, "log_f0_std": self.std}

    @classmethod
    def from_dict(cls, raw: dict[str, float]) -> PitchStats:
        return cls(float(raw["log_f0_mean"]), float(raw["log_f0_std"]))


def map_f0(f0: FloatArray, source: PitchStats, target: PitchStats) -> FloatArray:
    """Move voiced frames' log F0 from the source speaker's mean and spread to the
    target's (the standard Gaussian log-F0 transform); unvoiced frames stay 0."""
    out = np.zeros_like(f0)
    voiced = f0 > 0
    z = (np.log(f0[voiced]) - source.mean) / source.std
    out[voiced] = np.exp(target.mean + z * target.std)
    return out


def check_speech(analysis: Analysis, what: str) -> None:
    """Raise when `analysis` holds no voiced speech (silence, noise, a tone-free file)."""
    if int((analysis.f0 > 0).sum()) < MIN_VOICED_FRAMES:
        raise InputError(f"{what}: no speech heard (no pitch in the sound)")
