"""Checkpoints that appear whole or not at all, and say clearly when they are damaged.

A checkpoint of step N in a folder is three files:

    step-000N.safetensors   every model tensor, float32 (safe to load: no pickle)
    step-000N.pt            optimiser and random-number state (torch.save, weights_only)
    latest.json             {"step": N, "files": {name: sha256}, ...}, written last

Each file is written to a hidden partial name, flushed to disk and renamed into place;
`latest.json` is replaced only after both data files are complete, so a crash leaves the
previous checkpoint usable. On load every file's SHA-256 is checked against latest.json:
a truncated or edited file is a `ModelError`, never a confusing torch traceback.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from fauxlab.errors import ModelError
from fauxlab.fileio import durable_output, sha256_file, write_durably

LATEST = "latest.json"
KEEP = 2  # the newest checkpoints kept on disk


def write_atomic(path: Path, data: bytes) -> None:
    """`path` holds its old content or all of `data`, even after a crash."""
    write_durably(path, data)


def save_weights(
    path: Path, tensors: dict[str, torch.Tensor], metadata: dict[str, str] | None = None
) -> str:
    """Write tensors as safetensors atomically; returns the file's SHA-256."""
    contiguous = {k: v.detach().contiguous().cpu() for k, v in tensors.items()}
    with durable_output(path) as partial:
        save_file(contiguous, str(partial), metadata=metadata)
        digest = sha256_file(partial)
    return digest


def load_weights(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Read a safetensors file and its metadata; a missing or damaged file is a ModelError."""
    if not path.is_file():
        raise ModelError(f"{path}: weights file not found")
    try:
        tensors = load_file(str(path))
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as handle:
            metadata = dict(handle.metadata() or {})
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelError(
            f"{path}: weights file is truncated or corrupt ({exc}); restore it or train again"
        ) from exc
    return tensors, metadata


@dataclass(frozen=True)
class Checkpoint:
    step: int
    tensors: dict[str, torch.Tensor]
    state: dict[str, Any]
    info: dict[str, Any]


def save_checkpoint(
    folder: Path,
    step: int,
    tensors: dict[str, torch.Tensor],
    state: dict[str, Any],
    info: dict[str, Any] | None = None,
) -> Path:
    """Write a checkpoint of `step` into `folder`; older ones beyond the newest KEEP go."""
    stem = f"step-{step:08d}"
    weights, extra = folder / f"{stem}.safetensors", folder / f"{stem}.pt"
    digest = save_weights(weights, tensors, {"step": str(step)})
    buffer = io.BytesIO()
    torch.save(state, buffer)
    write_atomic(extra, buffer.getvalue())
    record = {
        "step": step,
        "files": {weights.name: digest, extra.name: sha256_file(extra)},
        **(info or {}),
    }
    write_atomic(folder / LATEST, json.dumps(record, indent=2).encode())
    _prune(folder, keep={weights.name, extra.name})
    return weights


def _prune(folder: Path, keep: set[str]) -> None:
    stems = sorted({p.name.split(".")[0] for p in folder.glob("step-*.*")})
    for stem in stems[:-KEEP]:
        for path in folder.glob(f"{stem}.*"):
            if path.name not in keep:
                path.unlink(missing_ok=True)


def has_checkpoint(folder: Path) -> bool:
    return (folder / LATEST).exists()


def load_checkpoint(folder: Path) -> Checkpoint:
    """The newest complete checkpoint in `folder`, verified byte for byte."""
    latest = folder / LATEST
    if not latest.is_file():
        raise ModelError(f"{folder}: no checkpoint here ({LATEST} is missing)")
    try:
        record = json.loads(latest.read_text())
        step = int(record["step"])
        files: dict[str, str] = dict(record["files"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"{latest}: checkpoint index is corrupt ({exc})") from exc
    for name, digest in files.items():
        path = folder / name
        if not path.is_file():
            raise ModelError(f"{path}: checkpoint file is missing; the checkpoint is incomplete")
        if sha256_file(path) != digest:
            raise ModelError(
                f"{path}: checkpoint file is truncated or damaged (SHA-256 does not match "
                f"{LATEST}); restore it or start a new run"
            )
    stem = f"step-{step:08d}"
    tensors, _ = load_weights(folder / f"{stem}.safetensors")
    try:
        state = torch.load(folder / f"{stem}.pt", map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a bad pickle stream
        raise ModelError(f"{folder / stem}.pt: training state cannot be read ({exc})") from exc
    return Checkpoint(step, tensors, state, record)
