"""The spectral classifier: standardised features, logistic regression, Platt scaling.

A linear model is enough here (Durall et al. separate GAN faces from real ones with a
handful of samples) and stays readable: each weight belongs to one frequency ring. The
whole model is a few hundred numbers in a small safetensors file whose metadata carries
the feature settings, so a file alone reproduces the features it was trained on. The
head and its file format are shared with the other whole-image detectors
(`fauxlab.detection.linear`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from fauxlab.detection.detectors.spectrum.features import FeatureSettings, FloatArray
from fauxlab.detection.linear import (
    LinearModel,
    fit_logistic,
    read_model_file,
    read_shipped,
    sigmoid,
)

__all__ = ["FORMAT", "SpectrumModel", "fit_logistic", "load_model", "sigmoid"]

FORMAT = "fauxlab-spectrum-detector/1"
SHIPPED = "spectrum.safetensors"
_PROFILES = ("real_profile", "fake_profile")


@dataclass(kw_only=True)
class SpectrumModel(LinearModel[FeatureSettings]):
    """Everything needed to score an image and to draw its figure."""

    file_format: ClassVar[str] = FORMAT
    real_profile: FloatArray = field(default_factory=lambda: np.zeros(0, np.float32))
    fake_profile: FloatArray = field(default_factory=lambda: np.zeros(0, np.float32))

    def extra_tensors(self) -> dict[str, NDArray[Any]]:
        return {"real_profile": self.real_profile, "fake_profile": self.fake_profile}


def load_model(path: Path) -> SpectrumModel:
    """Read a model file; anything missing, damaged or of another kind is a ModelError."""
    file = read_model_file(
        path, FORMAT, "spectral detector", FeatureSettings.from_json, lambda s: s.size, _PROFILES
    )
    return SpectrumModel(
        settings=file.settings,
        real_profile=file.tensors["real_profile"],
        fake_profile=file.tensors["fake_profile"],
        info=file.info,
        **file.head,
    )


def load_shipped_model() -> SpectrumModel:
    """The model that ships inside the package (fauxlab/assets/detectors/)."""
    return read_shipped(SHIPPED, load_model)


def metrics_of(model: SpectrumModel) -> dict[str, Any]:
    """The held-out numbers recorded at training time (empty if none)."""
    return model.metrics()
