"""`Face`: what every detector backend returns, whatever model produced it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from fauxlab.faces.landmarks import Points

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels


@dataclass(frozen=True, eq=False)
class Face:
    """One face in one image or frame.

    `landmarks` are 68 points in the iBUG scheme (see `fauxlab.faces.landmarks`), in
    pixels of the image they were found in. `mesh` is the dense 478-point FaceMesh when
    the backend provides it. `track_id` is -1 for a still image, else the same number
    for the same person across a video.
    """

    box: Box
    landmarks: Points
    score: float
    backend: str
    track_id: int = -1
    mesh: Points | None = None

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]

    def with_track(self, track_id: int, landmarks: Points | None = None) -> Face:
        return replace(
            self, track_id=track_id, landmarks=self.landmarks if landmarks is None else landmarks
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "box": [round(v, 2) for v in self.box],
            "score": round(self.score, 4),
            "track_id": self.track_id,
            "backend": self.backend,
            "landmarks": np.round(self.landmarks, 2).tolist(),
        }


def box_of(points: Points, pad: float = 0.0) -> Box:
    """Bounding box of points, grown by `pad` times its size on each side."""
    x0, y0 = points.min(axis=0)
    x1, y1 = points.max(axis=0)
    dx, dy = (x1 - x0) * pad, (y1 - y0) * pad
    return (float(x0 - dx), float(y0 - dy), float(x1 + dx), float(y1 + dy))


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0
