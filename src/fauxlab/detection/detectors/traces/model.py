"""The traces network: neighbouring-pixel relations (NPR) read by a small CNN.

NPR (Tan et al. 2024) is the picture minus its own 2x2 nearest-neighbour copy: what is
left is how each pixel differs from its block's corner, which is where up-sampling layers
leave their regular patterns and photographs leave sensor and lens noise. The network
sees only that residual, so colour, lighting and who is in the picture carry nothing.
It is fully convolutional and pooled, so it reads a crop of any size; the detector reads
the picture at its own resolution, crop by crop.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional

RESIDUAL_GAIN = 4.0  # the residual is small; scale it into the range the layers expect


def neighbour_residual(x: torch.Tensor) -> torch.Tensor:
    """x minus its 2x2 nearest-neighbour down-and-up copy (sides must be even)."""
    corners = x[:, :, ::2, ::2]
    return x - functional.interpolate(corners, scale_factor=2.0, mode="nearest")


def _block(channels_in: int, channels_out: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(channels_in, channels_out, 3, stride, 1),
        nn.BatchNorm2d(channels_out),
        nn.ReLU(),
        nn.Conv2d(channels_out, channels_out, 3, 1, 1),
        nn.BatchNorm2d(channels_out),
        nn.ReLU(),
    )


class TracesNet(nn.Module):
    """Residual in, a fake logit per position out (`maps`), averaged to one (`forward`)."""

    def __init__(self, width: int = 16) -> None:
        super().__init__()
        self.width = width
        self.features = nn.Sequential(
            _block(3, width, 1),
            _block(width, 2 * width, 2),
            _block(2 * width, 4 * width, 2),
            _block(4 * width, 4 * width, 2),
        )
        self.head = nn.Conv2d(4 * width, 1, 1)

    def maps(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 1, H/8, W/8) logits: where in the crop the traces were read."""
        out: torch.Tensor = self.head(self.features(neighbour_residual(x) * RESIDUAL_GAIN))
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.maps(x).mean(dim=(1, 2, 3))
