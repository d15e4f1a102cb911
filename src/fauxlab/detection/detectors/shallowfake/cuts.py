"""Cuts and splices inside what should be one continuous shot.

Inside one shot consecutive frames differ a little and smoothly; a splice makes one pair
of frames differ far more than the pairs around it. A cut to another shot (the whole
picture and its brightness histogram change) is ordinary editing; a cut inside one shot,
where the scene stays and the person jumps, is how words are removed from a speech.

A cut is flagged only when a pair stands out against the clip's own running level (so a
fast-moving clip does not raise alarms that a still one would) *and* by an absolute
amount. A jump cut that keeps the
same background (words removed from a speech) can change the picture too little for
that, but the speaker's face jumps: the tracked face moving further in one frame than
it ever does between neighbouring frames is the second check.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from fauxlab.detection.analysed import AnalysedMedia
from fauxlab.detection.detectors.shallowfake.frames import FloatArray, FrameSignals

NEIGHBOURS = 5  # frame pairs each side that set the running level
EDGE = 2  # pairs at the very start and end are not judged (fades, a first odd frame)
# A picture cut: the pair changes >= 6x its running level and >= 6 grey levels, and its
# grey histogram jumps too; or the histogram alone jumps >= 5x. Over the 21 shared real
# clips the highest ratios were 4.9 (change) and 2.4 (histogram).
CHANGE_RATIO, CHANGE_MIN = 6.0, 6.0
HISTOGRAM_RATIO_WITH_CHANGE = 2.5
HISTOGRAM_RATIO, HISTOGRAM_MIN = 5.0, 0.2
# Where the grey histogram moves less than this (its L1 distance between the two frames),
# the scene stayed and only the person jumped: a jump cut (a voxceleb clip with one second
# cut out: 0.15). A cut to another shot moves it far more (two clips joined: 1.1; a music
# video's camera cuts: 0.87 and 1.0).
SCENE_CHANGE_MIN = 0.4
# A face jump: the face centre moves >= 0.25 face widths in one frame and >= 8x its
# running level.
FACE_JUMP_MIN, FACE_JUMP_RATIO = 0.25, 8.0


@dataclass(frozen=True)
class Cut:
    """One place where the clip does not continue from the frame before."""

    frame: int  # the first frame after the cut
    time: float
    kind: str  # "picture" (a camera cut to another shot), "jump cut" or "face jump"
    strength: float  # how far past the threshold: 1 = just at it
    measured: str  # what was measured there, for a person


def running_level(values: FloatArray, neighbours: int = NEIGHBOURS) -> FloatArray:
    """Upper quartile of each value's neighbours, the value itself left out."""
    if len(values) < 3:
        return values.copy()
    width = min(neighbours, len(values) - 1)
    padded = np.pad(values, (width, width), mode="reflect")
    windows = np.delete(sliding_window_view(padded, 2 * width + 1), width, axis=1)
    return np.asarray(np.percentile(windows, 75, axis=1))


def picture_cuts(signals: FrameSignals) -> list[Cut]:
    """Frame pairs whose difference stands far above the running level."""
    change, jump = signals.change, signals.histogram_jump
    if len(change) < 2 * EDGE + 3:
        return []
    change_ratio = change / np.maximum(running_level(change), 0.5)
    jump_ratio = jump / np.maximum(running_level(jump), 0.01)
    cuts: list[Cut] = []
    for i in range(EDGE, len(change) - EDGE):
        by_change = (
            change_ratio[i] >= CHANGE_RATIO
            and change[i] >= CHANGE_MIN
            and jump_ratio[i] >= HISTOGRAM_RATIO_WITH_CHANGE
        )
        by_histogram = jump_ratio[i] >= HISTOGRAM_RATIO and jump[i] >= HISTOGRAM_MIN
        if by_change or by_histogram:
            strength = max(change_ratio[i] / CHANGE_RATIO, jump_ratio[i] / HISTOGRAM_RATIO)
            same_scene = jump[i] < SCENE_CHANGE_MIN
            cuts.append(
                Cut(
                    i + 1,
                    float(signals.times[i + 1]),
                    "jump cut" if same_scene else "picture",
                    float(strength),
                    f"the picture changed {change_ratio[i]:.1f}x and its brightness histogram "
                    f"{jump_ratio[i]:.1f}x more than between the frames around it",
                )
            )
    return cuts


def face_jumps(media: AnalysedMedia) -> list[Cut]:
    """Frames where the main tracked face jumps further than it ever moves nearby.

    Consecutive frames are compared whatever their track ids: a tracker that loses a face
    at a splice gives the face that appears a new id."""
    centres: list[tuple[int, float, float, float, float]] = []
    for frame in media.frames:
        if len(frame.faces) != 1:  # only unambiguous frames: one face
            continue
        face = frame.faces[0]
        x0, y0, x1, y1 = face.box
        centres.append((frame.index, frame.time, (x0 + x1) / 2, (y0 + y1) / 2, max(1.0, x1 - x0)))
    if len(centres) < 2 * EDGE + 3:
        return []
    table = np.asarray(centres, dtype=np.float64)
    consecutive = np.diff(table[:, 0]) == 1
    step = np.hypot(np.diff(table[:, 2]), np.diff(table[:, 3])) / table[1:, 4]
    level = running_level(step)
    cuts: list[Cut] = []
    for i in range(EDGE, len(step) - EDGE):
        if not consecutive[i]:
            continue
        ratio = step[i] / max(float(level[i]), 0.01)
        if step[i] >= FACE_JUMP_MIN and ratio >= FACE_JUMP_RATIO:
            cuts.append(
                Cut(
                    int(table[i + 1, 0]),
                    float(table[i + 1, 1]),
                    "face jump",
                    float(min(ratio / FACE_JUMP_RATIO, step[i] / FACE_JUMP_MIN)),
                    f"the face moved {step[i]:.2f} face widths in one frame, "
                    f"{ratio:.0f}x its usual movement",
                )
            )
    return cuts


def find_cuts(signals: FrameSignals, media: AnalysedMedia) -> list[Cut]:
    """Picture cuts, plus face jumps that no picture cut already explains."""
    cuts = picture_cuts(signals)
    seen = {c.frame for c in cuts}
    extra = [c for c in face_jumps(media) if not seen & {c.frame - 1, c.frame, c.frame + 1}]
    return sorted([*cuts, *extra], key=lambda c: c.frame)
