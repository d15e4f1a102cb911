"""Mouth-balanced drawing of training faces (sampling.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from numpy.typing import NDArray

from fauxlab.synthesis.faceswap.sampling import BINS, draw, draw_weights


def _skewed() -> NDArray[np.float32]:
    """A talking clip's openings: 90 mostly shut mouths, 10 wide ones."""
    return np.concatenate([np.full(90, 0.1), np.full(10, 0.6)], dtype=np.float32)


def test_balance_zero_keeps_the_uniform_draw() -> None:
    assert draw_weights(_skewed(), 0.0) is None
    first = draw(100, 8, None, torch.Generator().manual_seed(3))
    assert torch.equal(first, torch.randint(100, (8,), generator=torch.Generator().manual_seed(3)))


def test_full_balance_draws_each_opening_range_equally_often() -> None:
    weights = draw_weights(_skewed(), 1.0)
    assert weights is not None
    assert float(weights.sum()) == pytest.approx(1.0)
    assert float(weights[90:].sum()) == pytest.approx(0.5), "10 wide faces weigh as 90 shut"


def test_half_balance_lifts_rare_wide_mouths_between_uniform_and_even() -> None:
    weights = draw_weights(_skewed(), 0.5)
    assert weights is not None
    wide = float(weights[90:].sum())
    assert 0.1 < wide < 0.5, "sqrt(10) / (sqrt(10) + sqrt(90)) = 0.25"
    picks = draw(100, 20_000, weights, torch.Generator().manual_seed(0))
    share = float((picks >= 90).float().mean())
    assert abs(share - wide) < 0.02
    assert picks.min() >= 0 and picks.max() < 100


def test_every_face_lands_in_a_bin_even_at_the_extremes() -> None:
    openness = np.linspace(0.0, 0.7, BINS * 10, dtype=np.float32)  # ten faces a bin
    weights = draw_weights(openness, 1.0)
    assert weights is not None and len(weights) == BINS * 10
    assert torch.allclose(weights, torch.full_like(weights, 1 / (BINS * 10)))
