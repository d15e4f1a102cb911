"""The training loop shared by both models: D's step, then G's step, then bookkeeping.

A run folder holds everything about one run:

    config.json              the settings (TrainConfig)
    metrics.jsonl            losses, D(real), D(fake), speed, every log_every steps
    checkpoints/             atomic, verified checkpoints (fauxlab.training)
    generator.safetensors    the sampling generator (EMA copy when there is one), fp16
    samples/grid-*.png       fixed-noise grids, sealed
    curves.svg               loss and D-score curves (a diagnostic chart, not GAN output)
    timelapse.mp4            the fixed-noise grids in order, sealed
"""

from __future__ import annotations

import copy
import hashlib
import json
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from fauxlab.errors import InputError, OutputExistsError, SettingError
from fauxlab.media import Frame, read_image
from fauxlab.provenance.context import Provenance
from fauxlab.provenance.seal import ModelInfo, seal_image, seal_video
from fauxlab.synthesis.gan.augment import diff_augment
from fauxlab.synthesis.gan.config import TrainConfig
from fauxlab.synthesis.gan.data import Batches, load_images
from fauxlab.synthesis.gan.imaging import make_grid, to_uint8
from fauxlab.synthesis.gan.losses import d_loss, g_loss, r1_penalty
from fauxlab.synthesis.gan.models import build_discriminator, build_generator
from fauxlab.synthesis.gan.plots import curves_svg
from fauxlab.synthesis.gan.sample import GENERATOR_FILE, generator_bytes
from fauxlab.training import (
    Budget,
    MetricsLog,
    choose_device,
    has_checkpoint,
    load_checkpoint,
    save_checkpoint,
    seed_everything,
)
from fauxlab.training.checkpoint import write_atomic
from fauxlab.training.loop import Every, Hooks, Losses, Progress, Tick, fit

GRID_LATENTS = 64
CHECKPOINT_SECONDS = 600.0  # also checkpoint every ten minutes, whatever the step count


@dataclass(frozen=True)
class TrainResult:
    run: Path
    start_step: int
    step: int
    seconds: float
    images_per_second: float
    last: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {
            "run": str(self.run),
            "start_step": self.start_step,
            "step": self.step,
            "seconds": round(self.seconds, 1),
            "images_per_second": round(self.images_per_second, 1),
            "last": self.last,
        }


class GanTrainer:
    """Models, optimisers and random state of one run; `step()` is one D and one G update."""

    def __init__(self, config: TrainConfig, images: torch.Tensor, device: torch.device) -> None:
        self.config, self.device = config, device
        self.rng = seed_everything(config.seed)
        self.G = build_generator(config.arch).to(device)
        self.D = build_discriminator(config.arch).to(device)
        self.G_ema = copy.deepcopy(self.G).eval() if config.ema_beta is not None else None
        betas = (config.beta1, config.beta2)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=config.lr_g, betas=betas)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=config.lr_d, betas=betas)
        self.batches = Batches(images, config.batch, self.rng)
        self.fixed_z = torch.randn(
            GRID_LATENTS,
            config.arch.z_dim,
            generator=torch.Generator().manual_seed(config.seed + 1),
        )
        self.step = 0

    def _augment(self, x: torch.Tensor) -> torch.Tensor:
        return diff_augment(x, self.rng, self.config.augment) if self.config.augment else x

    def train_step(self) -> dict[str, float]:
        cfg = self.config
        real = self.batches.next(self.device)
        z = torch.randn(cfg.batch, cfg.arch.z_dim, generator=self.rng).to(self.device)
        fake = self.G(z)

        # D step: tell real from fake; G's image is detached, so only D learns here
        real_logits = self.D(self._augment(real))
        fake_logits = self.D(self._augment(fake.detach()))
        loss_d = d_loss(cfg.loss, real_logits, fake_logits)
        r1 = 0.0
        if cfg.r1_gamma > 0 and self.step % cfg.r1_every == 0:  # lazy R1: rarer, scaled up
            penalty = r1_penalty(self.D, self._augment(real))
            loss_d = loss_d + cfg.r1_gamma / 2 * cfg.r1_every * penalty
            r1 = float(penalty.detach())
        self.opt_d.zero_grad(set_to_none=True)
        torch.autograd.backward(loss_d)
        self.opt_d.step()

        # G step: make D call the same images real; D's weights are not updated here
        loss_g = g_loss(cfg.loss, self.D(self._augment(fake)))
        self.opt_g.zero_grad(set_to_none=True)
        torch.autograd.backward(loss_g)
        self.opt_g.step()
        self._update_ema()
        self.step += 1
        return {
            "loss_d": float(loss_d.detach()),
            "loss_g": float(loss_g.detach()),
            "d_real": float(torch.sigmoid(real_logits.detach()).mean()),
            "d_fake": float(torch.sigmoid(fake_logits.detach()).mean()),
            "r1": r1,
        }

    @torch.no_grad()
    def _update_ema(self) -> None:
        if self.G_ema is None or self.config.ema_beta is None:
            return
        beta = min(self.config.ema_beta, (1 + self.step) / (10 + self.step))  # warm-up
        for ema, live in zip(self.G_ema.parameters(), self.G.parameters(), strict=True):
            ema.lerp_(live, 1 - beta)
        for ema_b, live_b in zip(self.G_ema.buffers(), self.G.buffers(), strict=True):
            ema_b.copy_(live_b)

    @property
    def sampler(self) -> nn.Module:
        """The generator used for pictures: the EMA copy when there is one."""
        return self.G_ema if self.G_ema is not None else self.G

    @torch.no_grad()
    def grid(self) -> torch.Tensor:
        sampler = self.sampler
        was_training = sampler.training
        sampler.eval()
        images: torch.Tensor = sampler(self.fixed_z.to(self.device))
        sampler.train(was_training)
        return images

    def tensors(self) -> dict[str, torch.Tensor]:
        parts: dict[str, nn.Module] = {"G": self.G, "D": self.D}
        if self.G_ema is not None:
            parts["G_ema"] = self.G_ema
        return {f"{p}.{k}": v for p, m in parts.items() for k, v in m.state_dict().items()}

    def state(self) -> dict[str, Any]:
        return {
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "rng": self.rng.get_state(),
            "torch_rng": torch.get_rng_state(),
            "batches": self.batches.state(),
        }

    def restore(self, step: int, tensors: dict[str, torch.Tensor], state: dict[str, Any]) -> None:
        parts: dict[str, nn.Module] = {"G": self.G, "D": self.D}
        if self.G_ema is not None:
            parts["G_ema"] = self.G_ema
        for prefix, module in parts.items():
            own = {
                k[len(prefix) + 1 :]: v for k, v in tensors.items() if k.startswith(prefix + ".")
            }
            module.load_state_dict(own)
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        self.rng.set_state(state["rng"])
        torch.set_rng_state(state["torch_rng"])
        self.batches.restore(state["batches"])
        self.step = step


# The options a resumed run takes from its config.json, and where each one lives there.
RESUME_OPTIONS: dict[str, Callable[[TrainConfig], object]] = {
    "model": lambda c: c.arch.model,
    "size": lambda c: c.arch.size,
    "batch": lambda c: c.batch,
    "seed": lambda c: c.seed,
    "loss": lambda c: c.loss,
    "holdout": lambda c: c.holdout,
    "limit": lambda c: c.image_limit,
}


def check_resume_options(
    run: Path, saved: TrainConfig, asked: TrainConfig, given: Collection[str]
) -> None:
    """Refuse a --resume whose explicitly given options contradict the saved run: the saved
    config would silently win, and the user would believe they had changed something."""
    differing = []
    for name, value_of in RESUME_OPTIONS.items():
        kept = value_of(saved)
        if name in given and kept != value_of(asked):
            differing.append(f"`{name}` {'all' if kept is None else kept}")
    if differing:
        raise SettingError(
            f"{run}: `resume` continues the saved run, which has {', '.join(differing)}; "
            "drop the differing options or start a new run with another `out`",
            settings=["resume", "out", *RESUME_OPTIONS],
        )


def prepare_run(
    run: Path, config: TrainConfig, resume: bool, given: Collection[str] = ()
) -> TrainConfig:
    """Create the run folder for a new run, or read its config back for --resume.

    `given` names the options of RESUME_OPTIONS the user set explicitly: on --resume,
    each must agree with the saved config."""
    config_path = run / "config.json"
    if resume:
        if not config_path.is_file():
            raise SettingError(
                f"{run}: nothing to resume (no config.json); drop `resume`", settings=["resume"]
            )
        saved = TrainConfig.from_dict(json.loads(config_path.read_text()))
        check_resume_options(run, saved, config, given)
        return saved
    if run.exists() and any(run.iterdir()):
        raise OutputExistsError(
            f"{run}: already exists; pass `resume` to continue it, or choose another `out`",
            settings=["resume", "out"],
        )
    run.mkdir(parents=True, exist_ok=True)
    write_atomic(config_path, json.dumps(config.to_dict(), indent=2).encode())
    return config


class _Outputs:
    """Everything a run writes besides checkpoints: grids, weights, curves, time-lapse."""

    def __init__(self, run: Path, trainer: GanTrainer, provenance: Provenance | None) -> None:
        self.run, self.trainer, self.provenance = run, trainer, provenance
        (run / "samples").mkdir(exist_ok=True)

    def export(self) -> ModelInfo:
        """Write generator.safetensors; the seal names the model by these bytes' SHA-256."""
        arch, step = self.trainer.config.arch, self.trainer.step
        data = generator_bytes(self.trainer.sampler, arch, step)
        write_atomic(self.run / GENERATOR_FILE, data)
        name = f"fauxlab-gan/{arch.model}-{arch.size}"
        return ModelInfo(name, hashlib.sha256(data).hexdigest())

    def grid(self) -> None:
        out = self.run / "samples" / f"grid-{self.trainer.step:08d}.png"
        if out.exists():  # a resumed run repeating a step it had already drawn
            out.unlink()
        image = make_grid(to_uint8(self.trainer.grid()))
        title = f"fixed-noise grid at step {self.trainer.step}"
        seal_image(image, out, self.export(), title=title, provenance=self.provenance)

    def curves(self, records: list[dict[str, Any]]) -> None:
        if records:
            write_atomic(self.run / "curves.svg", curves_svg(records))

    def timelapse(self, fps: float = 8.0) -> None:
        grids = sorted((self.run / "samples").glob("grid-*.png"))
        if len(grids) < 2:
            return
        out = self.run / "timelapse.mp4"
        out.unlink(missing_ok=True)
        frames = (Frame(i, i / fps, read_image(p)) for i, p in enumerate(grids))
        title = f"fixed-noise grids over {self.trainer.step} training steps"
        seal_video(frames, fps, out, self.export(), title=title, provenance=self.provenance)


def train(
    config: TrainConfig,
    run: Path,
    budget: Budget,
    *,
    resume: bool = False,
    device: str = "auto",
    progress: Progress | None = None,
    provenance: Provenance | None = None,
    given: Collection[str] = (),
) -> TrainResult:
    """Train (or continue) the run in `run` until `budget` is spent. `given`: the options
    of RESUME_OPTIONS set explicitly, which --resume checks against the saved run."""
    config = prepare_run(run, config, resume, given)
    config.check()  # a SettingError names what to change
    checkpoints = run / "checkpoints"
    if resume and not has_checkpoint(checkpoints):
        raise InputError(f"{run}: no checkpoint to resume from yet; start it again without it")
    checkpoint = load_checkpoint(checkpoints) if resume else None

    def loading(done: int, total: int) -> None:
        if progress is not None:
            progress(Tick("loading images", done, total))

    images, _ = load_images(
        Path(config.data_dir), config.arch.size, config.image_limit, loading, config.holdout
    )
    trainer = GanTrainer(config, images, choose_device(device))
    metrics = MetricsLog(run / "metrics.jsonl")
    if checkpoint is not None:
        trainer.restore(checkpoint.step, checkpoint.tensors, checkpoint.state)
        metrics.truncate_after(checkpoint.step)
    outputs = _Outputs(run, trainer, provenance)
    start_step = trainer.step
    window: list[Losses] = []
    window_start = time.monotonic()

    def one_step() -> tuple[int, Losses]:
        losses = trainer.train_step()
        window.append(losses)
        return trainer.step, losses

    def log(step: int) -> None:
        nonlocal window, window_start
        seconds = time.monotonic() - window_start
        record: dict[str, float] = {
            "step": step,
            **{k: sum(w[k] for w in window) / len(window) for k in window[0]},
            "images_per_second": len(window) * config.batch / max(seconds, 1e-9),
            "time": time.time(),
        }
        metrics.append(record)
        if progress is not None:
            progress(Tick("training", step, budget.total_steps, record))
        window, window_start = [], time.monotonic()

    def save(_: int) -> None:  # the trainer's own count, even if a step was cut short
        info = {"config": config.to_dict(), "images_seen": trainer.step * config.batch}
        save_checkpoint(checkpoints, trainer.step, trainer.tensors(), trainer.state(), info)
        outputs.export()
        outputs.curves(metrics.read())

    def stop(_: int, error: BaseException | None) -> None:
        if isinstance(error, KeyboardInterrupt):  # SIGTERM too: save, then exit 130
            save(trainer.step)
        elif error is None:
            if trainer.step != start_step or checkpoint is None:
                save(trainer.step)
            outputs.timelapse()

    if trainer.step == 0:
        outputs.grid()
    schedule = [
        Every(log, steps=config.log_every),
        Every(lambda _: outputs.grid(), steps=config.sample_every),
        Every(save, steps=config.checkpoint_every, minutes=CHECKPOINT_SECONDS / 60),
    ]
    fit(one_step, budget, Hooks(every=schedule, stop=stop), start=trainer.step)
    seconds = budget.elapsed()
    done = trainer.step - start_step
    last = metrics.read()[-1] if metrics.read() else {}
    return TrainResult(
        run,
        start_step,
        trainer.step,
        seconds,
        done * config.batch / max(seconds, 1e-9),
        {k: float(v) for k, v in last.items() if isinstance(v, int | float)},
    )
