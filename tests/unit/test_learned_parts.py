"""The learned detector's parts: self-blending, crops, batches, calibration, weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from numpy.typing import NDArray

from fauxlab.detection.detectors.learned.bank import FaceBank, split_files
from fauxlab.detection.detectors.learned.batches import training_batch, validation_set
from fauxlab.detection.detectors.learned.calibrate import fit_platt
from fauxlab.detection.detectors.learned.crops import (
    DEFAULT_GEOMETRY,
    CropGeometry,
    cut_input,
    jitter_matrix,
)
from fauxlab.detection.detectors.learned.degrade import degrade, h264, jpeg
from fauxlab.detection.detectors.learned.sbi import blend_mask, boundary, self_blend
from fauxlab.errors import InputError, ModelError
from fauxlab.faces.align import template_in_crop

BANK_SIZE = DEFAULT_GEOMETRY.bank_size
SIZES = [DEFAULT_GEOMETRY, CropGeometry(224)]  # the shipped crop, and the larger one


def _face(
    seed: int = 0, geometry: CropGeometry = DEFAULT_GEOMETRY
) -> tuple[NDArray[np.uint8], NDArray[np.float64]]:
    """A textured bank-sized image and the template landmarks placed in it."""
    rng = np.random.default_rng(seed)
    side = geometry.bank_size
    base = rng.integers(60, 200, (side, side, 3)).astype(np.uint8)
    return base, template_in_crop(side, 0.25).astype(np.float64)


def _bank(count: int = 6, geometry: CropGeometry = DEFAULT_GEOMETRY) -> FaceBank:
    faces = [_face(i, geometry) for i in range(count)]
    return FaceBank(
        np.stack([f for f, _ in faces]),
        np.stack([p for _, p in faces]).astype(np.float32),
        [f"face-{i}" for i in range(count)],
    )


def test_blend_mask_covers_the_face_and_not_the_corners() -> None:
    _, points = _face()
    for seed in range(5):
        mask = blend_mask(points, (BANK_SIZE, BANK_SIZE), np.random.default_rng(seed))
        assert mask.dtype == np.float32 and mask.min() >= 0.0 and mask.max() <= 1.0
        centre = points.mean(0).round().astype(int)
        assert mask[centre[1], centre[0]] > 0.2
        assert mask[:8, :8].max() < 0.05 and mask[-8:, -8:].max() < 0.05


def test_self_blend_changes_only_one_side_of_the_mask() -> None:
    """Outside the mask the result is one of the two copies unchanged, so the
    manipulation sits exactly where the boundary target says."""
    image, points = _face(1)
    fake, mask = self_blend(image, points, np.random.default_rng(3))
    assert fake.shape == image.shape and fake.dtype == np.uint8
    outside = mask < 1e-4
    inside = mask > 0.999
    diff = np.abs(fake.astype(int) - image.astype(int)).max(axis=2)
    untouched_outside = diff[outside].max() <= 1
    untouched_inside = inside.any() and diff[inside].max() <= 1
    assert untouched_outside or untouched_inside
    assert diff.max() > 5  # but something was changed


def test_boundary_peaks_where_the_mask_is_half() -> None:
    mask = np.array([0.0, 0.5, 1.0], dtype=np.float32)
    assert boundary(mask).tolist() == [0.0, 1.0, 0.0]


@pytest.mark.parametrize("geometry", SIZES, ids=lambda g: f"{g.size}px")
def test_centred_crop_maps_bank_centre_to_input_centre(geometry: CropGeometry) -> None:
    matrix = jitter_matrix(None, geometry)
    bank, size = geometry.bank_size, geometry.size
    centre = matrix @ np.array([bank / 2, bank / 2, 1.0])
    assert np.allclose(centre, [size / 2, size / 2])
    image, points = _face(0, geometry)
    assert cut_input(image, matrix, geometry).shape == (size, size, 3)
    # the face spans the same share of the input crop whatever its side
    span = np.ptp((matrix[:, :2] @ points.T).T[:, 0]) / size
    default = jitter_matrix(None)
    _, default_points = _face(0)
    default_span = np.ptp((default[:, :2] @ default_points.T).T[:, 0]) / DEFAULT_GEOMETRY.size
    assert span == pytest.approx(default_span, rel=1e-6)


@pytest.mark.parametrize("geometry", SIZES, ids=lambda g: f"{g.size}px")
def test_batches_are_paired_labelled_and_repeatable(geometry: CropGeometry) -> None:
    bank = _bank(geometry=geometry)
    size, grid = geometry.size, geometry.boundary_size
    batch = training_batch(bank, pairs=3, seed=7, step=11, geometry=geometry)
    assert batch.images.shape == (6, 3, size, size)
    assert batch.labels.tolist() == [0.0, 1.0] * 3
    assert batch.boundaries.shape == (6, 1, grid, grid)
    assert float(batch.boundaries[0::2].abs().max()) == 0.0  # reals have no boundary
    assert float(batch.boundaries[1::2].max()) > 0.3
    again = training_batch(bank, pairs=3, seed=7, step=11, geometry=geometry)
    assert torch.equal(batch.images, again.images)  # resume sees the same batches
    other = training_batch(bank, pairs=3, seed=7, step=12, geometry=geometry)
    assert not torch.equal(batch.images, other.images)


def test_the_network_draws_its_boundary_map_on_the_crop_grid() -> None:
    """The boundary head's grid follows the crop: the training target's shape."""
    from fauxlab.detection.detectors.learned.model import ForgeryNet

    network = ForgeryNet(pretrained=False).eval()
    for geometry in SIZES:
        side = geometry.size
        with torch.no_grad():
            logits, maps = network(torch.zeros(2, 3, side, side))
        grid = geometry.boundary_size
        assert logits.shape == (2,) and maps.shape == (2, 1, grid, grid)


def test_validation_set_is_fixed_and_has_a_jpeg_copy() -> None:
    bank = _bank()
    first, second = validation_set(bank, 4), validation_set(bank, 4)
    assert torch.equal(first.clean, second.clean)
    size = DEFAULT_GEOMETRY.size
    assert first.clean.shape == first.jpeg75.shape == (8, 3, size, size)
    assert not torch.equal(first.clean, first.jpeg75)


def test_degradations_keep_shape_and_type() -> None:
    image, _ = _face()
    rng = np.random.default_rng(0)
    for _ in range(10):
        out = degrade(image, rng)
        assert out.shape == image.shape and out.dtype == np.uint8
    assert np.abs(jpeg(image, 30).astype(int) - image.astype(int)).mean() > 1


def _psnr(a: NDArray[np.uint8], b: NDArray[np.uint8]) -> float:
    error = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 10 * np.log10(255.0**2 / max(error, 1e-12))


def test_h264_round_trip_keeps_the_picture_and_loses_more_at_lower_quality() -> None:
    from skimage import data

    photo = np.ascontiguousarray(data.astronaut()[100:201, 150:225])  # odd sides: 101 x 75
    fine, coarse = h264(photo, 20), h264(photo, 45)
    assert fine.shape == coarse.shape == photo.shape and fine.dtype == np.uint8
    assert _psnr(photo, fine) > 30 > _psnr(photo, coarse) + 2
    assert np.array_equal(h264(photo, 20), fine)  # the same crop, the same pixels


def test_the_video_codec_is_opt_in_and_keeps_batches_repeatable() -> None:
    image, _ = _face()
    plain = [degrade(image, np.random.default_rng(s)) for s in range(12)]
    coded = [degrade(image, np.random.default_rng(s), codec=True) for s in range(12)]
    assert all(c.shape == image.shape and c.dtype == np.uint8 for c in coded)
    assert any(not np.array_equal(p, c) for p, c in zip(plain, coded, strict=True))
    bank = _bank()
    first = training_batch(bank, pairs=3, seed=7, step=11, codec=True)
    assert torch.equal(
        first.images, training_batch(bank, pairs=3, seed=7, step=11, codec=True).images
    )
    assert not torch.equal(first.images, training_batch(bank, pairs=3, seed=7, step=11).images)


def test_platt_recovers_an_overconfident_scale() -> None:
    rng = np.random.default_rng(0)
    true_logits = rng.normal(0, 2, 4000)
    labels = (rng.random(4000) < 1 / (1 + np.exp(-true_logits))).astype(np.float64)
    fitted = fit_platt(torch.from_numpy(true_logits * 4), torch.from_numpy(labels))
    assert fitted.scale == pytest.approx(0.25, rel=0.15)
    assert abs(fitted.bias) < 0.15


def test_split_holds_out_the_last_files_and_excludes(tmp_path: Path) -> None:
    folder = tmp_path / "faces"
    folder.mkdir()
    for i in range(10):
        (folder / f"{i:02d}.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 32)
    split = split_files([folder], 0.2, exclude=("03.png",))
    assert len(split.validation) == 2 and len(split.train) == 7
    assert not set(split.validation) & set(split.train)
    assert "03.png" not in [p.name for p in split.train + split.validation]
    again = split_files([folder], 0.3)
    assert set(split.validation) <= set(again.validation)  # held-out sets nest
    with pytest.raises(InputError):
        split_files([tmp_path / "missing"], 0.1)


def test_bank_round_trip_and_corrupt_file(tmp_path: Path) -> None:
    bank = _bank(3)
    bank.save(tmp_path / "bank.npz")
    loaded = FaceBank.load(tmp_path / "bank.npz")
    assert np.array_equal(loaded.crops, bank.crops) and loaded.sources == bank.sources
    (tmp_path / "bad.npz").write_bytes((tmp_path / "bank.npz").read_bytes()[:100])
    with pytest.raises(ModelError, match="corrupt"):
        FaceBank.load(tmp_path / "bad.npz")


def test_learning_rate_warms_up_holds_and_decays_to_zero() -> None:
    from fauxlab.detection.detectors.learned.train import DetectorConfig, learning_rate

    config = DetectorConfig(lr=1.0, warmup_steps=10, decay_steps=100)
    assert learning_rate(config, 0, 1000) == pytest.approx(0.1)
    assert learning_rate(config, 500, 1000) == 1.0
    assert learning_rate(config, 950, 1000) == pytest.approx(0.5)
    assert learning_rate(config, 1000, 1000) == 0.0
    assert learning_rate(config, 950, None) == 1.0  # a time budget has no known end


def test_heatmap_overlay_is_never_empty_for_turned_or_off_frame_faces() -> None:
    from fauxlab.detection.detectors.learned.crops import detector_alignment
    from fauxlab.detection.detectors.learned.detector import heatmap_overlay

    image, points = _face()
    centre = points.mean(0)
    for angle in (0.0, 90.0, 180.0, 270.0):
        theta = np.radians(angle)
        rotation = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
        turned = (points - centre) @ rotation.T + centre
        heat = np.full((16, 16), 0.5, dtype=np.float32)
        for shift in (0.0, 400.0):  # landmarks mostly outside the picture
            overlay = heatmap_overlay(image, heat, detector_alignment(turned + shift))
            assert overlay.ndim == 3 and min(overlay.shape[:2]) >= 8
