"""Training the learned detector on self-blended images of real faces.

A run folder holds:

    config.json            the settings (DetectorConfig)
    bank-train.npz         real training faces (cached face detection)
    bank-validation.npz    held-out faces (never trained on)
    metrics.jsonl          losses and validation AUC over time
    checkpoints/           atomic, verified checkpoints (fauxlab.training)
    detector.safetensors   the exported detector (fp16, calibrated), what `detect` loads

Early layers (stem and the stride-2/4 blocks) stay frozen at their ImageNet values:
edges and colours do not need relearning, and skipping their backward pass is most of
the speed-up on a CPU.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional

from fauxlab.detection.detectors.learned.bank import FaceBank, SplitFiles, build_bank, split_files
from fauxlab.detection.detectors.learned.batches import (
    ValidationSet,
    training_batch,
    validation_set,
)
from fauxlab.detection.detectors.learned.calibrate import Validation, fit_platt
from fauxlab.detection.detectors.learned.crops import INPUT_SIZE, CropGeometry
from fauxlab.detection.detectors.learned.model import ForgeryNet
from fauxlab.detection.detectors.learned.weights import export_detector
from fauxlab.detection.metrics import roc_auc
from fauxlab.errors import FauxlabError, InputError, ModelError, OutputExistsError, SettingError
from fauxlab.training import (
    Budget,
    MetricsLog,
    has_checkpoint,
    load_checkpoint,
    save_checkpoint,
    seed_everything,
)
from fauxlab.training.checkpoint import write_atomic
from fauxlab.training.loop import Every, Hooks, Progress, Tick, fit

FROZEN_BLOCKS = 3  # Lite0's blocks 0-2 run at strides 2 and 4


@dataclass(frozen=True)
class DetectorConfig:
    real: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    holdout_fraction: float = 0.1
    pairs: int = 16  # a batch holds `pairs` reals and their `pairs` self-blends
    lr: float = 3e-4
    weight_decay: float = 1e-4
    boundary_weight: float = 1.0
    warmup_steps: int = 50
    decay_steps: int = 300  # the learning rate falls linearly to 0 over the last N steps
    seed: int = 0
    eval_every: int = 250
    validation_faces: int = 400
    input_size: int = INPUT_SIZE  # the crop's side in pixels
    video_codec: bool = False  # H.264 round trips in the degradations (degrade.py)

    @property
    def geometry(self) -> CropGeometry:
        return CropGeometry(self.input_size)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["real"], data["exclude"] = list(self.real), list(self.exclude)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DetectorConfig:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["real"] = tuple(known.get("real", ()))
        known["exclude"] = tuple(known.get("exclude", ()))
        return cls(**known)


def _prepare_run(run: Path, config: DetectorConfig, resume: bool) -> DetectorConfig:
    saved = run / "config.json"
    if resume:
        if not saved.is_file():
            raise SettingError(
                f"{run}: not a detector run (no config.json); drop `resume`", settings=["resume"]
            )
        return DetectorConfig.from_dict(json.loads(saved.read_text()))
    if run.exists():
        raise OutputExistsError(
            f"{run}: already exists; use `resume` to continue it", settings=["resume"]
        )
    write_atomic(saved, json.dumps(config.to_dict(), indent=2).encode())
    return config


def _split(config: DetectorConfig) -> SplitFiles:
    split = split_files([Path(p) for p in config.real], config.holdout_fraction, config.exclude)
    if not split.validation:
        raise SettingError(
            "no validation files: raise `holdout_fraction` or add files",
            settings=["holdout_fraction"],
        )
    return split


def _bank(
    run: Path, name: str, files: list[Path], geometry: CropGeometry, progress: Progress | None
) -> FaceBank:
    cached = run / f"bank-{name}.npz"
    if cached.is_file():
        bank = FaceBank.load(cached)
        if bank.crops.shape[1] != geometry.bank_size:
            raise ModelError(
                f"{cached}: faces cut for another crop size ({bank.crops.shape[1]} px, "
                f"not {geometry.bank_size}); delete it to rebuild"
            )
        return bank

    def report(done: int, total: int) -> None:
        if progress is not None:
            progress(Tick(f"finding {name} faces", done, total))

    bank, skipped = build_bank(files, report, geometry)
    bank.save(cached)
    if skipped:
        write_atomic(run / f"skipped-{name}.txt", "\n".join(skipped).encode())
    return bank


def _optimiser(model: ForgeryNet, config: DetectorConfig) -> torch.optim.Optimizer:
    frozen = [model.stem, *list(model.blocks)[:FROZEN_BLOCKS]]
    for module in frozen:
        for parameter in module.parameters():
            parameter.requires_grad_(False)
    trainable = [p for p in model.parameters() if p.requires_grad]
    return torch.optim.AdamW(trainable, lr=config.lr, weight_decay=config.weight_decay)


def _set_train_mode(model: ForgeryNet) -> None:
    model.train()
    model.stem.eval()  # frozen layers keep their ImageNet batch statistics
    for block in list(model.blocks)[:FROZEN_BLOCKS]:
        block.eval()


@torch.inference_mode()
def predict_logits(model: ForgeryNet, images: torch.Tensor, batch: int = 64) -> torch.Tensor:
    model.eval()
    return torch.cat([model(images[i : i + batch])[0] for i in range(0, len(images), batch)])


def validate(model: ForgeryNet, data: ValidationSet) -> Validation:
    """AUC on the held-out pairs, clean and as JPEG 75; Platt scaling fitted on the even
    pairs and the AUC reported on the odd ones, so calibration never sees its test set."""
    logits = predict_logits(model, data.clean)
    compressed = predict_logits(model, data.jpeg75)
    labels = data.labels.numpy()
    pair = np.arange(len(labels)) // 2
    fit, test = pair % 2 == 0, pair % 2 == 1
    both_logits = torch.cat([logits[fit], compressed[fit]])
    both_labels = torch.cat([data.labels[fit], data.labels[fit]])
    return Validation(
        auc=roc_auc(labels[test], logits.numpy()[test]),
        auc_jpeg75=roc_auc(labels[test], compressed.numpy()[test]),
        calibration=fit_platt(both_logits, both_labels),
    )


def _loss(
    model: ForgeryNet, images: torch.Tensor, labels: torch.Tensor, boundaries: torch.Tensor,
    weight: float,
) -> tuple[torch.Tensor, dict[str, float]]:  # fmt: skip
    logits, maps = model(images)
    cls = functional.binary_cross_entropy_with_logits(logits, labels)
    edge = functional.binary_cross_entropy_with_logits(maps, boundaries)
    accuracy = ((logits > 0).float() == labels).float().mean()
    record = {"loss": cls.item(), "boundary": edge.item(), "accuracy": accuracy.item()}
    return cls + weight * edge, record


def learning_rate(config: DetectorConfig, step: int, total: int | None) -> float:
    """Warm up, hold, then fall linearly to 0 over the last `decay_steps` of `total`
    (no decay when training by minutes: the end is not known in advance). A run resumed
    to the same total follows the same schedule as one trained straight through."""
    rate = config.lr * min(1.0, (step + 1) / config.warmup_steps)
    if total is not None and config.decay_steps > 0:
        rate *= min(1.0, max(0.0, (total - step) / config.decay_steps))
    return rate


def _train_step(
    model: ForgeryNet,
    optimiser: torch.optim.Optimizer,
    bank: FaceBank,
    config: DetectorConfig,
    step: int,
    total: int | None,
) -> tuple[int, dict[str, float]]:
    batch = training_batch(
        bank, config.pairs, config.seed, step, config.geometry, codec=config.video_codec
    )
    for group in optimiser.param_groups:
        group["lr"] = learning_rate(config, step, total)
    loss, record = _loss(model, batch.images, batch.labels, batch.boundaries,
                         config.boundary_weight)  # fmt: skip
    optimiser.zero_grad(set_to_none=True)
    loss.backward()  # type: ignore[no-untyped-call]
    optimiser.step()
    return step + 1, record


def train_detector(
    config: DetectorConfig,
    run: Path,
    budget: Budget,
    resume: bool = False,
    progress: Progress | None = None,
    command: str = "",
) -> Validation:
    if not resume:
        _split(config)  # check the inputs before anything is written
    config = _prepare_run(run, config, resume)
    checkpoints = run / "checkpoints"
    if resume and not has_checkpoint(checkpoints):
        raise InputError(f"{run}: no checkpoint to resume from yet; start it again")
    try:
        split = _split(config)
        train_bank = _bank(run, "train", split.train, config.geometry, progress)
        val_bank = _bank(run, "validation", split.validation, config.geometry, progress)
        if len(train_bank) < 100:
            raise InputError(f"only {len(train_bank)} training faces found; 100 are needed")
    except FauxlabError:
        if not resume:  # leave no half-made run behind to block the next try
            shutil.rmtree(run, ignore_errors=True)
        raise
    seed_everything(config.seed)
    model = ForgeryNet(pretrained=True)
    optimiser = _optimiser(model, config)
    step = 0
    if resume:
        checkpoint = load_checkpoint(checkpoints)
        model.load_state_dict(checkpoint.tensors)
        optimiser.load_state_dict(checkpoint.state["optimiser"])
        step = checkpoint.step
    metrics = MetricsLog(run / "metrics.jsonl")
    metrics.truncate_after(step)
    data = validation_set(val_bank, config.validation_faces, geometry=config.geometry)
    done: dict[int, Validation] = {}  # step -> its validation (the last one is returned)
    last: dict[str, float] = {}
    started = time.monotonic()

    def evaluate_and_save(step: int) -> None:
        result = validate(model, data)
        metrics.append({"step": step, "val_auc": result.auc, "val_auc_jpeg75": result.auc_jpeg75})
        state = {"optimiser": optimiser.state_dict()}
        save_checkpoint(checkpoints, step, model.state_dict(), state, {"config": config.to_dict()})
        export_detector(
            model, result, run / "detector.safetensors", config.to_dict(), command,
            config.geometry,
        )  # fmt: skip
        _set_train_mode(model)
        done[step] = result

    def one_step() -> tuple[int, dict[str, float]]:
        nonlocal step
        step, record = _train_step(model, optimiser, train_bank, config, step, budget.total_steps)
        last.clear()
        last.update(record)
        return step, record

    def log(at: int) -> None:
        nonlocal started
        seen = 2 * config.pairs * 10
        record = {**last, "images_per_second": seen / max(time.monotonic() - started, 1e-6)}
        started = time.monotonic()
        metrics.append({"step": at, **record})
        if progress is not None:
            progress(Tick("training", at, budget.total_steps, record))

    def stop(_: int, error: BaseException | None) -> None:
        if (error is None or isinstance(error, KeyboardInterrupt)) and step not in done:
            evaluate_and_save(step)

    _set_train_mode(model)
    schedule = [Every(log, steps=10), Every(evaluate_and_save, steps=config.eval_every)]
    fit(one_step, budget, Hooks(every=schedule, stop=stop), start=step)
    return done[max(done)]
