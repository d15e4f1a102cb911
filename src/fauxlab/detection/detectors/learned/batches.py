"""Training and validation batches: each real face paired with a self-blend of itself.

Pairs share the crop jitter, so within a pair only the blend differs: the network
cannot tell them apart by framing, only by the traces of blending. Degradations are
drawn independently for each image of the pair.

Every batch is drawn from a generator seeded by (seed, step), so a resumed run sees
exactly the batches it would have seen, and validation is the same every time.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch
from numpy.typing import NDArray

from fauxlab.detection.detectors.learned.bank import FaceBank
from fauxlab.detection.detectors.learned.crops import (
    DEFAULT_GEOMETRY,
    CropGeometry,
    cut_input,
    jitter_matrix,
)
from fauxlab.detection.detectors.learned.degrade import degrade, jpeg
from fauxlab.detection.detectors.learned.sbi import boundary, self_blend

BOUNDARY_SIZE = DEFAULT_GEOMETRY.boundary_size


@dataclass(frozen=True)
class Batch:
    images: torch.Tensor  # (N, 3, S, S) in [-1, 1]
    labels: torch.Tensor  # (N,) 1 = fake
    boundaries: torch.Tensor  # (N, 1, S/8, S/8) in [0, 1]


def to_tensor(crops: list[NDArray[np.uint8]]) -> torch.Tensor:
    array = np.stack(crops).astype(np.float32) / 127.5 - 1.0
    return torch.from_numpy(array).permute(0, 3, 1, 2).contiguous()


def _small_boundary(mask: NDArray[np.float32], side: int) -> NDArray[np.float32]:
    small = cv2.resize(boundary(mask), (side, side), interpolation=cv2.INTER_AREA)
    return np.asarray(small, dtype=np.float32)


def make_pair(
    bank: FaceBank,
    index: int,
    rng: np.random.Generator,
    jitter: bool = True,
    geometry: CropGeometry = DEFAULT_GEOMETRY,
) -> tuple[NDArray[np.uint8], NDArray[np.uint8], NDArray[np.float32]]:
    """(real crop, self-blended crop, boundary map of the blend) for one bank face."""
    crop, points = bank.crops[index], bank.landmarks[index].astype(np.float64)
    fake, mask = self_blend(crop, points, rng)
    matrix = jitter_matrix(rng if jitter else None, geometry)
    real_in = np.clip(cut_input(crop, matrix, geometry) + 0.5, 0, 255).astype(np.uint8)
    fake_in = np.clip(cut_input(fake, matrix, geometry) + 0.5, 0, 255).astype(np.uint8)
    edge = _small_boundary(cut_input(mask, matrix, geometry), geometry.boundary_size)
    return real_in, fake_in, edge


def training_batch(
    bank: FaceBank,
    pairs: int,
    seed: int,
    step: int,
    geometry: CropGeometry = DEFAULT_GEOMETRY,
    codec: bool = False,
) -> Batch:
    rng = np.random.default_rng([seed, step])
    images: list[NDArray[np.uint8]] = []
    targets: list[NDArray[np.float32]] = []
    side = geometry.boundary_size
    empty = np.zeros((side, side), dtype=np.float32)
    for index in rng.integers(0, len(bank), pairs):
        real, fake, edge = make_pair(bank, int(index), rng, geometry=geometry)
        if rng.random() < 0.5:
            real, fake, edge = real[:, ::-1], fake[:, ::-1], edge[:, ::-1]
        images += [
            degrade(np.ascontiguousarray(real), rng, codec),
            degrade(np.ascontiguousarray(fake), rng, codec),
        ]
        targets += [empty, np.ascontiguousarray(edge)]
    labels = torch.tensor([0.0, 1.0] * pairs)
    return Batch(to_tensor(images), labels, torch.from_numpy(np.stack(targets))[:, None])


@dataclass(frozen=True)
class ValidationSet:
    """Held-out faces and their self-blends, clean and re-compressed as JPEG 75."""

    clean: torch.Tensor
    jpeg75: torch.Tensor
    labels: torch.Tensor


def validation_set(
    bank: FaceBank, limit: int, seed: int = 12345, geometry: CropGeometry = DEFAULT_GEOMETRY
) -> ValidationSet:
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(bank))[:limit]
    clean: list[NDArray[np.uint8]] = []
    for index in order:
        real, fake, _ = make_pair(bank, int(index), rng, jitter=False, geometry=geometry)
        clean += [real, fake]
    compressed = [jpeg(image, 75) for image in clean]
    labels = torch.tensor([0.0, 1.0] * len(order))
    return ValidationSet(to_tensor(clean), to_tensor(compressed), labels)
