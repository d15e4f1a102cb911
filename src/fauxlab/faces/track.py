"""Keep one id per person across a video, and take the jitter out of their landmarks.

Matching is greedy on box overlap (faces in consecutive frames barely move); smoothing is
the One Euro filter (Casiez et al. 2012): heavy smoothing while a face is still, little
while it moves, so jitter goes without the lag a fixed moving average would add.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from fauxlab.faces.types import Face, box_of, iou


def _alpha(cutoff: float, dt: float) -> float:
    tau = 1.0 / (2 * math.pi * cutoff)
    return 1.0 / (1.0 + tau / dt)


@dataclass
class OneEuroFilter:
    """One Euro filter over an array of pixel positions.

    Speed is measured in face sizes per second (`scale` is the face's size in pixels), so
    the same settings behave alike at any resolution.
    """

    # Tuned on three shared talking videos (BENCHMARKS.md): jitter down to 0.34x of the
    # raw landmarks for a mean deviation of 0.7% of the face size.
    min_cutoff: float = 1.0  # Hz: smoothing of a still face
    beta: float = 5.0  # how fast the cutoff rises with speed (per face size per second)
    d_cutoff: float = 1.0
    _value: NDArray[np.float64] | None = None
    _speed: NDArray[np.float64] | None = None
    _time: float = 0.0

    def __call__(
        self, value: NDArray[np.floating[Any]], time: float, scale: float
    ) -> NDArray[np.float64]:
        x = np.asarray(value, dtype=np.float64)
        if self._value is None or self._speed is None or time <= self._time:
            self._value, self._speed, self._time = x, np.zeros_like(x), time
            return x
        dt = time - self._time
        speed = (x - self._value) / dt / scale
        self._speed = self._speed + _alpha(self.d_cutoff, dt) * (speed - self._speed)
        cutoff = self.min_cutoff + self.beta * np.abs(self._speed)
        tau = 1.0 / (2 * math.pi * cutoff)
        alpha = 1.0 / (1.0 + tau / dt)
        self._value = self._value + alpha * (x - self._value)
        self._time = time
        return self._value


@dataclass
class _Track:
    track_id: int
    face: Face
    last_seen: float
    smoother: OneEuroFilter = field(default_factory=OneEuroFilter)


class FaceTracker:
    """Assigns track ids frame by frame; call `update` with each frame's faces in order."""

    def __init__(self, min_iou: float = 0.3, max_gap: float = 1.0, smooth: bool = True) -> None:
        self.min_iou = min_iou
        self.max_gap = max_gap  # seconds a track may go unseen and still be resumed
        self.smooth = smooth
        self._tracks: list[_Track] = []
        self._next_id = 0

    def update(self, faces: list[Face], time: float) -> list[Face]:
        self._tracks = [t for t in self._tracks if time - t.last_seen <= self.max_gap]
        pairs = sorted(
            (
                (iou(track.face.box, face.box), ti, fi)
                for ti, track in enumerate(self._tracks)
                for fi, face in enumerate(faces)
            ),
            reverse=True,
        )
        assigned: dict[int, _Track] = {}
        used: set[int] = set()
        for overlap, ti, fi in pairs:
            if overlap < self.min_iou:
                break
            if ti in used or fi in assigned:
                continue
            used.add(ti)
            assigned[fi] = self._tracks[ti]
        out = []
        for fi, face in enumerate(faces):
            track = assigned.get(fi)
            if track is None:
                track = _Track(self._next_id, face, time)
                self._next_id += 1
                self._tracks.append(track)
            landmarks = face.landmarks
            if self.smooth:
                scale = max(face.width, face.height, 1.0)
                landmarks = track.smoother(face.landmarks, time, scale).astype(np.float32)
            tracked = face.with_track(track.track_id, landmarks)
            if self.smooth and face.mesh is None:
                tracked = replace(tracked, box=box_of(landmarks, 0.1))
            track.face, track.last_seen = tracked, time
            out.append(tracked)
        return out
