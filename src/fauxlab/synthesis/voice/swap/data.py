"""A speaker's recordings: which files, which are held out, and their features.

A speaker is given as a folder of audio files or a glob pattern (the shared speech folder
holds many speakers side by side, `speech/librispeech_1998_*`). The last file by name is
held out of training, so `voice eval` can report on speech the model never heard; a
speaker needs at least two files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from fauxlab.errors import InputError
from fauxlab.media.audio import read_audio
from fauxlab.media.discover import AUDIO_SUFFIXES
from fauxlab.synthesis.voice.swap.features import (
    RATE,
    Analysis,
    MelEnvelope,
    PitchStats,
    analyse,
    check_speech,
)

FloatArray = NDArray[np.float64]
MIN_FILES = 2  # one to train on, one held out


def speaker_files(spec: str) -> list[Path]:
    """The audio files a speaker argument names: a folder's audio files, or a glob of
    file names in one folder (`speech/librispeech_1998_*`)."""
    path = Path(spec)
    if path.is_dir():
        files = [p for p in path.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES]
    elif any(ch in path.name for ch in "*?["):
        found = path.parent.glob(path.name) if path.parent.is_dir() else []
        files = [p for p in found if p.suffix.lower() in AUDIO_SUFFIXES]
    elif path.is_file():
        raise InputError(f"{spec}: a single file; give a folder or a glob of a speaker's files")
    else:
        raise InputError(f"{spec}: no such folder, and not a glob pattern")
    files = sorted(p.resolve() for p in files if p.is_file())
    if len(files) < MIN_FILES:
        raise InputError(
            f"{spec}: {len(files)} audio file(s); a speaker needs at least {MIN_FILES} "
            "(the last by name is held out of training)"
        )
    return files


def split(files: list[Path]) -> tuple[list[Path], list[Path]]:
    """(training, held out): the last file by name is held out."""
    ordered = sorted(files, key=lambda p: p.name)
    return ordered[:-1], ordered[-1:]


@dataclass(frozen=True)
class Speaker:
    """A speaker's training recordings: per file the log-mel envelope (frames x BANDS)."""

    files: list[Path]
    mels: list[FloatArray]
    pitch: PitchStats

    @property
    def frames(self) -> int:
        return sum(len(m) for m in self.mels)

    @property
    def seconds(self) -> float:
        return self.frames / 100.0


def read_speech(path: Path) -> NDArray[np.float32]:
    """Mono samples at RATE; a file without sound or without speech is an InputError."""
    audio = read_audio(path, RATE)
    if audio is None or len(audio.samples) == 0:
        raise InputError(f"{path}: has no sound track")
    return audio.samples


def analyse_file(path: Path) -> Analysis:
    analysis = analyse(read_speech(path))
    check_speech(analysis, str(path))
    return analysis


def load_speaker(files: list[Path], mel: MelEnvelope) -> Speaker:
    analyses = [analyse_file(p) for p in files]
    return Speaker(
        files=files,
        mels=[mel.to_mel(a.envelope) for a in analyses],
        pitch=PitchStats.of([a.f0 for a in analyses]),
    )


def band_stats(speakers: list[Speaker]) -> tuple[FloatArray, FloatArray]:
    """Per-band mean and spread of log-mel over every training frame of both speakers."""
    frames = np.concatenate([m for s in speakers for m in s.mels])
    return frames.mean(axis=0), np.maximum(frames.std(axis=0), 1e-3)
