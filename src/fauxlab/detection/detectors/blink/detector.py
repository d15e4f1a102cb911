"""Blink evidence: does the person blink as people do?

Early deepfakes rarely blinked (their training photos had open eyes; Li, Chang and Lyu
2018, "In Ictu Oculi"), so a face that never blinks over a long clip is a weak sign of
forgery. Modern fakes blink, and real people sometimes blink little (reading, focused,
on stage), so this is a weak cue: a low weight, and it only ever says "fake" modestly.

How a blink is found, per tracked face, from the eye aspect ratio (EAR, Soukupova and
Cech 2016) of each eye in every frame. FaceMesh eyelid points are used when the backend
gives the mesh (five lid pairs per eye, unsmoothed): on the six hand-counted shared clips
they find every blink, where the smoothed 68-point EAR misses up to two per clip.

1. Each eye's *open level* is the 80th percentile of its EAR over a sliding 2.5 s window
   (blinks fill under a tenth of the time, so this is the open eye, and a head turn or an
   expression that changes the eye's shape moves it along), floored at 0.8 of the track's
   overall level so that eyes held shut for seconds do not become the new "open".
2. A frame is *closed* when both eyes are well shut relative to their open level: their
   mean below 0.5 and the more open eye below 0.6 (a wink or a squint is not a blink).
3. Closed stretches merge unless the eyes reopen (the more open eye at 0.6 or more) for
   two frames: FaceMesh flickers for single frames while eyes are shut.
4. Each closure extends while the eyes are still a quarter shut (below 0.75), and counts
   as a blink when it lasts two frames or more. One longer than 1 s is not a blink but
   eyes held shut or lowered (looking down); those are reported apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

from fauxlab.charts import Series, Span, line_chart, palette
from fauxlab.detection.analysed import AnalysedMedia, FrameRecord
from fauxlab.detection.detectors.blink import SPEC
from fauxlab.detection.evidence import Evidence, Figure
from fauxlab.faces.landmarks import LEFT_EYE, RIGHT_EYE, eye_aspect_ratio
from fauxlab.faces.types import Face

Floats = NDArray[np.float64]
Track = list[tuple[FrameRecord, Face]]

OPEN_WINDOW_S = 2.5
OPEN_PERCENTILE = 80.0
OPEN_FLOOR = 0.8
CLOSED_MEAN = 0.5
CLOSED_BOTH = 0.6
REOPENED = 0.6
REOPEN_FRAMES = 2
EXTENT = 0.75
MIN_FRAMES = 2
HELD_S = 1.0

MIN_SECONDS = 10.0  # shorter clips: a rate over a few seconds says nothing
MIN_COVERAGE = 0.5  # share of the clip's frames the main face must be tracked in
MIN_EYE_PX = 6.0  # blinks were still counted right at 4 px wide eyes (downscaled clips)
OTHER_TRACK_S = 2.0

# Human norms. Rates: Doughty 2001 (Optom Vis Sci 78:712), 95% ranges over studies:
# 8.0-21.0 a minute in primary gaze, 10.5-32.5 in conversation, 1.4-14.4 reading;
# Bentivoglio et al. 1997 (Mov Disord 12:1028): means 17 at rest, 26 talking, 4.5 reading.
# Duration 100-400 ms (BioNumbers 100706); Stern et al. 1984: up to about 500 ms.
NORMAL_RATE = (8.0, 32.0)
NORMAL_DURATION_MS = (100.0, 400.0)
LONG_DURATION_MS = 500.0
P_NORMAL, P_MAX, P_LONG = 0.1, 0.7, 0.4
SURPRISE = 0.25  # a count at least this likely for a low-normal blinker is unremarkable

# FaceMesh eyelids: corners, then upper/lower lid pairs from the outer to the inner corner.
_MESH_EYES = (
    ((33, 133), ((161, 163), (160, 144), (159, 145), (158, 153), (157, 154))),
    ((263, 362), ((388, 390), (387, 373), (386, 374), (385, 380), (384, 381))),
)


def _mesh_ear(
    mesh: NDArray[np.float32], corners: tuple[int, int], pairs: tuple[tuple[int, int], ...]
) -> float:
    width = float(np.linalg.norm(mesh[corners[0]] - mesh[corners[1]]))
    height = float(np.mean([np.linalg.norm(mesh[a] - mesh[b]) for a, b in pairs]))
    return height / width if width > 0 else 0.0


def eye_openness(face: Face) -> tuple[float, float, float]:
    """EAR of the subject's right and left eye, and the eye width in pixels."""
    if face.mesh is not None and len(face.mesh) >= 468:
        (rc, rp), (lc, lp) = _MESH_EYES
        width = float(np.linalg.norm(face.mesh[rc[0]] - face.mesh[rc[1]]))
        return _mesh_ear(face.mesh, rc, rp), _mesh_ear(face.mesh, lc, lp), width
    right, left = face.landmarks[RIGHT_EYE], face.landmarks[LEFT_EYE]
    width = float(np.linalg.norm(right[0] - right[3]))
    return eye_aspect_ratio(right), eye_aspect_ratio(left), width


def _rolling_percentile(values: Floats, size: int, q: float) -> Floats:
    half = max(1, size // 2)
    windows = sliding_window_view(np.pad(values, half, mode="edge"), 2 * half + 1)
    level: Floats = np.percentile(windows, q, axis=1).astype(np.float64)
    return level


def open_level(ear: Floats, fps: float) -> Floats:
    """Each frame's EAR of this eye when open (step 1 of the module docstring)."""
    level = _rolling_percentile(ear, round(OPEN_WINDOW_S * fps), OPEN_PERCENTILE)
    floor = OPEN_FLOOR * float(np.percentile(ear, OPEN_PERCENTILE))
    result: Floats = np.maximum(level, max(floor, 1e-6))
    return result


def relative_openness(ear: Floats, fps: float) -> Floats:
    """Each frame's EAR over the eye's open level (1 = open as usual, 0 = shut)."""
    return ear / open_level(ear, fps)


def _runs(mask: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """(first, last) index of each stretch of True."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], mask.astype(np.int8), [0]))))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def find_closures(right: Floats, left: Floats, fps: float) -> list[tuple[int, int, int]]:
    """(first, last, deepest) frame positions of each eye closure of two frames or more
    (the module docstring gives the rule)."""
    r_right, r_left = relative_openness(right, fps), relative_openness(left, fps)
    mean, both = (r_right + r_left) / 2, np.maximum(r_right, r_left)
    groups: list[list[int]] = []
    for first, last in _runs((mean < CLOSED_MEAN) & (both < CLOSED_BOTH)):
        between = both[groups[-1][1] + 1 : first] >= REOPENED if groups else None
        if between is not None and all(b - a + 1 < REOPEN_FRAMES for a, b in _runs(between)):
            groups[-1][1] = last
        else:
            groups.append([first, last])
    closures = []
    for i, (first, last) in enumerate(groups):
        low = groups[i - 1][1] + 1 + int(np.argmax(both[groups[i - 1][1] + 1 : first])) if i else 0
        high = len(both) - 1
        if i + 1 < len(groups):
            high = last + int(np.argmax(both[last + 1 : groups[i + 1][0]]))
        while first - 1 >= low and both[first - 1] < EXTENT:
            first -= 1
        while last + 1 <= high and both[last + 1] < EXTENT:
            last += 1
        if last - first + 1 >= MIN_FRAMES:
            closures.append((first, last, first + int(np.argmin(mean[first : last + 1]))))
    return closures


@dataclass(frozen=True)
class Blink:
    """One closure of both eyes: frames (decode order), times in seconds, how long."""

    start_frame: int
    end_frame: int
    deepest_frame: int
    time: float
    duration_ms: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "start_frame": self.start_frame,
            "end_frame": self.end_frame,
            "deepest_frame": self.deepest_frame,
            "time": round(self.time, 3),
            "duration_ms": round(self.duration_ms),
        }


@dataclass(frozen=True)
class TrackBlinks:
    """The blinks of one tracked face, with the series behind them (for the chart)."""

    track_id: int
    times: Floats
    ear: Floats  # mean of both eyes
    threshold: Floats  # the adaptive "closed" level in EAR units
    blinks: list[Blink]
    held: list[Blink]  # closures over HELD_S: eyes held shut or lowered
    seconds: float
    eye_width: float
    landmarks: str

    @property
    def rate(self) -> float:
        return len(self.blinks) / self.seconds * 60.0 if self.seconds > 0 else 0.0

    @property
    def durations(self) -> list[float]:
        return [b.duration_ms for b in self.blinks]

    @property
    def intervals(self) -> list[float]:
        return [b.time - a.time for a, b in zip(self.blinks, self.blinks[1:], strict=False)]

    def summary_dict(self) -> dict[str, Any]:
        return {
            "track_id": self.track_id,
            "seconds": round(self.seconds, 2),
            "count": len(self.blinks),
            "rate_per_min": round(self.rate, 1),
        }


def measure_track(track: Track, fps: float) -> TrackBlinks:
    """Find the blinks of one face along the video."""
    rows = np.array([eye_openness(face) for _, face in track], dtype=np.float64)
    frames = [record.index for record, _ in track]
    times = np.array([record.time for record, _ in track], dtype=np.float64)
    right, left = rows[:, 0], rows[:, 1]
    blinks: list[Blink] = []
    held: list[Blink] = []
    for first, last, deepest in find_closures(right, left, fps):
        duration = (times[last] - times[first] + 1.0 / fps) * 1000.0
        blink = Blink(frames[first], frames[last], frames[deepest], times[deepest], duration)
        (held if duration > HELD_S * 1000.0 else blinks).append(blink)
    level = (open_level(right, fps) + open_level(left, fps)) / 2
    mesh = track[0][1].mesh is not None
    return TrackBlinks(
        track_id=track[0][1].track_id,
        times=times,
        ear=(right + left) / 2,
        threshold=CLOSED_MEAN * level,
        blinks=blinks,
        held=held,
        seconds=len(track) / fps,
        eye_width=float(np.median(rows[:, 2])),
        landmarks="FaceMesh eyelids (5 pairs per eye)" if mesh else "68-point EAR",
    )


def _poisson_cdf(count: int, mean: float) -> float:
    """P(N <= count) for a Poisson count with this mean."""
    return math.exp(-mean) * sum(mean**k / math.factorial(k) for k in range(count + 1))


def blink_probability(count: int, seconds: float, durations_ms: list[float]) -> float:
    """A modest P(fake): how unlikely this few blinks would be for someone at the low end
    of the normal range (Poisson counts), and blinks far longer than people's."""
    tail = _poisson_cdf(count, NORMAL_RATE[0] * seconds / 60.0)
    p = P_NORMAL + (P_MAX - P_NORMAL) * (1.0 - min(1.0, tail / SURPRISE))
    if len(durations_ms) >= 3 and float(np.median(durations_ms)) > LONG_DURATION_MS:
        p = max(p, P_LONG)
    return p


def _summary(result: TrackBlinks, p: float) -> str:
    n, secs, rate = len(result.blinks), result.seconds, result.rate
    norm = f"{NORMAL_RATE[0]:.0f}-{NORMAL_RATE[1]:.0f} a minute"
    if n == 0:
        return (
            f"The person did not blink once in {secs:.0f} s, where most people blink {norm}; "
            "early deepfakes often failed to blink."
        )
    said = (
        f"The person blinked {n} time{'s' if n > 1 else ''} in {secs:.0f} s ({rate:.0f} a minute)"
    )
    durations = result.durations
    if len(durations) >= 3 and float(np.median(durations)) > LONG_DURATION_MS:
        typical = float(np.median(durations))
        return f"{said}, but a blink lasted about {typical:.0f} ms, longer than the usual 100-400."
    if rate > NORMAL_RATE[1]:
        return f"{said}, more often than the usual {norm}, which is common and not held against it."
    if rate < NORMAL_RATE[0] and p > P_NORMAL:
        return f"{said}, less often than the usual {norm}: uncommonly few over {secs:.0f} s."
    if rate < NORMAL_RATE[0]:
        return f"{said}, less often than the usual {norm}, but not unusually few over {secs:.0f} s."
    return f"{said}, within the normal human range of {norm}."


def _figure(result: TrackBlinks) -> Figure:
    t, top = result.times.tolist(), float(np.max(result.ear)) * 1.05
    blinks = [
        Span(
            b.time - b.duration_ms / 2000.0,
            b.time + b.duration_ms / 2000.0,
            "blink",
            palette.SKY_BLUE,
        )
        for b in result.blinks
    ]
    chart = line_chart(
        [
            Series("eye openness", list(zip(t, result.ear.tolist(), strict=True)), palette.BLUE),
            Series(
                "closed below this",
                list(zip(t, result.threshold.tolist(), strict=True)),
                colour=palette.BLACK,
                dashed=True,
            ),
        ],
        title=f"Eye openness of face {result.track_id} and the blinks found",
        x_title="time into the video (seconds)",
        y_title="eye openness (EAR)",
        y_range=(0.0, top),
        spans=blinks,
    )
    return Figure(
        "blinks",
        f"Eye aspect ratio over time (both eyes averaged), the adaptive level below which "
        f"the eyes count as closed, and the {len(result.blinks)} blinks found (shaded).",
        chart,
        "svg",
    )


def _details(main: TrackBlinks, others: list[TrackBlinks], coverage: float) -> dict[str, Any]:
    durations = main.durations
    return {
        "track_id": main.track_id,
        "landmarks": main.landmarks,
        "seconds_tracked": round(main.seconds, 2),
        "coverage": round(coverage, 3),
        "eye_width_px": round(main.eye_width, 1),
        "count": len(main.blinks),
        "rate_per_min": round(main.rate, 1),
        "durations_ms": [round(d) for d in durations],
        "median_duration_ms": round(float(np.median(durations))) if durations else None,
        "intervals_s": [round(i, 2) for i in main.intervals],
        "blinks": [b.to_dict() for b in main.blinks],
        "held_closures": [b.to_dict() for b in main.held],
        "threshold": {
            "rule": "both eyes below half their open level (mean), the more open below 0.6",
            "open_level": f"{OPEN_PERCENTILE:.0f}th percentile of each eye's EAR over "
            f"{OPEN_WINDOW_S} s",
            "median_closed_below_ear": round(float(np.median(main.threshold)), 4),
        },
        "normal_range": {
            "rate_per_min": list(NORMAL_RATE),
            "mean_at_rest": 17,
            "mean_talking": 26,
            "duration_ms": list(NORMAL_DURATION_MS),
            "sources": "Doughty 2001; Bentivoglio et al. 1997; BioNumbers 100706",
        },
        "other_tracks": [o.summary_dict() for o in others],
    }


class BlinkDetector:
    """Counts blinks along the main face's track and compares them with human norms."""

    name = SPEC.name

    def examine(self, media: AnalysedMedia) -> Evidence:
        if not media.is_video:
            return self._cannot("A still image has no blinks to count.")
        tracks = sorted(media.tracks().values(), key=len, reverse=True)
        if not tracks:
            return self._cannot("No face was found, so there were no eyes to watch.")
        fps = media.fps or 25.0
        if len(tracks[0]) < 3:
            return self._cannot("The face was seen in too few frames to watch its eyes.")
        main = measure_track(tracks[0], fps)
        others = [measure_track(t, fps) for t in tracks[1:] if len(t) >= OTHER_TRACK_S * fps]
        coverage = len(tracks[0]) / max(1, len(media.frames))
        details = _details(main, others, coverage)
        figures = [_figure(main)]
        n = len(main.blinks)
        counted = f"The person blinked {n} time{'s' if n != 1 else ''}" if n else "No blink"
        reason = None
        if main.eye_width < MIN_EYE_PX:
            reason = (
                f"The eyes are too small (about {main.eye_width:.0f} pixels wide) to see blinks."
            )
        elif coverage < MIN_COVERAGE:
            reason = (
                f"The face was tracked in only {coverage:.0%} of the frames, too few to count "
                "blinks."
            )
        elif main.seconds < MIN_SECONDS:
            reason = (
                f"{counted} in {main.seconds:.0f} s, but a clip under {MIN_SECONDS:.0f} s is "
                "too short to judge how often someone blinks."
            )
        if reason is not None:
            return Evidence(self.name, None, reason, details, figures=figures, weight=SPEC.weight)
        p = blink_probability(len(main.blinks), main.seconds, main.durations)
        details["probability_rule"] = (
            "0.1 when the count is unremarkable, up to 0.7 as it becomes unlikely for a "
            "person blinking 8 a minute (Poisson); at least 0.4 when blinks last over 500 ms"
        )
        return Evidence(
            self.name, p, _summary(main, p), details, figures=figures, weight=SPEC.weight
        )

    def _cannot(self, why: str) -> Evidence:
        return Evidence(self.name, None, why, weight=SPEC.weight)
