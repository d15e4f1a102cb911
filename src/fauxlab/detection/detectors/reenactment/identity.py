"""Identity steadiness: does the face stay exactly who it is from moment to moment?

A face-recognition embedding is built to ignore what changes about a person, yet on a
real face it still moves: light falls differently on a 3D face, expressions and head
turns change the shapes it reads, the camera adds noise. A photo made to move keeps
the photo's identity, and identity-injecting face swappers hold the target's identity
fixed by design, so their embedding barely moves between keyframes. The pair's
*identity change* is the distance between dlib's 128-D embeddings of the two keyframes'
faces (`fauxlab.faces.embedding`; 0.6 separates two people), on at most 16 keyframes
spread over the clip (an embedding costs about 80 ms a face).
"""

from __future__ import annotations

from functools import cache

from fauxlab.faces.embedding import Embedding, FaceEmbedder, distance
from fauxlab.faces.types import Face
from fauxlab.media.images import RGBImage

MIN_FACE_WIDTH = 40  # px: smaller faces give noisy embeddings, read as a changing identity
IDENTITY_KEYFRAMES = 16  # embedded per clip, evenly spread: the norms were measured so


@cache
def _embedder() -> FaceEmbedder:
    return FaceEmbedder()


class IdentityChange:
    """Pair measure that embeds each keyframe's face once: consecutive pairs share a
    keyframe, so the second face of one pair is the first of the next."""

    def __init__(self) -> None:
        self._last: tuple[Face, Embedding | None] | None = None

    def _embed(self, image: RGBImage, face: Face) -> Embedding | None:
        if self._last is not None and self._last[0] is face:
            return self._last[1]
        vector = _embedder().embed(image, face) if face.width >= MIN_FACE_WIDTH else None
        self._last = (face, vector)
        return vector

    def __call__(self, first: tuple[RGBImage, Face], second: tuple[RGBImage, Face]) -> float | None:
        a = self._embed(*first)
        b = self._embed(*second)
        return None if a is None or b is None else distance(a, b)
