"""Train the spectral detector: radial-spectrum features of laundered reals and fakes,
logistic regression, Platt scaling on a calibration split, and held-out AUC per source
pair (the loop itself is shared with the other whole-image detectors:
`fauxlab.detection.imagetrain`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from fauxlab.detection.detectors.spectrum.features import (
    FeatureSettings,
    FloatArray,
    spectrum_features,
)
from fauxlab.detection.detectors.spectrum.model import SpectrumModel
from fauxlab.detection.imagetrain import (
    EVAL_JPEG,
    Scorer,
    SourceConfig,
    TrainReport,
    train_head,
    training_info,
)
from fauxlab.detection.linear import LinearFit
from fauxlab.media.images import RGBImage
from fauxlab.training.loop import Progress

__all__ = ["EVAL_JPEG", "L2_GRID", "SpectrumTrainConfig", "TrainReport", "train_spectrum"]

L2_GRID = (0.01, 0.1, 1.0, 10.0, 100.0)


@dataclass(frozen=True)
class SpectrumTrainConfig(SourceConfig):
    settings: FeatureSettings = field(default_factory=FeatureSettings)


def train_spectrum(
    config: SpectrumTrainConfig, command: str, progress: Progress | None = None
) -> tuple[SpectrumModel, TrainReport]:
    """Build the sources, train, calibrate and evaluate; the model records `command`."""
    settings = config.settings

    def featurize(images: Iterable[RGBImage]) -> FloatArray:
        rows = [spectrum_features(image, settings) for image in images]
        return np.array(rows, dtype=np.float32).reshape(len(rows), settings.size)

    def model_of(fit: LinearFit) -> SpectrumModel:
        return SpectrumModel(settings=settings, **fit.head())

    def scorer(fit: LinearFit) -> Scorer:
        return model_of(fit).probability

    trained = train_head(config, featurize, scorer, L2_GRID, progress=progress)
    model = model_of(trained.fit)
    x, y = trained.x, trained.y
    model.real_profile = x[y == 0, : settings.bins].mean(axis=0)
    model.fake_profile = x[y == 1, : settings.bins].mean(axis=0)
    model.info = training_info(command, trained.report)
    return model, trained.report
