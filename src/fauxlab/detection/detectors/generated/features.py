"""What the generated-image detector sees: the whole picture, as a frozen, ImageNet-trained
EfficientNet-Lite0 describes it (1280 pooled numbers).

Why frozen: a network trained to tell one generator's images from real ones learns that
generator's quirks and calls every other generator real; features learned for object
recognition were never fitted to any generator, and a linear probe on them transfers to
unseen GANs and diffusion models far better (Ojha et al. 2023, "Towards universal fake
image detectors").

Every image takes the same path: centre square crop, Lanczos to the analysis side (the
size our training GANs draw at, 64 px), then bilinear up to the network's input size.
Reals and fakes were brought to that side in training, so neither sharpness from a large
original nor the upscale itself can tell them apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import torch

from fauxlab.backbones.lite0 import FEATURE_DIM, MODEL_NAME, Lite0Features
from fauxlab.detection.detectors.spectrum.data import to_size
from fauxlab.detection.linear import FloatArray, JsonSettings
from fauxlab.errors import InputError
from fauxlab.media.images import RGBImage

MIN_SIDE = 16  # below this there is no picture worth judging
BATCH = 32


@dataclass(frozen=True)
class FeatureSettings(JsonSettings):
    """How features are computed; stored in the model file so training and use agree."""

    side: int = 64  # the square every image is first brought to, pixels
    input_size: int = 128  # Lite0 input side; 128 is 4x faster than 224 on a CPU
    backbone: str = MODEL_NAME

    @property
    def size(self) -> int:
        """Length of the feature vector."""
        return FEATURE_DIM


def analysis_image(image: RGBImage, side: int) -> RGBImage:
    """Centre square crop at `side` x `side`; refuses pictures too small to judge."""
    h, w = image.shape[:2]
    if min(h, w) < MIN_SIDE:
        raise InputError(f"image of {w}x{h} pixels is too small to judge")
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    return to_size(np.ascontiguousarray(image[..., :3]), side)


class GeneratedFeatures:
    """Images in, (N, 1280) float32 features out, a batch at a time."""

    def __init__(self, settings: FeatureSettings | None = None) -> None:
        self.settings = settings or FeatureSettings()
        if self.settings.backbone != MODEL_NAME:
            raise InputError(f"unknown backbone {self.settings.backbone!r}")
        self.net = Lite0Features(size=self.settings.input_size)

    def _run(self, batch: list[RGBImage]) -> FloatArray:
        pixels = torch.from_numpy(np.stack(batch)).permute(0, 3, 1, 2)
        features: FloatArray = self.net(pixels).numpy().astype(np.float32)
        return features

    def __call__(self, images: Iterable[RGBImage]) -> FloatArray:
        parts: list[FloatArray] = []
        batch: list[RGBImage] = []
        for image in images:
            batch.append(analysis_image(image, self.settings.side))
            if len(batch) == BATCH:
                parts.append(self._run(batch))
                batch = []
        if batch:
            parts.append(self._run(batch))
        if not parts:
            return np.zeros((0, self.settings.size), np.float32)
        return np.concatenate(parts)
