"""DiffAugment (Zhao et al. 2020): differentiable augmentation of D's inputs.

With a few thousand images D memorises the training set and its feedback to G turns
to noise. Augmenting only the reals would teach G to make augmented-looking images;
DiffAugment applies the same random transforms to real AND generated images, in D's
step and in G's step, and every transform is differentiable so G's gradient passes
through. Policies, as in the paper: colour (brightness, saturation, contrast),
translation (up to 1/8 of the side, zero padded) and cutout (a square of half the side).

All randomness comes from the caller's `torch.Generator`, so a run is reproducible.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn import functional

POLICIES = ("color", "translation", "cutout")


def _uniform(x: Tensor, rng: torch.Generator) -> Tensor:
    return torch.rand(x.shape[0], 1, 1, 1, generator=rng, device=rng.device).to(x)


def colour(x: Tensor, rng: torch.Generator) -> Tensor:
    x = x + (_uniform(x, rng) - 0.5)  # brightness
    mean = x.mean(dim=1, keepdim=True)
    x = (x - mean) * (_uniform(x, rng) * 2) + mean  # saturation
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (_uniform(x, rng) + 0.5) + mean  # contrast


def translation(x: Tensor, rng: torch.Generator, ratio: float = 0.125) -> Tensor:
    n, _, h, w = x.shape
    sh, sw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    ty = torch.randint(-sh, sh + 1, (n, 1, 1), generator=rng, device=rng.device).to(x.device)
    tx = torch.randint(-sw, sw + 1, (n, 1, 1), generator=rng, device=rng.device).to(x.device)
    gb, gy, gx = torch.meshgrid(
        torch.arange(n, device=x.device),
        torch.arange(h, device=x.device),
        torch.arange(w, device=x.device),
        indexing="ij",
    )
    gy = torch.clamp(gy + ty + 1, 0, h + 1)
    gx = torch.clamp(gx + tx + 1, 0, w + 1)
    padded = functional.pad(x, [1, 1, 1, 1]).permute(
        0, 2, 3, 1
    )  # zeros all round: (N, H+2, W+2, C)
    return padded[gb, gy, gx].permute(0, 3, 1, 2).contiguous()


def cutout(x: Tensor, rng: torch.Generator, ratio: float = 0.5) -> Tensor:
    n, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    oy = torch.randint(0, h + (1 - ch % 2), (n, 1, 1), generator=rng, device=rng.device)
    ox = torch.randint(0, w + (1 - cw % 2), (n, 1, 1), generator=rng, device=rng.device)
    gb, gy, gx = torch.meshgrid(
        torch.arange(n, device=rng.device),
        torch.arange(ch, device=rng.device),
        torch.arange(cw, device=rng.device),
        indexing="ij",
    )
    gy = torch.clamp(gy + oy - ch // 2, 0, h - 1)
    gx = torch.clamp(gx + ox - cw // 2, 0, w - 1)
    mask = torch.ones(n, h, w, device=rng.device)
    mask[gb, gy, gx] = 0
    return x * mask.unsqueeze(1).to(x)


def diff_augment(x: Tensor, rng: torch.Generator, policies: tuple[str, ...] = POLICIES) -> Tensor:
    """Apply the named policies in order; an empty tuple returns x unchanged."""
    for policy in policies:
        if policy == "color":
            x = colour(x, rng)
        elif policy == "translation":
            x = translation(x, rng)
        elif policy == "cutout":
            x = cutout(x, rng)
        else:
            raise ValueError(f"unknown DiffAugment policy {policy!r}; use {', '.join(POLICIES)}")
    return x
