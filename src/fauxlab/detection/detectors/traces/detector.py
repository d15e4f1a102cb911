"""The "traces" detector: were these pixels drawn by an image generator's decoder?

It reads the picture at its own resolution (never resized, which would erase the
traces), tile by tile, and shows where the traces were read as a map over the picture.
A video's keyframes are read one by one and the file gets their median; codecs wash
out pixel-level traces, so video evidence has a quarter weight.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from fauxlab.detection.analysed import AnalysedMedia
from fauxlab.detection.detectors.traces import SPEC
from fauxlab.detection.detectors.traces.score import MIN_SIDE, TracesReading, read_traces
from fauxlab.detection.detectors.traces.weights import TracesModel, load_model, load_shipped_model
from fauxlab.detection.evidence import Evidence, Figure
from fauxlab.detection.keyframes import frame_details, judgeable_keyframes
from fauxlab.detection.linear import sigmoid
from fauxlab.media.images import RGBImage

NAME = SPEC.name
FAKE_ABOVE = 0.7
REAL_BELOW = 0.3
MAX_VIDEO_FRAMES = 8
MAP_SIDE = 384  # the map figure's longest side


@lru_cache(maxsize=4)
def _cached(path: str | None) -> TracesModel:
    return load_model(Path(path)) if path else load_shipped_model()


def summary_for(probability: float) -> str:
    """One plain sentence for a non-expert."""
    if probability >= FAKE_ABOVE:
        return (
            "The fine pixel pattern carries the regular traces an image generator's "
            "up-sampling leaves: the picture looks drawn by a generator."
        )
    if probability <= REAL_BELOW:
        return "The fine pixel pattern looks like a camera's, not like a generator's output."
    return (
        "The fine pixel pattern is between a camera's and a generator's; this test does "
        "not settle the question."
    )


def map_overlay(image: RGBImage, cells: NDArray[np.float32], scale: float, bias: float) -> RGBImage:
    """P(generated) of each 8 x 8 cell over the picture (unread areas left plain)."""
    height, width = image.shape[:2]
    shrink = min(1.0, MAP_SIDE / max(height, width))
    size = (max(1, round(width * shrink)), max(1, round(height * shrink)))
    shown = cv2.resize(image, size, interpolation=cv2.INTER_AREA).astype(np.float32)
    read = np.isfinite(cells)
    probability = np.where(read, sigmoid(scale * np.nan_to_num(cells) + bias), 0.0)
    heat = cv2.resize(probability.astype(np.float32), size, interpolation=cv2.INTER_LINEAR)
    seen = cv2.resize(read.astype(np.float32), size, interpolation=cv2.INTER_NEAREST)
    colour = cv2.applyColorMap((heat * 255).astype(np.uint8), cv2.COLORMAP_INFERNO)[..., ::-1]
    alpha = (0.15 + 0.6 * heat) * seen
    blended = shown * (1 - alpha[..., None]) + colour.astype(np.float32) * alpha[..., None]
    overlay: RGBImage = np.clip(blended + 0.5, 0, 255).astype(np.uint8)
    return overlay


class TracesDetector:
    """Scores pictures and keyframes with the shipped (or a given) traces model."""

    name = NAME

    def __init__(self, model: Path | None = None) -> None:
        self.model = _cached(str(model) if model else None)

    def _probability(self, reading: TracesReading) -> float:
        s = self.model.settings
        return float(sigmoid(np.array(s.platt_scale * reading.logit + s.platt_bias)))

    def examine(self, media: AnalysedMedia) -> Evidence:
        frames = judgeable_keyframes(media, MIN_SIDE)
        if media.is_video and len(frames) > MAX_VIDEO_FRAMES:
            picks = np.linspace(0, len(frames) - 1, MAX_VIDEO_FRAMES).round().astype(int)
            frames = [frames[i] for i in sorted(set(picks))]
        if not frames:
            return Evidence(
                NAME, None, "The picture is too small to read its pixel traces.",
                details={"frames": 0},
            )  # fmt: skip
        readings = [read_traces(self.model.net, image) for _, image in frames]
        scores = [self._probability(r) for r in readings]
        probability = float(np.median(scores))
        top = int(np.argmax(scores))
        image, reading = frames[top][1], readings[top]
        s = self.model.settings

        def draw() -> RGBImage:
            return map_overlay(image, reading.cell_map, s.platt_scale, s.platt_bias)

        where = "the keyframe that looked most generated" if media.is_video else "the picture"
        caption = (
            f"Where the detector read generator traces in {where}, at its own resolution: "
            "brighter means more like a generator's up-sampling; plain areas were not read. "
            f"P(generated) = {scores[top]:.2f}."
        )
        details = frame_details(frames, scores, 0, {"date": str(self.model.info.get("date", ""))})
        details["analysis_side"] = "own resolution"
        details["tiles"] = len(reading.tile_logits)
        return Evidence(
            NAME,
            probability,
            summary_for(probability),
            details=details,
            figures=[Figure("traces-map", caption, draw)],
            weight=SPEC.weight_for(media.is_video),
        )
