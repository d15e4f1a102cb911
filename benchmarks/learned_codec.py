"""Do re-encoded real faces look like blends to the learned detector?

    .venv/bin/python benchmarks/learned_codec.py [--data ../shared/data] [--n 200]
        [--model LEARNED.safetensors]

Held-out UTKFace faces (`fauxlab.datasplit.held_out_faces`, never trained on) cut as the
detector's validation crops, scored clean (the baseline, run beside the rest) and after
what web video does to a face: an H.264 round trip at three qualities (CRF 23, 32, 40),
and shrinking to half, H.264 at CRF 32 and enlarging back. Their self-blends are printed
for scale. Per row: mean P(fake), the share called fake at 0.5, and that share over the
clean reals' (the ratio against the baseline). A detector that has learned blending, not
compression, keeps every real row near the baseline.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import torch

from _common import data_argument
from fauxlab.datasplit import held_out_faces
from fauxlab.detection.detectors.learned.bank import build_bank
from fauxlab.detection.detectors.learned.batches import to_tensor, validation_set
from fauxlab.detection.detectors.learned.degrade import h264
from fauxlab.detection.detectors.learned.detector import LearnedFaceDetector
from fauxlab.detection.detectors.learned.train import predict_logits
from fauxlab.media.images import RGBImage


def _shrink_code_enlarge(image: RGBImage) -> RGBImage:
    height, width = image.shape[:2]
    half = cv2.resize(image, (width // 2, height // 2), interpolation=cv2.INTER_AREA)
    return np.asarray(
        cv2.resize(h264(half, 32), (width, height), interpolation=cv2.INTER_CUBIC), np.uint8
    )


EDITS: dict[str, Callable[[RGBImage], RGBImage]] = {
    "H.264 CRF 23": lambda i: h264(i, 23),
    "H.264 CRF 32": lambda i: h264(i, 32),
    "H.264 CRF 40": lambda i: h264(i, 40),
    "half size, H.264 CRF 32, enlarged": _shrink_code_enlarge,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data_argument(parser)
    parser.add_argument("--n", type=int, default=200, help="faces (and self-blends)")
    parser.add_argument("--model", type=Path, default=None, help="default: the shipped one")
    args = parser.parse_args()
    torch.set_grad_enabled(False)
    learned = LearnedFaceDetector(args.model)
    bank, _ = build_bank(held_out_faces(args.data), geometry=learned.geometry)
    pairs = validation_set(bank, args.n, geometry=learned.geometry)
    reals, blends = pairs.clean[pairs.labels == 0], pairs.clean[pairs.labels == 1]
    crops = [
        ((c.permute(1, 2, 0).numpy() + 1.0) * 127.5).round().clip(0, 255).astype(np.uint8)
        for c in reals
    ]

    def scores(batch: torch.Tensor) -> np.ndarray:
        logits = predict_logits(learned.detector.model, batch)
        return np.asarray(learned.detector.calibration.probability(logits).numpy())

    rows = {"clean reals (baseline)": scores(reals)}
    for name, edit in EDITS.items():
        rows[f"reals, {name}"] = scores(to_tensor([edit(c) for c in crops]))
    rows["self-blends (for scale)"] = scores(blends)
    base = max(float((rows["clean reals (baseline)"] >= 0.5).mean()), 1 / len(crops))
    print(f"model: {args.model or 'shipped'} ({learned.geometry.size} px), {len(crops)} faces")
    print("| crops | mean P(fake) | called fake at 0.5 | ratio to clean reals |")
    print("|---|---|---|---|")
    for name, values in rows.items():
        share = float((values >= 0.5).mean())
        print(f"| {name} | {values.mean():.3f} | {share:.3f} | {share / base:.1f}x |")


if __name__ == "__main__":
    main()
