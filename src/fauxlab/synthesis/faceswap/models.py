"""Face-swap autoencoders: one shared encoder, one decoder per identity (+ a patch critic).

Each decoder returns RGB in 0..1 and a one-channel mask (the face it believes it drew).
Swapping = encode a face of A, decode it with B's decoder.

- `classic`: the original deepfakes layout at 64 px, kept as the baseline.
- `fauxlab`: the same idea sized for a CPU: 3x3 convolutions at a quarter of the width, a
  smaller bottleneck and residual blocks in the decoder; several times faster per image.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

MODEL_NAMES = ("fauxlab", "classic")


def _conv(cin: int, cout: int, kernel: int = 3, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel, stride, kernel // 2), nn.LeakyReLU(0.1, inplace=True)
    )


class Upscale(nn.Sequential):
    """Conv to 4x the channels, then pixel shuffle: doubles height and width."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__(
            nn.Conv2d(cin, cout * 4, 3, 1, 1), nn.LeakyReLU(0.1, inplace=True), nn.PixelShuffle(2)
        )


class Residual(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, 1, 1),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(channels, channels, 3, 1, 1),
        )
        self.act = nn.LeakyReLU(0.2, inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        return self.act(x + self.body(x))  # type: ignore[no-any-return]


class Encoder(nn.Module):
    """S x S x 3 -> strided convs -> dense bottleneck -> (S/8) x (S/8) x `out_channels`."""

    def __init__(
        self, size: int, widths: tuple[int, ...], kernel: int, latent: int, out_channels: int
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        cin = 3
        for width in widths:  # each halves the side: 64 -> 32 -> 16 -> 8 -> 4
            layers.append(_conv(cin, width, kernel, 2))
            cin = width
        self.features = nn.Sequential(*layers)
        self.side = size // 2 ** len(widths)
        self.channels = cin
        self.dense_in = nn.Linear(cin * self.side * self.side, latent)  # the bottleneck
        self.dense_out = nn.Linear(latent, cin * self.side * self.side)
        self.upscale = Upscale(cin, out_channels)  # side -> 2 * side

    def forward(self, x: Tensor) -> Tensor:
        x = self.features(x).flatten(1)  # B x (C*side*side)
        x = self.dense_out(self.dense_in(x))
        x = x.view(-1, self.channels, self.side, self.side)
        return self.upscale(x)  # type: ignore[no-any-return]


class Decoder(nn.Module):
    """(S/8) features -> S x S RGB (sigmoid) and mask (sigmoid).

    With `guides` > 0 the decoder also takes that many numbers per face (see `guide.py`),
    given to every upscale as constant feature maps so that each scale can use them."""

    def __init__(
        self, cin: int, widths: tuple[int, ...], residual: bool, kernel: int, guides: int = 0
    ) -> None:
        super().__init__()
        self.guides = guides
        layers: list[nn.Module] = []
        for width in widths:  # each doubles the side: 8 -> 16 -> 32 -> 64
            layers.append(Upscale(cin + guides, width))
            if residual:
                layers.append(Residual(width))
            cin = width
        self.body = nn.Sequential(*layers)
        self.rgb = nn.Conv2d(cin, 3, kernel, 1, kernel // 2)
        self.mask = nn.Conv2d(cin, 1, kernel, 1, kernel // 2)

    def forward(self, x: Tensor, guide: Tensor | None = None) -> tuple[Tensor, Tensor]:
        if self.guides:
            if guide is None or guide.shape != (x.shape[0], self.guides):
                raise ValueError(f"this decoder needs a B x {self.guides} guide")
            for layer in self.body:
                if isinstance(layer, Upscale):
                    maps = guide[:, :, None, None].expand(-1, -1, *x.shape[2:])
                    x = torch.cat([x, maps.to(x)], dim=1)
                x = layer(x)
        else:
            x = self.body(x)
        return torch.sigmoid(self.rgb(x)), torch.sigmoid(self.mask(x))


@dataclass(frozen=True)
class Layout:
    enc_widths: tuple[int, ...]
    kernel: int
    latent: int
    features: int
    dec_widths: tuple[int, ...]
    residual: bool


LAYOUTS = {
    # The deepfakes "Original" model: 5x5 stride-2 convs 128-256-512-1024, dense 1024.
    "classic": Layout((128, 256, 512, 1024), 5, 1024, 512, (256, 128, 64), False),
    # A quarter of the width, 3x3 kernels, a 256-wide bottleneck, residual decoder blocks.
    "fauxlab": Layout((32, 64, 128, 256), 3, 256, 128, (96, 48, 24), True),
}


class SwapModel(nn.Module):
    """Shared encoder, decoders `a` and `b`."""

    def __init__(self, name: str = "fauxlab", size: int = 64, guides: int = 0) -> None:
        super().__init__()
        if name not in LAYOUTS:
            raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODEL_NAMES)}")
        if name == "classic" and size != 64:
            raise ValueError("the classic model is defined at 64 px only")
        if size % 16:
            raise ValueError(f"size must be a multiple of 16, got {size}")
        layout = LAYOUTS[name]
        self.name, self.size, self.guides = name, size, guides
        self.encoder = Encoder(
            size, layout.enc_widths, layout.kernel, layout.latent, layout.features
        )
        self.decoder_a = Decoder(layout.features, layout.dec_widths, layout.residual, 5, guides)
        self.decoder_b = Decoder(layout.features, layout.dec_widths, layout.residual, 5, guides)

    def decoder(self, identity: str) -> Decoder:
        if identity not in ("a", "b"):
            raise ValueError(f"identity must be 'a' or 'b', got {identity!r}")
        return self.decoder_a if identity == "a" else self.decoder_b

    def forward(
        self, x: Tensor, identity: str, guide: Tensor | None = None
    ) -> tuple[Tensor, Tensor]:
        """Faces (B x 3 x S x S, 0..1) -> (RGB, mask) drawn by `identity`'s decoder;
        `guide` (B x guides, normalised) only for a guided model."""
        return self.decoder(identity)(self.encoder(x), guide)  # type: ignore[no-any-return]


class PatchDiscriminator(nn.Module):
    """A small PatchGAN critic: one real/fake score per ~16 px patch (S/8 x S/8 map)."""

    def __init__(self, width: int = 64) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, width, 4, 2, 1),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(width, width * 2, 4, 2, 1),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(width * 2, width * 4, 4, 2, 1),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(width * 4, 1, 3, 1, 1),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x * 2 - 1)  # type: ignore[no-any-return]


def parameter_count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
