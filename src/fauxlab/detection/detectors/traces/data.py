"""What the traces detector learns from: real pictures and their reconstructions.

Reals are UTKFace's training faces, frames of the shared real videos' training clips
and the photographs scikit-image ships, each at its own resolution; every real gets a
fake twin from a `Reconstructor` (the command passes the decoder zoo in: detection does
not import synthesis). Both twins then go through the same everyday edits (resize,
JPEG) and the same crop, so nothing but the decoder's traces tells them apart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from PIL import Image

from fauxlab.datasplit import UTKFACE_EVAL, VIDEOS, held_out_videos
from fauxlab.detection.detectors.spectrum.augment import jpeg
from fauxlab.errors import FauxlabError
from fauxlab.media import read_image
from fauxlab.media.images import RGBImage
from fauxlab.media.sampling import Sampling
from fauxlab.media.video import iter_frames

Progress = Callable[[str, int, int], None]  # phase, done, total
FRAMES_PER_CLIP = 6
HELD_OUT_FRAMES_PER_CLIP = 2
FRAME_GAP = 25  # frames apart: about a second, so the pictures differ
SAMPLE_PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "immunohistochemistry", "retina")


class Reconstructor(Protocol):
    """Makes a fake twin of a real picture (the decoder zoo of fauxlab.synthesis.traces)."""

    def fit(self, images: Sequence[RGBImage], progress: Progress | None = None) -> None: ...

    def reconstruct(self, image: RGBImage, rng: np.random.Generator) -> RGBImage: ...

    def reconstruct_held_out(self, image: RGBImage, rng: np.random.Generator) -> RGBImage: ...

    def describe(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Edits:
    """The everyday edits both twins go through: resize, then JPEG."""

    resize_p: float = 0.5
    resize_range: tuple[float, float] = (0.35, 2.0)
    jpeg_p: float = 0.7
    jpeg_quality: tuple[int, int] = (60, 95)


def resize(image: RGBImage, factor: float, lanczos: bool) -> RGBImage:
    height, width = image.shape[:2]
    size = (max(8, round(width * factor)), max(8, round(height * factor)))
    method = Image.Resampling.LANCZOS if lanczos else Image.Resampling.BICUBIC
    return np.asarray(Image.fromarray(image).resize(size, method), dtype=np.uint8)


def edit_twins(
    real: RGBImage, fake: RGBImage, rng: np.random.Generator, edits: Edits, min_side: int
) -> tuple[RGBImage, RGBImage]:
    """The same random resize and JPEG quality for both twins."""
    if rng.random() < edits.resize_p:
        smallest = min_side / min(real.shape[:2])
        factor = max(float(rng.uniform(*edits.resize_range)), smallest)
        lanczos = bool(rng.random() < 0.5)
        real, fake = resize(real, factor, lanczos), resize(fake, factor, lanczos)
    if rng.random() < edits.jpeg_p:
        quality = int(rng.integers(edits.jpeg_quality[0], edits.jpeg_quality[1] + 1))
        real, fake = jpeg(real, quality), jpeg(fake, quality)
    return real, fake


def crop_at(image: RGBImage, top: int, left: int, side: int) -> RGBImage:
    return image[top : top + side, left : left + side]


def twin_crops(
    real: RGBImage, fake: RGBImage, side: int, rng: np.random.Generator
) -> tuple[RGBImage, RGBImage]:
    """One random square of `side` px at the same even position in both twins."""
    height, width = real.shape[:2]
    top = int(rng.integers(0, height - side + 1)) & ~1
    left = int(rng.integers(0, width - side + 1)) & ~1
    return crop_at(real, top, left, side), crop_at(fake, top, left, side)


def _video_frames(paths: Sequence[Path], per_clip: int) -> list[RGBImage]:
    """The first `per_clip` frames FRAME_GAP apart of each clip (decoding stops there)."""
    frames = []
    for path in paths:
        try:
            for count, frame in enumerate(iter_frames(path, Sampling("every", FRAME_GAP))):
                if count == per_clip:
                    break
                frames.append(frame.image)
        except FauxlabError:
            continue
    return frames


def sample_photos() -> list[RGBImage]:
    """The colour photographs scikit-image ships (real, and free to use)."""
    from skimage import data

    return [np.asarray(getattr(data, name)(), dtype=np.uint8) for name in SAMPLE_PHOTOS]


def real_pictures(
    root: Path,
    faces: int,
    rng: np.random.Generator,
    held_out: bool = False,
    frames_per_clip: int = FRAMES_PER_CLIP,
) -> list[RGBImage]:
    """`faces` UTKFace faces, frames of the shared clips and the sample photos, from the
    training side of the split (or the held-out side, for measuring)."""
    face_files = UTKFACE_EVAL.split(root)[1 if held_out else 0]
    picks = rng.choice(len(face_files), size=min(faces, len(face_files)), replace=False)
    pictures = [read_image(face_files[int(i)]) for i in sorted(picks)]
    clips = held_out_videos(root) if held_out else VIDEOS.split(root)[0]
    per_clip = min(frames_per_clip, HELD_OUT_FRAMES_PER_CLIP) if held_out else frames_per_clip
    pictures += _video_frames(clips, per_clip)
    if not held_out:
        pictures += sample_photos()
    return pictures


def training_files(root: Path) -> list[Path]:
    """Every file the training side may draw from, for the training manifest."""
    return [*UTKFACE_EVAL.split(root)[0], *VIDEOS.split(root)[0]]
