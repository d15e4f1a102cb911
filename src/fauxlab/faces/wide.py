"""Finding faces that are small in a large frame: a person metres from a phone camera.

MediaPipe's detectors see the whole frame at 128 px (short range) or 192 px (full range),
and FaceMesh runs its own short-range detector, made for selfies: in a 1080x1920 phone
video a face of 120 px becomes 12 px and is not found at all. When the whole-frame pass
finds nothing, the frame is searched again in overlapping square tiles (a 120 px face in a
512 px tile is 45 px at the detector's input), and each face found gets its landmarks
from FaceMesh run on a crop around it, mapped back to the frame. Both detectors must
agree, so the tiles add few false faces (docs/faces.md has the recall measurement).
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from fauxlab.faces.types import Box, iou
from fauxlab.media.images import RGBImage

TILE = 512  # px; at most half the frame's shorter side
MIN_SIDE_FOR_TILES = 640  # smaller frames gain nothing from tiles
CROP_CONTEXT = 2.4  # crop side over the detector's box side: FaceMesh wants the whole head
CROP_SIZE = 256  # px FaceMesh sees
SAME_FACE_IOU = 0.3
# Tiles look at many more windows than one whole-frame pass, so a tile's detection must
# score higher to count, and FaceMesh must confirm it on its crop.
TILE_MIN_SCORE = 0.6
# Tiles are for faces a person can see (60 px and up): their boxes are 45 px or more.
# Tinier boxes were letters and textures.
TILE_MIN_BOX = 32

Scored = tuple[Box, float]


def tiles(height: int, width: int) -> list[Box]:
    """Overlapping square tiles (half a tile apart) that cover the frame."""
    side = min(TILE, min(height, width) // 2)
    if max(height, width) < MIN_SIDE_FOR_TILES or side < 64:
        return []
    stride = side // 2

    def starts(length: int) -> list[int]:
        found = list(range(0, length - side + 1, stride))
        if found[-1] + side < length:
            found.append(length - side)
        return found

    return [
        (float(x), float(y), float(x + side), float(y + side))
        for y in starts(height)
        for x in starts(width)
    ]


def merge(found: list[Scored]) -> list[Scored]:
    """One box per face: the best-scored of each group of overlapping boxes."""
    kept: list[Scored] = []
    for box, score in sorted(found, key=lambda f: -f[1]):
        if all(iou(box, other) < SAME_FACE_IOU for other, _ in kept):
            kept.append((box, score))
    return kept


def detect_in_tiles(detector: Any, image: RGBImage, min_score: float) -> list[Scored]:
    """Face boxes (in frame pixels) scoring at least `min_score` by `detector` (MediaPipe
    FaceDetection) tile by tile, merged across the tiles' overlaps."""
    found: list[Scored] = []
    for x0, y0, x1, y1 in tiles(*image.shape[:2]):
        tile = np.ascontiguousarray(image[int(y0) : int(y1), int(x0) : int(x1)])
        side = x1 - x0
        for detection in detector.process(tile).detections or []:
            b = detection.location_data.relative_bounding_box
            left, top = x0 + b.xmin * side, y0 + b.ymin * side
            box = (left, top, left + b.width * side, top + b.height * side)
            if detection.score[0] >= min_score and box[2] - box[0] >= TILE_MIN_BOX:
                found.append((box, float(detection.score[0])))
    return merge(found)


def crop_around(box: Box, height: int, width: int) -> tuple[int, int, int]:
    """(left, top, side) of the square crop that FaceMesh gets for a detector box."""
    side = round(CROP_CONTEXT * max(box[2] - box[0], box[3] - box[1]))
    side = min(side, height, width)
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    left = int(np.clip(round(cx - side / 2), 0, width - side))
    top = int(np.clip(round(cy - side / 2), 0, height - side))
    return left, top, side


def mesh_in_crop(mesh: Any, image: RGBImage, box: Box) -> np.ndarray[Any, Any] | None:
    """FaceMesh's 478 points for the face in `box`, in frame pixels; None when FaceMesh
    finds no face there (the tile detector's box is then not trusted)."""
    height, width = image.shape[:2]
    left, top, side = crop_around(box, height, width)
    crop = np.ascontiguousarray(image[top : top + side, left : left + side])
    crop = cv2.resize(crop, (CROP_SIZE, CROP_SIZE), interpolation=cv2.INTER_CUBIC)
    result = mesh.process(crop)
    if not result.multi_face_landmarks:
        return None
    found = result.multi_face_landmarks[0].landmark
    scale = side / CROP_SIZE
    return np.array(
        [(left + p.x * CROP_SIZE * scale, top + p.y * CROP_SIZE * scale) for p in found],
        dtype=np.float32,
    )
