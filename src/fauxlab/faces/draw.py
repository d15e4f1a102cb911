"""Draw what the face pipeline found, for a person to check it at a glance."""

from __future__ import annotations

import cv2
import numpy as np

from fauxlab.faces.landmarks import (
    INNER_LIPS,
    JAW,
    LEFT_BROW,
    LEFT_EYE,
    NOSE_BASE,
    NOSE_BRIDGE,
    OUTER_LIPS,
    RIGHT_BROW,
    RIGHT_EYE,
)
from fauxlab.faces.types import Face
from fauxlab.media.images import RGBImage

_TRACK_COLOURS = [(0, 200, 255), (255, 120, 0), (0, 220, 90), (230, 0, 200), (255, 230, 0)]
_GROUPS = [
    (JAW, False), (RIGHT_BROW, False), (LEFT_BROW, False), (NOSE_BRIDGE, False),
    (NOSE_BASE, False), (RIGHT_EYE, True), (LEFT_EYE, True), (OUTER_LIPS, True),
    (INNER_LIPS, True),
]  # fmt: skip


def annotate(image: RGBImage, faces: list[Face], label: str | None = None) -> RGBImage:
    """A copy of `image` with each face's box, landmark outline and track id drawn on."""
    canvas = image.copy()
    thickness = max(1, round(max(image.shape[:2]) / 400))
    for face in faces:
        colour = _TRACK_COLOURS[max(face.track_id, 0) % len(_TRACK_COLOURS)]
        x0, y0, x1, y1 = (round(v) for v in face.box)
        cv2.rectangle(canvas, (x0, y0), (x1, y1), colour, thickness)
        for group, closed in _GROUPS:
            points = np.round(face.landmarks[group]).astype(np.int32)
            cv2.polylines(canvas, [points], closed, (255, 255, 255), thickness, cv2.LINE_AA)
        for x, y in np.round(face.landmarks).astype(int):
            cv2.circle(canvas, (int(x), int(y)), thickness + 1, colour, -1, cv2.LINE_AA)
        text = f"track {face.track_id}" if face.track_id >= 0 else face.backend
        _label(canvas, text, (x0, max(0, y0 - 6)), colour, thickness)
    if label:
        _label(canvas, label, (6, 6), (255, 255, 255), thickness)
    return canvas


def _label(
    canvas: RGBImage, text: str, origin: tuple[int, int], colour: tuple[int, int, int], scale: int
) -> None:
    font, size = cv2.FONT_HERSHEY_SIMPLEX, 0.45 * scale
    (w, h), base = cv2.getTextSize(text, font, size, scale)
    x, y = origin
    y = max(y, h + base)
    cv2.rectangle(canvas, (x, y - h - base), (x + w + 4, y + base), (0, 0, 0), -1)
    cv2.putText(canvas, text, (x + 2, y), font, size, colour, scale, cv2.LINE_AA)


def contact_sheet(images: list[RGBImage], columns: int = 4, width: int = 320) -> RGBImage:
    """Tile images (resized to `width`) into one picture."""
    tiles = []
    for image in images:
        height = round(image.shape[0] * width / image.shape[1])
        tiles.append(cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA))
    tile_height = max(t.shape[0] for t in tiles)
    rows = [tiles[i : i + columns] for i in range(0, len(tiles), columns)]
    sheet = np.zeros((tile_height * len(rows), width * min(columns, len(tiles)), 3), np.uint8)
    for r, row in enumerate(rows):
        for c, tile in enumerate(row):
            sheet[
                r * tile_height : r * tile_height + tile.shape[0], c * width : (c + 1) * width
            ] = tile
    return sheet
