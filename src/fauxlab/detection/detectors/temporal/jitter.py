"""Landmark jitter: how much a face's landmarks shake about their smooth path.

Real heads move smoothly at 25-30 frames a second; a face generated frame by frame is
placed a little differently each time, and the landmarks found on it follow. The raw
FaceMesh points are used when the backend gives them (the tracked 68 landmarks are
smoothed by the tracker, which would hide the jitter). Each run of consecutive frames
is smoothed with a Savitzky-Golay filter (quadratic, about 0.25 s: it follows head turns
and speech without lag); the residual, in units of the distance between the eye centres
(so any resolution compares), is averaged over the 68 points per frame, and the track's
jitter is the median over frames (a single fast turn does not count).
"""

from __future__ import annotations

import itertools

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

from fauxlab.faces.landmarks import LEFT_EYE, RIGHT_EYE, mesh_to_68
from fauxlab.faces.types import Face

Floats = NDArray[np.float64]

WINDOW_S = 0.25
ORDER = 2
MIN_RUN = 9  # frames: shorter runs are too short to tell a path from its shaking


def raw_points(face: Face) -> NDArray[np.float32]:
    """The detector's own 68 points (unsmoothed mesh when there is one)."""
    if face.mesh is not None and len(face.mesh) >= 468:
        return mesh_to_68(face.mesh)
    return face.landmarks


def savgol(path: Floats, size: int, order: int = ORDER) -> Floats:
    """Savitzky-Golay smoothing along axis 0: each point replaced by the value at its
    centre of a polynomial fitted to the `size` points around it (at the ends, the first
    and last window's fit), which keeps motion without the lag of a moving average."""
    n, half = len(path), size // 2
    vander = np.vander(np.arange(-half, half + 1, dtype=np.float64), order + 1)
    hat = vander @ np.linalg.pinv(vander)  # size x size: window values -> fitted values
    flat = path.reshape(n, -1)
    out = np.empty_like(flat)
    out[half : n - half] = sliding_window_view(flat, size, axis=0) @ hat[half]
    out[:half] = (hat @ flat[:size])[:half]
    out[n - half :] = (hat @ flat[n - size :])[half + 1 :]
    result: Floats = out.reshape(path.shape)
    return result


def runs(frames: NDArray[np.int64]) -> list[slice]:
    """Slices of consecutive frame numbers (a face lost for a frame breaks the path)."""
    breaks = np.flatnonzero(np.diff(frames) != 1) + 1
    edges = [0, *breaks.tolist(), len(frames)]
    return [slice(a, b) for a, b in itertools.pairwise(edges)]


def window(fps: float) -> int:
    """The odd smoothing window closest to WINDOW_S, at least ORDER + 3 frames."""
    n = max(ORDER + 3, round(WINDOW_S * fps))
    return n if n % 2 else n + 1


def frame_residuals(
    points: Floats, frames: NDArray[np.int64], fps: float
) -> tuple[Floats, NDArray[np.int64]]:
    """Per frame, the mean distance of the points from their smoothed path over the eye
    distance, and the positions of those frames; runs too short to smooth are left out."""
    size = window(fps)
    out: list[Floats] = []
    kept: list[NDArray[np.int64]] = []
    for part in runs(frames):
        path = points[part]
        if len(path) < max(MIN_RUN, size):
            continue
        smooth = savgol(path, size)
        right, left = path[:, RIGHT_EYE].mean(axis=1), path[:, LEFT_EYE].mean(axis=1)
        scale = np.maximum(np.linalg.norm(right - left, axis=1), 1e-6)
        out.append(np.linalg.norm(path - smooth, axis=2).mean(axis=1) / scale)
        kept.append(np.arange(part.start, part.stop, dtype=np.int64))
    if not out:
        return np.zeros(0), np.zeros(0, np.int64)
    return np.concatenate(out), np.concatenate(kept)


def track_jitter(
    faces: list[Face], frames: list[int], fps: float
) -> tuple[float, Floats, NDArray[np.int64]] | None:
    """The track's jitter (median residual), the per-frame residuals and which of the
    track's faces they belong to; None when no run of frames is long enough."""
    points = np.array([raw_points(f) for f in faces], dtype=np.float64)
    residuals, kept = frame_residuals(points, np.array(frames, dtype=np.int64), fps)
    if residuals.size == 0:
        return None
    return float(np.median(residuals)), residuals, kept
