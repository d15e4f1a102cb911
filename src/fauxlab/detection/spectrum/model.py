"""The spectral classifier: standardised features, logistic regression, Platt scaling.

A linear model is enough here (Durall et al. separate GAN faces from real ones with a
handful of samples) and stays readable: each weight belongs to one frequency ring. The
whole model is a few hundred numbers in a small safetensors file whose metadata carries
the feature settings, so a file alone reproduces the features it was trained on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from safetensors import SafetensorError, safe_open
from safetensors.numpy import save

from fauxlab.detection.spectrum.features import FeatureSettings, FloatArray
from fauxlab.errors import ModelError
from fauxlab.training.checkpoint import write_atomic

FORMAT = "fauxlab-spectrum-detector/1"
SHIPPED = ("assets", "detectors", "spectrum.safetensors")
_TENSORS = ("mean", "std", "weights", "bias", "platt", "real_profile", "fake_profile")


def sigmoid(x: NDArray[np.float64]) -> NDArray[np.float64]:
    out: NDArray[np.float64] = 0.5 * (1.0 + np.tanh(0.5 * x))  # overflow-free
    return out


def fit_logistic(
    x: NDArray[np.float64], y: NDArray[np.float64], l2: float = 1.0, iterations: int = 50
) -> tuple[NDArray[np.float64], float]:
    """L2-regularised logistic regression by Newton's method (exact, a few dozen
    features); returns (weights, bias). The bias is not penalised."""
    n, d = x.shape
    design = np.hstack([x, np.ones((n, 1))])
    theta = np.zeros(d + 1)
    penalty = np.full(d + 1, l2)
    penalty[-1] = 0.0
    for _ in range(iterations):
        p = sigmoid(design @ theta)
        gradient = design.T @ (p - y) + penalty * theta
        hessian = (design * (p * (1 - p))[:, None]).T @ design + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        theta -= step
        if float(np.abs(step).max()) < 1e-8:
            break
    return theta[:-1], float(theta[-1])


@dataclass
class SpectrumModel:
    """Everything needed to score an image and to draw its figure."""

    settings: FeatureSettings
    mean: FloatArray
    std: FloatArray
    weights: FloatArray
    bias: float
    platt: tuple[float, float] = (1.0, 0.0)  # P(fake) = sigmoid(a * logit + b)
    real_profile: FloatArray = field(default_factory=lambda: np.zeros(0, np.float32))
    fake_profile: FloatArray = field(default_factory=lambda: np.zeros(0, np.float32))
    info: dict[str, str] = field(default_factory=dict)  # command, metrics, date

    def logits(self, features: FloatArray) -> NDArray[np.float64]:
        """Uncalibrated scores of (N, F) or (F,) features."""
        z = (np.asarray(features, np.float64) - self.mean) / self.std
        out: NDArray[np.float64] = z @ self.weights.astype(np.float64) + self.bias
        return out

    def probability(self, features: FloatArray) -> NDArray[np.float64]:
        """Calibrated P(fake)."""
        a, b = self.platt
        return sigmoid(a * self.logits(features) + b)

    def to_bytes(self) -> bytes:
        tensors = {
            "mean": self.mean,
            "std": self.std,
            "weights": self.weights,
            "bias": np.array([self.bias]),
            "platt": np.array(self.platt),
            "real_profile": self.real_profile,
            "fake_profile": self.fake_profile,
        }
        tensors = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in tensors.items()}
        metadata = {"format": FORMAT, "settings": self.settings.to_json(), **self.info}
        return save(tensors, metadata)

    def save(self, path: Path) -> None:
        write_atomic(path, self.to_bytes())


def _check(tensors: dict[str, NDArray[Any]], settings: FeatureSettings) -> None:
    missing = [name for name in _TENSORS if name not in tensors]
    if missing:
        raise ValueError(f"missing tensors {', '.join(missing)}")
    for name in ("mean", "std", "weights"):
        if tensors[name].shape != (settings.size,):
            raise ValueError(f"{name} has shape {tensors[name].shape}, not ({settings.size},)")
    if not all(np.isfinite(v).all() for v in tensors.values()) or (tensors["std"] <= 0).any():
        raise ValueError("non-finite numbers or a zero spread")


def load_model(path: Path) -> SpectrumModel:
    """Read a model file; anything missing, damaged or of another kind is a ModelError."""
    if not path.is_file():
        raise ModelError(f"{path}: spectral detector model not found")
    try:
        with safe_open(str(path), framework="numpy") as handle:
            metadata = dict(handle.metadata() or {})
            tensors = {name: handle.get_tensor(name) for name in handle.keys()}  # noqa: SIM118
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelError(f"{path}: model file is truncated or corrupt ({exc})") from exc
    if metadata.get("format") != FORMAT:
        raise ModelError(
            f"{path}: not a fauxlab spectral detector (format {metadata.get('format')})"
        )
    try:
        settings = FeatureSettings.from_json(metadata["settings"])
        _check(tensors, settings)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"{path}: model file does not match the detector's code ({exc})") from exc
    info = {k: v for k, v in metadata.items() if k not in ("format", "settings")}
    platt = tensors["platt"].astype(float)
    return SpectrumModel(
        settings=settings,
        mean=tensors["mean"],
        std=tensors["std"],
        weights=tensors["weights"],
        bias=float(tensors["bias"][0]),
        platt=(float(platt[0]), float(platt[1])),
        real_profile=tensors["real_profile"],
        fake_profile=tensors["fake_profile"],
        info=info,
    )


def load_shipped_model() -> SpectrumModel:
    """The model that ships inside the package (fauxlab/assets/detectors/)."""
    resource = resources.files("fauxlab").joinpath(*SHIPPED)
    with resources.as_file(resource) as path:
        return load_model(Path(path))


def metrics_of(model: SpectrumModel) -> dict[str, Any]:
    """The held-out numbers recorded at training time (empty if none)."""
    text = model.info.get("metrics")
    return dict(json.loads(text)) if text else {}
