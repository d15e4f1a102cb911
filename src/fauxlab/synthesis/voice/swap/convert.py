"""Speech in one voice to the same speech in the other: analyse, swap the envelope, move
the pitch, synthesise. Samples in, samples out; writing and sealing are `apply.py`'s."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import NDArray

from fauxlab.errors import InputError
from fauxlab.synthesis.voice.swap.features import (
    MelEnvelope,
    analyse,
    check_speech,
    map_f0,
    synthesise,
)
from fauxlab.synthesis.voice.swap.model import SPEAKERS, convert
from fauxlab.synthesis.voice.swap.runfolder import LoadedRun

Samples = NDArray[np.float32]


def other(speaker: str) -> str:
    if speaker not in SPEAKERS:
        raise InputError(f"--to must be a or b, got {speaker!r}")
    return "a" if speaker == "b" else "b"


@dataclass
class VoiceConverter:
    """A loaded run turned into a function from samples (at RATE) to samples."""

    run: LoadedRun
    to: str
    mel: MelEnvelope

    @classmethod
    def of(cls, run: LoadedRun, to: str) -> VoiceConverter:
        other(to)  # checks `to`
        return cls(run, to, MelEnvelope())

    def envelope(self, envelope: NDArray[np.float64]) -> NDArray[np.float64]:
        """A WORLD envelope (frames x bins) said again in the target's voice."""
        log_mel = self.run.normalise(self.mel.to_mel(envelope))
        batch = torch.from_numpy(log_mel.T[None].astype(np.float32))
        swapped = convert(self.run.model, batch, self.to)[0].numpy().T.astype(np.float64)
        return self.mel.to_linear(self.run.denormalise(swapped))

    def __call__(self, samples: Samples, what: str = "the input") -> Samples:
        analysis = analyse(samples)
        check_speech(analysis, what)
        source = self.run.info.pitch(other(self.to))
        f0 = map_f0(analysis.f0, source, self.run.info.pitch(self.to))
        wave = synthesise(f0, self.envelope(analysis.envelope), analysis.aperiodicity)
        return match_level(wave, samples)


def resynthesised(samples: Samples, run: LoadedRun | None = None, to: str = "b") -> Samples:
    """`samples` through WORLD without the model: unchanged (`run` None), or with only the
    pitch moved to `to`'s range: the baselines `voice eval` sets beside a swap."""
    analysis = analyse(samples)
    f0 = analysis.f0
    if run is not None:
        f0 = map_f0(f0, run.info.pitch(other(to)), run.info.pitch(to))
    return match_level(synthesise(f0, analysis.envelope, analysis.aperiodicity), samples)


def match_level(wave: NDArray[np.float64], like: Samples) -> Samples:
    """`wave` cut or padded to `like`'s length, at its RMS level, clipped to full scale."""
    out = np.zeros(len(like), np.float64)
    n = min(len(wave), len(like))
    out[:n] = wave[:n]
    gain = np.sqrt(np.mean(like.astype(np.float64) ** 2) / max(float(np.mean(out**2)), 1e-12))
    matched: Samples = np.clip(out * gain, -1.0, 1.0).astype(np.float32)
    return matched
