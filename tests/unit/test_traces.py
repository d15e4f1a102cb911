"""The traces detector's parts: the decoder zoo, the residual, tiling, the model file and
the detector on real pictures (the shipped model's numbers are in its card)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from numpy.typing import NDArray

from fauxlab.detection.analysed import AnalysedMedia, FrameRecord
from fauxlab.detection.detectors.traces.data import Edits, edit_twins, twin_crops
from fauxlab.detection.detectors.traces.detector import TracesDetector, map_overlay
from fauxlab.detection.detectors.traces.model import TracesNet, neighbour_residual
from fauxlab.detection.detectors.traces.score import GRID, TILE, read_traces, tile_origins
from fauxlab.detection.detectors.traces.weights import (
    FORMAT,
    TracesSettings,
    export,
    load_model,
)
from fauxlab.errors import ModelError
from fauxlab.media import MediaKind
from fauxlab.synthesis.traces import HELD_OUT_ZOO, TRAINING_ZOO, UpsamplingAutoencoder
from fauxlab.synthesis.traces.factory import reconstruct_with, train_member

RGB = NDArray[np.uint8]


def test_every_upsampler_of_the_zoo_is_trained_on_and_some_are_held_out() -> None:
    trained = {m.upsampler for m in TRAINING_ZOO}
    assert trained == {"transposed", "nearest", "bilinear", "shuffle"}
    assert not set(HELD_OUT_ZOO) & set(TRAINING_ZOO)
    assert len({m.name for m in (*TRAINING_ZOO, *HELD_OUT_ZOO)}) == len(TRAINING_ZOO) + 2


@pytest.mark.parametrize("member", [*TRAINING_ZOO, *HELD_OUT_ZOO], ids=lambda m: m.name)
def test_a_decoder_keeps_the_picture_size_whatever_its_sides(member: object) -> None:
    model = UpsamplingAutoencoder(member).eval()  # type: ignore[arg-type]
    picture = np.random.default_rng(0).integers(0, 256, (70, 45, 3), dtype=np.uint8)
    assert reconstruct_with(model, picture).shape == (70, 45, 3)


def test_a_briefly_trained_decoder_redraws_the_face_it_is_given(astronaut: RGB) -> None:
    """A few steps already give a recognisable copy: the twin keeps the content."""
    face = astronaut[:256, 128:384]
    model = train_member(TRAINING_ZOO[0], [face], steps=40, seed=0)
    copy = reconstruct_with(model, face)
    error = np.abs(copy.astype(float) - face.astype(float)).mean()
    assert error < 40, error
    assert not np.array_equal(copy, face)


def test_the_residual_is_zero_on_every_block_corner_and_on_flat_colour() -> None:
    x = torch.rand(1, 3, 8, 8)
    residual = neighbour_residual(x)
    assert torch.all(residual[:, :, ::2, ::2] == 0)
    flat = torch.full((1, 3, 8, 8), 0.3)
    assert torch.all(neighbour_residual(flat) == 0)
    # a picture enlarged 2x by nearest neighbours is all corners: nothing left
    small = torch.rand(1, 3, 4, 4)
    enlarged = torch.nn.functional.interpolate(small, scale_factor=2.0, mode="nearest")
    assert torch.all(neighbour_residual(enlarged) == 0)


def test_tiles_cover_a_large_picture_evenly_and_a_small_one_whole() -> None:
    assert tile_origins(200, 200) == [0]
    spread = tile_origins(1000, TILE)
    assert len(spread) == GRID and spread[0] == 0 and spread[-1] == 1000 - TILE
    assert all(o % 2 == 0 for o in tile_origins(1001, TILE))


def test_reading_maps_every_read_cell_and_leaves_the_rest_unread(astronaut: RGB) -> None:
    net = TracesNet(4).eval()
    wide = np.concatenate([astronaut, astronaut, astronaut], axis=1)  # 512 x 1536
    reading = read_traces(net, wide)
    assert len(reading.tile_logits) == 2 * 2
    assert reading.cell_map.shape == (512 // 8 + 1, 1536 // 8 + 1)
    assert np.isfinite(reading.cell_map[:64, :32]).all()  # read by the first column of tiles
    assert np.isnan(reading.cell_map[:, 40:150]).all()  # between tiles: not read
    assert np.isfinite(reading.cell_map[:64, 160:192]).all()  # the last column
    assert np.isclose(reading.logit, np.mean(reading.tile_logits))
    overlay = map_overlay(wide, reading.cell_map, 1.0, 0.0)
    assert overlay.shape[1] == 384 and overlay.dtype == np.uint8


def test_twins_get_the_same_edits_and_the_same_crop() -> None:
    rng = np.random.default_rng(3)
    real = rng.integers(0, 256, (200, 180, 3), dtype=np.uint8)
    fake = real.copy()
    for seed in range(10):
        a, b = edit_twins(real, fake, np.random.default_rng(seed), Edits(), 64)
        assert np.array_equal(a, b) and min(a.shape[:2]) >= 64
        ca, cb = twin_crops(a, b, 64, np.random.default_rng(seed))
        assert ca.shape == (64, 64, 3) and np.array_equal(ca, cb)


def test_the_model_file_round_trips_and_refuses_other_files(tmp_path: Path) -> None:
    net = TracesNet(8).eval()
    path = tmp_path / "t.safetensors"
    export(net, TracesSettings(width=8, platt_bias=-1.0), {"date": "2026-12-07"}, path)
    model = load_model(path)
    assert model.settings.width == 8 and model.settings.platt_bias == -1.0
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    assert torch.allclose(model.net(x), net(x), atol=1e-2)
    (tmp_path / "bad.safetensors").write_bytes(b"not a model")
    with pytest.raises(ModelError):
        load_model(tmp_path / "bad.safetensors")
    assert FORMAT.startswith("fauxlab.traces")


def _media(images: list[RGB], kind: MediaKind) -> AnalysedMedia:
    frames = [FrameRecord(i, i / 25, []) for i in range(len(images))]
    h, w = images[0].shape[:2]
    return AnalysedMedia(Path("x"), kind, w, h, frames, dict(enumerate(images)))


def test_the_shipped_detector_calls_a_real_photo_real_and_draws_its_map(astronaut: RGB) -> None:
    evidence = TracesDetector().examine(_media([astronaut], MediaKind.IMAGE))
    assert evidence.probability is not None and evidence.probability < 0.5
    assert evidence.figures[0].image.ndim == 3
    assert evidence.details["tiles"] == 4


def test_a_tiny_picture_cannot_be_judged() -> None:
    tiny = np.zeros((20, 20, 3), np.uint8)
    evidence = TracesDetector().examine(_media([tiny], MediaKind.IMAGE))
    assert evidence.probability is None and "too small" in evidence.summary
