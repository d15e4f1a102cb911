"""Training the voice CNN on recordings handed in (real speech and its fakes).

Each recording and its augmented copies (MP3 and Opus at low bit rates, the telephone
band, a lower sample rate, noise: `train.AUGMENTATIONS`; with `channels="wide"` also
rooms, coloured background noise, loudness and AAC: `channels.WIDE_AUGMENTATIONS`) become
log spectrograms once; batches then take random 2 s windows of speech from them, half
real and half fake, so each step sees windows the grid of the detector would not cut.
Reals may get more augmented copies than fakes (`real_copies`: there are four fakes per
real, so the real class otherwise hears a quarter of the channels); batches then draw
clean and augmented versions in the same shares for both classes, so that being
augmented is no cue. Training runs on one thread (the machine is shared), for a number
of steps or minutes, whichever ends first, the learning rate constant or falling on a
cosine over whichever of the two ends first; the weights kept are those with the lowest
EER on the calibration recordings (training side, other speakers), on which the Platt
scaling is then fitted, file by file, and, with `false_alarm_target`, its 0.5 point
raised until at most that share of the calibration reals (clean and through several
channels) reach it.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import torch
from numpy.typing import NDArray
from torch.nn import functional

from fauxlab.detection.detectors.voice.channels import CHANNEL_SETS, Augmentation, augment_with
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
from fauxlab.detection.detectors.voice.train import Recording
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
    channels: str = "codecs"  # CHANNEL_SETS: "codecs" (the first CNN's) or "wide"
    real_copies: int | None = None  # augmented copies of each real (None: augmented_copies)
    cosine: bool = False  # the learning rate falls on a cosine to 2% of its start
    false_alarm_target: float | None = None  # share of calibration reals allowed at P >= 0.5

    def __post_init__(self) -> None:
        if self.channels not in CHANNEL_SETS:
            choices = ", ".join(CHANNEL_SETS)
            raise InputError(f"unknown channel set {self.channels!r}; choose from {choices}")
        if self.real_copies is not None and self.real_copies < 0:
            raise InputError(f"real copies must be 0 or more, got {self.real_copies}")
        target = self.false_alarm_target
        if target is not None and not 0.0 <= target < 1.0:
            raise InputError(f"the false-alarm target must lie in [0, 1), got {target}")


CALIBRATION_REAL_COPIES = 4  # channel versions of each calibration real for the 0.5 point
FINAL_LEARNING_RATE = 0.02  # of the first, at the end of the cosine


@dataclass(frozen=True)
class Spectrogram:
    """One version of one recording: its dB spectrogram (frames x bins, float16) and
    the frames where a window with enough speech may start."""

    db: NDArray[np.float16]
    starts: NDArray[np.int_]
    fake: bool
    clean: bool = True  # the recording as given, not an augmented copy


def spectrogram(
    samples: NDArray[np.float32], settings: LfccSettings, fake: bool, clean: bool = True
) -> Spectrogram:
    db = log_spectrogram(samples, settings)
    speech = speech_frames(frame_levels(samples, settings))[: len(db)].astype(np.float64)
    length = settings.segment_frames
    if len(db) < length:
        return Spectrogram(db.astype(np.float16), np.zeros(0, int), fake, clean)
    share = np.convolve(speech, np.ones(length) / length, mode="valid")
    starts = np.flatnonzero(share >= MIN_SPEECH_SHARE)
    return Spectrogram(db.astype(np.float16), starts, fake, clean)


def spectrograms(
    recordings: Sequence[Recording],
    settings: LfccSettings,
    copies: int,
    rng: np.random.Generator,
    progress: Progress | None = None,
    table: dict[str, Augmentation] = CHANNEL_SETS["codecs"],
    real_copies: int | None = None,
) -> list[Spectrogram]:
    """Every recording and `copies` augmented versions of it (`real_copies` for reals,
    when given), drawn from `table`, as spectrograms."""
    out = []
    for i, recording in enumerate(recordings):
        count = copies if real_copies is None or recording.fake else real_copies
        out.append(spectrogram(recording.samples, settings, recording.fake))
        out += [
            spectrogram(
                augment_with(table, recording.samples, settings.rate, rng),
                settings,
                recording.fake,
                clean=False,
            )
            for _ in range(count)
        ]
        if progress is not None:
            progress("spectrograms", i + 1, len(recordings))
    return [s for s in out if len(s.starts)]


def _picks(
    pool: list[Spectrogram], count: int, clean_share: float | None, rng: np.random.Generator
) -> list[int]:
    """`count` indices into `pool`: uniform, or clean versions with `clean_share`."""
    if clean_share is None:
        return [int(k) for k in rng.integers(len(pool), size=count)]
    clean = [i for i, s in enumerate(pool) if s.clean]
    augmented = [i for i, s in enumerate(pool) if not s.clean]
    out = []
    for take_clean in rng.random(count) < clean_share:
        group = clean if (take_clean and clean) or not augmented else augmented
        out.append(group[int(rng.integers(len(group)))])
    return out


def _batch(
    pool: list[Spectrogram],
    count: int,
    length: int,
    rng: np.random.Generator,
    clean_share: float | None = None,
) -> torch.Tensor:
    windows = []
    for k in _picks(pool, count, clean_share, rng):
        item = pool[k]
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


def raise_threshold(
    platt: tuple[float, float], real_logits: NDArray[np.float64], target: float
) -> tuple[float, float]:
    """The Platt scaling with its 0.5 point moved up (never down) to where at most
    `target` of `real_logits` reach it; the slope is kept."""
    a, b = platt
    if a <= 0 or len(real_logits) == 0:
        return platt
    edge = float(np.quantile(real_logits, 1.0 - target, method="higher"))
    return a, min(b, -a * edge)


def learning_rate(config: CnnTrainConfig, step: int, seconds: float) -> float:
    """Constant, or on a cosine over the training's progress: the larger of the steps'
    share and the minutes' share done (training ends at whichever comes first)."""
    if not config.cosine:
        return config.learning_rate
    done = min(1.0, max(step / config.steps, seconds / (60 * config.minutes)))
    floor = FINAL_LEARNING_RATE * config.learning_rate
    return floor + (config.learning_rate - floor) * 0.5 * (1 + math.cos(math.pi * done))


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
    table = CHANNEL_SETS[config.channels]
    pool = spectrograms(
        recordings, settings, config.augmented_copies, rng, progress, table, config.real_copies
    )
    reals = [s for s in pool if not s.fake]
    fakes = [s for s in pool if s.fake]
    # with more copies of reals, both classes draw clean versions at the fakes' share
    clean_share = None if config.real_copies is None else 1 / (1 + config.augmented_copies)
    checks = [*calibration]
    checks += [
        Recording(r.name, augment_with(table, r.samples, settings.rate, rng), r.fake, r.family)
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
        for param_group in optimiser.param_groups:
            param_group["lr"] = learning_rate(config, step, time.monotonic() - started)
        x = torch.cat(
            [
                _batch(reals, half, settings.segment_frames, rng, clean_share),
                _batch(fakes, config.batch - half, settings.segment_frames, rng, clean_share),
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
    unshifted = platt
    if config.false_alarm_target is not None:
        reals_heard = [r for r in checks if not r.fake]
        reals_heard += [
            Recording(r.name, augment_with(table, r.samples, settings.rate, rng), False, r.family)
            for r in calibration
            if not r.fake
            for _ in range(CALIBRATION_REAL_COPIES - 1)
        ]
        real_logits = file_logits(net, reals_heard, settings)
        platt = raise_threshold(platt, real_logits, config.false_alarm_target)
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
                "channels": config.channels,
                "real_copies": config.real_copies,
                "cosine": config.cosine,
                "false_alarm_target": config.false_alarm_target,
                "platt_before_threshold": [round(v, 4) for v in unshifted],
            }
        ),
        **(info or {}),
    }
    return CnnVoiceModel(settings=settings, net=net, platt=platt, info=details)
