"""The face crop the detector sees, made the same way in training and at detection time.

Faces are aligned to the mean-face template (similarity transform on the inner-face
landmarks), so the network always sees eyes, nose and mouth in the same place and can
spend its capacity on texture and boundaries. The crop keeps a margin of cheek, jaw and
background around the face, where blending boundaries lie.

Training keeps a larger "bank" crop (more margin) so a randomly shifted and scaled
detector crop can be cut from it without running past its edge.

The crop's side is a setting of the model (`CropGeometry`, stored in the weights file):
blending traces are finer than a 128 px crop resolves on large faces, and the field's
self-blend results came from 380 px crops, so a detector may be trained at 224 px or more.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from fauxlab.faces.align import Alignment, align, warp
from fauxlab.faces.landmarks import Points
from fauxlab.media.images import RGBImage

INPUT_SIZE = 128  # what the shipped network sees
INPUT_MARGIN = 0.18  # the template spans [0.18, 0.82] of the crop
BANK_MARGIN = 0.25
BANK_RATIO = 1.25  # bank side over input side: room for the jitter's shift and scale
JITTER_PX = 4 / 128  # the largest random shift, as a share of the input side


@dataclass(frozen=True)
class CropGeometry:
    """The side of the crop the network sees, and the derived sizes."""

    size: int = INPUT_SIZE
    margin: float = INPUT_MARGIN

    @property
    def bank_size(self) -> int:
        return round(self.size * BANK_RATIO)

    @property
    def boundary_size(self) -> int:
        """The boundary head's grid: the network's stride-8 features."""
        return self.size // 8


DEFAULT_GEOMETRY = CropGeometry()


def detector_alignment(landmarks: Points, geometry: CropGeometry = DEFAULT_GEOMETRY) -> Alignment:
    return align(landmarks, geometry.size, geometry.margin)


def detector_crop(
    image: RGBImage, landmarks: Points, geometry: CropGeometry = DEFAULT_GEOMETRY
) -> tuple[RGBImage, Alignment]:
    """The aligned crop of one face, and how it maps back onto the image (for heatmaps)."""
    alignment = detector_alignment(landmarks, geometry)
    return warp(image, alignment), alignment


def bank_crop(
    image: RGBImage, landmarks: Points, geometry: CropGeometry = DEFAULT_GEOMETRY
) -> tuple[RGBImage, Points]:
    """The larger training crop and the landmarks in its pixels."""
    alignment = align(landmarks, geometry.bank_size, BANK_MARGIN)
    return warp(image, alignment), alignment.to_crop(landmarks)


def _bank_to_input_scale(geometry: CropGeometry) -> float:
    """How much the bank crop is enlarged so the face matches the detector crop."""
    face_in = geometry.size * (1 - 2 * geometry.margin)
    return face_in / (geometry.bank_size * (1 - 2 * BANK_MARGIN))


def jitter_matrix(
    rng: np.random.Generator | None, geometry: CropGeometry = DEFAULT_GEOMETRY
) -> NDArray[np.float64]:
    """The affine map from a bank crop to a detector crop: with `rng`, shifted by a few
    pixels and scaled by +-5%, so the detector does not rely on exact alignment (real
    detections wobble); without, the plain centred map."""
    scale = _bank_to_input_scale(geometry) * (rng.uniform(0.95, 1.05) if rng is not None else 1.0)
    reach = JITTER_PX * geometry.size
    shift = rng.uniform(-reach, reach, 2) if rng is not None else np.zeros(2)
    centre_in, centre_out = geometry.bank_size / 2, geometry.size / 2
    offset = centre_out - scale * centre_in
    return np.array([[scale, 0.0, offset + shift[0]], [0.0, scale, offset + shift[1]]])


def cut_input(
    bank: NDArray[np.generic],
    matrix: NDArray[np.float64],
    geometry: CropGeometry = DEFAULT_GEOMETRY,
) -> NDArray[np.float32]:
    """Apply `jitter_matrix` to a bank crop or to a mask of the same size."""
    out = cv2.warpAffine(
        np.asarray(bank, dtype=np.float32),
        matrix,
        (geometry.size, geometry.size),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
    return np.asarray(out, dtype=np.float32)
