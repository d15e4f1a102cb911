"""The small classifier the whole-image detectors share: standardised features, an L2
logistic regression, Platt scaling, and the safetensors file that holds them.

A linear head is all the spectral detector needs (a few dozen informative numbers) and
all the generated-image detector should have: on frozen pretrained features a linear
probe generalises to unseen generators better than anything that can fit one generator
closely (Ojha et al. 2023). Optional PCA is folded back into one weight vector, so every
model file has the same few tensors whatever it was fitted with.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar, Generic, Self, TypeVar, cast

import numpy as np
from numpy.typing import NDArray
from safetensors import SafetensorError, safe_open
from safetensors.numpy import save

from fauxlab.errors import ModelError
from fauxlab.fileio import write_durably

FloatArray = NDArray[np.float32]
HEAD_TENSORS = ("mean", "std", "weights", "bias", "platt")
M = TypeVar("M")


def sigmoid(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """1 / (1 + exp(-x)), overflow-free and exact in the tails (tiny probabilities stay
    distinct instead of all rounding to 0, so scores far from the boundary still rank)."""
    out: NDArray[np.float64] = np.exp(-np.logaddexp(0.0, -np.asarray(x, np.float64)))
    return out


def fit_logistic(
    x: NDArray[np.float64], y: NDArray[np.float64], l2: float = 1.0, iterations: int = 50
) -> tuple[NDArray[np.float64], float]:
    """L2-regularised logistic regression by Newton's method (exact, up to a few hundred
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


class JsonSettings:
    """Feature settings (a frozen dataclass) stored as JSON in the model file, so a file
    alone reproduces the features it was trained on."""

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(cast(Any, self)), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Self:
        data: dict[str, Any] = json.loads(text)
        make: Callable[..., Self] = cls
        return make(**data)


S = TypeVar("S", bound=JsonSettings)


@dataclass(kw_only=True)
class LinearModel(Generic[S]):
    """P(fake) = sigmoid(a * (((x - mean) / std) . weights + bias) + b), with the settings
    of the features x. Subclasses name their file format and may add tensors."""

    file_format: ClassVar[str] = ""
    settings: S
    mean: FloatArray
    std: FloatArray
    weights: FloatArray
    bias: float
    platt: tuple[float, float] = (1.0, 0.0)  # (a, b)
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

    def extra_tensors(self) -> dict[str, NDArray[Any]]:
        """Tensors a subclass stores beside the head (e.g. profiles for a chart)."""
        return {}

    def to_bytes(self) -> bytes:
        tensors = {
            "mean": self.mean,
            "std": self.std,
            "weights": self.weights,
            "bias": np.array([self.bias]),
            "platt": np.array(self.platt),
            **self.extra_tensors(),
        }
        metadata = {"format": self.file_format, "settings": self.settings.to_json(), **self.info}
        return model_bytes(tensors, metadata)

    def save(self, path: Path) -> None:
        write_durably(path, self.to_bytes())

    def metrics(self) -> dict[str, Any]:
        """The held-out numbers recorded at training time (empty if none)."""
        text = self.info.get("metrics")
        return dict(json.loads(text)) if text else {}


def model_bytes(tensors: dict[str, NDArray[Any]], metadata: dict[str, str]) -> bytes:
    """float32 safetensors bytes (the metadata must hold the format)."""
    as_float = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in tensors.items()}
    return save(as_float, metadata)


def _check(tensors: dict[str, NDArray[Any]], size: int, names: tuple[str, ...]) -> None:
    missing = [name for name in names if name not in tensors]
    if missing:
        raise ValueError(f"missing tensors {', '.join(missing)}")
    for name in ("mean", "std", "weights"):
        if tensors[name].shape != (size,):
            raise ValueError(f"{name} has shape {tensors[name].shape}, not ({size},)")
    if not all(np.isfinite(v).all() for v in tensors.values()) or (tensors["std"] <= 0).any():
        raise ValueError("non-finite numbers or a zero spread")


@dataclass(frozen=True)
class ModelFile(Generic[S]):
    """What a model file holds: its feature settings, the LinearModel keyword arguments,
    any further tensors, and the rest of its metadata (command, date, metrics)."""

    settings: S
    head: dict[str, Any]
    tensors: dict[str, NDArray[Any]]
    info: dict[str, str]


def read_model_file(
    path: Path,
    file_format: str,
    what: str,
    parse_settings: Callable[[str], S],
    feature_count: Callable[[S], int],
    extra: tuple[str, ...] = (),
) -> ModelFile[S]:
    """Read and check a model file; a missing, damaged, foreign or mismatched file is a
    ModelError naming `what` (e.g. "spectral detector")."""
    if not path.is_file():
        raise ModelError(f"{path}: {what} model not found")
    try:
        with safe_open(str(path), framework="numpy") as handle:
            metadata = dict(handle.metadata() or {})
            tensors = {name: handle.get_tensor(name) for name in handle.keys()}  # noqa: SIM118
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelError(f"{path}: model file is truncated or corrupt ({exc})") from exc
    if metadata.get("format") != file_format:
        raise ModelError(f"{path}: not a fauxlab {what} (format {metadata.get('format')})")
    try:
        settings = parse_settings(metadata["settings"])
        _check(tensors, feature_count(settings), (*HEAD_TENSORS, *extra))
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"{path}: model file does not match the detector's code ({exc})") from exc
    platt = tensors["platt"].astype(float)
    head = {
        "mean": tensors["mean"],
        "std": tensors["std"],
        "weights": tensors["weights"],
        "bias": float(tensors["bias"][0]),
        "platt": (float(platt[0]), float(platt[1])),
    }
    info = {k: v for k, v in metadata.items() if k not in ("format", "settings")}
    return ModelFile(settings, head, tensors, info)


def read_shipped(name: str, load: Callable[[Path], M]) -> M:
    """A model file shipped inside the package, in fauxlab/assets/detectors/."""
    resource = resources.files("fauxlab").joinpath("assets", "detectors", name)
    with resources.as_file(resource) as path:
        return load(Path(path))


# --- fitting ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LinearFit:
    """A fitted head and the choices made on the calibration split."""

    mean: FloatArray
    std: FloatArray
    weights: FloatArray
    bias: float
    platt: tuple[float, float]
    l2: float
    components: int | None  # PCA dimensions the regression ran in, None for all

    def head(self) -> dict[str, Any]:
        """Keyword arguments for a LinearModel."""
        return {
            "mean": self.mean,
            "std": self.std,
            "weights": self.weights,
            "bias": self.bias,
            "platt": self.platt,
        }


def log_loss(p: NDArray[np.float64], y: NDArray[np.float64]) -> float:
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return float(-(y * np.log(p) + (1 - y) * np.log(1 - p)).mean())


def principal_axes(z: NDArray[np.float64], components: int) -> NDArray[np.float64]:
    """(D, k) top principal directions of centred rows `z`."""
    _, _, vt = np.linalg.svd(z, full_matrices=False)
    axes: NDArray[np.float64] = vt[:components].T
    return axes


def fit_linear(
    x: FloatArray,
    y: NDArray[np.float64],
    rng: np.random.Generator,
    l2_grid: tuple[float, ...],
    calibration: float = 0.2,
    components: int | None = None,
    platt_prior: bool = False,
) -> LinearFit:
    """Standardise, optionally project on `components` principal axes, choose the L2
    strength by log loss on a calibration split, then fit Platt scaling on that split.

    The projection is folded into the weights: the model stays one dot product. With
    `platt_prior`, Platt's own targets (N+ + 1) / (N+ + 2) and 1 / (N- + 2) replace 1
    and 0: when the calibration split is separated perfectly (as our own GANs are), hard
    targets drive the slope towards infinity and every unseen picture gets exactly 0 or 1."""
    order = rng.permutation(len(y))
    cut = int(len(y) * (1 - calibration))
    fit_i, cal_i = order[:cut], order[cut:]
    mean = x[fit_i].mean(axis=0)
    std = x[fit_i].std(axis=0) + 1e-6
    z = (x.astype(np.float64) - mean) / std
    axes = principal_axes(z[fit_i], components) if components else None
    design = z if axes is None else z @ axes
    best: tuple[float, float, NDArray[np.float64], float] | None = None
    for l2 in l2_grid:
        weights, bias = fit_logistic(design[fit_i], y[fit_i], l2)
        loss = log_loss(sigmoid(design[cal_i] @ weights + bias), y[cal_i])
        if best is None or loss < best[0]:
            best = (loss, l2, weights, bias)
    assert best is not None
    _, l2, weights, bias = best
    targets = y[cal_i]
    if platt_prior:
        positives, negatives = float(targets.sum()), float(len(targets) - targets.sum())
        targets = np.where(targets > 0.5, (positives + 1) / (positives + 2), 1 / (negatives + 2))
    a, b = fit_logistic((design[cal_i] @ weights + bias)[:, None], targets, l2=1e-6)
    full = weights if axes is None else axes @ weights
    return LinearFit(
        mean=mean.astype(np.float32),
        std=std.astype(np.float32),
        weights=full.astype(np.float32),
        bias=bias,
        platt=(float(a[0]), b),
        l2=l2,
        components=components,
    )
