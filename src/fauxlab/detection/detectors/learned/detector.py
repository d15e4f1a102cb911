"""`learned`: the self-blend-trained face detector as evidence.

Rule, per file:
- every face in every keyframe is cropped as in training and scored (calibrated P(fake));
- a person's score is the mean over their keyframes: a swap touches every frame of the
  person, so the mean is steady where one frame's glitch is not;
- the file's score is the highest person's score: one manipulated person makes the
  media manipulated, whoever else is in frame.
The heatmap is the boundary head's map for the highest-scoring face, warped back onto
the frame: bright where the network sees a blending boundary.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
import torch
from numpy.typing import NDArray

from fauxlab.detection.analysed import AnalysedMedia
from fauxlab.detection.detectors.learned import SPEC
from fauxlab.detection.detectors.learned.batches import to_tensor
from fauxlab.detection.detectors.learned.crops import CropGeometry, detector_crop
from fauxlab.detection.detectors.learned.weights import LoadedDetector, load_detector
from fauxlab.detection.evidence import Evidence, FaceScore, Figure
from fauxlab.faces.align import Alignment
from fauxlab.media.images import RGBImage

NAME = SPEC.name
BATCH = 32


@dataclass(frozen=True)
class _Scored:
    score: FaceScore
    boundary: NDArray[np.float32]  # (16, 16) in [0, 1]
    alignment: Alignment
    image: RGBImage


@lru_cache(maxsize=4)
def _cached(path: str | None) -> LoadedDetector:
    return load_detector(Path(path) if path else None)


def heatmap_overlay(
    image: RGBImage, boundary: NDArray[np.float32], alignment: Alignment
) -> RGBImage:
    """The boundary map over the frame, cropped to the face with some context."""
    side = alignment.size
    big = cv2.resize(boundary.astype(np.float32), (side, side), interpolation=cv2.INTER_CUBIC)
    h, w = image.shape[:2]
    heat = cv2.warpAffine(np.clip(big, 0, 1), alignment.inverse, (w, h), flags=cv2.INTER_LINEAR)
    colour = cv2.applyColorMap((heat * 255).astype(np.uint8), cv2.COLORMAP_INFERNO)[..., ::-1]
    alpha = np.clip(heat * 1.5, 0, 0.75)[..., None]
    blended = image.astype(np.float32) * (1 - alpha) + colour.astype(np.float32) * alpha
    square = np.array([[0, 0], [side, 0], [0, side], [side, side]])
    corners = alignment.to_image(square.astype(np.float64))
    x0, y0 = np.clip(corners.min(0), 0, [w, h]).astype(int)
    x1, y1 = np.clip(corners.max(0), 0, [w, h]).astype(int)
    crop = blended[y0:y1, x0:x1] if x1 - x0 >= 8 and y1 - y0 >= 8 else blended
    overlay: RGBImage = np.clip(crop + 0.5, 0, 255).astype(np.uint8)
    return overlay


class LearnedFaceDetector:
    name = NAME

    def __init__(self, model: Path | None = None) -> None:
        self.detector = _cached(str(model) if model else None)
        self.geometry: CropGeometry = self.detector.geometry

    @torch.inference_mode()
    def _score(self, media: AnalysedMedia) -> list[_Scored]:
        items: list[tuple[FaceScore, Alignment, RGBImage, RGBImage]] = []
        for frame, image in media.keyframes():
            for face in frame.faces:
                crop, alignment = detector_crop(image, face.landmarks, self.geometry)
                slot = FaceScore(frame.index, frame.time, face.track_id, face.box, 0.0)
                items.append((slot, alignment, crop, image))
        scored: list[_Scored] = []
        for start in range(0, len(items), BATCH):
            chunk = items[start : start + BATCH]
            logits, maps = self.detector.model(to_tensor([c for _, _, c, _ in chunk]))
            probabilities = self.detector.calibration.probability(logits)
            for (slot, alignment, _, image), p, m in zip(
                chunk, probabilities, torch.sigmoid(maps), strict=True
            ):
                done = FaceScore(slot.frame, slot.time, slot.track_id, slot.box, float(p))
                scored.append(_Scored(done, m[0].numpy(), alignment, image))
        return scored

    def examine(self, media: AnalysedMedia) -> Evidence:
        scored = self._score(media)
        if not scored:
            return Evidence(NAME, None, "No face was found, so the face detector could not judge.")
        per_track: dict[int, list[float]] = {}
        for item in scored:
            per_track.setdefault(item.score.track_id, []).append(item.score.probability)
        track_scores = {t: float(np.mean(v)) for t, v in per_track.items()}
        worst_track = max(track_scores, key=lambda t: track_scores[t])
        probability = track_scores[worst_track]
        top = max(scored, key=lambda s: s.score.probability)

        def heat() -> RGBImage:
            return heatmap_overlay(top.image, top.boundary, top.alignment)

        caption = (
            f"Where the network sees a blending boundary on the face scored highest "
            f"({top.score.probability:.2f}, frame {top.score.frame}); bright = boundary."
        )
        return Evidence(
            NAME,
            probability,
            _summary(probability, len(scored), len(track_scores)),
            details={
                "faces_scored": len(scored),
                "people": len(track_scores),
                "per_person": {str(t): round(p, 4) for t, p in track_scores.items()},
                "aggregation": "mean over a person's keyframes, then the highest person",
                "model": self.detector.metadata.get("format", ""),
                "validation": self.detector.metadata.get("validation", ""),
            },
            faces=[s.score for s in scored],
            figures=[Figure("learned-heatmap", caption, heat)],
        )


def _summary(probability: float, faces: int, people: int) -> str:
    who = (
        "face"
        if faces == 1
        else f"{faces} face crops of {people} " + ("person" if people == 1 else "people")
    )
    if probability >= 0.5:
        return (
            f"The face detector found traces of blending typical of face swaps "
            f"(score {probability:.2f} on the {who})."
        )
    return f"The face detector found no blending traces on the {who} (score {probability:.2f})."
