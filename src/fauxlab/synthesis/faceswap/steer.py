"""Closed-loop mouth control: look at what the decoder drew and correct its guide.

The expression guide tells B's decoder how open the mouth should be, but B's decoder was
only ever trained on B's codes; fed A's code it follows the guide part of the way (the
30-minute d6 -> d10 run: 0.71 mouth correlation, against 0.89 when A's own decoder draws
A). Steering closes the loop per face: the decoder draws the face at three mouth guides
around the wanted opening, FaceMesh measures the opening it actually drew on each, a line
through the three gives the guide that draws the wanted opening, and the face is drawn
once more with that guide (kept within B's trained range, widened by a quarter on each
side, so B's decoder is never asked for a mouth it never saw). When the drawn mouth does
not follow the guide at all, or FaceMesh finds no face in the drawings, the plain
transferred guide is used.

The measure is the same inner-lip opening the guide and `swap eval` use; steering costs
four decodes and three FaceMesh passes per face (about 40 ms at 64 px on one core).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from fauxlab.faces.landmarks import mesh_to_68, mouth_aspect_ratio
from fauxlab.faces.native_log import filter_native_stderr
from fauxlab.media.images import RGBImage

MEASURE_SIZE = 256  # FaceMesh wants a face of this order; decoded crops are 64 or 128 px
BORDER = 64  # edge pixels repeated around it: FaceMesh reads a crop filled by a face worse
MIN_SLOPE = 0.2  # drawn opening per unit of guide below which the guide is not steering
WIDEN = 0.25  # how far past B's trained range a steered guide may go, in range widths

Render = Callable[[Sequence[float]], list[RGBImage]]


class MouthMeter:
    """Mouth opening of a decoded face crop, by FaceMesh on a stills graph.

    Lip refinement on, the crop enlarged and bordered: on 101 real 64 px crops of d6 this
    follows the extractor's full-frame measure with r = 0.88 (0.67 without refinement)."""

    def __init__(self) -> None:
        import mediapipe as mp

        filter_native_stderr()
        self._mesh: Any = mp.solutions.face_mesh.FaceMesh(
            static_image_mode=True,
            max_num_faces=1,
            refine_landmarks=True,
            min_detection_confidence=0.3,
        )

    def __call__(self, face: RGBImage) -> float | None:
        big = cv2.resize(face, (MEASURE_SIZE, MEASURE_SIZE), interpolation=cv2.INTER_CUBIC)
        big = cv2.copyMakeBorder(big, BORDER, BORDER, BORDER, BORDER, cv2.BORDER_REPLICATE)
        found = self._mesh.process(np.ascontiguousarray(big)).multi_face_landmarks
        if not found:
            return None
        mesh = np.array([(p.x, p.y) for p in found[0].landmark], dtype=np.float32)
        return mouth_aspect_ratio(mesh_to_68(mesh * (MEASURE_SIZE + 2 * BORDER)))

    def close(self) -> None:
        self._mesh.close()


@dataclass(frozen=True)
class MouthSteering:
    """Chooses the mouth guide that makes a decoder draw a wanted opening.

    `quantiles` are the target person's mouth openings from run.json (21 levels)."""

    quantiles: Sequence[float]
    meter: Callable[[RGBImage], float | None]

    @property
    def step(self) -> float:
        """Probe spacing: half the target's 10th-90th percentile spread."""
        return max((self.quantiles[18] - self.quantiles[2]) / 2, 0.02)

    @property
    def bounds(self) -> tuple[float, float]:
        low, high = self.quantiles[0], self.quantiles[-1]
        margin = WIDEN * max(high - low, 0.05)
        return max(low - margin, 0.0), high + margin

    def probes(self, target: float) -> list[float]:
        return [target - self.step, target, target + self.step]

    def solve(self, target: float, probes: Sequence[float], drawn: Sequence[float | None]) -> float:
        """The guide whose drawing opens the mouth by `target`, from the line through the
        (guide, drawn opening) probes; `target` itself when that line says nothing."""
        pairs = [(g, m) for g, m in zip(probes, drawn, strict=True) if m is not None]
        if len(pairs) < 2:
            return target
        guides, openings = np.array(pairs, dtype=np.float64).T
        slope, intercept = np.polyfit(guides, openings, 1)
        if slope < MIN_SLOPE:
            return target
        low, high = self.bounds
        return float(np.clip((target - intercept) / slope, low, high))

    def __call__(self, target: float, render: Render) -> float:
        probes = self.probes(target)
        drawn = [self.meter(face) for face in render(probes)]
        return self.solve(target, probes, drawn)


__all__ = ["MouthMeter", "MouthSteering", "Render"]
