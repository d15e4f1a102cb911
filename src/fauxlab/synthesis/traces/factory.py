"""Training fakes made from real pictures: each one reconstructed through a zoo decoder.

The zoo trains briefly, in memory, on crops of the same real faces the detector trains
on; a reconstruction need not be good, only made by a decoder, so a few hundred steps
each are enough. Nothing here is written to disk: the reconstructions exist only to
train a detector (the rule for unsealed synthetic media).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch.nn import functional

from fauxlab.media.images import RGBImage
from fauxlab.synthesis.traces.zoo import (
    HELD_OUT_ZOO,
    TRAINING_ZOO,
    Member,
    UpsamplingAutoencoder,
)

CROP = 64
BATCH = 16
LEARNING_RATE = 2e-3
Progress = Callable[[str, int, int], None]  # phase, done, total


def to_tensor(images: Sequence[RGBImage]) -> torch.Tensor:
    batch = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float()
    return batch / 127.5 - 1.0


def to_image(batch: torch.Tensor) -> RGBImage:
    pixels = ((batch[0].permute(1, 2, 0).numpy() + 1.0) * 127.5).round()
    return pixels.clip(0, 255).astype(np.uint8)


def random_crops(
    images: Sequence[RGBImage], count: int, rng: np.random.Generator
) -> list[RGBImage]:
    crops = []
    for index in rng.integers(0, len(images), size=count):
        image = images[int(index)]
        height, width = image.shape[:2]
        top = int(rng.integers(0, height - CROP + 1))
        left = int(rng.integers(0, width - CROP + 1))
        crops.append(image[top : top + CROP, left : left + CROP])
    return crops


def train_member(
    member: Member, images: Sequence[RGBImage], steps: int, seed: int
) -> UpsamplingAutoencoder:
    """A few hundred steps of L1 reconstruction on random crops."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = UpsamplingAutoencoder(member)
    optimiser = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    for _ in range(steps):
        batch = to_tensor(random_crops(images, BATCH, rng))
        loss = functional.l1_loss(model(batch), batch)
        optimiser.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        optimiser.step()
    return model.eval()


@torch.no_grad()
def reconstruct_with(model: UpsamplingAutoencoder, image: RGBImage) -> RGBImage:
    """The whole picture through the decoder (edges padded by reflection, then cut)."""
    height, width = image.shape[:2]
    multiple = 2**model.member.depth
    batch = functional.pad(
        to_tensor([image]), (0, -width % multiple, 0, -height % multiple), mode="reflect"
    )
    return to_image(model(batch)[:, :, :height, :width])


@dataclass
class ReconstructionZoo:
    """Decoders of every design in `members`, trained on the reals they are given."""

    members: tuple[Member, ...] = TRAINING_ZOO
    held_out_members: tuple[Member, ...] = HELD_OUT_ZOO
    steps: int = 100
    seed: int = 0
    _models: list[UpsamplingAutoencoder] = field(default_factory=list, repr=False)
    _held_out: list[UpsamplingAutoencoder] = field(default_factory=list, repr=False)

    @property
    def name(self) -> str:
        return "reconstructions"

    def fit(self, images: Sequence[RGBImage], progress: Progress | None = None) -> None:
        usable = [i for i in images if min(i.shape[:2]) >= CROP]
        if not usable:
            raise ValueError(f"the zoo needs real pictures of at least {CROP} px a side")
        everyone = (*self.members, *self.held_out_members)
        trained = []
        for index, member in enumerate(everyone):
            if progress is not None:
                progress(f"training decoder {member.name}", index, len(everyone))
            trained.append(train_member(member, usable, self.steps, self.seed + index))
        self._models = trained[: len(self.members)]
        self._held_out = trained[len(self.members) :]

    def reconstruct(self, image: RGBImage, rng: np.random.Generator) -> RGBImage:
        """`image` through one of the training decoders, chosen by `rng`."""
        return reconstruct_with(self._models[int(rng.integers(len(self._models)))], image)

    def reconstruct_held_out(self, image: RGBImage, rng: np.random.Generator) -> RGBImage:
        """`image` through a decoder design the detector never trained on."""
        return reconstruct_with(self._held_out[int(rng.integers(len(self._held_out)))], image)

    def describe(self) -> dict[str, Any]:
        return {
            "recipe": "real pictures reconstructed through small up-sampling autoencoders",
            "training_decoders": [m.describe() for m in self.members],
            "held_out_decoders": [m.describe() for m in self.held_out_members],
            "steps_each": self.steps,
            "seed": self.seed,
        }
