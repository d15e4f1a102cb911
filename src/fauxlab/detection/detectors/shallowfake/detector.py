"""The "shallowfake" detector: real footage slowed down, sped up or spliced.

No face is needed and nothing is learned: the evidence is the rhythm of the frames
(`cadence`, `speed`), jumps between them (`cuts`), the container's own statements
(`metadata`), and how fast the face and the voice move (`motion`, `voice`), each
measured against what ordinary footage does. It costs one extra greyscale decode of
the video, about a tenth of what finding the faces costs (docs/shallowfakes.md).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from fauxlab.detection.analysed import AnalysedMedia
from fauxlab.detection.detectors.shallowfake import SPEC
from fauxlab.detection.detectors.shallowfake.cadence import (
    Pattern,
    Repeats,
    find_pattern,
    find_repeats,
)
from fauxlab.detection.detectors.shallowfake.cuts import (
    CHANGE_RATIO,
    HISTOGRAM_RATIO,
    Cut,
    find_cuts,
)
from fauxlab.detection.detectors.shallowfake.figure import change_figure
from fauxlab.detection.detectors.shallowfake.frames import FloatArray, FrameSignals, read_signals
from fauxlab.detection.detectors.shallowfake.metadata import Metadata, read_metadata
from fauxlab.detection.detectors.shallowfake.motion import (
    HEAD_SPEED_NORMAL,
    LIP_SPEED_NORMAL,
    Motion,
    measure_motion,
)
from fauxlab.detection.detectors.shallowfake.score import (
    combine,
    cuts_part,
    hints_part,
    metadata_part,
    speed_part,
    summary,
)
from fauxlab.detection.detectors.shallowfake.speed import (
    CONVERSION,
    LOW_RATE,
    MIN_EXPLAINED,
    UNUSUAL,
    SpeedFinding,
    from_pattern,
    from_repeats,
    with_voice,
)
from fauxlab.detection.detectors.shallowfake.voice import (
    PITCH_NORMAL,
    TEMPO_NORMAL,
    VOICE_RATE,
    Voice,
    analyse_voice,
)
from fauxlab.detection.evidence import Edit, Evidence, edits_summary
from fauxlab.media.audio import read_audio

NAME = SPEC.name
MIN_FRAMES = 48  # a 4-frame cycle needs a dozen repetitions to be told from chance
MIN_SECONDS = 1.5


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def _speed_details(
    finding: SpeedFinding, repeats: Repeats, pattern: Pattern | None, fps: float
) -> dict[str, Any]:
    return {
        "finding": finding.kind,
        "explanation": finding.sentence(),
        "declared_fps": round(fps, 3),
        "source_fps": _round(finding.source_fps),
        "camera_fps": finding.camera_fps,
        "speed": finding.speed,
        "repeated_frames": {
            "count": len(repeats.indices),
            "share_of_moving_frames": round(repeats.fraction, 4),
            "spacing_frames": _round(repeats.spacing),
            "regularity": round(repeats.regularity, 3),
            "normal": "none, or a regular cadence implying a camera frame rate",
        },
        "frame_cycle": None
        if pattern is None
        else {
            "period_frames": pattern.period,
            "explained_share": round(pattern.explained, 3),
            "log10_p": round(pattern.log10_p, 1),
            "harmonics_per_frame": [round(f, 4) for f in pattern.frequencies],
            "normal": f"explains < {MIN_EXPLAINED} of the variation, or implies a camera rate",
        },
    }


def _motion_details(motion: Motion) -> dict[str, Any]:
    def item(value: float | None, normal: tuple[float, float], unit: str) -> dict[str, Any]:
        return {"observed": _round(value), "normal": list(normal), "unit": unit}

    return {
        "seconds_tracked": round(motion.seconds, 2),
        "head_speed": item(motion.head_speed, HEAD_SPEED_NORMAL, "eye distances per second"),
        "lip_speed": item(motion.lip_speed, LIP_SPEED_NORMAL, "eye distances per second"),
    }


def _voice_details(voice: Voice | None) -> dict[str, Any] | None:
    if voice is None:
        return None
    return {
        "speech_seconds": round(voice.speech_seconds, 2),
        "voiced_share": round(voice.voiced_share, 3),
        "pitch_hz": {"observed": _round(voice.pitch_hz, 1), "normal": list(PITCH_NORMAL)},
        "pitch_spread_hz": _round(voice.pitch_spread_hz, 1),
        "syllables_per_second": {
            "observed": _round(voice.syllables_per_second, 2),
            "normal": list(TEMPO_NORMAL),
        },
    }


def _cut_details(cuts: list[Cut]) -> dict[str, Any]:
    return {
        "found": [
            {"frame": c.frame, "time": round(c.time, 3), "kind": c.kind, "measured": c.measured}
            for c in cuts
        ],
        "normal": (
            f"no frame pair changes >= {CHANGE_RATIO:g}x (picture) or {HISTOGRAM_RATIO:g}x "
            "(histogram) the running level of its neighbours; no face jump"
        ),
    }


def _metadata_details(metadata: Metadata) -> dict[str, Any]:
    return {
        "facts": metadata.facts,
        "notes": metadata.notes,
        "contradictions": metadata.contradictions,
    }


def _edits(speed: SpeedFinding, cuts: list[Cut]) -> list[Edit]:
    """What ordinary editing left: camera cuts, and retiming that is not a speed change."""
    found = [Edit("cut", c.time, c.strength, c.measured) for c in cuts if c.kind == "picture"]
    if speed.kind in (CONVERSION, LOW_RATE, UNUSUAL):
        found.append(Edit("retiming", None, speed.strength, speed.sentence()))
    return found


def not_applicable(media: AnalysedMedia) -> str | None:
    """Why this detector cannot judge `media`, or None when it can."""
    if not media.is_video:
        return "A still image has no playback speed or cuts to check."
    duration = media.video.duration if media.video is not None else 0.0
    if len(media.frames) < MIN_FRAMES or duration < MIN_SECONDS:
        return (
            f"The clip is too short ({len(media.frames)} frames) to judge its playback speed "
            f"or continuity; at least {MIN_FRAMES} frames are needed."
        )
    return None


def _voice_samples(media: AnalysedMedia) -> FloatArray | None:
    """The sound track as mono samples at the voice checks' rate, None without sound."""
    audio = read_audio(media.path, VOICE_RATE) if media.has_audio else None
    return None if audio is None else audio.samples.astype(np.float64)


class ShallowfakeDetector:
    """Playback-speed changes, splices and contradicting metadata in real footage."""

    name = NAME

    def examine(self, media: AnalysedMedia) -> Evidence:
        reason = not_applicable(media)
        if reason is not None:
            return Evidence(NAME, None, reason, weight=SPEC.weight)
        start = time.perf_counter()
        signals = read_signals(media.path)
        fps = media.fps or _timestamped_fps(signals)
        repeats = find_repeats(signals.change)
        pattern = find_pattern(signals.change, signals.bend, signals.coding)
        readings = [from_repeats(repeats, fps), from_pattern(pattern, fps)]
        motion = measure_motion(media)
        samples = _voice_samples(media)
        voice = analyse_voice(samples) if samples is not None else None
        natural = voice is not None and voice.judged and voice.pitch_normal and voice.tempo_normal
        speed = with_voice(max(readings, key=lambda f: speed_part(f).probability), natural)
        cuts = find_cuts(signals, media)
        metadata = read_metadata(media.path, signals)
        edits = _edits(speed, cuts)
        parts = [
            speed_part(speed),
            cuts_part(cuts),
            metadata_part(metadata),
            hints_part(motion, voice),
        ]
        probability = combine(parts)
        details: dict[str, Any] = {
            "playback_speed": _speed_details(speed, repeats, pattern, fps),
            "cuts": _cut_details(cuts),
            "metadata": _metadata_details(metadata),
            "motion": _motion_details(motion),
            "voice": _voice_details(voice),
            "parts": {p.name: round(p.probability, 4) for p in parts},
            "combination": "noisy-OR of the parts' probabilities (score.py)",
            "frames_decoded": signals.frame_count,
            "seconds": round(time.perf_counter() - start, 3),
            "decode_seconds": round(signals.seconds, 3),
        }
        return Evidence(
            NAME,
            probability,
            summary(parts, edits_summary(edits)),
            details=details,
            figures=[change_figure(signals, repeats.indices, cuts)],
            weight=SPEC.weight,
            edits=edits,
        )


def _timestamped_fps(signals: FrameSignals) -> float:
    span = float(signals.times[-1] - signals.times[0])
    return (signals.frame_count - 1) / span if span > 0 else 25.0
