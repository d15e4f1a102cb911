"""Training a whole-image detector, whatever its features: laundered reals and fakes,
a linear head (`fauxlab.detection.linear`) and held-out AUC per source pair.

The spectral and the generated-image detectors differ only in the function that turns
images into feature vectors; the sources, the augmentation, the split and the report
are one piece of code, so their numbers are comparable. Held-out evaluation uses images
no step of training saw (each folder's held-out files, generator samples from a separate
latent stream), both as they are and after JPEG quality 75, the everyday re-share.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from fauxlab.detection.detectors.spectrum.augment import Augmentation, jpeg, launder
from fauxlab.detection.detectors.spectrum.data import (
    FolderSource,
    SampledSource,
    Sampler,
    Source,
    check_sources,
    split_count,
)
from fauxlab.detection.detectors.spectrum.metrics import auc, balanced_accuracy
from fauxlab.detection.linear import FloatArray, LinearFit, fit_linear
from fauxlab.errors import InputError, SettingError
from fauxlab.media.images import RGBImage
from fauxlab.training.loop import Progress, Tick

Featurizer = Callable[[Iterable[RGBImage]], FloatArray]  # images -> (N, F)
Scorer = Callable[[FloatArray], NDArray[np.float64]]  # features -> P(fake)
EVAL_JPEG = 75


@dataclass(frozen=True)
class SourceConfig:
    """What to train on and how; each detector's config adds its feature settings."""

    reals: tuple[Path, ...]
    fakes: tuple[Path, ...] = ()
    generators: tuple[Sampler, ...] = ()  # generated fakes drawn in memory
    per_class: int = 4000  # training images per class, spread over its sources
    seed: int = 0
    size: int = 64  # every image is first brought to the fakes' size
    holdout: int = 1000  # held-out files of each folder, for evaluation only
    eval_per_source: int = 1000
    calibration: float = 0.2  # share of the training images kept for Platt scaling
    augmentation: Augmentation = field(default_factory=Augmentation)

    def check(self) -> None:
        if self.per_class < 10:
            raise SettingError(
                f"`per_class` must be at least 10 images a class, got {self.per_class}",
                settings=["per_class"],
            )
        if self.holdout < 0:
            raise SettingError(
                f"`holdout` must be 0 or more, got {self.holdout}", settings=["holdout"]
            )


@dataclass
class TrainReport:
    pairs: list[dict[str, Any]]  # one row per (fake source, real source)
    overall: dict[str, float]
    counts: dict[str, int]
    skipped: list[str]
    l2: float
    sources: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "pairs": self.pairs,
            "overall": self.overall,
            "counts": self.counts,
            "skipped": self.skipped,
            "l2": self.l2,
            "sources": self.sources,
        }


@dataclass
class Trained:
    """A fitted head, its report, and the training features (for extras like profiles)."""

    fit: LinearFit
    report: TrainReport
    x: FloatArray
    y: NDArray[np.float64]


def build_sources(config: SourceConfig) -> tuple[list[Source], list[Source]]:
    """(reals, fakes) as folders and in-memory samplers; refuses an empty side."""
    reals: list[Source] = [FolderSource(p, 0, config.size, config.holdout) for p in config.reals]
    fakes: list[Source] = [FolderSource(p, 1, config.size, config.holdout) for p in config.fakes]
    fakes += [SampledSource(g, config.size, config.seed) for g in config.generators]
    check_sources(reals, fakes)
    return reals, fakes


def training_pool(
    sources: list[Source],
    total: int,
    config: SourceConfig,
    rng: np.random.Generator,
    featurize: Featurizer,
) -> FloatArray:
    """Features of `total` laundered training images spread evenly over `sources`."""
    parts = []
    for source, count in zip(sources, split_count(total, len(sources)), strict=True):
        laundered = (launder(im, rng, config.augmentation) for im in source.training(count, rng))
        parts.append(featurize(laundered))
    return np.concatenate(parts)


def held_out_features(
    source: Source, count: int, featurize: Featurizer
) -> tuple[FloatArray, FloatArray]:
    """Features of a source's held-out images, clean and after JPEG 75."""
    images = list(source.held_out(count))
    if not images:
        raise InputError(
            f"{source.name}: no held-out images to evaluate on; add images or lower `holdout`",
            settings=["holdout"],
        )
    return featurize(images), featurize(jpeg(image, EVAL_JPEG) for image in images)


Scores = tuple[NDArray[np.float64], ...]  # (clean, after JPEG 75)


def _row(fake: Scores, real: Scores) -> dict[str, float]:
    return {
        "auc": round(auc(fake[0], real[0]), 4),
        "accuracy": round(balanced_accuracy(fake[0], real[0], 0.5), 4),
        "auc_jpeg75": round(auc(fake[1], real[1]), 4),
        "accuracy_jpeg75": round(balanced_accuracy(fake[1], real[1], 0.5), 4),
    }


def evaluate(
    score: Scorer, reals: list[Source], fakes: list[Source], config: SourceConfig,
    featurize: Featurizer, progress: Progress,
) -> tuple[list[dict[str, Any]], dict[str, float], dict[str, int]]:  # fmt: skip
    """Held-out AUC and balanced accuracy for every (fake, real) pair and over all."""
    scores: dict[str, tuple[str, NDArray[np.float64], NDArray[np.float64]]] = {}
    labelled = [("real", s) for s in reals] + [("fake", s) for s in fakes]
    for done, (kind, source) in enumerate(labelled):
        progress(Tick("evaluating", done, len(labelled)))
        clean, compressed = held_out_features(source, config.eval_per_source, featurize)
        key = f"{kind}:{source.name}"
        while key in scores:  # two sources of one kind with the same folder name
            key += "'"
        scores[key] = (kind, score(clean), score(compressed))
    pairs = []
    for fake_key, (fake_kind, *fake) in scores.items():
        for real_key, (real_kind, *real) in scores.items():
            if fake_kind == "fake" and real_kind == "real":
                names = {"fake": fake_key.split(":", 1)[1], "real": real_key.split(":", 1)[1]}
                pairs.append({**names, **_row(tuple(fake), tuple(real))})
    fake_all = tuple(
        np.concatenate([v[i] for v in scores.values() if v[0] == "fake"]) for i in (1, 2)
    )
    real_all = tuple(
        np.concatenate([v[i] for v in scores.values() if v[0] == "real"]) for i in (1, 2)
    )
    counts = {"held_out_fake": int(fake_all[0].size), "held_out_real": int(real_all[0].size)}
    return pairs, _row(fake_all, real_all), counts


def describe(reals: list[Source], fakes: list[Source]) -> list[dict[str, Any]]:
    """What each source was, so a model card can say exactly what the model saw."""
    rows: list[dict[str, Any]] = []
    for kind, sources in (("real", reals), ("fake", fakes)):
        for source in sources:
            if isinstance(source, SampledSource):
                rows.append({"kind": kind, **source.sampler.describe()})
            else:
                rows.append(
                    {
                        "kind": kind,
                        "folder": str(source.folder),
                        "train_files": len(source.train_files),
                        "held_out_files": len(source.held_files),
                    }
                )
    return rows


def train_head(
    config: SourceConfig,
    featurize: Featurizer,
    make_scorer: Callable[[LinearFit], Scorer],
    l2_grid: tuple[float, ...],
    components: int | None = None,
    progress: Progress | None = None,
    platt_prior: bool = False,
) -> Trained:
    """Build the sources, extract laundered training features, fit and calibrate the
    head, and evaluate the scorer made from it on every held-out source."""
    config.check()
    report_progress: Progress = progress or (lambda tick: None)
    reals, fakes = build_sources(config)
    rng = np.random.default_rng(config.seed)
    report_progress(Tick("real features", 0, 2))
    x_real = training_pool(reals, config.per_class, config, rng, featurize)
    report_progress(Tick("fake features", 1, 2))
    x_fake = training_pool(fakes, config.per_class, config, rng, featurize)
    x = np.concatenate([x_real, x_fake])
    y = np.concatenate([np.zeros(len(x_real)), np.ones(len(x_fake))])
    fit = fit_linear(x, y, rng, l2_grid, config.calibration, components, platt_prior)
    pairs, overall, counts = evaluate(
        make_scorer(fit), reals, fakes, config, featurize, report_progress
    )
    counts |= {"train_real": len(x_real), "train_fake": len(x_fake)}
    skipped = sorted(str(p) for s in [*reals, *fakes] for p in s.skipped)
    report = TrainReport(pairs, overall, counts, skipped, fit.l2, describe(reals, fakes))
    return Trained(fit, report, x, y)


def training_info(command: str, report: TrainReport) -> dict[str, str]:
    """The metadata every model file records: version, command, date, held-out metrics."""
    return {
        "version": "1",
        "command": command,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d"),
        "metrics": json.dumps({**report.to_dict(), "skipped": len(report.skipped)}),
    }
