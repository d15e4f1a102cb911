"""What the container says about itself, checked against what its streams contain.

Most of it is reported, not judged: an FFmpeg or HandBrake encoder tag, a missing
creation time or a variable frame rate are what every upload, phone and re-encode
produces. Only statements that cannot all be true count as contradictions: a declared
frame rate the timestamps do not keep, a sound track that runs much longer or shorter
than the picture (the tell of a picture slowed without its sound), or a creation time in
the future. Two creation times days apart are reported, not judged: they say the clip was
re-edited after it was recorded, which music videos and news packages always are.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import av.error
import numpy as np

from fauxlab.detection.detectors.shallowfake.frames import FrameSignals
from fauxlab.errors import CorruptMediaError

RATE_MISMATCH = 0.05  # declared vs timestamped frame rate, relative
DURATION_MISMATCH_S, DURATION_MISMATCH = 0.5, 0.05  # audio vs video, both must be exceeded
VARIABLE_RATE = 0.1  # coefficient of variation of frame intervals above which we say "variable"
CREATION_SPREAD = dt.timedelta(days=1)
CAMERA_KEYS = ("make", "model", "com.apple.quicktime", "com.android", "manufacturer")


@dataclass(frozen=True)
class Metadata:
    """Observed facts (JSON-safe), notes worth a look, and real contradictions."""

    facts: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    contradictions: list[str] = field(default_factory=list)


def _seconds(stream: Any) -> float | None:
    if stream.duration is None or stream.time_base is None:
        return None
    return float(stream.duration * stream.time_base)


def _parse_time(text: str) -> dt.datetime | None:
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def _read_container(path: Path) -> dict[str, Any]:
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except av.error.FFmpegError as exc:
        raise CorruptMediaError(f"{path}: cannot be opened") from exc
    with container:
        video = container.streams.video[0] if container.streams.video else None
        audio = container.streams.audio[0] if container.streams.audio else None
        tags = {str(k): str(v) for k, v in container.metadata.items()}
        stream_tags = [{str(k): str(v) for k, v in s.metadata.items()} for s in container.streams]
        return {
            "container": container.format.name,
            "tags": tags,
            "stream_tags": stream_tags,
            "declared_fps": float(video.average_rate)
            if video is not None and video.average_rate
            else None,
            "declared_frames": int(video.frames) if video is not None and video.frames else None,
            "video_seconds": _seconds(video) if video is not None else None,
            "audio_seconds": _seconds(audio) if audio is not None else None,
            "audio_codec": audio.codec_context.name if audio is not None else None,
        }


def _timing(signals: FrameSignals) -> dict[str, Any]:
    times = signals.times
    if len(times) < 3:
        return {"decoded_frames": len(times)}
    intervals = np.diff(times)
    span = float(times[-1] - times[0])
    return {
        "decoded_frames": len(times),
        "timestamped_fps": (len(times) - 1) / span if span > 0 else None,
        "interval_variation": float(intervals.std() / intervals.mean())
        if intervals.mean() > 0
        else None,
    }


def _creation_times(raw: dict[str, Any]) -> list[dt.datetime]:
    texts = [
        raw["tags"].get("creation_time"),
        *(t.get("creation_time") for t in raw["stream_tags"]),
    ]
    return [w for w in (_parse_time(t) for t in texts if t) if w is not None]


def read_metadata(path: Path, signals: FrameSignals) -> Metadata:
    """Facts about `path` and the contradictions among them."""
    raw = _read_container(path)
    timing = _timing(signals)
    tags: dict[str, str] = raw["tags"]
    camera = sorted(
        k
        for t in [tags, *raw["stream_tags"]]
        for k in t
        if any(c in k.lower() for c in CAMERA_KEYS)
    )
    facts: dict[str, Any] = {
        "container": raw["container"],
        "encoder": tags.get("encoder"),
        "creation_time": tags.get("creation_time"),
        "camera_tags": camera,
        "declared_fps": raw["declared_fps"],
        "declared_frames": raw["declared_frames"],
        "video_seconds": raw["video_seconds"],
        "audio_seconds": raw["audio_seconds"],
        **timing,
    }
    notes: list[str] = []
    contradictions: list[str] = []
    declared, measured = raw["declared_fps"], timing.get("timestamped_fps")
    if declared and measured and abs(measured / declared - 1) > RATE_MISMATCH:
        contradictions.append(
            f"the header declares {declared:.3f} fps but the frames' timestamps run at "
            f"{measured:.3f} fps"
        )
    video_s, audio_s = raw["video_seconds"], raw["audio_seconds"]
    if video_s and audio_s:
        gap = audio_s - video_s
        if abs(gap) > DURATION_MISMATCH_S and abs(gap) > DURATION_MISMATCH * video_s:
            longer = "longer" if gap > 0 else "shorter"
            contradictions.append(
                f"the sound runs {abs(gap):.2f} s {longer} than the picture "
                f"({audio_s:.2f} s against {video_s:.2f} s)"
            )
    variation = timing.get("interval_variation")
    if variation is not None and variation > VARIABLE_RATE:
        notes.append(
            f"variable frame rate (frame intervals vary by {100 * variation:.0f}%), usual for "
            "phone and screen recordings"
        )
    encoder = tags.get("encoder")
    if encoder:
        notes.append(f"written by {encoder}: re-encoded or re-packaged after recording")
    created = _creation_times(raw)
    if created:
        now = dt.datetime.now(dt.UTC)
        if max(created) > now + dt.timedelta(days=1):
            contradictions.append(f"a creation time in the future ({max(created).isoformat()})")
        if max(created) - min(created) > CREATION_SPREAD:
            notes.append(
                f"creation times {min(created).date()} and {max(created).date()} differ: "
                "re-edited after it was recorded"
            )
    declared_frames = raw["declared_frames"]
    if declared_frames and abs(declared_frames - len(signals.times)) > max(
        2, 0.02 * declared_frames
    ):
        notes.append(
            f"the header lists {declared_frames} frames but {len(signals.times)} decode "
            "(an edit list trims the clip)"
        )
    return Metadata(facts, notes, contradictions)
