"""Identity drift: does the face along one track stay the same person?

A swap's identity is a blend of two people, reproduced imperfectly in each frame, so its
face-recognition embedding wanders more than a real face's, which only changes with pose
and expression. The embedding is the one the repository already uses to tell people
apart (`fauxlab.faces.embedding`: dlib's 128-D ResNet, same person below 0.6); it is
computed on up to 6 keyframes (the only frames whose pixels are kept), evenly spread.
The drift is the 90th percentile of the embeddings' distances from their mean.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from fauxlab.faces.types import Face
from fauxlab.media.images import RGBImage

Floats = NDArray[np.float64]

PERCENTILE = 90.0
MIN_KEYFRAMES = 4
MAX_KEYFRAMES = 6  # dlib's ResNet takes about 0.1 s a face on one core: 6 evenly spread


class Embedder(Protocol):
    def embed(self, image: RGBImage, face: Face) -> NDArray[np.float32]: ...


def spread(embeddings: Floats) -> Floats:
    """Each embedding's distance from the track's mean embedding."""
    centre = embeddings.mean(axis=0)
    distances: Floats = np.linalg.norm(embeddings - centre, axis=1)
    return distances


def identity_drift(
    embedder: Embedder, keyframes: list[tuple[RGBImage, Face]]
) -> tuple[float, Floats] | None:
    """The drift (90th percentile of the distances) and each keyframe's distance, or None
    with too few keyframes to speak of a spread."""
    if len(keyframes) < MIN_KEYFRAMES:
        return None
    if len(keyframes) > MAX_KEYFRAMES:
        picks = np.linspace(0, len(keyframes) - 1, MAX_KEYFRAMES).round().astype(int)
        keyframes = [keyframes[i] for i in picks]
    vectors = np.array([embedder.embed(image, face) for image, face in keyframes], np.float64)
    distances = spread(vectors)
    return float(np.percentile(distances, PERCENTILE)), distances
