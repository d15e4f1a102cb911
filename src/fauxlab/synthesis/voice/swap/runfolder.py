"""A voice swap run on disk, and loading it back for `apply` and `eval`.

RUN/run.json              format, both speakers (files trained on, held out, pitch
                          statistics), the per-band normalisation, settings
RUN/checkpoints/          fauxlab.training checkpoints (safetensors + optimiser state)
RUN/previews/step-N-*.wav sealed previews: a held-out utterance of each speaker swapped
RUN/metrics.jsonl         losses and speed along the run
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from fauxlab.errors import ModelError, OutputExistsError
from fauxlab.fileio import write_durably
from fauxlab.provenance.seal import ModelInfo
from fauxlab.synthesis.faceswap.runfolder import latest_weights, model_tensors
from fauxlab.synthesis.voice.swap.features import PitchStats
from fauxlab.synthesis.voice.swap.model import VoiceSwapModel
from fauxlab.training import load_weights

FORMAT = "fauxlab-voiceswap/1"
RUN_FILE = "run.json"
CHECKPOINTS = "checkpoints"
PREVIEWS = "previews"
METRICS = "metrics.jsonl"
MODEL_NAME = "fauxlab-voiceswap"

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class RunInfo:
    """What run.json holds. Each speaker: {"spec", "train": [paths], "held_out": [paths],
    "pitch": PitchStats dict}."""

    a: dict[str, Any]
    b: dict[str, Any]
    band_mean: list[float]
    band_std: list[float]
    settings: dict[str, Any] = field(default_factory=dict)
    format: str = FORMAT

    def speaker(self, name: str) -> dict[str, Any]:
        return self.a if name == "a" else self.b

    def pitch(self, name: str) -> PitchStats:
        return PitchStats.from_dict(self.speaker(name)["pitch"])

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def write_run_info(folder: Path, info: RunInfo) -> None:
    write_durably(folder / RUN_FILE, json.dumps(info.to_dict(), indent=2).encode())


def new_run_folder(folder: Path) -> None:
    """Refuse to train over anything already there (a run is continued with --resume)."""
    if folder.exists() and not folder.is_dir():
        raise OutputExistsError(f"{folder}: is a file; --out must be a folder")
    if folder.exists() and any(folder.iterdir()):
        hint = " (a voice run: add --resume to continue it)" if (folder / RUN_FILE).exists() else ""
        raise OutputExistsError(f"{folder}: already exists and is not empty{hint}")
    (folder / CHECKPOINTS).mkdir(parents=True, exist_ok=True)
    (folder / PREVIEWS).mkdir(exist_ok=True)


def read_run_info(folder: Path) -> RunInfo:
    path = folder / RUN_FILE
    if not path.is_file():
        raise ModelError(f"{folder}: not a voice swap run ({RUN_FILE} is missing)")
    try:
        raw = json.loads(path.read_text())
    except ValueError as exc:
        raise ModelError(f"{path}: not valid JSON; the run folder is damaged") from exc
    version = raw.get("format") if isinstance(raw, dict) else None
    if version != FORMAT:
        raise ModelError(
            f"{folder}: not a voice swap run of this fauxlab (format {version!r}, this "
            f"version reads {FORMAT!r}); train a new run"
        )
    try:
        return RunInfo(**raw)
    except TypeError as exc:
        raise ModelError(f"{path}: unexpected fields ({exc}); the run folder is damaged") from exc


@dataclass(frozen=True)
class LoadedRun:
    folder: Path
    info: RunInfo
    model: VoiceSwapModel
    step: int
    weights_sha256: str

    def model_info(self) -> ModelInfo:
        return ModelInfo(MODEL_NAME, self.weights_sha256)

    def normalise(self, mel: FloatArray) -> FloatArray:
        """log-mel (frames x bands) to the zero-mean, unit-spread bands the model learned."""
        out: FloatArray = (mel - np.asarray(self.info.band_mean)) / np.asarray(self.info.band_std)
        return out

    def denormalise(self, mel: FloatArray) -> FloatArray:
        out: FloatArray = mel * np.asarray(self.info.band_std) + np.asarray(self.info.band_mean)
        return out


def load_run(folder: Path) -> LoadedRun:
    """The run's newest checkpoint, checked byte for byte, in a model ready to convert."""
    if not folder.is_dir():
        raise ModelError(f"{folder}: no such run folder; train one with `fauxlab voice train`")
    info = read_run_info(folder)
    path, digest, step = latest_weights(folder)
    tensors, _ = load_weights(path)
    model = VoiceSwapModel()
    try:
        model.load_state_dict(model_tensors(tensors, "model."))
    except RuntimeError as exc:
        raise ModelError(f"{path}: weights do not fit the voice swap model ({exc})") from exc
    model.eval()
    return LoadedRun(folder, info, model, step, digest)
