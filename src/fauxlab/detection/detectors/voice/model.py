"""The voice classifier: a linear model on LFCC statistics (the issue's baseline and the
ASVspoof LFCC front end), in the whole-image detectors' model file format.

Each 2 s window of speech gets a logit; the file's probability is the calibrated mean
logit of its windows, so one odd window does not decide a whole call.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from fauxlab.detection.detectors.voice.features import LfccSettings, Segments
from fauxlab.detection.linear import LinearModel, read_model_file, read_shipped, sigmoid

FORMAT = "fauxlab-voice-detector/1"
SHIPPED = "voice.safetensors"


@dataclass(kw_only=True)
class VoiceModel(LinearModel[LfccSettings]):
    file_format: ClassVar[str] = FORMAT

    def window_probabilities(self, segments: Segments) -> NDArray[np.float64]:
        """Calibrated P(synthetic) of each window."""
        if len(segments.features) == 0:
            return np.zeros(0)
        return self.probability(segments.features)

    def file_probability(self, segments: Segments) -> float | None:
        """Calibrated P(synthetic) of the whole recording: its windows' mean logit."""
        if len(segments.features) == 0:
            return None
        a, b = self.platt
        return float(sigmoid(np.array(a * self.logits(segments.features).mean() + b)))


def load_model(path: Path) -> VoiceModel:
    """Read a model file; anything missing, damaged or of another kind is a ModelError."""
    file = read_model_file(path, FORMAT, "voice detector", LfccSettings.from_json, lambda s: s.size)
    return VoiceModel(settings=file.settings, info=file.info, **file.head)


def load_shipped_model() -> VoiceModel:
    """The model that ships inside the package (fauxlab/assets/detectors/)."""
    return read_shipped(SHIPPED, load_model)
