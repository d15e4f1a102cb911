"""Train a face swap: shared encoder, decoders A and B, optional late patch critic.

Each step draws a batch of each identity, warps it (see `warp.py`), and asks that
identity's decoder to draw the unwarped face and its mask. Checkpoints (through
`fauxlab.training`) and sealed preview grids are written every `preview_every` steps,
every `checkpoint_minutes`, at the end and on Ctrl-C or SIGTERM; `resume=True` continues
a run. When a step runs out of memory the batch is halved and training goes on.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from fauxlab.errors import InputError, SettingError
from fauxlab.synthesis.faceswap.config import (
    MIN_BATCH,
    TrainConfig,
    TrainSummary,
)
from fauxlab.synthesis.faceswap.coverage import coverage_warnings
from fauxlab.synthesis.faceswap.data import (
    FaceSet,
    check_face_counts,
    check_pair,
    load_faceset,
)
from fauxlab.synthesis.faceswap.guide import (
    quantiles,
)
from fauxlab.synthesis.faceswap.runfolder import (
    CHECKPOINTS,
    RunInfo,
    new_run_folder,
    read_run_info,
    write_run_info,
)
from fauxlab.synthesis.faceswap.trainer import SwapTrainer, load_checkpoint_record
from fauxlab.training import (
    Budget,
    has_checkpoint,
    interruptible,
)
from fauxlab.training.loop import Every, Hooks, Losses, Progress, Tick, fit
from fauxlab.training.run import is_out_of_memory, lr_scale

Notice = Callable[[str], None]


def _open(
    a_dir: Path, b_dir: Path, out: Path, config: TrainConfig, resume: dict[str, Any] | None
) -> tuple[TrainConfig, FaceSet, FaceSet]:
    if resume is not None:
        info = read_run_info(out)
        config = TrainConfig.from_dict({**info.settings, **resume})
        a_dir, b_dir = Path(info.a["folder"]), Path(info.b["folder"])
    config.check()
    check_face_counts({"a": a_dir, "b": b_dir})
    a = load_faceset(a_dir, config.size)
    b = load_faceset(b_dir, config.size)
    check_pair(a, b)
    if resume is None:
        new_run_folder(out)
        info = RunInfo(
            model=config.model, size=config.size, margin=a.margin,
            a=a.describe(), b=b.describe(), settings=config.to_dict(),
            guides={"a": quantiles(a.guides), "b": quantiles(b.guides)},
        )  # fmt: skip
        write_run_info(out, info)
    return config, a, b


def train(
    a_dir: Path,
    b_dir: Path,
    out: Path,
    config: TrainConfig | None = None,
    *,
    steps: int | None = None,
    minutes: float | None = None,
    resume: bool = False,
    overrides: dict[str, Any] | None = None,
    progress: Progress | None = None,
    notice: Notice | None = None,
) -> TrainSummary:
    """Train (or with `resume`, continue) a swap run in `out` for `steps` total steps
    and/or `minutes` more minutes. A resumed run keeps its saved settings (model, size,
    identity folders, batch, GAN weight...) except those named in `overrides`.

    SIGTERM and Ctrl-C save a checkpoint and then raise KeyboardInterrupt; `notice` hears
    one line each time the batch is halved for memory, and one for each direction whose
    target person never opens the mouth as the source does (default: stderr)."""
    if steps is None and minutes is None:
        raise SettingError(
            "give a budget: `steps` N (total) or `minutes` M", settings=["steps", "minutes"]
        )
    with interruptible():
        config, a, b = _open(
            a_dir, b_dir, out, config or TrainConfig(), (overrides or {}) if resume else None
        )
        for line in coverage_warnings(a, b):
            (notice or _to_stderr)(line)
        trainer = SwapTrainer(config, a, b, out)
        if resume and has_checkpoint(out / CHECKPOINTS):
            trainer.restore()
        summary = TrainSummary(run=str(out), model=config.model)
        _loop(trainer, Budget(total_steps=steps, minutes=minutes), summary, progress, notice)
    summary.step, summary.images, summary.batch = trainer.step, trainer.images, trainer.batch
    summary.train_seconds = round(trainer.train_seconds, 2)
    summary.images_per_s = round(trainer.images / max(trainer.train_seconds, 1e-9), 2)
    summary.weights_sha256 = trainer.weights_sha256
    return summary


def _loop(
    trainer: SwapTrainer,
    budget: Budget,
    summary: TrainSummary,
    progress: Progress | None,
    notice: Notice | None,
) -> None:
    config, out = trainer.config, trainer.out
    steps, minutes = budget.total_steps, budget.minutes
    start_step = trainer.step
    window: list[dict[str, float]] = []
    now = {"fraction": 0.0, "gan_on": False}  # the step just taken

    def one_step() -> tuple[int, dict[str, float]] | None:
        fraction = _fraction(budget, trainer.step, steps, minutes)
        gan_on = config.gan_weight > 0 and fraction >= config.gan_start
        for group in trainer.opt.param_groups:
            group["lr"] = config.learning_rate * lr_scale(fraction, config.lr_decay)
        tick = time.perf_counter()
        try:
            losses = trainer.train_step(gan_on)
        except (RuntimeError, MemoryError) as exc:
            if not is_out_of_memory(exc):
                raise
            _halve_batch(trainer, exc, notice or _to_stderr)
            return None  # the step is retried; its half-done work is thrown away
        summary.losses = losses
        trainer.train_seconds += time.perf_counter() - tick
        window.append(losses)
        now.update(fraction=fraction, gan_on=gan_on)
        return trainer.step, losses

    def speed() -> float:
        return trainer.images / max(trainer.train_seconds, 1e-9)

    def log(step: int) -> None:
        _log(trainer, window, speed(), bool(now["gan_on"]))
        window.clear()

    def report(step: int, losses: Losses) -> None:
        if progress is not None:
            fraction, gan_on = now["fraction"], bool(now["gan_on"])
            values = {
                **losses,
                "fraction": fraction,
                "images_per_s": speed(),
                "gan_on": float(gan_on),
            }
            progress(Tick("training", step, steps, values))

    def preview(step: int) -> None:
        trainer.save()
        summary.previews.append(str(trainer.preview()))

    def stop(_: int, error: BaseException | None) -> None:
        # on success, error, Ctrl-C or SIGTERM alike: keep what was learned
        if trainer.step > start_step and not _saved_at(out, trainer.step):
            preview(trainer.step)

    schedule = [
        Every(log, steps=config.log_every),
        Every(preview, steps=config.preview_every, minutes=config.checkpoint_minutes),
    ]
    fit(one_step, budget, Hooks(report, schedule, stop), start=trainer.step)


def _halve_batch(trainer: SwapTrainer, exc: BaseException, notice: Notice) -> None:
    """Memory too small for the batch: go on with half of it, and write that into run.json
    so that a --resume starts with a batch that fits (--batch still overrides it)."""
    old = trainer.batch
    if old <= MIN_BATCH:
        raise InputError(
            f"out of memory even with batch {old}; free some memory, or train at `size` 64 "
            "with `model` fauxlab",
            settings=["size", "model"],
        ) from exc
    trainer.batch = max(MIN_BATCH, old // 2)
    trainer.opt.zero_grad(set_to_none=True)  # free what the failed backward pass left
    if trainer.opt_d is not None:
        trainer.opt_d.zero_grad(set_to_none=True)
    info = read_run_info(trainer.out)
    write_run_info(trainer.out, replace(info, settings={**info.settings, "batch": trainer.batch}))
    notice(
        f"out of memory with batch {old}: going on with batch {trainer.batch} "
        "(faces of each person per step; saved in run.json for --resume)"
    )


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _saved_at(out: Path, step: int) -> bool:
    return has_checkpoint(out / CHECKPOINTS) and load_checkpoint_record(out)["step"] == step


def _fraction(budget: Budget, step: int, steps: int | None, minutes: float | None) -> float:
    parts = []
    if steps:
        parts.append(step / steps)
    if minutes:
        parts.append(budget.elapsed() / (minutes * 60))
    return min(1.0, max(parts)) if parts else 0.0


def _log(trainer: SwapTrainer, window: list[dict[str, float]], speed: float, gan_on: bool) -> None:
    keys = window[0].keys()
    mean = {k: round(sum(w[k] for w in window) / len(window), 5) for k in keys}
    trainer.metrics.append(
        {"step": trainer.step, "images": trainer.images, "images_per_s": round(speed, 2),
         "gan": gan_on, **mean}
    )  # fmt: skip
