"""Keyframe helpers the whole-image detectors share: which frames can be judged, and the
per-frame probabilities they report in their evidence."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fauxlab.detection.analysed import AnalysedMedia, FrameRecord
from fauxlab.media.images import RGBImage

Keyframe = tuple[FrameRecord, RGBImage]


def judgeable_keyframes(media: AnalysedMedia, min_side: int) -> list[Keyframe]:
    """The keyframes whose shorter side is at least `min_side` pixels."""
    return [
        (record, image) for record, image in media.keyframes() if min(image.shape[:2]) >= min_side
    ]


def per_frame(frames: Sequence[Keyframe], probabilities: Sequence[float]) -> list[dict[str, Any]]:
    """One JSON-safe row per keyframe: index, time and P(fake)."""
    return [
        {"frame": record.index, "time": round(record.time, 3), "probability": round(p, 4)}
        for (record, _), p in zip(frames, probabilities, strict=True)
    ]


def frame_details(
    frames: Sequence[Keyframe], probabilities: Sequence[float], side: int, info: dict[str, str]
) -> dict[str, Any]:
    """The details a whole-image detector reports: how frames were combined, each frame's
    P(fake), the side it analysed at and its model's date."""
    return {
        "aggregation": "median of per-frame probabilities",
        "frames": len(frames),
        "per_frame": per_frame(frames, probabilities),
        "analysis_side": side,
        "model_date": info.get("date", ""),
    }
