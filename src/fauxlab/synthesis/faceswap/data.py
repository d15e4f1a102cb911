"""One identity's training faces: the crops of a `fauxlab faces extract` folder, in memory.

Beside each crop we keep three masks drawn from its aligned landmarks: the face hull (the
target of the decoders' mask output and the region the losses look at), the eyes and the
mouth (where the losses add weight).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from numpy.typing import NDArray

from fauxlab.errors import InputError
from fauxlab.faces.extract import INDEX_NAME, read_index
from fauxlab.faces.mask import eyes_mask, face_mask, mouth_mask
from fauxlab.synthesis.faceswap.guide import measure

MIN_FACES = 100


@dataclass(frozen=True)
class FaceSet:
    """`images` N x 3 x S x S uint8 RGB; `masks` N x 3 x S x S uint8 (face, eyes, mouth)."""

    folder: Path
    size: int
    margin: float
    images: torch.Tensor
    masks: torch.Tensor
    landmarks: NDArray[np.float32]  # N x 68 x 2, in crop pixels
    files: tuple[Path, ...]
    sources: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def batch(self, indices: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Float images and masks (0..1) of the chosen faces."""
        return self.images[indices].float() / 255.0, self.masks[indices].float() / 255.0

    @cached_property
    def openness(self) -> torch.Tensor:
        """(N,) float mouth opening of each face, from its landmarks (inner-lip gap over
        mouth width: 0 shut, about 0.5 wide open)."""
        return torch.from_numpy(self.guides[:, 0].copy())  # the guide's mouth column

    @cached_property
    def guides(self) -> NDArray[np.float32]:
        """N x 2 raw mouth and eye opening of each face (the expression guide, guide.py)."""
        return np.stack([measure(points) for points in self.landmarks]).astype(np.float32)

    def describe(self) -> dict[str, Any]:
        return {"folder": str(self.folder), "faces": len(self), "sources": sorted(self.sources)}


def folder_settings(folder: Path) -> dict[str, Any]:
    """The extraction settings line of a faces folder."""
    path = folder / INDEX_NAME
    if not path.is_file():
        raise InputError(f"{folder}: no {INDEX_NAME}; make it with `fauxlab faces extract`")
    with path.open(encoding="utf-8") as handle:
        first = handle.readline()
    try:
        record = json.loads(first)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: first line is not JSON; the index is damaged") from exc
    if record.get("type") != "settings":
        raise InputError(f"{path}: does not start with a settings line")
    return dict(record)


def region_masks(landmarks: NDArray[np.float32], size: int) -> NDArray[np.uint8]:
    """3 x S x S uint8: face hull, eyes, mouth for landmarks in crop pixels."""
    shape = (size, size)
    planes = [
        face_mask(landmarks, shape, feather_ratio=0.05),
        eyes_mask(landmarks, shape),
        mouth_mask(landmarks, shape),
    ]
    return np.stack([np.clip(p * 255 + 0.5, 0, 255).astype(np.uint8) for p in planes])


def _present(folder: Path) -> tuple[list[dict[str, Any]], int]:
    """The index's face records whose crop is on disk, and how many listed crops are not."""
    records = read_index(folder)
    present = [r for r in records if (folder / r["file"]).is_file()]
    return present, len(records) - len(present)


def check_face_counts(folders: dict[str, Path], min_faces: int = MIN_FACES) -> None:
    """Refuse, in one message naming every identity's count, when any has too few faces;
    counting reads only the indexes, so a short B fails before A's pixels are loaded."""
    counts = {name: _present(folder) for name, folder in folders.items()}
    if all(len(present) >= min_faces for present, _ in counts.values()):
        return
    parts = []
    for name, (present, missing) in counts.items():
        detail = f", {missing} listed crops missing" if missing else ""
        parts.append(f"{name.upper()} ({folders[name]}) has {len(present)}{detail}")
    raise InputError(
        f"too few faces: {'; '.join(parts)}; training needs at least {min_faces} of each "
        "person. Extract more frames or videos of that person into the folder"
    )


def _mixed_sizes(folder: Path, sizes: dict[tuple[int, int], list[Path]], expected: int) -> str:
    """A message that counts the crops of each size and names one of each odd size."""
    parts = []
    for (w, h), paths in sorted(sizes.items(), key=lambda item: -len(item[1])):
        odd = (w, h) != (expected, expected)
        parts.append(f"{len(paths)} at {w}x{h}" + (f" (e.g. {paths[0].name})" if odd else ""))
    return (
        f"{folder}: faces of different sizes: {', '.join(parts)}; its index says "
        f"{expected}x{expected}. "
        "A crop of another size does not fit its landmarks (so not its masks): remove those "
        "files, or extract the identity again into a new folder with one --size"
    )


def load_faceset(folder: Path, size: int | None = None, min_faces: int = MIN_FACES) -> FaceSet:
    """Read every crop of an extract folder, resized to `size` (default: as extracted);
    refuse folders with too few faces or crops of mixed sizes."""
    settings = folder_settings(folder)
    present, missing = _present(folder)
    if len(present) < min_faces:
        detail = f" ({missing} listed crops are missing)" if missing else ""
        raise InputError(
            f"{folder}: {len(present)} faces{detail}; training an identity needs at least "
            f"{min_faces}. Extract more frames or videos of this person into the folder"
        )
    extracted = int(settings["size"])
    size = size or extracted
    if size > extracted:
        raise InputError(
            f"{folder}: crops are {extracted} px, smaller than the training size {size}; "
            f"train with `size` {extracted} or extract again with `size` {size} or more",
            settings=["size"],
        )
    scale = size / extracted
    images, masks, points, files = [], [], [], []
    sizes: dict[tuple[int, int], list[Path]] = {}
    for record in present:
        path = folder / record["file"]
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            raise InputError(f"{path}: cannot be read as an image")
        sizes.setdefault((bgr.shape[1], bgr.shape[0]), []).append(path)
        if bgr.shape[:2] != (extracted, extracted):
            continue
        if size != extracted:
            interpolation = cv2.INTER_AREA if size < extracted else cv2.INTER_CUBIC
            bgr = cv2.resize(bgr, (size, size), interpolation=interpolation)
        images.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB).transpose(2, 0, 1))
        landmarks = np.asarray(record["aligned_landmarks"], dtype=np.float32) * scale
        masks.append(region_masks(landmarks, size))
        points.append(landmarks)
        files.append(path)
    if set(sizes) != {(extracted, extracted)}:
        raise InputError(_mixed_sizes(folder, sizes, extracted))
    return FaceSet(
        folder=folder,
        size=size,
        margin=float(settings["margin"]),
        images=torch.from_numpy(np.stack(images)),
        masks=torch.from_numpy(np.stack(masks)),
        landmarks=np.stack(points).astype(np.float32),
        files=tuple(files),
        sources=tuple({str(r.get("source", "")) for r in present}),
    )


def check_pair(a: FaceSet, b: FaceSet) -> None:
    """Both identities must be framed alike, or one decoder learns a different framing
    (their sizes may differ: both are resized to the training size)."""
    if a.margin != b.margin:
        raise InputError(
            f"faces framed differently: {a.folder} has margin {a.margin}, {b.folder} has "
            f"margin {b.margin}; extract both identities with the same `margin`",
            settings=["margin"],
        )
