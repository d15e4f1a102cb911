"""How fast the face moves, in the clip's declared time: the motion side of a speed change.

A talking head slowed to 0.75x moves its head and lips 25% slower per second than it did.
People differ far more than that, so these numbers are reported against the range seen in
real clips and only a face far outside it counts, and then only as a hint. Speeds are in
eye distances (between the eye centres) per second, so they do not depend on how large
the face is in the picture.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fauxlab.detection.analysed import AnalysedMedia
from fauxlab.detection.detectors.shallowfake.frames import FloatArray

MIN_SECONDS = 2.0  # of one tracked face, for the medians to mean something
RIGHT_EYE, LEFT_EYE = slice(36, 42), slice(42, 48)
UPPER_LIP, LOWER_LIP = 62, 66  # inner lip centres (iBUG 68)
# Medians over the 21 shared real clips ranged 0.04-2.25 (head) and 0.004-0.65 (lips)
# eye distances per second: people differ 50-fold, a speed change moves them by a
# quarter. Only values outside every real clip's, with a margin, count as a hint.
HEAD_SPEED_NORMAL = (0.02, 3.0)
LIP_SPEED_NORMAL = (0.0, 1.0)


@dataclass(frozen=True)
class Motion:
    """The main face's motion per second of the clip's declared time."""

    seconds: float  # covered by the main face's track
    head_speed: float | None  # median, eye distances per second
    lip_speed: float | None  # median change of the lip opening, eye distances per second

    @property
    def judged(self) -> bool:
        return self.head_speed is not None

    def outside(self) -> list[str]:
        """Which measures lie outside their normal range."""
        checks = (
            ("head speed", self.head_speed, HEAD_SPEED_NORMAL),
            ("lip speed", self.lip_speed, LIP_SPEED_NORMAL),
        )
        return [
            name
            for name, value, (low, high) in checks
            if value is not None and not low <= value <= high
        ]


def _main_track(media: AnalysedMedia) -> tuple[FloatArray, FloatArray]:
    """Times and 68-point landmarks of the longest face track."""
    tracks = media.tracks()
    if not tracks:
        return np.zeros(0), np.zeros((0, 68, 2))
    longest = max(tracks.values(), key=len)
    times = np.asarray([frame.time for frame, _ in longest], dtype=np.float64)
    points = np.stack([np.asarray(face.landmarks, dtype=np.float64) for _, face in longest])
    return times, points


def measure_motion(media: AnalysedMedia) -> Motion:
    """Median head and lip speed of the main face."""
    times, points = _main_track(media)
    seconds = float(times[-1] - times[0]) if len(times) > 1 else 0.0
    if seconds < MIN_SECONDS or len(times) < 10:
        return Motion(seconds, None, None)
    eyes = np.linalg.norm(
        points[:, RIGHT_EYE].mean(axis=1) - points[:, LEFT_EYE].mean(axis=1), axis=1
    )
    scale = float(np.median(eyes))
    if scale <= 0:
        return Motion(seconds, None, None)
    step = np.diff(times)
    good = step > 0
    centre = points.mean(axis=1) / scale
    head = np.linalg.norm(np.diff(centre, axis=0), axis=1)[good] / step[good]
    opening = np.linalg.norm(points[:, UPPER_LIP] - points[:, LOWER_LIP], axis=1) / scale
    mouth = np.abs(np.diff(opening))[good] / step[good]
    return Motion(seconds, float(np.median(head)), float(np.median(mouth)))
