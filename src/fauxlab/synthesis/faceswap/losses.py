"""Reconstruction losses: SSIM + L1 on the face, weighted up on eyes and mouth; mask loss."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor
from torch.nn import functional as nnf


@dataclass(frozen=True)
class LossWeights:
    ssim: float = 1.0
    l1: float = 1.0
    eyes: float = 3.0  # extra weight inside the eyes mask (so 4x a cheek)
    mouth: float = 8.0  # with mouth balance, the mouth follows (BENCHMARKS.md)
    mask: float = 1.0
    background: float = 0.05  # a little weight outside the face keeps the borders sane


def _gaussian(window: int, sigma: float) -> Tensor:
    coords = torch.arange(window, dtype=torch.float32) - (window - 1) / 2
    kernel = torch.exp(-(coords**2) / (2 * sigma**2))
    kernel = kernel / kernel.sum()
    return (kernel[:, None] * kernel[None, :]).expand(3, 1, window, window).contiguous()


def ssim_map(x: Tensor, y: Tensor, window: int = 11, sigma: float = 1.5) -> Tensor:
    """Per-pixel SSIM (B x 3 x S x S) of images in 0..1, Gaussian window, 'same' padding."""
    kernel = _gaussian(window, sigma).to(x)
    pad = window // 2

    def blur(t: Tensor) -> Tensor:
        return nnf.conv2d(nnf.pad(t, (pad,) * 4, mode="reflect"), kernel, groups=3)

    mu_x, mu_y = blur(x), blur(y)
    var_x = blur(x * x) - mu_x**2
    var_y = blur(y * y) - mu_y**2
    cov = blur(x * y) - mu_x * mu_y
    c1, c2 = 0.01**2, 0.03**2
    return ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / (
        (mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2)
    )


def pixel_weights(masks: Tensor, weights: LossWeights) -> Tensor:
    """B x 1 x S x S weights from masks (face, eyes, mouth)."""
    face, eyes, mouth = masks[:, 0:1], masks[:, 1:2], masks[:, 2:3]
    inside = face * (1 + weights.eyes * eyes + weights.mouth * mouth)
    return weights.background + inside


def reconstruction_loss(
    rgb: Tensor, mask: Tensor, target: Tensor, masks: Tensor, weights: LossWeights
) -> dict[str, Tensor]:
    """The terms of one decoder's loss; "total" is what to minimise."""
    w = pixel_weights(masks, weights)
    norm = w.sum() * 3
    dssim = ((1 - ssim_map(rgb, target)) / 2 * w).sum() / norm
    l1 = ((rgb - target).abs() * w).sum() / norm
    mask_loss = (mask - masks[:, 0:1]).abs().mean()
    total = weights.ssim * dssim + weights.l1 * l1 + weights.mask * mask_loss
    return {"total": total, "ssim": dssim, "l1": l1, "mask": mask_loss}


def masked_ssim(x: Tensor, y: Tensor, face: Tensor) -> Tensor:
    """Mean SSIM inside the face mask, per image (B,): the reconstruction metric."""
    values = ssim_map(x, y).mean(dim=1, keepdim=True)
    return (values * face).sum(dim=(1, 2, 3)) / face.sum(dim=(1, 2, 3)).clamp_min(1e-6)


def gan_losses(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """Least-squares GAN loss for the critic."""
    return ((real_scores - 1) ** 2).mean() + (fake_scores**2).mean()


def generator_gan_loss(fake_scores: Tensor) -> Tensor:
    return ((fake_scores - 1) ** 2).mean()


__all__ = [
    "LossWeights",
    "gan_losses",
    "generator_gan_loss",
    "masked_ssim",
    "pixel_weights",
    "reconstruction_loss",
    "ssim_map",
]
