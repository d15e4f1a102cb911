"""The one landmark scheme every backend speaks: the 68-point iBUG-300W layout.

Indices (image left = the subject's right):
  0-16 jaw, 17-21 right brow, 22-26 left brow, 27-30 nose bridge, 31-35 nose base,
  36-41 right eye, 42-47 left eye, 48-59 outer lips, 60-67 inner lips.
Each eye runs corner, two upper-lid points, corner, two lower-lid points, which is the
order the eye-aspect-ratio formula (Soukupova and Cech 2016) expects. When the backend is
MediaPipe FaceMesh the dense 478-point mesh (468 + 10 iris points) is kept as well.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Points = NDArray[np.float32]

JAW = slice(0, 17)
RIGHT_BROW = slice(17, 22)
LEFT_BROW = slice(22, 27)
NOSE_BRIDGE = slice(27, 31)
NOSE_BASE = slice(31, 36)
RIGHT_EYE = slice(36, 42)
LEFT_EYE = slice(42, 48)
OUTER_LIPS = slice(48, 60)
INNER_LIPS = slice(60, 68)
INNER_FACE = slice(17, 68)  # everything but the jaw line: stable under pose, used to align

# FaceMesh vertex for each of the 68 iBUG points (a widely used correspondence, checked
# against dlib's 68-point predictor on the shared videos; see tests/integration/test_faces.py).
MESH_TO_68: tuple[int, ...] = (
    # jaw, image left to image right
    127, 234, 93, 132, 58, 136, 150, 176, 152, 400, 379, 365, 288, 361, 323, 454, 356,
    70, 63, 105, 66, 107,  # right brow
    336, 296, 334, 293, 300,  # left brow
    168, 197, 5, 4,  # nose bridge
    75, 97, 2, 326, 305,  # nose base
    33, 160, 158, 133, 153, 144,  # right eye
    362, 385, 387, 263, 373, 380,  # left eye
    61, 39, 37, 0, 267, 269, 291, 405, 314, 17, 84, 181,  # outer lips
    78, 82, 13, 312, 308, 317, 14, 87,  # inner lips
)  # fmt: skip
MESH_RIGHT_IRIS = 468  # centre of the subject's right iris in the 478-point mesh
MESH_LEFT_IRIS = 473


def mesh_to_68(mesh: Points) -> Points:
    """Pick the 68 iBUG points out of a 468- or 478-point FaceMesh."""
    return np.ascontiguousarray(mesh[list(MESH_TO_68)], dtype=np.float32)


def eye_centres(landmarks: Points) -> tuple[Points, Points]:
    """Centres of the subject's right and left eye (image left, image right)."""
    return landmarks[RIGHT_EYE].mean(axis=0), landmarks[LEFT_EYE].mean(axis=0)


def eye_aspect_ratio(eye: Points) -> float:
    """EAR = (|p2-p6| + |p3-p5|) / (2 |p1-p4|): about 0.3 open, below about 0.2 closed."""
    vertical = np.linalg.norm(eye[1] - eye[5]) + np.linalg.norm(eye[2] - eye[4])
    horizontal = 2.0 * np.linalg.norm(eye[0] - eye[3])
    return float(vertical / horizontal) if horizontal > 0 else 0.0


def mouth_aspect_ratio(landmarks: Points) -> float:
    """Inner-lip opening over mouth width: 0 closed, about 0.5 wide open."""
    inner = landmarks[INNER_LIPS]
    opening = np.linalg.norm(inner[2] - inner[6])
    width = np.linalg.norm(landmarks[48] - landmarks[54])
    return float(opening / width) if width > 0 else 0.0


def _flip_permutation() -> tuple[int, ...]:
    pairs = [(i, 16 - i) for i in range(8)]
    pairs += [(17, 26), (18, 25), (19, 24), (20, 23), (21, 22), (31, 35), (32, 34)]
    pairs += [(36, 45), (37, 44), (38, 43), (39, 42), (40, 47), (41, 46)]
    pairs += [(48, 54), (49, 53), (50, 52), (55, 59), (56, 58), (60, 64), (61, 63), (65, 67)]
    order = list(range(68))
    for a, b in pairs:
        order[a], order[b] = b, a
    return tuple(order)


# Index of each point's mirror image, for horizontal flips (left eye <-> right eye, ...).
FLIP_68: tuple[int, ...] = _flip_permutation()
