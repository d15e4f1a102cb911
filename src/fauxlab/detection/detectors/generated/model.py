"""The generated-image classifier: a linear probe on the 1280 frozen Lite0 features.

The file holds the standardisation, 1280 weights, a bias and the Platt pair (about 15 KB;
a PCA, if one was used in fitting, is folded into the weights), and in its metadata the
feature settings, the command, the date and the held-out metrics.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from fauxlab.detection.detectors.generated.features import FeatureSettings
from fauxlab.detection.linear import LinearModel, read_model_file, read_shipped

FORMAT = "fauxlab-generated-detector/1"
SHIPPED = "generated.safetensors"


@dataclass(kw_only=True)
class GeneratedModel(LinearModel[FeatureSettings]):
    """P(generated) from Lite0 features."""

    file_format: ClassVar[str] = FORMAT


def load_model(path: Path) -> GeneratedModel:
    """Read a model file; anything missing, damaged or of another kind is a ModelError."""
    file = read_model_file(
        path, FORMAT, "generated-image detector", FeatureSettings.from_json, lambda s: s.size
    )
    return GeneratedModel(settings=file.settings, info=file.info, **file.head)


def load_shipped_model() -> GeneratedModel:
    """The model that ships inside the package (fauxlab/assets/detectors/)."""
    return read_shipped(SHIPPED, load_model)
