"""The expression guide: openings measured on landmarks, carried between people, and fed
to the decoders so that they change what is drawn."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fauxlab.faces.landmarks import mouth_aspect_ratio
from fauxlab.synthesis.faceswap.guide import (
    CHANNELS,
    GuideTransfer,
    default_guide,
    measure,
    normalise,
    quantiles,
)
from fauxlab.synthesis.faceswap.models import SwapModel


def _face(mouth_gap: float, eye_gap: float) -> np.ndarray:
    """68 landmarks of a schematic face: eyes and mouth as ellipses of the given gaps."""
    points = np.zeros((68, 2), np.float32)
    points[:17, 0] = np.linspace(0, 100, 17)
    for start, cx in ((36, 30.0), (42, 70.0)):  # eye corners, upper and lower lids
        xs = cx + np.array([-10, -4, 4, 10, 4, -4], np.float32)
        ys = 40 + np.array([0, -1, -1, 0, 1, 1], np.float32) * eye_gap / 2
        points[start : start + 6] = np.stack([xs, ys], 1)
    outer = np.linspace(0, 2 * np.pi, 12, endpoint=False)
    points[48:60] = np.stack([50 + 20 * np.cos(outer), 75 + (4 + mouth_gap) * np.sin(outer)], 1)
    inner = np.linspace(0, 2 * np.pi, 8, endpoint=False)
    points[60:68] = np.stack([50 + 14 * np.cos(inner), 75 + mouth_gap / 2 * np.sin(inner)], 1)
    return points


def test_measure_grows_with_the_opening() -> None:
    mouths = [measure(_face(gap, 4.0))[0] for gap in (0.0, 4.0, 8.0, 16.0)]
    eyes = [measure(_face(4.0, gap))[1] for gap in (1.0, 3.0, 6.0)]
    assert mouths == sorted(mouths) and mouths[-1] > mouths[0] + 0.3
    assert eyes == sorted(eyes) and eyes[-1] > eyes[0]
    assert measure(_face(8.0, 4.0))[0] == pytest.approx(mouth_aspect_ratio(_face(8.0, 4.0)))


def test_transfer_maps_quantile_to_quantile_and_keeps_order() -> None:
    rng = np.random.default_rng(0)
    wide = np.stack([rng.uniform(0.0, 0.8, 500), rng.uniform(0.2, 0.4, 500)], 1)
    narrow = np.stack([rng.uniform(0.1, 0.3, 500), rng.uniform(0.25, 0.35, 500)], 1)
    carry = GuideTransfer(quantiles(wide.astype(np.float32)), quantiles(narrow.astype(np.float32)))
    probe = np.array([[0.0, 0.2], [0.4, 0.3], [0.8, 0.4]], np.float32)
    out = carry(probe)
    assert out.shape == (3, CHANNELS)
    np.testing.assert_allclose(out[:, 0], [0.1, 0.2, 0.3], atol=0.02)  # min, median, max
    assert np.all(np.diff(out, axis=0) > 0), "a wider opening stays wider"
    assert out.min() >= 0.1 - 1e-6 and out[:, 1].max() <= 0.35 + 1e-6, "inside the target's range"
    assert np.abs(normalise(out)).max() < 2


def test_a_guided_decoder_draws_differently_for_another_opening() -> None:
    torch.manual_seed(0)
    model = SwapModel("fauxlab", 64, guides=CHANNELS).eval()
    faces = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        closed = model(faces, "b", torch.tensor([[-1.0, 0.0]] * 2))[0]
        opened = model(faces, "b", torch.tensor([[1.5, 0.0]] * 2))[0]
    assert closed.shape == (2, 3, 64, 64)
    assert float((closed - opened).abs().mean()) > 1e-4
    plain = SwapModel("fauxlab", 64)
    assert set(plain.state_dict()) == set(model.state_dict()), "same layers, wider first convs"


def test_only_fauxlab_trains_guided_by_default() -> None:
    assert default_guide("fauxlab") == "expression"
    assert default_guide("classic") == "none"
