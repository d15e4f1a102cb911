"""Reading a picture at its own resolution: up to nine tiles, one map.

Resizing a picture to a network's input size would wipe out the pixel-level traces this
detector reads, so it never resizes: it reads tiles of the picture as they are (the
whole picture when it is small) and averages their logits. The tiles' logit maps are
pasted back where they came from, which is the map the report shows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import NDArray

from fauxlab.detection.detectors.traces.model import TracesNet
from fauxlab.media.images import RGBImage

TILE = 256
GRID = 2  # at most GRID x GRID tiles, spread evenly over a large picture (speed)
MIN_SIDE = 32
STRIDE = 8  # the network's output step: one map cell per 8 x 8 pixels


@dataclass(frozen=True)
class TracesReading:
    logit: float  # mean over the tiles' map cells, before calibration
    tile_logits: list[float]
    cell_map: NDArray[np.float32]  # (H/8, W/8) mean logit per cell; NaN where not read


def tile_origins(length: int, tile: int) -> list[int]:
    """Where tiles start along one side: evenly spread, at even pixels, at most GRID."""
    if length <= tile:
        return [0]
    count = min(GRID, -(-length // tile))
    spots = np.linspace(0, length - tile, count)
    return sorted({int(s) & ~1 for s in spots})


def _tensor(tiles: list[RGBImage]) -> torch.Tensor:
    batch = torch.from_numpy(np.stack(tiles).copy()).permute(0, 3, 1, 2).float()
    return batch / 127.5 - 1.0


@torch.no_grad()
def read_traces(net: TracesNet, image: RGBImage) -> TracesReading:
    """Tile logits and the picture's map (pictures under MIN_SIDE must be refused first)."""
    height, width = (image.shape[0] & ~1), (image.shape[1] & ~1)
    tile_h, tile_w = min(TILE, height), min(TILE, width)
    rows, cols = tile_origins(height, tile_h), tile_origins(width, tile_w)
    boxes = [(top, left) for top in rows for left in cols]
    tiles = [image[top : top + tile_h, left : left + tile_w] for top, left in boxes]
    maps = net.maps(_tensor(tiles))[:, 0].numpy()
    total = np.zeros((height // STRIDE + 1, width // STRIDE + 1), np.float64)
    count = np.zeros_like(total)
    for (top, left), cells in zip(boxes, maps, strict=True):
        rows, cols = cells.shape
        total[top // STRIDE : top // STRIDE + rows, left // STRIDE : left // STRIDE + cols] += cells
        count[top // STRIDE : top // STRIDE + rows, left // STRIDE : left // STRIDE + cols] += 1
    with np.errstate(invalid="ignore"):
        cell_map = (total / count).astype(np.float32)
    tile_logits = [float(m.mean()) for m in maps]
    return TracesReading(float(np.mean(tile_logits)), tile_logits, cell_map)
