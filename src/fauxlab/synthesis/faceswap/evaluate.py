"""How good is a swap? Identity, expression, stability and reconstruction, as numbers.

- identity retrieval: the share of swapped frames whose 128-D dlib embedding lies nearer
  the target person's centroid than the other's (centroids from the training crops);
- expression transfer: mean distance between the source's and the swapped face's
  landmarks, each aligned to the template (in % of the inner-face size), and the
  correlation over frames of mouth openness and eye openness;
- temporal stability: mean frame-to-frame change inside the face box of the output,
  divided by the same on the source (1.0 = as steady as the source; above = flicker);
- reconstruction SSIM: A->A and B->B on training crops, inside the face mask.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from numpy.typing import NDArray

from fauxlab.errors import NoFaceError
from fauxlab.faces import Face, FaceEmbedder, FaceOptions, align, faces_in_file
from fauxlab.faces.embedding import Embedding
from fauxlab.faces.landmarks import LEFT_EYE, RIGHT_EYE, eye_aspect_ratio, mouth_aspect_ratio
from fauxlab.faces.types import box_of
from fauxlab.synthesis.faceswap.data import FaceSet, load_faceset
from fauxlab.synthesis.faceswap.losses import masked_ssim
from fauxlab.synthesis.faceswap.runfolder import LoadedRun

CENTROID_FACES = 24
SSIM_FACES = 64


@dataclass
class SwapScores:
    frames: int = 0
    frames_with_faces: int = 0
    id_retrieval: float | None = None
    landmark_distance_pct: float | None = None
    mouth_correlation: float | None = None
    eye_correlation: float | None = None
    temporal_change_ratio: float | None = None
    reconstruction_ssim: dict[str, float] = field(default_factory=dict)
    target: str = "b"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _spread(count: int, total: int) -> list[int]:
    return sorted({round(i) for i in np.linspace(0, total - 1, min(count, total))})


@torch.no_grad()
def reconstruction_ssim(run: LoadedRun, faces: FaceSet, identity: str) -> float:
    picks = torch.tensor(_spread(SSIM_FACES, len(faces)))
    images, masks = faces.batch(picks)
    guide = run.guide_for([faces.landmarks[i] for i in picks.tolist()], identity, identity)
    rgb, _ = run.model(images, identity, guide)
    return float(masked_ssim(rgb, images, masks[:, 0:1]).mean())


def embed_crop(
    embedder: FaceEmbedder, crop: NDArray[np.uint8], landmarks: NDArray[np.float32]
) -> Embedding:
    """Embed an aligned crop, enlarged 4x so dlib's 150 px chip is not cut from a tiny image."""
    big = cv2.resize(crop, None, fx=4, fy=4, interpolation=cv2.INTER_CUBIC)
    points = landmarks * 4
    return embedder.embed(np.ascontiguousarray(big), Face(box_of(points), points, 1.0, "crop"))


def _to_uint8(image: torch.Tensor) -> NDArray[np.uint8]:
    """3 x S x S float 0..1 -> S x S x 3 uint8."""
    return np.asarray((image.permute(1, 2, 0).numpy() * 255 + 0.5).clip(0, 255), np.uint8)


def centroid(embedder: FaceEmbedder, faces: FaceSet) -> Embedding:
    vectors = [
        embed_crop(embedder, faces.images[i].permute(1, 2, 0).numpy(), faces.landmarks[i])
        for i in _spread(CENTROID_FACES, len(faces))
    ]
    return np.asarray(np.mean(vectors, axis=0), dtype=np.float32)


def _normalised(face: Face) -> NDArray[np.float32]:
    return align(face.landmarks, 100, 0.0).to_crop(face.landmarks)


def _eyes(face: Face) -> float:
    pts = face.landmarks
    return (eye_aspect_ratio(pts[RIGHT_EYE]) + eye_aspect_ratio(pts[LEFT_EYE])) / 2


def _correlation(x: list[float], y: list[float]) -> float | None:
    if len(x) < 3 or np.std(x) < 1e-6 or np.std(y) < 1e-6:
        return None
    return round(float(np.corrcoef(x, y)[0, 1]), 4)


def _largest(faces: list[Face]) -> Face | None:
    return max(faces, key=lambda f: f.width * f.height) if faces else None


def _box_region(image: NDArray[np.uint8], face: Face) -> NDArray[np.float32]:
    height, width = image.shape[:2]
    x0, y0, x1, y1 = (round(v) for v in face.box)
    x0, y0 = max(0, x0), max(0, y0)
    x1, y1 = min(width, max(x1, x0 + 1)), min(height, max(y1, y0 + 1))
    return image[y0:y1, x0:x1].astype(np.float32)


def _change(image: NDArray[np.uint8], before: NDArray[np.uint8], face: Face) -> float:
    return float(np.abs(_box_region(image, face) - _box_region(before, face)).mean())


def _pairs(source: Path, swapped: Path, max_frames: int) -> Iterator[tuple[Any, Any]]:
    """Each frame of `swapped` with the source frame nearest in time, so that a copy saved
    at another frame rate (or missing frames) is still compared with what it was made
    from; `swap apply` itself keeps the source's timing, frame for frame."""
    options = FaceOptions(max_faces=2)
    originals = faces_in_file(source, None, options)
    current = next(originals, None)
    upcoming = next(originals, None)
    if current is None:
        return
    for number, out_frame in enumerate(faces_in_file(swapped, None, options)):
        if number >= max_frames:
            return
        while upcoming is not None and abs(upcoming.time - out_frame.time) <= abs(
            current.time - out_frame.time
        ):
            current, upcoming = upcoming, next(originals, None)
        yield current, out_frame


def evaluate(
    run: LoadedRun, source: Path, swapped: Path, target: str = "b", max_frames: int = 300
) -> SwapScores:
    """Score `swapped` (made from `source` towards `target`) with the run's own faces."""
    info = run.info
    sets = {k: load_faceset(Path(v["folder"]), info.size, min_faces=1)
            for k, v in (("a", info.a), ("b", info.b))}  # fmt: skip
    scores = SwapScores(target=target)
    scores.reconstruction_ssim = {
        f"{k}->{k}": round(reconstruction_ssim(run, faces, k), 4) for k, faces in sets.items()
    }
    embedder = FaceEmbedder()
    centroids = {k: centroid(embedder, faces) for k, faces in sets.items()}
    hits = 0
    distances: list[float] = []
    mouths: tuple[list[float], list[float]] = ([], [])
    eyes: tuple[list[float], list[float]] = ([], [])
    change_src: list[float] = []
    change_out: list[float] = []
    previous: tuple[Any, Any, Face] | None = None
    for src_frame, out_frame in _pairs(source, swapped, max_frames):
        scores.frames += 1
        src_face, out_face = _largest(src_frame.faces), _largest(out_frame.faces)
        if src_face is None or out_face is None:
            previous = None
            continue
        scores.frames_with_faces += 1
        vector = embedder.embed(out_frame.image, out_face)
        nearest = min(centroids, key=lambda k: float(np.linalg.norm(vector - centroids[k])))
        hits += nearest == target
        distances.append(float(np.linalg.norm(_normalised(src_face) - _normalised(out_face),
                                              axis=1).mean()))  # fmt: skip
        mouths[0].append(mouth_aspect_ratio(src_face.landmarks))
        mouths[1].append(mouth_aspect_ratio(out_face.landmarks))
        eyes[0].append(_eyes(src_face))
        eyes[1].append(_eyes(out_face))
        if previous is not None and previous[0] is not src_frame.image:
            prev_src, prev_out, box = previous  # a repeated source frame would read as still
            change_src.append(_change(src_frame.image, prev_src, box))
            change_out.append(_change(out_frame.image, prev_out, box))
        previous = (src_frame.image, out_frame.image, src_face)
    if scores.frames_with_faces == 0:
        raise NoFaceError(f"no face found in both {source} and {swapped}; nothing to score")
    scores.id_retrieval = round(hits / scores.frames_with_faces, 4)
    scores.landmark_distance_pct = round(float(np.mean(distances)), 3)
    scores.mouth_correlation = _correlation(*mouths)
    scores.eye_correlation = _correlation(*eyes)
    if change_src and float(np.mean(change_src)) > 0:
        scores.temporal_change_ratio = round(float(np.mean(change_out) / np.mean(change_src)), 4)
    return scores


@torch.no_grad()
def crop_swap_scores(
    run: LoadedRun, faces: dict[str, FaceSet], count: int = 32
) -> dict[str, float]:
    """Without a video: swap training crops of each person into the other and report the
    share whose embedding is nearest the target's centroid, with reconstruction SSIM."""
    embedder = FaceEmbedder()
    centroids = {k: centroid(embedder, f) for k, f in faces.items()}
    scores: dict[str, float] = {}
    for source, target in (("a", "b"), ("b", "a")):
        hits = 0
        picks = _spread(count, len(faces[source]))
        images, _ = faces[source].batch(torch.tensor(picks))
        guide = run.guide_for([faces[source].landmarks[i] for i in picks], source, target)
        swapped, _ = run.model(images, target, guide)
        for tensor, index in zip(swapped, picks, strict=True):
            vector = embed_crop(embedder, _to_uint8(tensor), faces[source].landmarks[index])
            nearest = min(centroids, key=lambda k: float(np.linalg.norm(vector - centroids[k])))
            hits += nearest == target
        scores[f"id_{source}->{target}"] = round(hits / len(picks), 4)
        scores[f"ssim_{source}->{source}"] = round(
            reconstruction_ssim(run, faces[source], source), 4
        )
    return scores
