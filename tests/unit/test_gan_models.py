"""GAN building blocks: shapes, losses, DiffAugment, slerp and checkpoint integrity."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from fauxlab.errors import ModelError
from fauxlab.synthesis.gan.augment import diff_augment
from fauxlab.synthesis.gan.losses import LOSS_NAMES, d_loss, g_loss, r1_penalty
from fauxlab.synthesis.gan.models import (
    Architecture,
    build_discriminator,
    build_generator,
    default_architecture,
)
from fauxlab.synthesis.gan.sample import slerp
from fauxlab.training import load_checkpoint, load_weights, save_checkpoint, save_weights


@pytest.mark.parametrize(("model", "size"), [("dcgan", 64), ("fauxlab", 32), ("fauxlab", 64)])
def test_shapes(model: str, size: int) -> None:
    arch = default_architecture(model, size)  # type: ignore[arg-type]
    g, d = build_generator(arch), build_discriminator(arch)
    images = g(torch.randn(3, arch.z_dim))
    assert images.shape == (3, 3, size, size)
    assert float(images.detach().abs().max()) <= 1.0
    assert d(images).shape == (3,)


def test_generator_is_a_few_megabytes_in_fp16() -> None:
    g = build_generator(default_architecture("fauxlab", 64))
    megabytes = sum(p.numel() for p in g.parameters()) * 2 / 1e6
    assert 1 < megabytes < 8


def test_impossible_architectures_are_refused() -> None:
    with pytest.raises(ValueError, match="64x64"):
        Architecture("dcgan", 32).check()
    with pytest.raises(ValueError, match="sizes"):
        Architecture("fauxlab", 48).check()


@pytest.mark.parametrize("kind", LOSS_NAMES)
def test_losses_are_finite_and_r1_is_nonnegative(kind: str) -> None:
    arch = default_architecture("fauxlab", 32)
    d = build_discriminator(arch)
    real, fake = torch.rand(4, 3, 32, 32) * 2 - 1, torch.rand(4, 3, 32, 32) * 2 - 1
    assert torch.isfinite(d_loss(kind, d(real), d(fake)))  # type: ignore[arg-type]
    assert torch.isfinite(g_loss(kind, d(fake)))  # type: ignore[arg-type]
    assert float(r1_penalty(d, real).detach()) >= 0


def test_diff_augment_is_seeded_differentiable_and_keeps_shape() -> None:
    x = (torch.rand(5, 3, 32, 32) * 2 - 1).requires_grad_(True)
    a = diff_augment(x, torch.Generator().manual_seed(1))
    b = diff_augment(x, torch.Generator().manual_seed(1))
    assert a.shape == x.shape and torch.equal(a, b)
    a.sum().backward()
    assert x.grad is not None and float(x.grad.abs().sum()) > 0


def test_slerp_ends_at_its_endpoints() -> None:
    a, b = torch.randn(1, 8), torch.randn(1, 8)
    assert torch.allclose(slerp(a, b, 0.0), a, atol=1e-5)
    assert torch.allclose(slerp(a, b, 1.0), b, atol=1e-5)


def test_checkpoint_round_trip_and_truncation(tmp_path: Path) -> None:
    tensors = {"w": torch.arange(1000, dtype=torch.float32)}
    save_checkpoint(tmp_path, 7, tensors, {"note": torch.tensor([1, 2])})
    loaded = load_checkpoint(tmp_path)
    assert loaded.step == 7 and torch.equal(loaded.tensors["w"], tensors["w"])
    weights = tmp_path / "step-00000007.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(ModelError, match="truncated"):
        load_checkpoint(tmp_path)


def test_truncated_weights_file_is_a_model_error(tmp_path: Path) -> None:
    path = tmp_path / "g.safetensors"
    save_weights(path, {"w": torch.ones(64, 64)}, {"format": "x"})
    assert load_weights(path)[1] == {"format": "x"}
    path.write_bytes(path.read_bytes()[:50])
    with pytest.raises(ModelError, match="truncated or corrupt"):
        load_weights(path)
