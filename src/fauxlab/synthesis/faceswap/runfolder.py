"""A training run on disk, and loading its model back for `apply` and `eval`.

RUN/run.json              format, model, size, margin, the two identity folders, settings
RUN/checkpoints/          fauxlab.training checkpoints (safetensors + optimiser state)
RUN/previews/step-N.png   sealed preview grids: A, A->A, A->B, B, B->B, B->A
RUN/metrics.jsonl         losses and speed along the run
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import Tensor

from fauxlab.errors import ModelError, OutputExistsError
from fauxlab.fileio import sha256_file, write_durably
from fauxlab.provenance.seal import ModelInfo
from fauxlab.synthesis.faceswap.guide import CHANNELS, GuideTransfer, measure, normalise
from fauxlab.synthesis.faceswap.models import SwapModel
from fauxlab.training import load_weights

FORMAT = "fauxlab-swap/1"
RUN_FILE = "run.json"
CHECKPOINTS = "checkpoints"
PREVIEWS = "previews"
METRICS = "metrics.jsonl"


@dataclass(frozen=True)
class RunInfo:
    """What run.json holds: enough to rebuild the model and align faces as in training."""

    model: str
    size: int
    margin: float
    a: dict[str, Any]
    b: dict[str, Any]
    settings: dict[str, Any] = field(default_factory=dict)
    guides: dict[str, list[list[float]]] = field(default_factory=dict)  # quantiles per person
    format: str = FORMAT

    @property
    def guided(self) -> bool:
        return str(self.settings.get("guide", "none")) != "none"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def write_run_info(folder: Path, info: RunInfo) -> None:
    write_durably(folder / RUN_FILE, json.dumps(info.to_dict(), indent=2).encode())


def new_run_folder(folder: Path) -> None:
    """Refuse to train over anything already there (a run is continued with --resume)."""
    if folder.exists() and not folder.is_dir():
        raise OutputExistsError(f"{folder}: is a file; `out` must be a folder", settings=["out"])
    if folder.exists() and any(folder.iterdir()):
        hint = " (a swap run: add `resume` to continue it)" if (folder / RUN_FILE).exists() else ""
        raise OutputExistsError(
            f"{folder}: already exists and is not empty{hint}", settings=["resume"]
        )


def read_run_info(folder: Path) -> RunInfo:
    path = folder / RUN_FILE
    if not path.is_file():
        raise ModelError(f"{folder}: not a swap run ({RUN_FILE} is missing)")
    try:
        raw = json.loads(path.read_text())
    except ValueError as exc:
        raise ModelError(f"{path}: not valid JSON; the run folder is damaged") from exc
    version = raw.get("format") if isinstance(raw, dict) else None
    if version != FORMAT:
        raise ModelError(
            f"{folder}: made by an incompatible version of fauxlab (run format {version!r}; "
            f"this version reads {FORMAT!r}); {_version_advice(version)}"
        )
    try:
        info = RunInfo(**raw)
    except TypeError as exc:
        raise ModelError(f"{path}: unexpected fields ({exc}); the run folder is damaged") from exc
    if info.guided and not _has_ranges(info.guides):
        raise ModelError(f"{path}: a guided run without both people's ranges; it is damaged")
    return info


def _has_ranges(guides: dict[str, list[list[float]]]) -> bool:
    return all(len(guides.get(p, [])) == CHANNELS for p in ("a", "b"))


def _version_advice(version: object) -> str:
    """What to do about another format: a newer run needs a newer fauxlab, not a retrain."""
    name, _, ours = FORMAT.rpartition("/")
    kind, _, theirs = version.rpartition("/") if isinstance(version, str) else ("", "", "")
    if kind == name and theirs.isdigit() and int(theirs) > int(ours):
        return "upgrade fauxlab to use it"
    return "train a new run with this version"


@dataclass(frozen=True)
class LoadedRun:
    folder: Path
    info: RunInfo
    model: SwapModel
    step: int
    weights_sha256: str

    def model_info(self) -> ModelInfo:
        return ModelInfo(f"fauxlab-faceswap-{self.info.model}", self.weights_sha256)

    def guide_for(
        self, landmarks: list[NDArray[np.float32]], source: str, to: str
    ) -> Tensor | None:
        """The decoder input for faces of `source` drawn as `to` (None when unguided):
        each face's openings, carried into `to`'s range when the two differ."""
        if not self.info.guided:
            return None
        values = np.stack([measure(points) for points in landmarks])
        if source != to:
            values = GuideTransfer(self.info.guides[source], self.info.guides[to])(values)
        return torch.from_numpy(normalise(values))


def latest_weights(folder: Path) -> tuple[Path, str, int]:
    """The newest checkpoint's safetensors file, its SHA-256 (checked) and its step."""
    latest = folder / CHECKPOINTS / "latest.json"
    if not latest.is_file():
        raise ModelError(f"{folder}: the run has no checkpoint yet; train it first")
    try:
        record = json.loads(latest.read_text())
        step = int(record["step"])
        name = f"step-{step:08d}.safetensors"
        digest = str(record["files"][name])
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"{latest}: checkpoint index is corrupt ({exc})") from exc
    path = folder / CHECKPOINTS / name
    if not path.is_file() or sha256_file(path) != digest:
        raise ModelError(f"{path}: missing or damaged (SHA-256 does not match latest.json)")
    return path, digest, step


def model_tensors(tensors: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    return {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}


def load_run(folder: Path, device: torch.device | None = None) -> LoadedRun:
    info = read_run_info(folder)
    path, digest, step = latest_weights(folder)
    tensors, _ = load_weights(path)
    model = SwapModel(info.model, info.size, CHANNELS if info.guided else 0)
    try:
        model.load_state_dict(model_tensors(tensors, "model."))
    except RuntimeError as exc:
        raise ModelError(f"{path}: weights do not fit a {info.model} model ({exc})") from exc
    model.eval().to(device or torch.device("cpu"))
    return LoadedRun(folder, info, model, step, digest)
