"""The traces model file: fp16 weights, the settings to read them, calibration, card data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from fauxlab.detection.detectors.traces.model import TracesNet
from fauxlab.errors import ModelError
from fauxlab.training.checkpoint import load_weights, save_weights

FORMAT = "fauxlab.traces-detector/1"
SHIPPED = "detectors/traces.safetensors"


@dataclass(frozen=True)
class TracesSettings:
    width: int = 16
    crop: int = 64  # the training crop; the detector reads larger tiles
    platt_scale: float = 1.0
    platt_bias: float = 0.0


@dataclass(frozen=True)
class TracesModel:
    net: TracesNet
    settings: TracesSettings
    info: dict[str, Any]
    path: Path


def export(net: TracesNet, settings: TracesSettings, info: dict[str, Any], path: Path) -> str:
    """Write the model atomically; returns the file's SHA-256."""
    tensors = {k: (v.half() if v.is_floating_point() else v) for k, v in net.state_dict().items()}
    metadata = {
        "format": FORMAT,
        "settings": json.dumps(settings.__dict__),
        "info": json.dumps(info),
    }
    return save_weights(path, tensors, metadata)


def load_model(path: Path) -> TracesModel:
    """A traces model file; anything missing, damaged or of another kind is a ModelError."""
    tensors, metadata = load_weights(path)
    if metadata.get("format") != FORMAT:
        raise ModelError(f"{path}: not a fauxlab traces-detector file ({FORMAT})")
    try:
        settings = TracesSettings(**json.loads(metadata["settings"]))
        info = json.loads(metadata.get("info", "{}"))
        net = TracesNet(settings.width)
        net.load_state_dict({k: v.float() if v.is_floating_point() else v
                             for k, v in tensors.items()})  # fmt: skip
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise ModelError(f"{path}: the traces model does not load ({exc})") from exc
    return TracesModel(net.eval(), settings, info, path)


def load_shipped_model() -> TracesModel:
    resource = resources.files("fauxlab.assets").joinpath(SHIPPED)
    with resources.as_file(resource) as path:
        return load_model(Path(path))
