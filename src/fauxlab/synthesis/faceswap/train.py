"""Train a face swap: shared encoder, decoders A and B, optional late patch critic.

Each step draws a batch of each identity, warps it (see `warp.py`), and asks that
identity's decoder to draw the unwarped face and its mask. Checkpoints (through
`fauxlab.training`) and sealed preview grids are written every `preview_every` steps,
every `checkpoint_minutes`, at the end and on Ctrl-C or SIGTERM; `resume=True` continues
a run. When a step runs out of memory the batch is halved and training goes on.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from fauxlab.errors import InputError, ModelError
from fauxlab.provenance.seal import ModelInfo, seal_image
from fauxlab.synthesis.faceswap.coverage import coverage_warnings
from fauxlab.synthesis.faceswap.data import (
    FaceSet,
    check_face_counts,
    check_pair,
    load_faceset,
)
from fauxlab.synthesis.faceswap.expression import MouthProbe, consistency_loss, probe_loss
from fauxlab.synthesis.faceswap.guide import (
    CHANNELS,
    GUIDE_NAMES,
    GuideTransfer,
    normalise,
    quantiles,
)
from fauxlab.synthesis.faceswap.losses import (
    LossWeights,
    gan_losses,
    generator_gan_loss,
    reconstruction_loss,
)
from fauxlab.synthesis.faceswap.models import MODEL_NAMES, PatchDiscriminator, SwapModel
from fauxlab.synthesis.faceswap.runfolder import (
    CHECKPOINTS,
    METRICS,
    PREVIEWS,
    RunInfo,
    model_tensors,
    new_run_folder,
    read_run_info,
    write_run_info,
)
from fauxlab.synthesis.faceswap.sampling import draw, draw_weights
from fauxlab.synthesis.faceswap.warp import augment
from fauxlab.training import (
    Budget,
    MetricsLog,
    choose_device,
    has_checkpoint,
    interruptible,
    load_checkpoint,
    save_checkpoint,
    seed_everything,
)

DEFAULT_LR = {"fauxlab": 2e-4, "classic": 5e-5}  # classic: the original deepfakes setting
MIN_BATCH = 2


@dataclass(frozen=True)
class TrainConfig:
    model: str = "fauxlab"
    size: int = 64
    batch: int = 16
    lr: float | None = None  # None: DEFAULT_LR for the model
    gan_weight: float = 0.0
    gan_start: float = 0.5  # share of the budget after which the critic switches on
    expression_weight: float = 0.0  # swaps must keep the source's mouth opening (expression.py)
    guide: str = "none"  # "expression": decoders are told mouth and eye opening (guide.py)
    lr_decay: float = 0.0  # last share of the budget over which the learning rate falls to 0
    mouth_balance: float = 0.5  # evens out mouth openings in the faces drawn (sampling.py)
    preview_every: int = 500
    checkpoint_minutes: float = 5.0
    log_every: int = 20
    seed: int = 0
    device: str = "auto"
    losses: LossWeights = field(default_factory=LossWeights)

    @property
    def learning_rate(self) -> float:
        return self.lr if self.lr is not None else DEFAULT_LR[self.model]

    def check(self) -> None:
        if self.model not in MODEL_NAMES:
            raise InputError(f"unknown --model {self.model!r}; choose {', '.join(MODEL_NAMES)}")
        if self.size not in (64, 128):
            raise InputError(f"--size must be 64 or 128, got {self.size}")
        if self.model == "classic" and self.size != 64:
            raise InputError("--model classic is the 64 px baseline; use --size 64")
        if self.batch < MIN_BATCH:
            raise InputError(f"--batch must be at least {MIN_BATCH}, got {self.batch}")
        if self.gan_weight < 0:
            raise InputError(f"--gan-weight must be 0 or more, got {self.gan_weight}")
        if self.expression_weight < 0:
            raise InputError(f"--expression-weight must be 0 or more, got {self.expression_weight}")
        if self.guide not in GUIDE_NAMES:
            raise InputError(f"unknown --guide {self.guide!r}; choose {', '.join(GUIDE_NAMES)}")
        if not 0.0 <= self.lr_decay <= 1.0:
            raise InputError(f"--lr-decay must be between 0 and 1, got {self.lr_decay}")
        if not 0.0 <= self.mouth_balance <= 1.0:
            raise InputError(f"--mouth-balance must be between 0 and 1, got {self.mouth_balance}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        values = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        values["losses"] = LossWeights(**values.get("losses", {}))
        return cls(**values)


@dataclass(frozen=True)
class StepReport:
    step: int
    total_steps: int | None
    fraction: float  # of the budget used, 0..1
    images_per_s: float
    losses: dict[str, float]
    gan_on: bool


@dataclass
class TrainSummary:
    run: str
    model: str
    batch: int = 0  # at the end: smaller than asked when memory was short
    step: int = 0
    images: int = 0
    train_seconds: float = 0.0
    images_per_s: float = 0.0
    losses: dict[str, float] = field(default_factory=dict)
    previews: list[str] = field(default_factory=list)
    weights_sha256: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


Progress = Callable[[StepReport], None]
Notice = Callable[[str], None]


@dataclass
class _Side:
    """One person's half of a step: the loss, its terms, and what the swap term needs."""

    identity: str
    loss: Tensor
    terms: dict[str, Tensor]
    code: Tensor  # the shared encoder's output for the warped faces
    target: Tensor
    openness: Tensor
    indices: Tensor  # which faces of the person the batch drew


class _Trainer:
    def __init__(self, config: TrainConfig, a: FaceSet, b: FaceSet, out: Path) -> None:
        self.config, self.a, self.b, self.out = config, a, b, out
        self.device = choose_device(config.device)
        self.rng = seed_everything(config.seed)
        guided = config.guide != "none"
        self.model = SwapModel(config.model, config.size, CHANNELS if guided else 0)
        self.model.to(self.device)
        # Decoder inputs per face: its own openings, and those carried into the other
        # person's range (what that person's decoder is given for a swap).
        self.own_guides: dict[str, Tensor] = {}
        self.swap_guides: dict[str, Tensor] = {}
        if guided:
            ranges = {"a": quantiles(a.guides), "b": quantiles(b.guides)}
            for name, faces, other in (("a", a, "b"), ("b", b, "a")):
                carried = GuideTransfer(ranges[name], ranges[other])(faces.guides)
                self.own_guides[name] = torch.from_numpy(normalise(faces.guides))
                self.swap_guides[name] = torch.from_numpy(normalise(carried))
        self.draw_weights = {
            name: draw_weights(faces.openness.numpy(), config.mouth_balance)
            for name, faces in (("a", a), ("b", b))
        }
        self.opt = torch.optim.Adam(
            self.model.parameters(), lr=config.learning_rate, betas=(0.5, 0.999)
        )
        self.critics: nn.ModuleDict | None = None
        self.opt_d: torch.optim.Optimizer | None = None
        if config.gan_weight > 0:
            self.critics = nn.ModuleDict({"a": PatchDiscriminator(), "b": PatchDiscriminator()}).to(
                self.device
            )
            self.opt_d = torch.optim.Adam(self.critics.parameters(), lr=1e-4, betas=(0.5, 0.999))
        self.probe: MouthProbe | None = None
        self.opt_probe: torch.optim.Optimizer | None = None
        if config.expression_weight > 0:
            self.probe = MouthProbe().to(self.device)
            self.opt_probe = torch.optim.Adam(self.probe.parameters(), lr=1e-3)
        self.batch = config.batch  # halved when a step runs out of memory
        self.step = 0
        self.images = 0
        self.train_seconds = 0.0
        self.metrics = MetricsLog(out / METRICS)
        self.weights_sha256 = ""

    # -- checkpoints ------------------------------------------------------------------
    def tensors(self) -> dict[str, Tensor]:
        tensors = {f"model.{k}": v for k, v in self.model.state_dict().items()}
        if self.critics is not None:
            tensors.update({f"critic.{k}": v for k, v in self.critics.state_dict().items()})
        if self.probe is not None:
            tensors.update({f"probe.{k}": v for k, v in self.probe.state_dict().items()})
        return tensors

    def save(self) -> None:
        state: dict[str, Any] = {"opt": self.opt.state_dict(), "rng": self.rng.get_state()}
        if self.opt_d is not None:
            state["opt_d"] = self.opt_d.state_dict()
        if self.opt_probe is not None:
            state["opt_probe"] = self.opt_probe.state_dict()
        info = {"images": self.images, "train_seconds": round(self.train_seconds, 2)}
        path = save_checkpoint(self.out / CHECKPOINTS, self.step, self.tensors(), state, info)
        checkpoint = load_checkpoint_record(self.out)
        self.weights_sha256 = checkpoint["files"][path.name]

    def restore(self) -> None:
        checkpoint = load_checkpoint(self.out / CHECKPOINTS)
        try:
            self.model.load_state_dict(model_tensors(checkpoint.tensors, "model."))
            self.opt.load_state_dict(checkpoint.state["opt"])
            critic = model_tensors(checkpoint.tensors, "critic.")
            if self.critics is not None and critic:
                self.critics.load_state_dict(critic)
                if self.opt_d is not None and "opt_d" in checkpoint.state:
                    self.opt_d.load_state_dict(checkpoint.state["opt_d"])
            probe = model_tensors(checkpoint.tensors, "probe.")
            if self.probe is not None and probe:
                self.probe.load_state_dict(probe)
                if self.opt_probe is not None and "opt_probe" in checkpoint.state:
                    self.opt_probe.load_state_dict(checkpoint.state["opt_probe"])
        except (RuntimeError, KeyError, ValueError) as exc:
            raise ModelError(f"{self.out}: checkpoint does not fit this model ({exc})") from exc
        self.rng.set_state(checkpoint.state["rng"])
        self.step = checkpoint.step
        self.images = int(checkpoint.info.get("images", 0))
        self.train_seconds = float(checkpoint.info.get("train_seconds", 0.0))
        self.metrics.truncate_after(self.step)

    # -- one step -----------------------------------------------------------------------
    def _side(self, faces: FaceSet, identity: str, gan_on: bool) -> _Side:
        indices = draw(len(faces), self.batch, self.draw_weights[identity], self.rng)
        images, masks = faces.batch(indices)
        warped, target, target_masks = augment(images, masks, self.rng)
        warped, target = warped.to(self.device), target.to(self.device)
        target_masks = target_masks.to(self.device)
        code = self.model.encoder(warped)
        rgb, mask = self.model.decoder(identity)(
            code, self._guide(self.own_guides, identity, indices)
        )
        terms = reconstruction_loss(rgb, mask, target, target_masks, self.config.losses)
        loss = terms["total"]
        if gan_on and self.critics is not None and self.opt_d is not None:
            face = target_masks[:, 0:1]
            fake = rgb * face + target * (1 - face)  # the critic judges only the face
            critic = self.critics[identity]
            self.opt_d.zero_grad(set_to_none=True)
            d_loss = gan_losses(critic(target), critic(fake.detach()))
            d_loss.backward()  # type: ignore[no-untyped-call]
            self.opt_d.step()
            g_loss = generator_gan_loss(critic(fake))
            loss = loss + self.config.gan_weight * g_loss
            terms = {**terms, "gan": g_loss.detach(), "critic": d_loss.detach()}
        openness = faces.openness[indices].to(self.device)
        return _Side(identity, loss, terms, code, target, openness, indices)

    def _guide(self, table: dict[str, Tensor], identity: str, indices: Tensor) -> Tensor | None:
        """The guide rows of the chosen faces (None for an unguided model)."""
        return table[identity][indices].to(self.device) if table else None

    def _expression(self, sides: tuple[_Side, _Side]) -> Tensor | None:
        """The probe learns on both people's real faces; each swap must read as open as
        its source (see `expression`). None when the term is off."""
        if self.probe is None or self.opt_probe is None:
            return None
        real = torch.cat([side.target for side in sides])
        opened = torch.cat([side.openness for side in sides])
        self.opt_probe.zero_grad(set_to_none=True)
        learned = probe_loss(self.probe, real, opened)
        learned.backward()  # type: ignore[no-untyped-call]
        self.opt_probe.step()
        swapped = [
            consistency_loss(
                self.probe,
                self.model.decoder(other)(
                    side.code, self._guide(self.swap_guides, side.identity, side.indices)
                )[0],
                side.openness,
            )
            for side, other in zip(sides, ("b", "a"), strict=True)
        ]
        for side, term in zip(sides, swapped, strict=True):
            side.terms["expression"] = term.detach()
        sides[0].terms["probe"] = learned.detach()
        return self.config.expression_weight * (swapped[0] + swapped[1])

    def train_step(self, gan_on: bool) -> dict[str, float]:
        self.model.train()
        sides = (self._side(self.a, "a", gan_on), self._side(self.b, "b", gan_on))
        loss = sides[0].loss + sides[1].loss
        expression = self._expression(sides)
        if expression is not None:
            loss = loss + expression
        self.opt.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        self.opt.step()
        self.step += 1
        self.images += 2 * self.batch
        losses = {
            f"{side.identity}_{k}": float(v.detach())
            for side in sides
            for k, v in side.terms.items()
        }
        losses["loss"] = float(loss.detach())
        return losses

    # -- previews -----------------------------------------------------------------------
    @torch.no_grad()
    def preview(self, rows: int = 4) -> Path:
        """A grid, one row per face: A, A->A, A->B, B, B->B, B->A; sealed."""
        self.model.eval()
        columns = []
        sources: list[Path] = []
        for faces, own, other in ((self.a, "a", "b"), (self.b, "b", "a")):
            picks = torch.linspace(0, len(faces) - 1, rows).round().long()
            sources.extend(faces.files[int(i)] for i in picks)
            images, _ = faces.batch(picks)
            images = images.to(self.device)
            columns += [
                images,
                self.model(images, own, self._guide(self.own_guides, own, picks))[0],
                self.model(images, other, self._guide(self.swap_guides, own, picks))[0],
            ]
        grid = torch.cat([torch.cat(list(column), dim=1) for column in columns], dim=2)
        picture = (grid.permute(1, 2, 0).cpu().numpy() * 255 + 0.5).clip(0, 255)
        out = self.out / PREVIEWS / f"step-{self.step:08d}.png"
        out.unlink(missing_ok=True)  # a resumed run may redo a step it previewed before
        info = ModelInfo(f"fauxlab-faceswap-{self.config.model}", self.weights_sha256)
        seal_image(picture.astype(np.uint8), out, info, sources, title=f"swap preview {out.stem}")
        return out


def load_checkpoint_record(out: Path) -> dict[str, Any]:
    record: dict[str, Any] = json.loads((out / CHECKPOINTS / "latest.json").read_text())
    return record


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
        raise InputError("give a budget: --steps N (total) or --minutes M")
    with interruptible():
        config, a, b = _open(
            a_dir, b_dir, out, config or TrainConfig(), (overrides or {}) if resume else None
        )
        for line in coverage_warnings(a, b):
            (notice or _to_stderr)(line)
        trainer = _Trainer(config, a, b, out)
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
    trainer: _Trainer,
    budget: Budget,
    summary: TrainSummary,
    progress: Progress | None,
    notice: Notice | None,
) -> None:
    config, out = trainer.config, trainer.out
    steps, minutes = budget.total_steps, budget.minutes
    start_step = trainer.step
    last_save = time.monotonic()
    window: list[dict[str, float]] = []
    try:
        while not budget.done(trainer.step):
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
                continue  # the step is retried; its half-done work is thrown away
            summary.losses = losses
            trainer.train_seconds += time.perf_counter() - tick
            window.append(losses)
            speed = trainer.images / max(trainer.train_seconds, 1e-9)
            if trainer.step % config.log_every == 0:
                _log(trainer, window, speed, gan_on)
                window = []
            if progress is not None:
                progress(StepReport(trainer.step, steps, fraction, speed, losses, gan_on))
            due = time.monotonic() - last_save >= config.checkpoint_minutes * 60
            if trainer.step % config.preview_every == 0 or due:
                trainer.save()
                summary.previews.append(str(trainer.preview()))
                last_save = time.monotonic()
    finally:  # on success, error, Ctrl-C or SIGTERM alike: keep what was learned
        if trainer.step > start_step and not _saved_at(out, trainer.step):
            trainer.save()
            summary.previews.append(str(trainer.preview()))


def lr_scale(fraction: float, decay_share: float) -> float:
    """1 until the last `decay_share` of the budget, then falling linearly to 0 at its end:
    with a constant rate the last step's weights wander around the minimum, and a short
    run is judged on exactly those weights."""
    if decay_share <= 0 or fraction <= 1 - decay_share:
        return 1.0
    return max(0.0, (1 - fraction) / decay_share)


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether torch ran out of memory: CUDA's OutOfMemoryError, or the RuntimeError the
    CPU allocator ("can't allocate memory") and other backends ("out of memory") raise."""
    if isinstance(exc, torch.OutOfMemoryError | MemoryError):
        return True
    text = str(exc)
    return isinstance(exc, RuntimeError) and (
        "out of memory" in text or "can't allocate memory" in text
    )


def _halve_batch(trainer: _Trainer, exc: BaseException, notice: Notice) -> None:
    """Memory too small for the batch: go on with half of it, and write that into run.json
    so that a --resume starts with a batch that fits (--batch still overrides it)."""
    old = trainer.batch
    if old <= MIN_BATCH:
        raise InputError(
            f"out of memory even with batch {old}; free some memory, or train at --size 64 "
            "with --model fauxlab"
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


def _log(trainer: _Trainer, window: list[dict[str, float]], speed: float, gan_on: bool) -> None:
    keys = window[0].keys()
    mean = {k: round(sum(w[k] for w in window) / len(window), 5) for k in keys}
    trainer.metrics.append(
        {"step": trainer.step, "images": trainer.images, "images_per_s": round(speed, 2),
         "gan": gan_on, **mean}
    )  # fmt: skip
