"""One face-swap training step, and what it keeps: the shared encoder and the two
decoders, the optional patch critics and mouth probe, their optimisers, checkpoints of
them all, and sealed preview grids. `train.py` runs the steps (`fauxlab.training.fit`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from fauxlab.errors import ModelError
from fauxlab.provenance.seal import ModelInfo, seal_image
from fauxlab.synthesis.faceswap.config import (
    TrainConfig,
)
from fauxlab.synthesis.faceswap.data import (
    FaceSet,
)
from fauxlab.synthesis.faceswap.expression import MouthProbe, consistency_loss, probe_loss
from fauxlab.synthesis.faceswap.guide import (
    CHANNELS,
    GuideTransfer,
    normalise,
    quantiles,
)
from fauxlab.synthesis.faceswap.losses import (
    gan_losses,
    generator_gan_loss,
    reconstruction_loss,
)
from fauxlab.synthesis.faceswap.models import PatchDiscriminator, SwapModel
from fauxlab.synthesis.faceswap.runfolder import (
    CHECKPOINTS,
    METRICS,
    PREVIEWS,
    model_tensors,
)
from fauxlab.synthesis.faceswap.sampling import draw, draw_weights
from fauxlab.synthesis.faceswap.warp import augment
from fauxlab.training import (
    MetricsLog,
    choose_device,
    load_checkpoint,
    save_checkpoint,
    seed_everything,
)


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


class SwapTrainer:
    """The models, optimisers and data of one swap run, and its one training step."""

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
