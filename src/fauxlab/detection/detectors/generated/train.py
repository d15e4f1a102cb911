"""Train the generated-image detector: frozen Lite0 features of laundered reals and of
our own GAN samples (drawn in memory), an L2 logistic regression, Platt scaling, and
held-out AUC per source pair, clean and after JPEG 75 (the loop is shared with the
spectral detector: `fauxlab.detection.imagetrain`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fauxlab.detection.detectors.generated.features import FeatureSettings, GeneratedFeatures
from fauxlab.detection.detectors.generated.model import GeneratedModel
from fauxlab.detection.imagetrain import (
    Scorer,
    SourceConfig,
    TrainReport,
    train_head,
    training_info,
)
from fauxlab.detection.linear import LinearFit
from fauxlab.training.loop import Progress

# 1280 correlated features and a few thousand images: the useful penalties are strong.
L2_GRID = (1.0, 10.0, 100.0, 1000.0, 10000.0)


@dataclass(frozen=True)
class GeneratedTrainConfig(SourceConfig):
    per_class: int = 2000  # a CPU extracts about 15 images/s at 128 px
    settings: FeatureSettings = field(default_factory=FeatureSettings)
    components: int | None = None  # PCA dimensions for the regression, None for all


def train_generated(
    config: GeneratedTrainConfig, command: str, progress: Progress | None = None
) -> tuple[GeneratedModel, TrainReport]:
    """Build the sources, train, calibrate and evaluate; the model records `command`."""
    featurize = GeneratedFeatures(config.settings)

    def model_of(fit: LinearFit) -> GeneratedModel:
        return GeneratedModel(settings=config.settings, **fit.head())

    def scorer(fit: LinearFit) -> Scorer:
        return model_of(fit).probability

    trained = train_head(
        config, featurize, scorer, L2_GRID, config.components, progress, platt_prior=True
    )
    model = model_of(trained.fit)
    model.info = training_info(command, trained.report)
    return model, trained.report
