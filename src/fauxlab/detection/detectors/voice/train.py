"""Training the voice detector on recordings handed in: real speech and its fakes.

This module never makes fakes (detection does not import synthesis): the command line
makes them with `fauxlab.synthesis.voice` and passes the samples in, as it does for the
spectral detector's GAN samples. Here each recording is augmented the way calls and
social media treat voices (MP3 and Opus at low bit rates, the telephone band, a round
trip through a lower sample rate, background noise), cut into 2 s windows of speech and
described by LFCC statistics; a logistic regression separates the windows.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.signal import butter, resample_poly, sosfiltfilt

from fauxlab.detection.detectors.voice.features import FloatArray, LfccSettings
from fauxlab.detection.detectors.voice.model import VoiceJudge, VoiceModel
from fauxlab.detection.detectors.voice.windows import segment_features
from fauxlab.detection.linear import fit_linear
from fauxlab.detection.metrics import equal_error_rate
from fauxlab.errors import InputError
from fauxlab.media.audio_writer import recode

L2_GRID = (0.1, 1.0, 10.0, 100.0)


@dataclass(frozen=True)
class Recording:
    """One recording handed to the trainer or the evaluation."""

    name: str
    samples: FloatArray  # mono, at the settings' rate
    fake: bool
    family: str  # "real", or the vocoder or voice that made it


def telephone(samples: FloatArray, rate: int) -> FloatArray:
    """The telephone band: 300-3,400 Hz, through 8 kHz and back."""
    sos = butter(6, [300, 3400], btype="bandpass", fs=rate, output="sos")
    narrow = resample_poly(sosfiltfilt(sos, samples), 1, rate // 8000)
    return _fit(resample_poly(narrow, rate // 8000, 1), len(samples))


def _fit(x: NDArray[Any], length: int) -> FloatArray:
    out = np.zeros(length, np.float32)
    out[: min(length, len(x))] = x[:length]
    return out


def _resampled(samples: FloatArray, rate: int, low: int) -> FloatArray:
    divisor = np.gcd(rate, low)
    down = resample_poly(samples, low // divisor, rate // divisor)
    return _fit(resample_poly(down, rate // divisor, low // divisor), len(samples))


def _noisy(samples: FloatArray, rng: np.random.Generator) -> FloatArray:
    snr_db = rng.uniform(15.0, 40.0)
    power = float(np.mean(samples.astype(np.float64) ** 2))
    noise = rng.standard_normal(len(samples)) * np.sqrt(power / 10 ** (snr_db / 10))
    out: FloatArray = np.clip(samples + noise, -1, 1).astype(np.float32)
    return out


AUGMENTATIONS: dict[str, Callable[[FloatArray, int, np.random.Generator], FloatArray]] = {
    "mp3": lambda x, r, g: recode(x, r, ".mp3", int(g.choice([32_000, 48_000, 64_000, 96_000]))),
    "opus": lambda x, r, g: recode(x, r, ".ogg", int(g.choice([12_000, 16_000, 24_000, 32_000]))),
    "telephone": lambda x, r, g: telephone(x, r),
    "resample": lambda x, r, g: _resampled(x, r, int(g.choice([8_000, 11_025]))),
    "noise": lambda x, r, g: _noisy(x, g),
}


def augment(samples: FloatArray, rate: int, rng: np.random.Generator) -> tuple[str, FloatArray]:
    """One of AUGMENTATIONS, chosen at random, applied to `samples`."""
    name = str(rng.choice(list(AUGMENTATIONS)))
    return name, AUGMENTATIONS[name](samples, rate, rng)


@dataclass(frozen=True)
class VoiceTrainConfig:
    settings: LfccSettings = field(default_factory=LfccSettings)
    augmented_copies: int = 2  # augmented versions of each recording, beside the clean one
    seed: int = 0


Progress = Callable[[int, int], None]


def window_table(
    recordings: Sequence[Recording],
    settings: LfccSettings,
    copies: int,
    rng: np.random.Generator,
    progress: Progress | None = None,
) -> tuple[FloatArray, NDArray[np.float64]]:
    """Features and labels of every window of every recording and its augmented copies."""
    rows: list[FloatArray] = []
    labels: list[NDArray[np.float64]] = []
    for i, recording in enumerate(recordings):
        versions = [recording.samples]
        versions += [augment(recording.samples, settings.rate, rng)[1] for _ in range(copies)]
        for version in versions:
            found = segment_features(version, settings).features
            rows.append(found)
            labels.append(np.full(len(found), float(recording.fake)))
        if progress is not None:
            progress(i + 1, len(recordings))
    x = np.concatenate(rows) if rows else np.zeros((0, settings.size), np.float32)
    return x, np.concatenate(labels) if labels else np.zeros(0)


def train_voice(
    recordings: Sequence[Recording],
    config: VoiceTrainConfig | None = None,
    progress: Progress | None = None,
    info: dict[str, str] | None = None,
) -> VoiceModel:
    """Fit the voice detector on real and fake `recordings`."""
    config = config or VoiceTrainConfig()
    if not any(r.fake for r in recordings) or all(r.fake for r in recordings):
        raise InputError("training the voice detector needs both real and fake recordings")
    rng = np.random.default_rng(config.seed)
    x, y = window_table(recordings, config.settings, config.augmented_copies, rng, progress)
    # weigh the classes equally (one real has a fake per vocoder): repeat the real windows
    repeat = max(1, round(float(y.sum()) / max(1.0, float(len(y) - y.sum()))))
    real = y < 0.5
    x = np.concatenate([x, *([x[real]] * (repeat - 1))])
    y = np.concatenate([y, *([y[real]] * (repeat - 1))])
    fit = fit_linear(x, y, rng, L2_GRID, platt_prior=True)
    details = {"date": datetime.now(UTC).strftime("%Y-%m-%d"), **(info or {})}
    return VoiceModel(settings=config.settings, info=details, **fit.head())


def voice_scores(model: VoiceJudge, recordings: Sequence[Recording]) -> NDArray[np.float64]:
    """Each recording's P(synthetic); 0.5 where no window had enough speech."""
    out = []
    for recording in recordings:
        p = model.judge(recording.samples).probability
        out.append(0.5 if p is None else p)
    return np.array(out)


def voice_equal_error(model: VoiceJudge, recordings: Sequence[Recording]) -> float:
    """EER of `model` over `recordings` (which must hold reals and fakes)."""
    labels = np.array([int(r.fake) for r in recordings])
    return equal_error_rate(labels, voice_scores(model, recordings))[0]


def metrics_json(values: dict[str, float]) -> str:
    return json.dumps({k: round(v, 4) for k, v in values.items()}, sort_keys=True)
