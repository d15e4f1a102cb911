"""The real faces the detector learns from: aligned bank crops with their landmarks.

Faces are found once (MediaPipe, the largest face per image or sampled video frame)
and kept in memory as bank crops (160 px for the 128 px detector); self-blending and
degradations happen on the fly during training, so every epoch sees new fakes. The bank
is cached as one .npz in the run folder, so a resumed run does not detect faces again.

Validation is split by file, never by frame (`fauxlab.datasplit`: a fixed share of each
folder's files, chosen by a hash of the name), so faces of one video cannot land on
both sides.
"""

from __future__ import annotations

import fnmatch
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from fauxlab.datasplit import split_held_out
from fauxlab.detection.detectors.learned.crops import DEFAULT_GEOMETRY, CropGeometry, bank_crop
from fauxlab.errors import FauxlabError, InputError, ModelError
from fauxlab.faces.detect import make_backend
from fauxlab.faces.types import Face
from fauxlab.media import MediaKind, Sampling, expand_inputs, iter_frames, media_kind, read_image
from fauxlab.media.images import RGBImage
from fauxlab.training.checkpoint import write_atomic

VIDEO_SAMPLING = Sampling("fps", 2.0)
MIN_FACE_PX = 48  # smaller faces hold too little texture to learn blending traces from


@dataclass
class FaceBank:
    crops: NDArray[np.uint8]  # (N, B, B, 3), B the geometry's bank side (160 for 128 px)
    landmarks: NDArray[np.float32]  # (N, 68, 2), in crop pixels
    sources: list[str]  # "path" or "path#frame"

    def __len__(self) -> int:
        return int(self.crops.shape[0])

    def save(self, path: Path) -> None:
        buffer = io.BytesIO()
        np.savez(buffer, crops=self.crops, landmarks=self.landmarks, sources=np.array(self.sources))
        write_atomic(path, buffer.getvalue())

    @classmethod
    def load(cls, path: Path) -> FaceBank:
        try:
            with np.load(path) as data:
                return cls(data["crops"], data["landmarks"], [str(s) for s in data["sources"]])
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
            raise ModelError(f"{path}: face bank is corrupt ({exc}); delete it to rebuild") from exc


@dataclass(frozen=True)
class SplitFiles:
    train: list[Path]
    validation: list[Path]


def split_files(
    folders: list[Path], holdout_fraction: float, exclude: tuple[str, ...] = ()
) -> SplitFiles:
    """Media files of each folder, `holdout_fraction` of each held out (by name hash);
    files whose name matches an `exclude` pattern are left out altogether."""
    train: list[Path] = []
    validation: list[Path] = []
    for folder in folders:
        if not folder.is_dir():
            raise InputError(f"{folder}: not a folder of real faces")
        files = [
            f
            for f in expand_inputs([folder])
            if not any(fnmatch.fnmatch(f.name, p) for p in exclude)
        ]
        if not files:
            raise InputError(f"{folder}: no images or videos found")
        kept, held = split_held_out(files, round(len(files) * holdout_fraction))
        train.extend(kept)
        validation.extend(held)
    return SplitFiles(train, validation)


def _largest(faces: list[Face]) -> Face | None:
    big = [f for f in faces if min(f.width, f.height) >= MIN_FACE_PX]
    return max(big, key=lambda f: f.width * f.height) if big else None


def _images_of(path: Path) -> list[tuple[str, RGBImage]]:
    if media_kind(path) is MediaKind.IMAGE:
        return [(str(path), read_image(path))]
    return [(f"{path}#{f.index}", f.image) for f in iter_frames(path, VIDEO_SAMPLING)]


def build_bank(
    files: list[Path],
    progress: Callable[[int, int], None] | None = None,
    geometry: CropGeometry = DEFAULT_GEOMETRY,
) -> tuple[FaceBank, list[str]]:
    """Crops of the largest face of every image and sampled video frame, and the files
    that could not be used (unreadable, or no face)."""
    crops: list[RGBImage] = []
    landmarks: list[NDArray[np.float32]] = []
    sources: list[str] = []
    skipped: list[str] = []
    backend = make_backend("mediapipe", video=False, max_faces=2)
    try:
        for i, path in enumerate(files):
            try:
                images = _images_of(path)
            except FauxlabError as exc:
                skipped.append(f"{path}: {exc}")
                continue
            found = 0
            for source, image in images:
                face = _largest(backend.detect(image))
                if face is None:
                    continue
                crop, points = bank_crop(image, face.landmarks, geometry)
                crops.append(crop)
                landmarks.append(points.astype(np.float32))
                sources.append(source)
                found += 1
            if not found:
                skipped.append(f"{path}: no face of at least {MIN_FACE_PX} px")
            if progress is not None:
                progress(i + 1, len(files))
    finally:
        backend.close()
    if not crops:
        raise InputError("no usable faces in the real folders")
    return FaceBank(np.stack(crops).astype(np.uint8), np.stack(landmarks), sources), skipped
