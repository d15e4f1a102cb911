"""Sets of fake speech made from real recordings, for training and measuring detectors.

Every real recording gives one fake per vocoder, of the same utterance, speaker, length
and loudness (the shortcut guard of the speech folder's README). Text-to-speech has no
real counterpart; its sentences are spoken at the same rate as the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from fauxlab.errors import SettingError
from fauxlab.media import read_audio
from fauxlab.synthesis.voice.tts import HARVARD, piper_speak
from fauxlab.synthesis.voice.vocoders import VOCODERS, Vocoder

RATE = 16_000
TRAINING_VOCODERS = ("griffinlim", "melgl", "world")
# vocoders that must be trained before use (`neural.train_vocoder`, on training speakers
# only); the detector trains on their fakes: they are the nearest we make to the neural
# vocoders of modern TTS, the Piper voice left out included
TRAINED_VOCODERS = ("neural",)
LEFT_OUT_VOCODERS = ("lpc",)  # never trained on: measures generalisation
LEFT_OUT_VOICES = ("piper",)

Samples = NDArray[np.float32]


@dataclass(frozen=True)
class Clip:
    """One recording: real or made here, and by what."""

    name: str
    samples: Samples
    family: str  # "real", a vocoder's name, or "piper"

    @property
    def fake(self) -> bool:
        return self.family != "real"


def read_clip(path: Path, seconds: float | None) -> Clip:
    """The first `seconds` of a real recording at RATE (all of it when None)."""
    sound = read_audio(path, RATE)
    if sound is None:
        raise SettingError(f"{path}: has no sound")
    samples = sound.samples if seconds is None else sound.samples[: int(seconds * RATE)]
    return Clip(path.name, samples, "real")


def resynthesised(
    reals: Sequence[Clip],
    families: Sequence[str],
    progress: Callable[[int, int], None] | None = None,
    trained: Mapping[str, Vocoder] | None = None,
) -> Iterator[Clip]:
    """Each real clip through each vocoder in `families` (VOCODERS, or `trained`: the
    trained vocoders by name)."""
    known = {**VOCODERS, **(trained or {})}
    unknown = sorted(set(families) - set(known))
    if unknown:
        raise SettingError(f"unknown vocoder {unknown[0]!r}; choose from {', '.join(known)}")
    total, done = len(reals) * len(families), 0
    for clip in reals:
        for family in families:
            yield Clip(f"{family}:{clip.name}", known[family](clip.samples, RATE), family)
            done += 1
            if progress is not None:
                progress(done, total)


def spoken(count: int) -> Iterator[Clip]:
    """`count` Harvard sentences (cycled) spoken by the Piper voice, in pairs so that each
    clip lasts several seconds."""
    for i in range(count):
        text = " ".join(HARVARD[(2 * i + k) % len(HARVARD)] for k in range(2))
        yield Clip(f"piper:{i}", piper_speak(text, RATE), "piper")
