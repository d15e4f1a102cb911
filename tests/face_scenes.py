"""Stills with faces where a person sees them and a selfie detector does not: real faces
scaled down into large frames, turned, darkened, two people; and large frames with no
face at all. Used by the face-recall test and benchmarks/face_recall.py."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image
from skimage import data as skdata

from fauxlab.datasplit import split_held_out
from fauxlab.faces.types import Box

RGB = NDArray[np.uint8]
FRAMES = ((1080, 1920), (1920, 1080), (720, 1280))  # (height, width): phone and landscape


@dataclass(frozen=True)
class Portrait:
    """A real picture of one person and where their face is in it."""

    image: RGB
    face: Box


@dataclass(frozen=True)
class Scene:
    name: str
    image: RGB
    faces: list[Box] = field(default_factory=list)  # where a person sees a face


def backgrounds() -> list[RGB]:
    """Face-free pictures scikit-image ships: objects, a cat, textures, space, microscopy."""
    colour = ["coffee", "rocket", "chelsea", "hubble_deep_field", "immunohistochemistry"]
    grey = ["brick", "grass", "gravel", "coins", "moon", "page", "text", "cell"]
    found = [getattr(skdata, name)() for name in colour]
    found += [np.dstack([getattr(skdata, name)()] * 3) for name in grey]
    return found


def portraits(faces_dir: Path, count: int) -> list[Portrait]:
    """`count` UTKFace crops from the held-out split: the face fills most of the 200 px,
    with no hair or shoulders around it, the harder case for a detector."""
    files = sorted(faces_dir.glob("*.jpg"))
    _, held = split_held_out(files, 1000)
    step = max(1, len(held) // count)
    found = []
    for path in held[::step][:count]:
        image = np.asarray(Image.open(path).convert("RGB"))
        side = image.shape[0]
        found.append(Portrait(image, (0.15 * side, 0.15 * side, 0.85 * side, 0.85 * side)))
    return found


def video_portraits(videos: list[Path], per_video: int = 2) -> list[Portrait]:
    """Frames of real talking-head clips (head, hair and shoulders in view) with the face
    box FaceMesh finds at full size, where finding it is easy."""
    from fauxlab.faces import make_backend
    from fauxlab.media import Sampling, iter_frames

    backend = make_backend("mediapipe")
    found: list[Portrait] = []
    for video in videos:
        for frame in iter_frames(video, Sampling.parse(f"count:{per_video}")):
            faces = backend.detect(frame.image)
            if len(faces) == 1:
                found.append(Portrait(frame.image, faces[0].box))
    backend.close()
    return found


def _canvas(background: RGB, height: int, width: int, rng: np.random.Generator) -> RGB:
    """A random part (half to all of it, maybe mirrored) of `background`, at this size."""
    h, w = background.shape[:2]
    share = rng.uniform(0.5, 1.0)
    ch, cw = int(h * share), int(w * share)
    top, left = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
    part = background[top : top + ch, left : left + cw]
    part = part[:, ::-1] if rng.random() < 0.5 else part
    size = (width, height)
    return np.asarray(cv2.resize(np.ascontiguousarray(part), size, interpolation=cv2.INTER_CUBIC))


def _paste(canvas: RGB, portrait: Portrait, face_px: int, x: int, y: int) -> Box:
    """`portrait` scaled so its face is `face_px` wide, its face's top left at (x, y),
    clipped to the canvas; where the face landed."""
    x0, y0, x1, y1 = portrait.face
    scale = face_px / (x1 - x0)
    image = cv2.resize(portrait.image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    left, top = round(x - x0 * scale), round(y - y0 * scale)
    height, width = canvas.shape[:2]
    cl, ct = max(0, left), max(0, top)
    cr, cb = min(width, left + image.shape[1]), min(height, top + image.shape[0])
    canvas[ct:cb, cl:cr] = image[ct - top : cb - top, cl - left : cr - left]
    return (x, y, x + face_px, y + (y1 - y0) * scale)


def _turn(portrait: Portrait, degrees: float) -> Portrait:
    """Turned about the face's centre, so the face stays in its box."""
    x0, y0, x1, y1 = portrait.face
    height, width = portrait.image.shape[:2]
    matrix = cv2.getRotationMatrix2D(((x0 + x1) / 2, (y0 + y1) / 2), degrees, 1.0)
    image = cv2.warpAffine(portrait.image, matrix, (width, height), borderMode=cv2.BORDER_REFLECT)
    return Portrait(np.asarray(image), portrait.face)


def _darken(image: RGB, gain: float) -> RGB:
    return np.clip(image.astype(np.float32) * gain, 0, 255).astype(np.uint8)


def scenes(portraits: list[Portrait], empty: int = 13, seed: int = 0) -> Iterator[Scene]:
    """For each portrait: its face 60 to 160 px wide in a large frame, turned by up to 25
    degrees, darkened to a third; every fourth with a second person; then `empty` large
    frames with no face."""
    rng = np.random.default_rng(seed)
    grounds = backgrounds()
    for i, portrait in enumerate(portraits):
        height, width = FRAMES[i % len(FRAMES)]
        canvas = _canvas(grounds[i % len(grounds)], height, width, rng).copy()
        face_px = int(rng.integers(60, 161))
        variant = ["small", "turned", "dark", "small"][i % 4]
        if variant == "turned":
            portrait = _turn(portrait, float(rng.uniform(-25, 25)))
        x = int(rng.integers(face_px, width // 2 - 2 * face_px))
        y = int(rng.integers(height // 4, height - 3 * face_px))
        boxes = [_paste(canvas, portrait, face_px, x, y)]
        if i % 4 == 3:  # a second person, to the right
            other = portraits[(i + 1) % len(portraits)]
            boxes.append(_paste(canvas, other, face_px, x + width // 2, y))
            variant = "two people"
        if variant == "dark":
            canvas = _darken(canvas, 0.35)
        yield Scene(f"{i:03d}-{variant}", canvas, boxes)
    for j in range(empty):
        height, width = FRAMES[j % len(FRAMES)]
        yield Scene(f"empty-{j}", _canvas(grounds[j % len(grounds)], height, width, rng))


def matches(found: Box, truth: Box) -> bool:
    """The found face's centre lies inside the true face, and their sizes agree within 2x."""
    cx, cy = (found[0] + found[2]) / 2, (found[1] + found[3]) / 2
    inside = truth[0] <= cx <= truth[2] and truth[1] <= cy <= truth[3]
    ratio = (found[2] - found[0]) / max(1.0, truth[2] - truth[0])
    return inside and 0.5 <= ratio <= 2.0
