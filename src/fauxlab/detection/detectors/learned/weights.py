"""The exported detector: fp16 weights plus what is needed to use them, in one file.

The safetensors metadata carries the format version, the input size and margin, the
Platt calibration, the validation AUCs and the command that trained it, so a weights
file is never separated from how to read its output.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from fauxlab.backbones.lite0 import fold_batchnorm
from fauxlab.detection.detectors.learned.calibrate import Platt, Validation
from fauxlab.detection.detectors.learned.crops import CropGeometry
from fauxlab.detection.detectors.learned.model import ForgeryNet
from fauxlab.errors import ModelError
from fauxlab.training.checkpoint import load_weights, save_weights

FORMAT = "fauxlab.learned-detector/1"
BUILTIN = "detectors/learned.safetensors"


@dataclass(frozen=True)
class LoadedDetector:
    model: ForgeryNet
    calibration: Platt
    metadata: dict[str, Any]
    path: Path
    geometry: CropGeometry


def export_detector(
    model: ForgeryNet,
    validation: Validation,
    path: Path,
    config: dict[str, Any],
    command: str,
    geometry: CropGeometry,
) -> str:
    """Write the detector atomically; returns the file's SHA-256."""
    tensors = {k: (v.half() if v.is_floating_point() else v) for k, v in model.state_dict().items()}
    metadata = {
        "format": FORMAT,
        "input_size": str(geometry.size),
        "input_margin": str(geometry.margin),
        "platt_scale": repr(validation.calibration.scale),
        "platt_bias": repr(validation.calibration.bias),
        "validation": json.dumps({"auc": validation.auc, "auc_jpeg75": validation.auc_jpeg75}),
        "config": json.dumps(config),
        "command": command,
    }
    return save_weights(path, tensors, metadata)


def builtin_path() -> Path:
    return Path(str(resources.files("fauxlab.assets").joinpath(BUILTIN)))


def load_detector(path: Path | None = None) -> LoadedDetector:
    """A detector file (or a run folder holding detector.safetensors); the shipped one
    when `path` is None."""
    path = builtin_path() if path is None else path
    if path.is_dir():
        path = path / "detector.safetensors"
    tensors, metadata = load_weights(path)
    if metadata.get("format") != FORMAT:
        raise ModelError(f"{path}: not a fauxlab learned-detector file ({FORMAT})")
    try:
        geometry = CropGeometry(int(metadata["input_size"]), float(metadata["input_margin"]))
    except (KeyError, ValueError) as exc:
        raise ModelError(f"{path}: the file does not say what crop it was made for") from exc
    if not 64 <= geometry.size <= 1024 or geometry.size % 8:
        raise ModelError(f"{path}: made for {geometry.size} px crops, which fauxlab cannot cut")
    model = ForgeryNet(pretrained=False)
    try:
        model.load_state_dict({k: v.float() if v.is_floating_point() else v
                               for k, v in tensors.items()})  # fmt: skip
    except RuntimeError as exc:
        raise ModelError(f"{path}: weights do not fit the detector network ({exc})") from exc
    fold_batchnorm(model)  # loaded to detect, never to train on
    calibration = Platt(float(metadata["platt_scale"]), float(metadata["platt_bias"]))
    return LoadedDetector(model, calibration, metadata, path, geometry)
