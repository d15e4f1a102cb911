"""The temporal detector: four consistency measures of the main face, against real clips.

It reuses what `AnalysedMedia` holds: landmarks on every frame for the jitter, the
keyframes' pixels for flicker, identity and colour (nothing is decoded again). A
measure that cannot be taken (too few frames or keyframes, a region off the picture) is
left out; when none can, the evidence says "not applicable" and why, never "real".
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from numpy.typing import NDArray

from fauxlab.detection.analysed import AnalysedMedia
from fauxlab.detection.detectors.temporal import SPEC
from fauxlab.detection.detectors.temporal.colour import JUDGED_AXIS, ColourSeries, colour_series
from fauxlab.detection.detectors.temporal.drift import Embedder, identity_drift
from fauxlab.detection.detectors.temporal.figure import timeline
from fauxlab.detection.detectors.temporal.flicker import pair_flicker
from fauxlab.detection.detectors.temporal.jitter import track_jitter
from fauxlab.detection.detectors.temporal.score import NORMS
from fauxlab.detection.evidence import Evidence
from fauxlab.detection.norms import P_NORMAL, past_their_limits
from fauxlab.faces.types import Face
from fauxlab.media.images import RGBImage

Floats = NDArray[np.float64]
Keyframe = tuple[float, RGBImage, Face]

NAME = SPEC.name
MIN_SECONDS = 2.0  # of the main face's track: shorter says nothing about time
MIN_KEYFRAMES = 4
# Identity drift needs a long track to mean anything (a few seconds of one pose barely
# move an embedding), and dlib's embedding is the detector's one large cost (about
# 80 ms a face): on shorter tracks it is left out, which keeps the forensic evidence
# within +50% of the learned detector's time on 5-8 s clips (BENCHMARKS.md).
MIN_IDENTITY_SECONDS = 10.0

NOT_APPLICABLE = "Temporal consistency is not applicable here: "


def _cannot(why: str) -> Evidence:
    return Evidence(NAME, None, NOT_APPLICABLE + why, weight=SPEC.weight)


class TemporalDetector:
    """Flicker, jitter, identity drift and colour drift of the main face over time."""

    name = NAME

    def __init__(self) -> None:
        self._embedder: Embedder | None = None
        self._embedder_error: str | None = None

    def _embed_with(self) -> Embedder | None:
        """dlib's face embedder, loaded on first use; None (with the reason kept) when
        dlib or its model is not installed: identity is then left out."""
        if self._embedder is None and self._embedder_error is None:
            try:
                from fauxlab.faces.embedding import FaceEmbedder

                self._embedder = FaceEmbedder()
            except (ImportError, OSError, RuntimeError) as exc:
                self._embedder_error = str(exc)
        return self._embedder

    def examine(self, media: AnalysedMedia) -> Evidence:
        if not media.is_video:
            return _cannot("a still image has no time along which a face could change.")
        tracks = sorted(media.tracks().values(), key=len, reverse=True)
        if not tracks:
            return _cannot("no face was found, so there was no face to follow over time.")
        fps = media.fps or 25.0
        track = tracks[0]
        seconds = len(track) / fps
        if seconds < MIN_SECONDS:
            return _cannot(
                f"the longest face track lasts {seconds:.1f} s, under the "
                f"{MIN_SECONDS:.0f} s needed to see how a face changes over time."
            )
        track_id = track[0][1].track_id
        keyframes: list[Keyframe] = [
            (record.time, image, face)
            for record, image in media.keyframes()
            for face in record.faces
            if face.track_id == track_id
        ]
        values, curves, notes = self._measure(track, keyframes, fps)
        if not values:
            return _cannot(" ".join(notes) or "no measure could be taken.")
        parts = {name: NORMS[name].describe(value) for name, value in values.items()}
        p = max(part["probability"] for part in parts.values())
        details: dict[str, Any] = {
            "track_id": track_id,
            "seconds_tracked": round(seconds, 2),
            "keyframes_with_face": len(keyframes),
            "measures": parts,
            "not_measured": notes,
            "probability_rule": f"{P_NORMAL} at a real clip's 95th percentile or below "
            "(less towards the median), rising to 0.8 at twice it; the largest of the "
            "measures",
            "norms": "median and 95th percentile over the 21 real clips of the shared data "
            "(docs/temporal.md)",
        }
        figure = timeline(curves)
        return Evidence(NAME, p, _summary(values), details, figures=[figure], weight=SPEC.weight)

    def _measure(
        self, track: list[Any], keyframes: list[Keyframe], fps: float
    ) -> tuple[dict[str, float], dict[str, tuple[Floats, Floats]], list[str]]:
        values: dict[str, float] = {}
        curves: dict[str, tuple[Floats, Floats]] = {}
        notes: list[str] = []
        faces = [face for _, face in track]
        jitter = track_jitter(faces, [record.index for record, _ in track], fps)
        if jitter is None:
            notes.append("Jitter: the face was never followed over enough consecutive frames.")
        else:
            values["jitter"] = jitter[0]
            times = np.array([record.time for record, _ in track], np.float64)
            curves["jitter"] = (times[jitter[2]], jitter[1])
        if len(keyframes) < MIN_KEYFRAMES:
            notes.append(
                f"Flicker, identity and colour: the face is on {len(keyframes)} keyframes, "
                f"under the {MIN_KEYFRAMES} needed."
            )
            return values, curves, notes
        self._flicker(keyframes, values, curves, notes)
        self._identity(keyframes, values, curves, notes)
        _colour(colour_series(keyframes), values, curves, notes)
        return values, curves, notes

    def _flicker(
        self,
        keyframes: list[Keyframe],
        values: dict[str, float],
        curves: dict[str, tuple[Floats, Floats]],
        notes: list[str],
    ) -> None:
        pairs = [
            ((a[0] + b[0]) / 2, pair_flicker((a[1], a[2]), (b[1], b[2])))
            for a, b in itertools.pairwise(keyframes)
        ]
        found = [(t, r) for t, r in pairs if r is not None]
        if len(found) < MIN_KEYFRAMES - 1:
            notes.append("Flicker: the face's surroundings were off the picture too often.")
            return
        ratios = np.array([r for _, r in found], np.float64)
        values["flicker"] = float(np.median(ratios))
        curves["flicker"] = (np.array([t for t, _ in found], np.float64), ratios)

    def _identity(
        self,
        keyframes: list[Keyframe],
        values: dict[str, float],
        curves: dict[str, tuple[Floats, Floats]],
        notes: list[str],
    ) -> None:
        span = keyframes[-1][0] - keyframes[0][0]
        if span < MIN_IDENTITY_SECONDS:
            notes.append(
                f"Identity: the face's keyframes span {span:.1f} s; drift is measured on "
                f"{MIN_IDENTITY_SECONDS:.0f} s or more."
            )
            return
        embedder = self._embed_with()
        if embedder is None:
            notes.append(f"Identity: no face embedder ({self._embedder_error}).")
            return
        drift = identity_drift(embedder, [(image, face) for _, image, face in keyframes])
        if drift is None:
            notes.append("Identity: too few keyframes.")
            return
        values["identity"] = drift[0]
        picks = np.linspace(0, len(keyframes) - 1, len(drift[1])).round().astype(int)
        curves["identity"] = (np.array([keyframes[i][0] for i in picks], np.float64), drift[1])


def _colour(
    series: ColourSeries,
    values: dict[str, float],
    curves: dict[str, tuple[Floats, Floats]],
    notes: list[str],
) -> None:
    drifts = series.drifts()
    if not drifts:
        notes.append("Colour: neither the forehead nor the neck was visible on enough keyframes.")
        return
    best = min(drifts, key=lambda name: drifts[name])
    values["colour"] = drifts[best]
    axis = series.vectors[best][:, JUDGED_AXIS]
    curves["colour"] = (series.times[best], np.abs(axis - axis.mean()))


_SAID = {
    "flicker": "the edge of the face flickers",
    "jitter": "the landmarks jitter",
    "identity": "the face's identity wanders",
    "colour": "the face's colour drifts against the forehead and neck",
}


def _summary(values: dict[str, float]) -> str:
    excess, beyond = past_their_limits(values, NORMS)
    measured = ", ".join(NORMS[n].name for n in values)
    if not beyond:
        return (
            f"The face stays consistent over time: {measured} all within what real clips "
            "show (95% of them)."
        )
    said = "; ".join(
        f"{_SAID[n]} ({excess[n]:.1f}x the real clips' 95th percentile)" for n in beyond
    )
    return f"Over time {said}, as in faces pasted in frame by frame."
