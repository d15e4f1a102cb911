"""Which faces each training step draws.

A talking-head clip is mostly a half-shut mouth: of liveportrait-d10's 448 faces, 28 (6%)
open wider than 0.45, against 30% of liveportrait-d6's 1,008. Drawn
uniformly, B's decoder seldom practises the wide mouths a swap most needs it to draw.
`mouth_balance` flattens the draw over mouth-opening bins: a face's weight is its bin's
count to the power -balance, so 0 draws frames uniformly (as before) and 1 draws every
opening range equally often.
"""

from __future__ import annotations

import numpy as np
import torch
from numpy.typing import NDArray
from torch import Tensor

BINS = 8  # equal-width opening bins between the person's shut and widest mouth


def draw_weights(openness: NDArray[np.float32], balance: float) -> Tensor | None:
    """(N,) probabilities of drawing each face, or None for a uniform draw."""
    if balance <= 0 or len(openness) == 0:
        return None
    counts, edges = np.histogram(openness, bins=BINS)
    bin_of = np.clip(np.digitize(openness, edges[1:-1]), 0, BINS - 1)
    weights = counts[bin_of].astype(np.float64) ** -balance
    return torch.from_numpy(weights / weights.sum())


def draw(count: int, size: int, weights: Tensor | None, rng: torch.Generator) -> Tensor:
    """`size` face indices in 0..count-1, with replacement."""
    if weights is None:
        return torch.randint(count, (size,), generator=rng)
    return torch.multinomial(weights, size, replacement=True, generator=rng)


__all__ = ["BINS", "draw", "draw_weights"]
