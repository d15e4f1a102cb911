"""Face-swap parts on their own: model shapes, warp, losses, colour match, run format."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from fauxlab.errors import ModelError
from fauxlab.synthesis.faceswap.convert import colour_match, unsharp
from fauxlab.synthesis.faceswap.expression import MouthProbe, consistency_loss, probe_loss
from fauxlab.synthesis.faceswap.losses import LossWeights, reconstruction_loss, ssim_map
from fauxlab.synthesis.faceswap.models import PatchDiscriminator, SwapModel, parameter_count
from fauxlab.synthesis.faceswap.runfolder import FORMAT, RUN_FILE, read_run_info
from fauxlab.synthesis.faceswap.warp import AugmentSettings, augment
from fauxlab.training.run import is_out_of_memory, lr_scale


@pytest.fixture(scope="module")
def faces(astronaut: np.ndarray) -> torch.Tensor:
    """Four 64 px crops of the astronaut's face region (a real photo, not noise)."""
    crop = astronaut[40:232, 150:342]
    small = torch.from_numpy(crop).permute(2, 0, 1)[None].float() / 255
    small = torch.nn.functional.interpolate(small, size=(64, 64), mode="area")
    return small.repeat(4, 1, 1, 1)


@pytest.mark.parametrize(("name", "size"), [("fauxlab", 64), ("fauxlab", 128), ("classic", 64)])
def test_decoders_draw_rgb_and_mask(name: str, size: int) -> None:
    model = SwapModel(name, size)
    x = torch.rand(2, 3, size, size)
    for identity in ("a", "b"):
        with torch.no_grad():
            rgb, mask = model(x, identity)
        assert rgb.shape == (2, 3, size, size) and mask.shape == (2, 1, size, size)
        assert float(rgb.min()) >= 0 and float(rgb.max()) <= 1


def test_fauxlab_is_much_smaller_than_classic() -> None:
    classic, ours = parameter_count(SwapModel("classic")), parameter_count(SwapModel("fauxlab"))
    assert classic > 60e6 and ours < classic / 10
    with pytest.raises(ValueError, match="64 px"):
        SwapModel("classic", 128)
    assert PatchDiscriminator()(torch.rand(1, 3, 64, 64)).shape == (1, 1, 8, 8)


def test_augment_without_jitter_is_identity(faces: torch.Tensor) -> None:
    masks = torch.ones(4, 3, 64, 64)
    still = AugmentSettings(0, 0, 0, 0, 0, 5, 0, 0, 0)
    warped, target, target_masks = augment(faces, masks, torch.Generator().manual_seed(0), still)
    assert torch.allclose(target, faces, atol=1e-4) and torch.allclose(warped, faces, atol=1e-4)
    warped, target, target_masks = augment(faces, masks, torch.Generator().manual_seed(1))
    assert warped.shape == target.shape == faces.shape and target_masks.shape == masks.shape
    assert not torch.allclose(warped, target, atol=1e-3), "the random warp must change the input"


def test_ssim_and_weighted_loss(faces: torch.Tensor) -> None:
    assert torch.allclose(ssim_map(faces, faces), torch.ones(1), atol=1e-4)
    masks = torch.zeros(4, 3, 64, 64)
    masks[:, 0, 16:48, 16:48] = 1
    mask = masks[:, 0:1].clone()
    same = reconstruction_loss(faces, mask, faces, masks, LossWeights())
    worse = reconstruction_loss(faces.flip(3), mask * 0, faces, masks, LossWeights())
    assert float(same["total"]) < 1e-4 < float(worse["total"])
    assert float(worse["mask"]) > 0.2


def test_eye_weight_counts_only_inside_the_eyes(faces: torch.Tensor) -> None:
    from fauxlab.cli.swap import _loss_weights

    masks = torch.zeros(4, 3, 64, 64)
    masks[:, 0, 8:56, 8:56] = 1
    masks[:, 1, 20:28, 16:48] = 1  # eyes
    wrong_eyes, wrong_cheek = faces.clone(), faces.clone()
    wrong_eyes[:, :, 20:28, 16:48] = 1 - wrong_eyes[:, :, 20:28, 16:48]
    wrong_cheek[:, :, 36:44, 16:48] = 1 - wrong_cheek[:, :, 36:44, 16:48]
    heavy = _loss_weights(None, 12.0, resume=False)
    assert (heavy.eyes, heavy.mouth) == (12.0, LossWeights().mouth)

    def ratio(weights: LossWeights) -> float:
        eyes = reconstruction_loss(wrong_eyes, masks[:, :1], faces, masks, weights)["l1"]
        cheek = reconstruction_loss(wrong_cheek, masks[:, :1], faces, masks, weights)["l1"]
        return float(eyes / cheek)

    assert ratio(heavy) > 2 * ratio(LossWeights())


def test_colour_match_moves_colour_statistics(astronaut: np.ndarray) -> None:
    face = astronaut[100:164, 200:264].copy()
    reference = np.clip(face.astype(np.int16) + 40, 0, 255).astype(np.uint8)
    region = np.ones((64, 64), np.float32)
    matched = colour_match(face, reference, region)
    assert abs(float(matched.mean()) - float(reference.mean())) < 5
    assert abs(float(face.mean()) - float(reference.mean())) > 20


def test_unsharp_steepens_edges_and_keeps_flat_skin(astronaut: np.ndarray) -> None:
    face = np.ascontiguousarray(astronaut[100:164, 200:264])
    assert unsharp(face, 0.0) is face, "0 is off"
    sharp = unsharp(face, 1.0)
    assert sharp.shape == face.shape and sharp.dtype == np.uint8
    detail = [float(np.abs(np.diff(x.astype(np.float32), axis=1)).mean()) for x in (face, sharp)]
    assert detail[1] > 1.3 * detail[0], detail
    flat = np.full((32, 32, 3), 120, np.uint8)
    assert np.array_equal(unsharp(flat, 2.0), flat)
    assert abs(float(sharp.mean()) - float(face.mean())) < 1.5, "brightness is kept"


def test_run_from_another_version_is_refused(tmp_path: Path) -> None:
    (tmp_path / RUN_FILE).write_text(json.dumps({"format": "fauxlab-swap/0", "model": "x"}))
    with pytest.raises(ModelError, match=r"incompatible version.*train a new run"):
        read_run_info(tmp_path)
    (tmp_path / RUN_FILE).write_text(json.dumps({"format": "fauxlab-swap/9", "model": "x"}))
    with pytest.raises(ModelError, match=r"'fauxlab-swap/9'.*upgrade fauxlab"):
        read_run_info(tmp_path)
    (tmp_path / RUN_FILE).write_text(json.dumps({"model": "x"}))  # before run.json had one
    with pytest.raises(ModelError, match="run format None"):
        read_run_info(tmp_path)
    with pytest.raises(ModelError, match="not a swap run"):
        read_run_info(tmp_path / "missing")
    assert FORMAT.endswith("/1")


def test_out_of_memory_is_told_from_other_errors() -> None:
    cpu = "DefaultCPUAllocator: can't allocate memory: you tried to allocate 8589934592 bytes."
    assert is_out_of_memory(RuntimeError(cpu))
    assert is_out_of_memory(torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate"))
    assert is_out_of_memory(RuntimeError("MPS backend out of memory"))
    assert is_out_of_memory(MemoryError())
    assert not is_out_of_memory(RuntimeError("mat1 and mat2 shapes cannot be multiplied"))
    assert not is_out_of_memory(ValueError("out of memory"))


def test_consistency_term_moves_the_swap_not_the_probe(faces: torch.Tensor) -> None:
    probe = MouthProbe()
    swapped = faces.clone().requires_grad_(True)
    target = torch.full((len(faces),), 0.4)
    consistency_loss(probe, swapped, target).backward()  # type: ignore[no-untyped-call]
    assert swapped.grad is not None and float(swapped.grad.abs().sum()) > 0
    assert all(weight.grad is None for weight in probe.parameters())
    assert all(weight.requires_grad for weight in probe.parameters()), "frozen only for the term"
    probe_loss(probe, swapped, target).backward()  # type: ignore[no-untyped-call]
    assert all(weight.grad is not None for weight in probe.parameters())


def test_the_learning_rate_falls_to_zero_over_the_last_share_of_the_budget() -> None:
    assert [lr_scale(f, 0.25) for f in (0.0, 0.5, 0.75)] == [1.0, 1.0, 1.0]
    assert lr_scale(0.875, 0.25) == pytest.approx(0.5)
    assert lr_scale(1.0, 0.25) == 0.0
    assert lr_scale(0.99, 0.0) == 1.0, "0: a constant rate, as before"
    assert lr_scale(0.5, 1.0) == pytest.approx(0.5), "1: falls from the first step"
