"""Train the spectral detector: features of laundered reals and fakes, logistic
regression, Platt scaling on a calibration split, and held-out AUC per source pair.

Held-out evaluation uses images no step of training saw (each folder's last files by
name, generator samples from a separate latent stream), both as they are and after JPEG
quality 75, the everyday re-share.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from fauxlab.detection.spectrum.augment import Augmentation, jpeg, launder
from fauxlab.detection.spectrum.data import (
    FolderSource,
    GeneratorSource,
    Source,
    check_sources,
    split_count,
)
from fauxlab.detection.spectrum.features import FeatureSettings, FloatArray, spectrum_features
from fauxlab.detection.spectrum.metrics import auc, balanced_accuracy
from fauxlab.detection.spectrum.model import SpectrumModel, fit_logistic, sigmoid
from fauxlab.errors import InputError

Progress = Callable[[str, int, int], None]
L2_GRID = (0.01, 0.1, 1.0, 10.0, 100.0)
EVAL_JPEG = 75


@dataclass(frozen=True)
class SpectrumTrainConfig:
    reals: tuple[Path, ...]
    fakes: tuple[Path, ...] = ()
    generators: tuple[str, ...] = ()
    per_class: int = 4000  # training images per class, spread over its sources
    seed: int = 0
    size: int = 64  # every image is first brought to the fakes' size
    holdout: int = 1000  # last files by name of each folder, for evaluation only
    eval_per_source: int = 1000
    calibration: float = 0.2  # share of the training images kept for Platt scaling
    settings: FeatureSettings = field(default_factory=FeatureSettings)
    augmentation: Augmentation = field(default_factory=Augmentation)

    def check(self) -> None:
        if self.per_class < 10:
            raise InputError(f"--n must be at least 10 images a class, got {self.per_class}")
        if self.holdout < 0:
            raise InputError(f"--holdout must be 0 or more, got {self.holdout}")


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


def _features(images: Iterator[Any], settings: FeatureSettings) -> FloatArray:
    rows = [spectrum_features(image, settings) for image in images]
    return np.array(rows, dtype=np.float32).reshape(len(rows), settings.size)


def _training_pool(
    sources: list[Source], total: int, config: SpectrumTrainConfig, rng: np.random.Generator
) -> FloatArray:
    parts = []
    for source, count in zip(sources, split_count(total, len(sources)), strict=True):
        laundered = (launder(im, rng, config.augmentation) for im in source.training(count, rng))
        parts.append(_features(laundered, config.settings))
    return np.concatenate(parts)


def _log_loss(p: NDArray[np.float64], y: NDArray[np.float64]) -> float:
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return float(-(y * np.log(p) + (1 - y) * np.log(1 - p)).mean())


def _fit(
    x: FloatArray, y: NDArray[np.float64], config: SpectrumTrainConfig, rng: np.random.Generator
) -> tuple[SpectrumModel, float]:
    """Choose the L2 strength and the Platt scaling on the calibration split."""
    order = rng.permutation(len(y))
    cut = int(len(y) * (1 - config.calibration))
    fit_i, cal_i = order[:cut], order[cut:]
    mean = x[fit_i].mean(axis=0)
    std = x[fit_i].std(axis=0) + 1e-6
    z = (x.astype(np.float64) - mean) / std
    best: tuple[float, float, NDArray[np.float64], float] | None = None
    for l2 in L2_GRID:
        weights, bias = fit_logistic(z[fit_i], y[fit_i], l2)
        loss = _log_loss(sigmoid(z[cal_i] @ weights + bias), y[cal_i])
        if best is None or loss < best[0]:
            best = (loss, l2, weights, bias)
    assert best is not None
    _, l2, weights, bias = best
    a, b = fit_logistic((z[cal_i] @ weights + bias)[:, None], y[cal_i], l2=1e-6)
    model = SpectrumModel(
        settings=config.settings,
        mean=mean.astype(np.float32),
        std=std.astype(np.float32),
        weights=weights.astype(np.float32),
        bias=bias,
        platt=(float(a[0]), b),
        real_profile=x[y == 0, : config.settings.bins].mean(axis=0),
        fake_profile=x[y == 1, : config.settings.bins].mean(axis=0),
    )
    return model, l2


def _held_out(source: Source, config: SpectrumTrainConfig) -> tuple[FloatArray, FloatArray]:
    """Features of a source's held-out images, clean and after JPEG 75."""
    clean, compressed = [], []
    for image in source.held_out(config.eval_per_source):
        clean.append(spectrum_features(image, config.settings))
        compressed.append(spectrum_features(jpeg(image, EVAL_JPEG), config.settings))
    if not clean:
        raise InputError(
            f"{source.name}: no held-out images to evaluate on; add images or lower --holdout"
        )
    return np.array(clean), np.array(compressed)


def _evaluate(
    model: SpectrumModel, reals: list[Source], fakes: list[Source], config: SpectrumTrainConfig,
    progress: Progress,
) -> tuple[list[dict[str, Any]], dict[str, float], dict[str, int]]:  # fmt: skip
    scores: dict[str, tuple[str, NDArray[np.float64], NDArray[np.float64]]] = {}
    labelled = [("real", s) for s in reals] + [("fake", s) for s in fakes]
    for done, (kind, source) in enumerate(labelled):
        progress("evaluating", done, len(labelled))
        clean, compressed = _held_out(source, config)
        key = f"{kind}:{source.name}"
        while key in scores:  # two sources of one kind with the same folder name
            key += "'"
        scores[key] = (kind, model.probability(clean), model.probability(compressed))
    pairs = []
    for fake_key, (fake_kind, fake_clean, fake_jpeg) in scores.items():
        for real_key, (real_kind, real_clean, real_jpeg) in scores.items():
            if fake_kind != "fake" or real_kind != "real":
                continue
            pairs.append(
                {
                    "fake": fake_key.split(":", 1)[1],
                    "real": real_key.split(":", 1)[1],
                    "auc": round(auc(fake_clean, real_clean), 4),
                    "accuracy": round(balanced_accuracy(fake_clean, real_clean, 0.5), 4),
                    "auc_jpeg75": round(auc(fake_jpeg, real_jpeg), 4),
                    "accuracy_jpeg75": round(balanced_accuracy(fake_jpeg, real_jpeg, 0.5), 4),
                }
            )
    fake_all = [np.concatenate([v[i] for v in scores.values() if v[0] == "fake"]) for i in (1, 2)]
    real_all = [np.concatenate([v[i] for v in scores.values() if v[0] == "real"]) for i in (1, 2)]
    overall = {
        "auc": round(auc(fake_all[0], real_all[0]), 4),
        "accuracy": round(balanced_accuracy(fake_all[0], real_all[0], 0.5), 4),
        "auc_jpeg75": round(auc(fake_all[1], real_all[1]), 4),
        "accuracy_jpeg75": round(balanced_accuracy(fake_all[1], real_all[1], 0.5), 4),
    }
    counts = {"held_out_fake": int(fake_all[0].size), "held_out_real": int(real_all[0].size)}
    return pairs, overall, counts


def _describe(reals: list[Source], fakes: list[Source]) -> list[dict[str, Any]]:
    """What each source was, so a model card can say exactly what the model saw."""
    rows: list[dict[str, Any]] = []
    for kind, sources in (("real", reals), ("fake", fakes)):
        for source in sources:
            if isinstance(source, GeneratorSource):
                g = source.generator
                rows.append(
                    {"kind": kind, "generator": source.source, "step": g.step, "sha256": g.sha256}
                )
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


def train_spectrum(
    config: SpectrumTrainConfig, command: str, progress: Progress | None = None
) -> tuple[SpectrumModel, TrainReport]:
    """Build the sources, train, calibrate and evaluate; the model records `command`."""
    config.check()
    report_progress: Progress = progress or (lambda phase, done, total: None)
    reals: list[Source] = [FolderSource(p, 0, config.size, config.holdout) for p in config.reals]
    fakes: list[Source] = [FolderSource(p, 1, config.size, config.holdout) for p in config.fakes]
    fakes += [GeneratorSource(g, config.size, config.seed) for g in config.generators]
    check_sources(reals, fakes)
    rng = np.random.default_rng(config.seed)
    report_progress("real features", 0, 2)
    x_real = _training_pool(reals, config.per_class, config, rng)
    report_progress("fake features", 1, 2)
    x_fake = _training_pool(fakes, config.per_class, config, rng)
    x = np.concatenate([x_real, x_fake])
    y = np.concatenate([np.zeros(len(x_real)), np.ones(len(x_fake))])
    model, l2 = _fit(x, y, config, rng)
    pairs, overall, counts = _evaluate(model, reals, fakes, config, report_progress)
    counts |= {"train_real": len(x_real), "train_fake": len(x_fake)}
    skipped = sorted(str(p) for s in [*reals, *fakes] for p in s.skipped)
    report = TrainReport(pairs, overall, counts, skipped, l2, _describe(reals, fakes))
    model.info = {
        "version": "1",
        "command": command,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d"),
        "metrics": json.dumps({**report.to_dict(), "skipped": len(skipped)}),
    }
    return model, report
