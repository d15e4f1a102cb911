"""Training the voice CNN on recordings handed in (real speech and its fakes).

Each recording and its augmented copies (MP3 and Opus at low bit rates, the telephone
band, a lower sample rate, noise: `train.AUGMENTATIONS`) become log spectrograms once;
batches then take random 2 s windows of speech from them, half real and half fake, so
each step sees windows the grid of the detector would not cut. Training runs on one
thread (the machine is shared), for a number of steps or minutes, whichever ends first;
the weights kept are those with the lowest EER on the calibration recordings (training
side, other speakers), on which the Platt scaling is then fitted, file by file.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import torch
from numpy.typing import NDArray
from torch.nn import functional

from fauxlab.detection.detectors.voice.cnn import (
    CnnVoiceModel,
    Lcnn,
    network_logits,
    normalised,
    speech_windows,
)
from fauxlab.detection.detectors.voice.features import (
    MIN_SPEECH_SHARE,
    LfccSettings,
    frame_levels,
    log_spectrogram,
    speech_frames,
)
from fauxlab.detection.detectors.voice.train import Recording, augment
from fauxlab.detection.linear import fit_logistic
from fauxlab.detection.metrics import equal_error_rate
from fauxlab.errors import InputError

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class CnnTrainConfig:
    settings: LfccSettings = field(default_factory=LfccSettings)
    augmented_copies: int = 2  # augmented versions of each recording, beside the clean one
    steps: int = 2000
    minutes: float = 40.0  # wall-clock cap on the steps
    batch: int = 32
    learning_rate: float = 1e-3
    check_every: int = 200  # steps between calibration checks (the best weights are kept)
    threads: int = 1
    seed: int = 0


@dataclass(frozen=True)
class Spectrogram:
    """One version of one recording: its dB spectrogram (frames x bins, float16) and
    the frames where a window with enough speech may start."""

    db: NDArray[np.float16]
    starts: NDArray[np.int_]
    fake: bool


def spectrogram(samples: NDArray[np.float32], settings: LfccSettings, fake: bool) -> Spectrogram:
    db = log_spectrogram(samples, settings)
    speech = speech_frames(frame_levels(samples, settings))[: len(db)].astype(np.float64)
    length = settings.segment_frames
    if len(db) < length:
        return Spectrogram(db.astype(np.float16), np.zeros(0, int), fake)
    share = np.convolve(speech, np.ones(length) / length, mode="valid")
    starts = np.flatnonzero(share >= MIN_SPEECH_SHARE)
    return Spectrogram(db.astype(np.float16), starts, fake)


def spectrograms(
    recordings: Sequence[Recording],
    settings: LfccSettings,
    copies: int,
    rng: np.random.Generator,
    progress: Progress | None = None,
) -> list[Spectrogram]:
    """Every recording and `copies` augmented versions of it, as spectrograms."""
    out = []
    for i, recording in enumerate(recordings):
        versions = [recording.samples]
        versions += [augment(recording.samples, settings.rate, rng)[1] for _ in range(copies)]
        out += [spectrogram(v, settings, recording.fake) for v in versions]
        if progress is not None:
            progress("spectrograms", i + 1, len(recordings))
    return [s for s in out if len(s.starts)]


def _batch(
    pool: list[Spectrogram], count: int, length: int, rng: np.random.Generator
) -> torch.Tensor:
    windows = []
    for k in rng.integers(len(pool), size=count):
        item = pool[int(k)]
        start = int(rng.choice(item.starts))
        windows.append(normalised(item.db[start : start + length].astype(np.float64)))
    return torch.from_numpy(np.stack(windows))[:, None]


def file_logits(
    net: Lcnn, recordings: Sequence[Recording], settings: LfccSettings
) -> NDArray[np.float64]:
    """Each recording's mean window logit (0 where no window has enough speech)."""
    out = []
    for recording in recordings:
        found = speech_windows(recording.samples, settings)
        out.append(float(network_logits(net, found.spectra).mean()) if found.spectra else 0.0)
    return np.array(out)


def platt_fit(logits: NDArray[np.float64], fake: NDArray[np.bool_]) -> tuple[float, float]:
    """Platt scaling with Platt's soft targets, the classes weighed equally."""
    targets = np.where(fake, (fake.sum() + 1) / (fake.sum() + 2), 1 / ((~fake).sum() + 2))
    repeat = max(1, round(fake.sum() / max(1, (~fake).sum())))
    x = np.concatenate([logits, *[logits[~fake]] * (repeat - 1)])[:, None]
    y = np.concatenate([targets, *[targets[~fake]] * (repeat - 1)])
    weights, bias = fit_logistic(x, y, l2=1e-3)
    return float(weights[0]), bias


def train_cnn(
    recordings: Sequence[Recording],
    calibration: Sequence[Recording],
    config: CnnTrainConfig | None = None,
    progress: Progress | None = None,
    info: dict[str, str] | None = None,
) -> CnnVoiceModel:
    """Fit the voice CNN on `recordings`; choose its weights and calibrate it on
    `calibration` (training-side recordings of other speakers, with their fakes)."""
    config = config or CnnTrainConfig()
    for name, group in (("training", recordings), ("calibration", calibration)):
        if not any(r.fake for r in group) or all(r.fake for r in group):
            raise InputError(f"the voice CNN's {name} recordings need both real and fake ones")
    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    settings = config.settings
    pool = spectrograms(recordings, settings, config.augmented_copies, rng, progress)
    reals = [s for s in pool if not s.fake]
    fakes = [s for s in pool if s.fake]
    checks = [*calibration]
    checks += [
        Recording(r.name, augment(r.samples, settings.rate, rng)[1], r.fake, r.family)
        for r in calibration
    ]
    truth = np.array([r.fake for r in checks])
    net = Lcnn()
    optimiser = torch.optim.AdamW(net.parameters(), lr=config.learning_rate, weight_decay=1e-4)
    half = config.batch // 2
    labels = torch.cat([torch.zeros(half), torch.ones(config.batch - half)])
    best = (np.inf, {k: v.clone() for k, v in net.state_dict().items()}, 0)
    started = time.monotonic()
    step = 0
    history: list[tuple[int, float]] = []
    while step < config.steps and time.monotonic() - started < 60 * config.minutes:
        net.train()
        x = torch.cat(
            [
                _batch(reals, half, settings.segment_frames, rng),
                _batch(fakes, config.batch - half, settings.segment_frames, rng),
            ]
        )
        loss = functional.binary_cross_entropy_with_logits(net(x), labels)
        optimiser.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        optimiser.step()
        step += 1
        if step % config.check_every == 0 or step == config.steps:
            eer = equal_error_rate(truth.astype(int), file_logits(net, checks, settings))[0]
            history.append((step, round(float(eer), 4)))
            if eer <= best[0]:
                best = (eer, {k: v.clone() for k, v in net.state_dict().items()}, step)
        if progress is not None:
            progress("training", step, config.steps)
    if not history or history[-1][0] != step:
        eer = equal_error_rate(truth.astype(int), file_logits(net, checks, settings))[0]
        history.append((step, round(float(eer), 4)))
        if eer <= best[0]:
            best = (eer, {k: v.clone() for k, v in net.state_dict().items()}, step)
    net.load_state_dict(best[1])
    net.eval()
    platt = platt_fit(file_logits(net, checks, settings), truth)
    details = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "training": json.dumps(
            {
                "steps": step,
                "kept_step": best[2],
                "minutes": round((time.monotonic() - started) / 60, 1),
                "windows_pool": len(pool),
                "calibration_eer": history,
                "parameters": sum(p.numel() for p in net.parameters()),
            }
        ),
        **(info or {}),
    }
    return CnnVoiceModel(settings=settings, net=net, platt=platt, info=details)
