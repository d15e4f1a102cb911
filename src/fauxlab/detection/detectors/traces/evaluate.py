"""Held-out numbers for the model card: faces and clips no step of training saw, against
their reconstructions through the training decoders and through decoder designs kept
out, as they are and after the edits users' files go through."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from fauxlab.detection.detectors.spectrum.augment import jpeg
from fauxlab.detection.detectors.spectrum.metrics import auc, balanced_accuracy
from fauxlab.detection.detectors.traces.data import (
    Progress,
    Reconstructor,
    real_pictures,
    resize,
)
from fauxlab.detection.detectors.traces.model import TracesNet
from fauxlab.detection.detectors.traces.score import read_traces
from fauxlab.detection.linear import sigmoid
from fauxlab.media.images import RGBImage

if TYPE_CHECKING:
    from fauxlab.detection.detectors.traces.train import TracesTrainConfig

EDITS: dict[str, Callable[[RGBImage], RGBImage]] = {
    "clean": lambda image: image,
    "jpeg75": lambda image: jpeg(image, 75),
    "half_size": lambda image: resize(image, 0.5, lanczos=True),
    "double_size": lambda image: resize(image, 2.0, lanczos=False),
}
THRESHOLD = 0.5


def probabilities(net: TracesNet, images: list[RGBImage]) -> np.ndarray[Any, np.dtype[np.float64]]:
    return sigmoid(np.array([read_traces(net, image).logit for image in images]))


def evaluate(
    net: TracesNet, config: TracesTrainConfig, zoo: Reconstructor, progress: Progress | None
) -> dict[str, dict[str, float]]:
    """AUC and balanced accuracy at 0.5 for each decoder group and edit."""
    rng = np.random.default_rng(config.seed + 1)
    reals = real_pictures(
        config.data, config.eval_faces, rng, held_out=True, frames_per_clip=config.frames_per_clip
    )
    twins = {
        "training_decoders": [zoo.reconstruct(r, rng) for r in reals],
        "held_out_decoders": [zoo.reconstruct_held_out(r, rng) for r in reals],
    }
    report: dict[str, dict[str, float]] = {}
    for index, (edit, apply) in enumerate(EDITS.items()):
        if progress is not None:
            progress(f"measuring ({edit})", index, len(EDITS))
        real_p = probabilities(net, [apply(r) for r in reals])
        for group, fakes in twins.items():
            fake_p = probabilities(net, [apply(f) for f in fakes])
            report[f"{group}_{edit}"] = {
                "auc": auc(fake_p, real_p),
                "accuracy": balanced_accuracy(fake_p, real_p, THRESHOLD),
                "reals_called_fake": float(np.mean(real_p >= THRESHOLD)),
            }
    report["counts"] = {"reals": float(len(reals))}
    return report
