"""Tensors to pictures: uint8 conversion, contact grids, and upscaling to a sealable size."""

from __future__ import annotations

import numpy as np
import torch
from numpy.typing import NDArray
from PIL import Image

from fauxlab.provenance.watermark import MIN_SIDE

RGB = NDArray[np.uint8]


def to_uint8(images: torch.Tensor) -> list[RGB]:
    """(N, 3, H, W) in [-1, 1] -> N arrays (H, W, 3) uint8."""
    scaled = ((images.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return [np.ascontiguousarray(x.permute(1, 2, 0).numpy()) for x in scaled]


def make_grid(images: list[RGB], columns: int = 8, pad: int = 2) -> RGB:
    """Tiles in rows of `columns`, `pad` black pixels between and around them."""
    h, w = images[0].shape[:2]
    rows = -(-len(images) // columns)
    grid = np.zeros((rows * (h + pad) + pad, columns * (w + pad) + pad, 3), dtype=np.uint8)
    for i, image in enumerate(images):
        r, c = divmod(i, columns)
        top, left = pad + r * (h + pad), pad + c * (w + pad)
        grid[top : top + h, left : left + w] = image
    return grid


def upscale(image: RGB, min_side: int = MIN_SIDE, smooth: bool = False) -> RGB:
    """Enlarge by the smallest integer factor that reaches `min_side` (the watermark needs
    64 pixels a side); nearest neighbour keeps the generator's pixels exact."""
    side = min(image.shape[:2])
    factor = max(1, -(-min_side // side))
    if factor == 1:
        return image
    h, w = image.shape[:2]
    resample = Image.Resampling.LANCZOS if smooth else Image.Resampling.NEAREST
    return np.asarray(Image.fromarray(image).resize((w * factor, h * factor), resample))
