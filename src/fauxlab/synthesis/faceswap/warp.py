"""Training augmentation, batched in torch: random affine + flip, random warp, colour jitter.

The random warp is the classic deepfakes `random_warp`: a 5x5 control grid over the crop,
each point jittered, the offsets interpolated smoothly over the image. The network sees
the warped face and must draw the unwarped one, so it cannot copy pixels through and has
to learn what a face of this person looks like. The affine (rotation, scale, shift) and the
horizontal flip are applied alike to input, target and masks. Masks are flipped as
pictures, so no landmark permutation (`FLIP_68`) is needed: the eyes mask covers both eyes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor
from torch.nn import functional as nnf


@dataclass(frozen=True)
class AugmentSettings:
    rotation_deg: float = 10.0
    scale: float = 0.05
    shift: float = 0.05  # of the crop side
    flip: float = 0.5  # probability
    warp: float = 0.06  # std of the control-point jitter, in units of half the crop side
    grid: int = 5
    brightness: float = 0.08
    contrast: float = 0.15
    saturation: float = 0.15


def _affine(batch: int, settings: AugmentSettings, rng: torch.Generator) -> Tensor:
    """B x 2 x 3 matrices in normalised coordinates (output -> input sampling)."""

    def uniform(span: float) -> Tensor:
        return (torch.rand(batch, generator=rng) * 2 - 1) * span

    angle = uniform(math.radians(settings.rotation_deg))
    scale = 1 + uniform(settings.scale)
    flip = torch.where(torch.rand(batch, generator=rng) < settings.flip, -1.0, 1.0)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.zeros(batch, 2, 3)
    theta[:, 0, 0], theta[:, 0, 1] = cos * flip, -sin
    theta[:, 1, 0], theta[:, 1, 1] = sin * flip, cos
    theta[:, 0, 2], theta[:, 1, 2] = uniform(2 * settings.shift), uniform(2 * settings.shift)
    return theta


def warp_offsets(batch: int, size: int, settings: AugmentSettings, rng: torch.Generator) -> Tensor:
    """B x S x S x 2 smooth offsets from a jittered `grid` x `grid` control lattice."""
    coarse = torch.randn(batch, 2, settings.grid, settings.grid, generator=rng) * settings.warp
    fine = nnf.interpolate(coarse, size=(size, size), mode="bicubic", align_corners=True)
    return fine.permute(0, 2, 3, 1)


def _colour(images: Tensor, settings: AugmentSettings, rng: torch.Generator) -> Tensor:
    batch = images.shape[0]

    def factor(span: float) -> Tensor:
        return (1 + (torch.rand(batch, 1, 1, 1, generator=rng) * 2 - 1) * span).to(images)

    grey = images.mean(dim=1, keepdim=True)
    images = grey + (images - grey) * factor(settings.saturation)
    mean = images.mean(dim=(1, 2, 3), keepdim=True)
    images = mean + (images - mean) * factor(settings.contrast)
    shift = (torch.rand(batch, 1, 1, 1, generator=rng) * 2 - 1) * settings.brightness
    return (images + shift.to(images)).clamp(0, 1)


def augment(
    images: Tensor,
    masks: Tensor,
    rng: torch.Generator,
    settings: AugmentSettings | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """(warped input, target, target masks) for faces B x 3 x S x S and masks B x K x S x S."""
    settings = settings or AugmentSettings()
    batch, _, size, _ = images.shape
    theta = _affine(batch, settings, rng).to(images)
    grid = nnf.affine_grid(theta, [batch, 1, size, size], align_corners=False)
    target = nnf.grid_sample(images, grid, padding_mode="border", align_corners=False)
    target_masks = nnf.grid_sample(masks, grid, padding_mode="zeros", align_corners=False)
    identity = nnf.affine_grid(
        torch.eye(2, 3).expand(batch, 2, 3).to(images), [batch, 1, size, size], align_corners=False
    )
    jittered = identity + warp_offsets(batch, size, settings, rng).to(images)
    warped_grid = jittered @ theta[:, :, :2].transpose(1, 2).unsqueeze(1) + theta[:, :, 2].view(
        batch, 1, 1, 2
    )
    warped = nnf.grid_sample(images, warped_grid, padding_mode="border", align_corners=False)
    # One colour jitter for input and target: same seed, drawn once per pair.
    state = rng.get_state()
    target = _colour(target, settings, rng)
    rng.set_state(state)
    warped = _colour(warped, settings, rng)
    return warped, target, target_masks
