"""The two players' losses, and the R1 gradient penalty.

D sees logits: high for "real", low for "fake". Each pair returns (loss_d, loss_g) halves
through two functions so the training loop can take D's step, then G's, explicitly.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor, nn
from torch.nn import functional

LossName = Literal["bce", "ns", "hinge"]
LOSS_NAMES: tuple[LossName, ...] = ("bce", "ns", "hinge")


def d_loss(kind: LossName, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """The discriminator's loss on a batch of real and a batch of generated images.

    bce / ns: -log D(x) - log(1 - D(G(z))), the original minimax game (Goodfellow 2014).
    hinge: mean(relu(1 - D(x))) + mean(relu(1 + D(G(z)))); D stops pushing a sample once
    it is classified with a margin, which keeps its scores bounded (Lim & Ye 2017).
    """
    if kind == "hinge":
        return functional.relu(1.0 - real_logits).mean() + functional.relu(1.0 + fake_logits).mean()
    real = functional.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
    fake = functional.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return real + fake


def g_loss(kind: LossName, fake_logits: Tensor) -> Tensor:
    """The generator's loss on D's scores for its images.

    bce / ns: the non-saturating form -log D(G(z)), strong gradients while D still wins.
    hinge: -mean(D(G(z))).
    """
    if kind == "hinge":
        return -fake_logits.mean()
    return functional.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


def r1_penalty(discriminator: nn.Module, real: Tensor) -> Tensor:
    """E ||grad_x D(x)||^2 on real images (Mescheder et al. 2018): D's surface is kept flat
    where the data lies, so it cannot keep pushing G away from a good solution.

    The caller scales it by gamma / 2 and, when it is applied lazily every k steps, by k.
    """
    real = real.detach().requires_grad_(True)
    logits = discriminator(real)
    (grad,) = torch.autograd.grad(logits.sum(), real, create_graph=True)
    return grad.pow(2).flatten(1).sum(1).mean()
