"""A detect run as the JSON document of schema `fauxlab.detect/1` (see schema.py)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from fauxlab import __version__
from fauxlab.detection.evidence import Evidence, Verdict, edits_summary
from fauxlab.detection.onefile import DetectRun, FaceBox, FileReport, TimelinePoint
from fauxlab.detection.report.schema import SCHEMA_ID


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def face_dict(face: FaceBox) -> dict[str, Any]:
    return {
        "frame": face.frame,
        "time": round(face.time, 3),
        "track_id": face.track_id,
        "box": [round(v, 1) for v in face.box],
        "score": round(face.score, 4),
        "probability": _round(face.probability),
    }


def point_dict(point: TimelinePoint) -> dict[str, Any]:
    return {
        "frame": point.frame,
        "time": round(point.time, 3),
        "probability": round(point.probability, 4),
        "track_id": point.track_id,
        "detector": point.detector,
    }


def evidence_dict(report: FileReport, evidence: Evidence) -> dict[str, Any]:
    """The evidence as its detector wrote it, plus how far it moved the file's probability
    (None: it could not judge)."""
    return {**evidence.to_dict(), "contribution": report.contributions.get(evidence.detector)}


def file_dict(report: FileReport) -> dict[str, Any]:
    """One file's entry: what it is, the verdict, and everything behind it."""
    return {
        "path": str(report.path),
        "kind": report.kind,
        "sha256": report.sha256,
        "width": report.width,
        "height": report.height,
        "duration": _round(report.duration, 3),
        "frames_analysed": report.frames_analysed,
        "keyframes": report.keyframes,
        "face_count": report.face_count,
        "verdict": report.verdict.value,
        "probability": _round(report.probability),
        "threshold": report.bands.threshold,
        "decided_by": report.decided_by,
        "explanation": report.explanation,
        "edits": {
            "summary": edits_summary(report.edits),
            "found": [e.to_dict() for e in report.edits],
        },
        "evidence": [evidence_dict(report, e) for e in report.evidence],
        "faces": [face_dict(f) for f in report.faces],
        "timeline": [point_dict(p) for p in report.timeline],
        "seconds": report.seconds,
    }


def to_document(run: DetectRun) -> dict[str, Any]:
    """The whole run: settings, detectors, a summary count, files and unreadable files."""
    counts = Counter(f.verdict for f in run.files)
    return {
        "schema": SCHEMA_ID,
        "fauxlab_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "threshold": run.bands.threshold,
        "bands": {
            "real_below": round(run.bands.real_below, 4),
            "fake_from": round(run.bands.fake_from, 4),
        },
        "keyframes": run.keyframes,
        "detectors": run.detectors,
        "skipped_detectors": [{"name": s.name, "reason": s.reason} for s in run.skipped],
        "summary": {
            "files": len(run.files),
            "errors": len(run.errors),
            "fake": counts[Verdict.FAKE],
            "uncertain": counts[Verdict.UNCERTAIN],
            "real": counts[Verdict.REAL],
            "no_face": counts[Verdict.NO_FACE],
        },
        "files": [file_dict(f) for f in run.files],
        "errors": [{"path": str(e.path), "reason": e.reason} for e in run.errors],
    }
