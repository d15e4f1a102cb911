"""Generators and discriminators: the 2015 DCGAN baseline and fauxlab's small-data model.

Every generator maps a batch of latent vectors z (N, z_dim) to images (N, 3, S, S) in
[-1, 1]; every discriminator maps images to one raw score (a logit) per image, shape (N,).
The shape each layer produces is written beside it, for S = 64 and the default widths.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

import torch
from torch import Tensor, nn
from torch.nn.utils.parametrizations import spectral_norm

from fauxlab.errors import SettingError

ModelName = Literal["dcgan", "fauxlab"]
MODEL_NAMES: tuple[ModelName, ...] = ("dcgan", "fauxlab")
FAUXLAB_SIZES = (32, 64, 128)


@dataclass(frozen=True)
class Architecture:
    """Everything needed to rebuild a generator from its weights."""

    model: ModelName = "fauxlab"
    size: int = 64
    z_dim: int = 128
    ngf: int = 64
    ndf: int = 64

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Architecture:
        known = {k: data[k] for k in ("model", "size", "z_dim", "ngf", "ndf") if k in data}
        return cls(**known)

    def check(self) -> None:
        """Raise SettingError (a ValueError) for a combination we cannot build."""
        if self.model not in MODEL_NAMES:
            raise SettingError(
                f"unknown `model` {self.model!r}; choose one of {', '.join(MODEL_NAMES)}",
                settings=["model"],
            )
        if self.model == "dcgan" and self.size != 64:
            raise SettingError(
                f"dcgan is the 64x64 architecture; `size` {self.size} is not possible",
                settings=["size"],
            )
        if self.model == "fauxlab" and self.size not in FAUXLAB_SIZES:
            sizes = ", ".join(map(str, FAUXLAB_SIZES))
            raise SettingError(
                f"fauxlab model sizes are {sizes}; got `size` {self.size}", settings=["size"]
            )


# --- DCGAN (Radford et al. 2015), as in pytorch/examples -------------------------------


def dcgan_init(module: nn.Module) -> None:
    """The paper's initialisation: conv weights N(0, 0.02), batch-norm scale N(1, 0.02)."""
    if isinstance(module, nn.Conv2d | nn.ConvTranspose2d):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class DCGANGenerator(nn.Module):
    """Transposed convolutions, batch norm and ReLU; tanh at the end."""

    def __init__(self, z_dim: int = 100, ngf: int = 64) -> None:
        super().__init__()
        self.z_dim = z_dim
        self.net = nn.Sequential(
            # (N, z_dim, 1, 1)
            nn.ConvTranspose2d(z_dim, ngf * 8, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 8),
            nn.ReLU(True),
            # (N, 512, 4, 4)
            nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 4),
            nn.ReLU(True),
            # (N, 256, 8, 8)
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            # (N, 128, 16, 16)
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf),
            nn.ReLU(True),
            # (N, 64, 32, 32)
            nn.ConvTranspose2d(ngf, 3, 4, 2, 1, bias=False),
            nn.Tanh(),
            # (N, 3, 64, 64)
        )
        self.apply(dcgan_init)

    def forward(self, z: Tensor) -> Tensor:
        out: Tensor = self.net(z.view(z.shape[0], self.z_dim, 1, 1))
        return out


class DCGANDiscriminator(nn.Module):
    """Strided convolutions, batch norm and leaky ReLU; one logit per image.

    pytorch/examples ends in a sigmoid and uses BCELoss; we return the logit and use
    BCEWithLogitsLoss, the same loss computed without overflow.
    """

    def __init__(self, ndf: int = 64) -> None:
        super().__init__()
        self.net = nn.Sequential(
            # (N, 3, 64, 64)
            nn.Conv2d(3, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            # (N, 64, 32, 32)
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            # (N, 128, 16, 16)
            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 4),
            nn.LeakyReLU(0.2, inplace=True),
            # (N, 256, 8, 8)
            nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 8),
            nn.LeakyReLU(0.2, inplace=True),
            # (N, 512, 4, 4)
            nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False),
            # (N, 1, 1, 1)
        )
        self.apply(dcgan_init)

    def forward(self, x: Tensor) -> Tensor:
        out: Tensor = self.net(x)
        return out.view(-1)


# --- fauxlab: small data on a CPU budget ----------------------------------------------


def _g_channels(resolution: int, ngf: int) -> int:
    """Generator width at a resolution: ngf*8 at 4x4, halving each doubling (64px: 32)."""
    return max(8, min(ngf * 8, ngf * 32 // resolution))


def _d_channels(resolution: int, ndf: int) -> int:
    """Discriminator width: ndf at 32x32, doubling each halving, at most ndf*8."""
    return max(8, min(ndf * 8, ndf * 32 // resolution))


class PixelNorm(nn.Module):
    """Scale each pixel's feature vector to unit RMS (ProGAN). Unlike batch norm it has no
    running statistics and no dependence on the batch, so the EMA copy samples cleanly."""

    def forward(self, x: Tensor) -> Tensor:
        return x * torch.rsqrt(x.pow(2).mean(dim=1, keepdim=True) + 1e-8)


class UpBlock(nn.Module):
    """Double the resolution: nearest upsample, 3x3 conv, pixel norm, leaky ReLU.
    (Upsample-then-convolve avoids the checkerboard of transposed convolutions.)"""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, 1, 1)
        self.norm = PixelNorm()
        self.act = nn.LeakyReLU(0.2)

    def forward(self, x: Tensor) -> Tensor:
        x = nn.functional.interpolate(x, scale_factor=2.0, mode="nearest")
        out: Tensor = self.act(self.norm(self.conv(x)))
        return out


class FauxlabGenerator(nn.Module):
    """z -> 4x4 by a linear layer, then one UpBlock per doubling, then a 3x3 conv to RGB."""

    def __init__(self, size: int = 64, z_dim: int = 128, ngf: int = 64) -> None:
        super().__init__()
        self.z_dim = z_dim
        c4 = _g_channels(4, ngf)
        self.start_channels = c4
        self.fc = nn.Linear(z_dim, c4 * 16)  # (N, 128) -> (N, 512*4*4)
        self.start = nn.Sequential(PixelNorm(), nn.LeakyReLU(0.2))  # (N, 512, 4, 4)
        blocks: list[nn.Module] = []
        resolution = 4
        while resolution < size:  # 64px: 8x8x256, 16x16x128, 32x32x64, 64x64x32
            cin, cout = _g_channels(resolution, ngf), _g_channels(resolution * 2, ngf)
            blocks.append(UpBlock(cin, cout))
            resolution *= 2
        self.blocks = nn.Sequential(*blocks)
        self.to_rgb = nn.Conv2d(_g_channels(size, ngf), 3, 3, 1, 1)  # (N, 3, 64, 64)

    def forward(self, z: Tensor) -> Tensor:
        x = self.fc(z).view(z.shape[0], self.start_channels, 4, 4)
        x = self.blocks(self.start(x))
        return torch.tanh(self.to_rgb(x))


class FauxlabDiscriminator(nn.Module):
    """DCGAN's layout with spectral normalisation instead of batch norm: one 4x4 stride-2
    conv per halving down to 4x4, then a linear layer to one logit. Spectral norm keeps
    each layer's Lipschitz constant near 1, so D cannot grow arbitrarily sharp, and unlike
    batch norm it does not mix the images of a batch."""

    def __init__(self, size: int = 64, ndf: int = 64) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        resolution, cin = size, 3
        while resolution > 4:  # 64px: 32x32x64, 16x16x128, 8x8x256, 4x4x512
            cout = _d_channels(resolution // 2, ndf)
            layers += [spectral_norm(nn.Conv2d(cin, cout, 4, 2, 1)), nn.LeakyReLU(0.2)]
            resolution, cin = resolution // 2, cout
        self.features = nn.Sequential(*layers)
        self.head = spectral_norm(nn.Linear(cin * 16, 1))  # (N, 1)

    def forward(self, x: Tensor) -> Tensor:
        out: Tensor = self.head(self.features(x).flatten(1))
        return out.view(-1)


def build_generator(arch: Architecture) -> nn.Module:
    arch.check()
    if arch.model == "dcgan":
        return DCGANGenerator(arch.z_dim, arch.ngf)
    return FauxlabGenerator(arch.size, arch.z_dim, arch.ngf)


def build_discriminator(arch: Architecture) -> nn.Module:
    arch.check()
    if arch.model == "dcgan":
        return DCGANDiscriminator(arch.ndf)
    return FauxlabDiscriminator(arch.size, arch.ndf)


def default_architecture(model: ModelName, size: int) -> Architecture:
    """The defaults of each model: DCGAN's z is 100-D as in the paper."""
    if model == "dcgan":
        return Architecture("dcgan", size, z_dim=100, ngf=64, ndf=64)
    return Architecture("fauxlab", size, z_dim=128, ngf=48, ndf=64)


def parameter_count(module: nn.Module) -> int:
    return sum(math.prod(p.shape) for p in module.parameters())
