"""The network: an ImageNet EfficientNet-Lite0 trunk with two heads.

- the classification head scores the whole crop (one logit: fake vs real);
- the boundary head draws where a blend boundary runs (Face X-ray, Li et al. 2020) on a
  16x16 grid for a 128 px crop, from the stride-8 features (fine detail) joined with the
  stride-16 ones (context). That map is the detector's heatmap: it marks the place of the
  manipulation itself, not where a classifier happened to look.

Lite0's ImageNet classifier (1.3M of its 4.65M parameters) is dropped.
"""

from __future__ import annotations

from typing import cast

import torch
from torch import nn
from torch.nn import functional

from fauxlab.backbones.lite0 import FEATURE_DIM, build_lite0


class ForgeryNet(nn.Module):
    def __init__(self, pretrained: bool = True) -> None:
        super().__init__()
        trunk = build_lite0(pretrained=pretrained)
        self.stem = nn.Sequential(
            cast(nn.Module, trunk._conv_stem), cast(nn.Module, trunk._bn0), nn.ReLU6()
        )
        self.blocks = cast(nn.ModuleList, trunk._blocks)
        self.head = nn.Sequential(
            cast(nn.Module, trunk._conv_head), cast(nn.Module, trunk._bn1), nn.ReLU6()
        )
        fine, coarse = self._channels()
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(FEATURE_DIM, 1))
        self.boundary = nn.Sequential(
            nn.Conv2d(fine + coarse, 48, 3, padding=1), nn.ReLU(), nn.Conv2d(48, 1, 1)
        )

    def _channels(self) -> tuple[int, int]:
        with torch.no_grad():
            fine, coarse, _ = self._trunk(torch.zeros(1, 3, 64, 64))
        return fine.shape[1], coarse.shape[1]

    def _trunk(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Features at strides 8 and 16 (the last block at each), and the head's map."""
        size = x.shape[-1]
        by_stride: dict[int, torch.Tensor] = {}
        x = self.stem(x)
        for block in self.blocks:
            x = block(x)
            by_stride[size // x.shape[-1]] = x
        return by_stride[8], by_stride[16], self.head(x)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x in [-1, 1], (N, 3, S, S) -> (fake logit (N,), boundary logits (N, 1, S/8, S/8))."""
        fine, coarse, top = self._trunk(x)
        logit = self.classifier(top.mean(dim=(2, 3))).squeeze(1)
        context = functional.interpolate(coarse, size=fine.shape[-2:], mode="nearest")
        boundary = self.boundary(torch.cat([fine, context], dim=1))
        return logit, boundary
