"""One file: analyse it once, ask each detector, fuse; and what a run reports.

`fauxlab.detection.run` (many files, one by one) and `fauxlab.detection.pool` (many
files in worker processes) both build on this module, and on nothing of each other's
but what run hands the pool.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from fauxlab.detection.analysed import AnalysedMedia, AnalysisOptions, analyse
from fauxlab.detection.evidence import Detector, Edit, Evidence, Verdict
from fauxlab.detection.fusion import Bands, bands, fuse
from fauxlab.detection.registry import Skipped, detector_spec, listens
from fauxlab.detection.report.figures import face_crop, thumbnail
from fauxlab.errors import FauxlabError
from fauxlab.faces.types import Box, iou
from fauxlab.fileio import sha256_file
from fauxlab.media import expand_inputs, media_kind

FrameProgress = Callable[[int, int], None]


@dataclass(frozen=True)
class DetectOptions:
    bands: Bands = field(default_factory=bands)
    analysis: AnalysisOptions = field(default_factory=AnalysisOptions)
    jobs: int = 1  # files analysed at once, each in its own worker process (0: auto)
    figures: bool = True  # False: a worker process returns figures by name only, undrawn


@dataclass(frozen=True)
class FaceBox:
    """A face on a keyframe, with the highest fake probability any detector gave it."""

    frame: int
    time: float
    track_id: int
    box: Box
    score: float  # the face finder's confidence that this is a face
    probability: float | None


@dataclass(frozen=True)
class TimelinePoint:
    """One face-level score at one moment of a video."""

    frame: int
    time: float
    probability: float
    track_id: int
    detector: str


@dataclass(frozen=True)
class Moment:
    """A suspicious moment of a video: the face a detector scored there, as a small JPEG
    shown under the report's timeline."""

    time: float
    track_id: int
    detector: str
    probability: float
    jpeg: bytes


MOMENTS = 4  # faces shown under a video's timeline


@dataclass(frozen=True)
class FileReport:
    """Everything `fauxlab detect` says about one file."""

    path: Path
    kind: str
    sha256: str
    width: int
    height: int
    duration: float | None
    frames_analysed: int
    keyframes: int
    face_count: int
    verdict: Verdict
    probability: float | None
    decided_by: str | None
    explanation: str
    bands: Bands
    evidence: list[Evidence]
    faces: list[FaceBox]
    timeline: list[TimelinePoint]
    thumbnail: bytes | None  # JPEG of one keyframe with the face boxes drawn on
    seconds: float
    # detector -> how far its evidence moved `probability` (fusion.contributions)
    contributions: dict[str, float | None] = field(default_factory=dict)
    moments: list[Moment] = field(default_factory=list)  # videos: the most suspicious faces

    def detector_probability(self, name: str) -> float | None:
        return next((e.probability for e in self.evidence if e.detector == name), None)

    @property
    def edits(self) -> list[Edit]:
        """Ordinary edits every detector found (cuts, retiming), in time order."""
        found = [edit for e in self.evidence for edit in e.edits]
        return sorted(found, key=lambda e: (e.time is None, e.time or 0.0))


@dataclass(frozen=True)
class FileError:
    """A file that could not be examined, and why, in one line."""

    path: Path
    reason: str


@dataclass(frozen=True)
class DetectRun:
    """The outcome for a set of inputs: reports, unreadable files, detectors used."""

    files: list[FileReport]
    errors: list[FileError]
    detectors: list[str]
    skipped: list[Skipped]
    bands: Bands
    keyframes: int


class RunProgress(Protocol):
    """What a progress display hears: a file starts; frames of it are decoded."""

    def file_started(self, path: Path, index: int, total: int) -> None: ...

    def frames(self, done: int, total: int) -> None: ...


NO_PICTURE = "A sound file has no picture to look at."


def _examine(detector: Detector, media: AnalysedMedia) -> Evidence:
    if media.is_audio and not listens(detector.name):
        return Evidence(detector.name, None, NO_PICTURE, weight=_weight(detector.name))
    try:
        return detector.examine(media)
    except FauxlabError as exc:  # expected trouble (a file too small, a missing model)
        text = f"Could not judge this file: {exc}"
        return Evidence(detector.name, None, text, details={"error": str(exc)})


def _weight(name: str) -> float:
    try:
        return detector_spec(name).weight
    except FauxlabError:  # a detector used without registering it
        return 1.0


def _face_boxes(media: AnalysedMedia, evidence: list[Evidence]) -> list[FaceBox]:
    scores = [s for e in evidence if e.probability is not None for s in e.faces]
    boxes: list[FaceBox] = []
    for frame, _ in media.keyframes():
        for face in frame.faces:
            matching = [
                s.probability
                for s in scores
                if s.frame == frame.index and iou(s.box, face.box) > 0.5
            ]
            boxes.append(
                FaceBox(
                    frame.index,
                    frame.time,
                    face.track_id,
                    face.box,
                    face.score,
                    max(matching) if matching else None,
                )
            )
    return boxes


def _timeline(media: AnalysedMedia, evidence: list[Evidence]) -> list[TimelinePoint]:
    if not media.is_video:
        return []
    points = [
        TimelinePoint(s.frame, s.time, s.probability, s.track_id, e.detector)
        for e in evidence
        for s in e.faces
    ]
    return sorted(points, key=lambda p: (p.time, p.detector, p.track_id))


def _moments(media: AnalysedMedia, evidence: list[Evidence], limits: Bands) -> list[Moment]:
    """The faces scored most fake, at moments at least an eighth of the clip apart, in
    time order: what a person looks at first."""
    if not media.is_video:
        return []
    images = {frame.index: image for frame, image in media.keyframes()}
    scored = [(e.detector, s) for e in evidence if e.probability is not None for s in e.faces]
    scored.sort(key=lambda item: -item[1].probability)
    apart = (media.duration or 0.0) / 8
    picked: list[Moment] = []
    for detector, score in scored:
        if len(picked) == MOMENTS:
            break
        if score.frame not in images or any(abs(m.time - score.time) < apart for m in picked):
            continue
        jpeg = face_crop(images[score.frame], score.box, score.probability, limits)
        picked.append(Moment(score.time, score.track_id, detector, score.probability, jpeg))
    return sorted(picked, key=lambda m: m.time)


def _thumbnail(media: AnalysedMedia, boxes: list[FaceBox], limits: Bands) -> bytes | None:
    """The keyframe with the most suspicious face, else the most faces, else the middle."""
    keyframes = media.keyframes()
    if not keyframes:
        return None
    middle = len(keyframes) // 2

    def rank(k: int) -> tuple[float, int, int]:
        on_frame = [b for b in boxes if b.frame == keyframes[k][0].index]
        worst = max((b.probability or 0.0 for b in on_frame), default=-1.0)
        return (worst, len(on_frame), -abs(k - middle))

    frame, image = keyframes[max(range(len(keyframes)), key=rank)]
    drawn = [(b.box, b.probability) for b in boxes if b.frame == frame.index]
    return thumbnail(image, drawn, limits)


def detect_file(
    path: Path,
    detectors: Sequence[Detector],
    options: DetectOptions | None = None,
    progress: FrameProgress | None = None,
) -> FileReport:
    """Analyse `path` once, run every detector on it, fuse. Unreadable input raises."""
    options = options or DetectOptions()
    started = time.perf_counter()
    media = analyse(path, options.analysis, progress)
    evidence = [_examine(d, media) for d in detectors]
    # a sound file has no picture to find a face in: its verdict is real, fake or uncertain
    fused = fuse(evidence, media.face_count > 0 or media.is_audio, options.bands)
    boxes = _face_boxes(media, evidence)
    return FileReport(
        path=path,
        kind=media.kind.value,
        sha256=sha256_file(path),
        width=media.width,
        height=media.height,
        duration=media.duration,
        frames_analysed=len(media.frames),
        keyframes=len(media.images),
        face_count=media.face_count,
        verdict=fused.verdict,
        probability=fused.probability,
        decided_by=fused.decided_by,
        explanation=fused.explanation,
        bands=options.bands,
        evidence=evidence,
        faces=boxes,
        timeline=_timeline(media, evidence),
        thumbnail=_thumbnail(media, boxes, options.bands),
        seconds=round(time.perf_counter() - started, 3),
        contributions=fused.contributions,
        moments=_moments(media, evidence, options.bands),
    )


def reason_without_path(path: Path, exc: FauxlabError) -> str:
    """The error's message, first line only, without the path it usually starts with."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text.removeprefix(f"{path}: ")


def expand(paths: Sequence[Path]) -> tuple[list[Path], list[FileError]]:
    """Media files in `paths` (folders recursively), and the named files that are not."""
    found: list[Path] = []
    errors: list[FileError] = []
    for path in paths:
        try:
            found.extend(expand_inputs([path], audio=True))
        except FauxlabError as exc:
            errors.append(FileError(path, reason_without_path(path, exc)))
    return list(dict.fromkeys(found)), errors


def detect_one(
    path: Path,
    detectors: Sequence[Detector],
    options: DetectOptions,
    progress: FrameProgress | None = None,
) -> FileReport | FileError:
    """The file's report, or why it could not be examined (a file found in a folder is
    checked only now)."""
    try:
        media_kind(path)
        return detect_file(path, detectors, options, progress)
    except FauxlabError as exc:
        return FileError(path, reason_without_path(path, exc))


def gather(
    outcomes: Sequence[FileReport | FileError],
    errors: Sequence[FileError],
    detectors: Sequence[Detector],
    skipped: Sequence[Skipped],
    options: DetectOptions,
) -> DetectRun:
    """One run's outcome from each file's report or error."""
    return DetectRun(
        files=[o for o in outcomes if isinstance(o, FileReport)],
        errors=[*errors, *(o for o in outcomes if isinstance(o, FileError))],
        detectors=[d.name for d in detectors],
        skipped=list(skipped),
        bands=options.bands,
        keyframes=options.analysis.keyframes,
    )
