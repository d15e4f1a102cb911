"""The face crop the detector sees, made the same way in training and at detection time.

Faces are aligned to the mean-face template (similarity transform on the inner-face
landmarks), so the network always sees eyes, nose and mouth in the same place and can
spend its capacity on texture and boundaries. The crop keeps a margin of cheek, jaw and
background around the face, where blending boundaries lie.

Training keeps a larger "bank" crop (more margin) so a randomly shifted and scaled
detector crop can be cut from it without running past its edge.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from fauxlab.faces.align import Alignment, align, warp
from fauxlab.faces.landmarks import Points
from fauxlab.media.images import RGBImage

INPUT_SIZE = 128  # what the network sees
INPUT_MARGIN = 0.18  # the template spans [0.18, 0.82] of the crop
BANK_SIZE = 160
BANK_MARGIN = 0.25


def detector_alignment(landmarks: Points) -> Alignment:
    return align(landmarks, INPUT_SIZE, INPUT_MARGIN)


def detector_crop(image: RGBImage, landmarks: Points) -> tuple[RGBImage, Alignment]:
    """The aligned crop of one face, and how it maps back onto the image (for heatmaps)."""
    alignment = detector_alignment(landmarks)
    return warp(image, alignment), alignment


def bank_crop(image: RGBImage, landmarks: Points) -> tuple[RGBImage, Points]:
    """The larger training crop and the landmarks in its pixels."""
    alignment = align(landmarks, BANK_SIZE, BANK_MARGIN)
    return warp(image, alignment), alignment.to_crop(landmarks)


def _bank_to_input_scale() -> float:
    """How much the bank crop is enlarged so the face matches the detector crop."""
    return (INPUT_SIZE * (1 - 2 * INPUT_MARGIN)) / (BANK_SIZE * (1 - 2 * BANK_MARGIN))


def jitter_matrix(rng: np.random.Generator | None) -> NDArray[np.float64]:
    """The affine map from a bank crop to a detector crop: with `rng`, shifted by a few
    pixels and scaled by +-5%, so the detector does not rely on exact alignment (real
    detections wobble); without, the plain centred map."""
    scale = _bank_to_input_scale() * (rng.uniform(0.95, 1.05) if rng is not None else 1.0)
    shift = rng.uniform(-4, 4, 2) if rng is not None else np.zeros(2)
    centre_in, centre_out = BANK_SIZE / 2, INPUT_SIZE / 2
    offset = centre_out - scale * centre_in
    return np.array([[scale, 0.0, offset + shift[0]], [0.0, scale, offset + shift[1]]])


def cut_input(bank: NDArray[np.generic], matrix: NDArray[np.float64]) -> NDArray[np.float32]:
    """Apply `jitter_matrix` to a bank crop or to a mask of the same size."""
    out = cv2.warpAffine(
        np.asarray(bank, dtype=np.float32),
        matrix,
        (INPUT_SIZE, INPUT_SIZE),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
    return np.asarray(out, dtype=np.float32)
