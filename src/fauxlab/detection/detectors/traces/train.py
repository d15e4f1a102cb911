"""Training the traces network on real pictures and their decoder twins.

A pool of real pictures and their reconstructions is made once (seeded, so a resumed
run rebuilds the same pool); each step draws twins, puts both through the same resize
and JPEG, crops both at the same spot, and learns real from reconstruction. Checkpoints
go into the run folder every few minutes, so `--resume` continues a stopped run.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional

from fauxlab.detection.detectors.traces.data import (
    Edits,
    Progress,
    Reconstructor,
    edit_twins,
    real_pictures,
    twin_crops,
)
from fauxlab.detection.detectors.traces.evaluate import evaluate
from fauxlab.detection.detectors.traces.model import TracesNet
from fauxlab.detection.detectors.traces.weights import TracesSettings, export
from fauxlab.media.images import RGBImage
from fauxlab.training import (
    Budget,
    Every,
    Hooks,
    MetricsLog,
    fit,
    has_checkpoint,
    load_checkpoint,
    save_checkpoint,
    seed_everything,
)

CHECKPOINT_MINUTES = 5.0


@dataclass(frozen=True)
class TracesTrainConfig:
    data: Path  # the data root holding faces/utkface and videos
    faces: int = 1500  # UTKFace training faces in the pool
    frames_per_clip: int = 6  # frames of each real clip in the pool (a second apart)
    crop: int = 64
    batch: int = 32
    width: int = 16
    learning_rate: float = 1e-3
    seed: int = 0
    eval_faces: int = 100
    edits: Edits = field(default_factory=Edits)

    def to_json(self) -> dict[str, Any]:
        record = asdict(self)
        record["data"] = str(self.data)
        return record


@dataclass
class Pool:
    reals: list[RGBImage]
    fakes: list[RGBImage]


def build_pool(config: TracesTrainConfig, zoo: Reconstructor, progress: Progress | None) -> Pool:
    rng = np.random.default_rng(config.seed)
    pictures = real_pictures(config.data, config.faces, rng, frames_per_clip=config.frames_per_clip)
    reals = [r for r in pictures if min(r.shape[:2]) >= 64]
    zoo.fit(reals, progress)
    fakes = []
    for index, real in enumerate(reals):
        if progress is not None and index % 100 == 0:
            progress("reconstructing the reals", index, len(reals))
        fakes.append(zoo.reconstruct(real, rng))
    return Pool(reals, fakes)


def _batch(pool: Pool, config: TracesTrainConfig, rng: np.random.Generator) -> torch.Tensor:
    crops = []
    for index in rng.integers(0, len(pool.reals), size=config.batch // 2):
        real, fake = edit_twins(
            pool.reals[int(index)], pool.fakes[int(index)], rng, config.edits, config.crop
        )
        crops += list(twin_crops(real, fake, config.crop, rng))
    batch = torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2).float() / 127.5 - 1.0
    flip = torch.from_numpy(rng.random(len(crops)) < 0.5)
    batch[flip] = batch[flip].flip(3)
    return batch


def train_traces(
    config: TracesTrainConfig,
    zoo: Reconstructor,
    run: Path,
    budget: Budget,
    command: str,
    resume: bool = False,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Train (or continue) in `run`, then measure and write `run/traces.safetensors`."""
    seed_everything(config.seed)
    net = TracesNet(config.width)
    optimiser = torch.optim.AdamW(net.parameters(), lr=config.learning_rate, weight_decay=1e-4)
    checkpoints = run / "checkpoints"
    start = 0
    if resume and has_checkpoint(checkpoints):
        saved = load_checkpoint(checkpoints)
        net.load_state_dict(saved.tensors)
        optimiser.load_state_dict(saved.state["optimiser"])
        start = saved.step
    run.mkdir(parents=True, exist_ok=True)
    (run / "config.json").write_text(json.dumps(config.to_json(), indent=2))
    pool = build_pool(config, zoo, progress)
    budget = replace(budget, started=time.monotonic())  # minutes count training, not the pool
    rng = np.random.default_rng(config.seed + start)
    labels = torch.tensor([0.0, 1.0] * (config.batch // 2))
    log = MetricsLog(run / "metrics.jsonl")
    net.train()
    current = [start]

    def step() -> tuple[int, dict[str, float]]:
        loss = functional.binary_cross_entropy_with_logits(net(_batch(pool, config, rng)), labels)
        optimiser.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        optimiser.step()
        return current[0] + 1, {"loss": loss.item()}

    def after(done: int, losses: Mapping[str, float]) -> None:
        current[0] = done
        if done % 20 == 0:
            log.append({"step": done, **losses})
            if progress is not None:
                progress(f"training (loss {losses['loss']:.3f})", done, budget.total_steps or 0)

    def checkpoint(done: int) -> None:
        state = {"optimiser": optimiser.state_dict()}
        save_checkpoint(checkpoints, done, dict(net.state_dict()), state)

    every = [Every(checkpoint, minutes=CHECKPOINT_MINUTES)]
    steps = fit(step, budget, Hooks(after_step=after, every=every), start=start)
    checkpoint(steps)
    net.eval()
    report = evaluate(net, config, zoo, progress)
    settings = TracesSettings(width=config.width, crop=config.crop)
    info = {
        "command": command,
        "steps": steps,
        "date": dt.date.today().isoformat(),
        "fakes": zoo.describe(),
        "config": config.to_json(),
        "held_out": report,
    }
    export(net, settings, info, run / "traces.safetensors")
    (run / "report.json").write_text(json.dumps(info, indent=2))
    return info
