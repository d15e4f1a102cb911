"""The voice classifiers and their model files.

Two kinds share the detector: a linear model on LFCC statistics and spectral detail
(the issue's baseline and the ASVspoof LFCC front end, in the whole-image detectors'
model file format), and a small CNN on the log spectrogram (`cnn.py`, its own format,
read only when a file holds one, so the linear model never imports torch). Either gives
each 2 s window of speech a logit; the file's probability is the calibrated mean logit
of its windows, so one odd window does not decide a whole call.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol

import numpy as np
from numpy.typing import NDArray
from safetensors import SafetensorError, safe_open

from fauxlab.detection.detectors.voice.features import (
    FloatArray,
    Judgement,
    LfccSettings,
    Segments,
)
from fauxlab.detection.linear import LinearModel, read_model_file, read_shipped, sigmoid
from fauxlab.errors import ModelError

FORMAT = "fauxlab-voice-detector/1"
CNN_FORMAT = "fauxlab-voice-cnn/1"
SHIPPED = "voice.safetensors"  # the linear model (`--voice-model linear`)
# the CNN, the detector's default since its second version (voice.md: far fewer real
# voices called fake and far better on neural speech; worse after MP3 on the vocoders)
SHIPPED_CNN = "voice-cnn.safetensors"


class VoiceJudge(Protocol):
    """What the detector needs of a voice model of either kind."""

    settings: LfccSettings
    info: dict[str, str]

    def judge(self, samples: FloatArray) -> Judgement: ...

    def metrics(self) -> dict[str, Any]: ...

    def save(self, path: Path) -> None: ...


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

    def judge(self, samples: FloatArray) -> Judgement:
        from fauxlab.detection.detectors.voice.windows import segment_features

        segments = segment_features(samples, self.settings)
        return Judgement(
            segments.starts,
            segments.ends,
            self.window_probabilities(segments),
            self.file_probability(segments),
        )


def _format_of(path: Path) -> str | None:
    if not path.is_file():
        raise ModelError(f"{path}: voice detector model not found")
    try:
        with safe_open(str(path), framework="numpy") as handle:
            return (handle.metadata() or {}).get("format")
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelError(f"{path}: model file is truncated or corrupt ({exc})") from exc


def load_model(path: Path) -> VoiceJudge:
    """Read a model file of either kind; anything missing, damaged or of another kind
    is a ModelError."""
    if _format_of(path) == CNN_FORMAT:
        from fauxlab.detection.detectors.voice.cnn import load_cnn_model

        return load_cnn_model(path)
    return load_linear_model(path)


def load_linear_model(path: Path) -> VoiceModel:
    """Read a linear model file."""
    file = read_model_file(path, FORMAT, "voice detector", LfccSettings.from_json, lambda s: s.size)
    return VoiceModel(settings=file.settings, info=file.info, **file.head)


def load_shipped_model() -> VoiceJudge:
    """The linear model that ships inside the package (fauxlab/assets/detectors/)."""
    return read_shipped(SHIPPED, load_model)


def load_shipped_cnn() -> VoiceJudge:
    """The CNN that ships inside the package: the detector's default."""
    return read_shipped(SHIPPED_CNN, load_model)


def load_named_model(model: str | None) -> VoiceJudge:
    """The detector's `model` option: None or "cnn" for the shipped CNN (the default),
    "linear" for the shipped linear model, else a model file's path."""
    if model is None or model == "cnn":
        return load_shipped_cnn()
    if model == "linear":
        return load_shipped_model()
    return load_model(Path(model))
