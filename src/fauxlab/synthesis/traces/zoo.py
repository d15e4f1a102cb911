"""Small autoencoders that differ in how they up-sample: the generators' last layers.

Every image generator, GAN or diffusion decoder, ends by up-sampling feature maps to
pixels, and each way of doing it (transposed convolution, nearest or bilinear
interpolation followed by a convolution, pixel shuffle) leaves its own relations between
neighbouring pixels (Zhang et al. 2019; Tan et al. 2024). A real photo passed through
such a decoder keeps its content and gains those traces, so the pair teaches a detector
the traces and nothing else (Rajan and Lee 2025). The zoo varies the up-sampler, the
depth, the width and the normalisation; some members are kept out of training so that
the detector is measured on decoders it never saw.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

import torch
from torch import nn
from torch.nn import functional

Upsampler = Literal["transposed", "nearest", "bilinear", "shuffle"]


@dataclass(frozen=True)
class Member:
    """One decoder design of the zoo."""

    upsampler: Upsampler
    depth: int  # halvings in the encoder, doublings in the decoder
    width: int
    batch_norm: bool

    @property
    def name(self) -> str:
        norm = "-bn" if self.batch_norm else ""
        return f"{self.upsampler}-x{2**self.depth}-w{self.width}{norm}"

    def describe(self) -> dict[str, object]:
        return {"name": self.name, **asdict(self)}


# The decoders the detector trains on, and the ones kept out to measure it on.
TRAINING_ZOO: tuple[Member, ...] = (
    Member("transposed", 2, 48, False),
    Member("nearest", 2, 48, True),
    Member("shuffle", 3, 48, False),
    Member("bilinear", 3, 64, True),
    Member("transposed", 3, 64, True),
    Member("nearest", 1, 32, False),
)
HELD_OUT_ZOO: tuple[Member, ...] = (
    Member("shuffle", 2, 64, True),
    Member("bilinear", 2, 48, False),
)


class _Up(nn.Module):
    """Double the resolution the way `kind` does."""

    def __init__(self, channels_in: int, channels_out: int, kind: Upsampler) -> None:
        super().__init__()
        self.kind = kind
        self.op: nn.Module
        if kind == "transposed":
            self.op = nn.ConvTranspose2d(channels_in, channels_out, 4, 2, 1)
        elif kind == "shuffle":
            self.op = nn.Sequential(
                nn.Conv2d(channels_in, channels_out * 4, 3, 1, 1), nn.PixelShuffle(2)
            )
        else:
            self.op = nn.Conv2d(channels_in, channels_out, 3, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.kind in ("nearest", "bilinear"):
            x = functional.interpolate(x, scale_factor=2.0, mode=self.kind)
        out: torch.Tensor = self.op(x)
        return out


class UpsamplingAutoencoder(nn.Module):
    """Strided convolutions down, `member.upsampler` up; fully convolutional, so it
    reconstructs a picture of any size whose sides divide by 2**depth."""

    def __init__(self, member: Member) -> None:
        super().__init__()
        self.member = member
        encoder: list[nn.Module] = []
        channels = 3
        for _ in range(member.depth):
            encoder += [nn.Conv2d(channels, member.width, 4, 2, 1), nn.LeakyReLU(0.2)]
            channels = member.width
        decoder: list[nn.Module] = []
        for _ in range(member.depth):
            decoder.append(_Up(channels, member.width, member.upsampler))
            if member.batch_norm:
                decoder.append(nn.BatchNorm2d(member.width))
            decoder.append(nn.ReLU())
        decoder.append(nn.Conv2d(member.width, 3, 3, 1, 1))
        self.encoder = nn.Sequential(*encoder)
        self.decoder = nn.Sequential(*decoder)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.decoder(self.encoder(x)))
