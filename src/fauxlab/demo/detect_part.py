"""The demo's detection part: `fauxlab detect` on a real photo, GAN samples and the
face-replaced clip, told twice.

The demo's fakes carry fauxlab's own marks, and the marks alone settle "fake", which would
hide what the content detectors see. So each file gets two answers from one analysis:
the content detectors fused without the marks (what they would say about the same fake
made by another tool) and what the marks say. A detector that cannot load is listed on
the page; a file that cannot be examined becomes a row saying why; nothing here raises.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from fauxlab.detection import (
    AnalysisOptions,
    DetectOptions,
    Detector,
    DetectRun,
    FileError,
    FileReport,
    Skipped,
    available_detectors,
    default_names,
    detect_file,
    detector_spec,
    fuse,
    write_html,
)
from fauxlab.provenance.context import Provenance

KEYFRAMES = 8  # `--frames 8`: a 3 s clip needs no more, and the demo must stay quick
MARKS = "provenance"
REPORT = "report.html"  # every detector, as `fauxlab detect --report` writes it
CONTENT_REPORT = "report-content.html"  # the same files without our marks


def load_detectors(provenance: Provenance) -> tuple[list[Detector], list[Skipped]]:
    """Every built-in detector that loads; provenance reads the demo's own ledger."""
    loaded: list[Detector] = []
    skipped: list[Skipped] = []
    for name in default_names():
        if name == MARKS:  # ours, built directly: it must not depend on the others loading
            loaded.append(detector_spec(MARKS).build(provenance=provenance))
            continue
        try:
            found, _ = available_detectors([name])
        except Exception as exc:  # the demo reports a broken detector instead of dying
            reason = str(exc).removeprefix(f"detector {name!r} cannot be used: ")
            skipped.append(Skipped(name, reason))
            continue
        loaded.extend(found)
    return loaded, skipped


def without_marks(report: FileReport) -> FileReport:
    """The same analysis fused from the content detectors alone."""
    evidence = [e for e in report.evidence if e.detector != MARKS]
    fused = fuse(evidence, report.face_count > 0, report.bands)
    return replace(
        report,
        evidence=evidence,
        verdict=fused.verdict,
        probability=fused.probability,
        decided_by=fused.decided_by,
        explanation=fused.explanation,
    )


def marks_in_short(details: dict[str, Any]) -> str:
    """Which of our marks the provenance evidence found, in a few words for a table cell."""
    creds, ledger = details.get("credentials") or {}, details.get("ledger") or {}
    found = []
    if details.get("watermark_found"):
        found.append(f"watermark (id {details.get('watermark_id')})")
    if creds.get("valid") and (creds.get("signed_by_us") or creds.get("ai_generated")):
        found.append("signed C2PA credentials saying AI-generated")
    if ledger.get("status") in ("exact", "watermark"):
        found.append(f"ledger entry {ledger.get('entry')}")
    if found:
        return "fake: " + ", ".join(found)
    if ledger.get("status") == "near":
        return f"no marks; looks like ledger entry {ledger.get('entry')} (PDQ near match)"
    return "no marks (says nothing either way)"


def _p(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _row(full: FileReport, content: FileReport, what: str, root: Path) -> dict[str, Any]:
    marks = next((e for e in full.evidence if e.detector == MARKS), None)
    return {
        "file": full.path.relative_to(root).as_posix(),
        "what": what,
        "content_verdict": content.verdict.value,
        "content_probability": _p(content.probability),
        "detectors": {e.detector: _p(e.probability) for e in content.evidence},
        "marks_found": bool(marks and marks.decisive and marks.probability),
        "marks": marks_in_short(marks.details) if marks else "provenance did not run",
        "marks_say": marks.summary if marks else "provenance did not run",
        "verdict": full.verdict.value,
        "probability": _p(full.probability),
        "faces": full.face_count,
    }


def run_detection_part(
    files: Sequence[tuple[Path, str]], out: Path, root: Path, provenance: Provenance
) -> dict[str, Any]:
    """Detect on `files` ((path, what it is)), write both HTML reports into `out`, and
    return the table (paths relative to `root`, the demo folder)."""
    out.mkdir(parents=True, exist_ok=True)
    detectors, skipped = load_detectors(provenance)
    options = DetectOptions(analysis=AnalysisOptions(keyframes=KEYFRAMES))
    full: list[FileReport] = []
    content: list[FileReport] = []
    errors: list[FileError] = []
    rows: list[dict[str, Any]] = []
    for path, what in files:
        try:
            report = detect_file(path, detectors, options)
        except Exception as exc:  # one file the demo cannot examine must not end the page
            reason = str(exc).splitlines()[0] if str(exc) else repr(exc)
            errors.append(FileError(path, reason))
            rows.append({"file": path.relative_to(root).as_posix(), "what": what, "error": reason})
            continue
        full.append(report)
        content.append(without_marks(report))
        rows.append(_row(report, content[-1], what, root))
    names = [d.name for d in detectors]
    runs = {
        REPORT: DetectRun(full, errors, names, skipped, options.bands, KEYFRAMES),
        CONTENT_REPORT: DetectRun(
            content, errors, [n for n in names if n != MARKS], skipped, options.bands, KEYFRAMES
        ),
    }
    for name, run in runs.items():
        write_html(run, out / name, overwrite=True)
    return {
        "detectors": [n for n in names if n != MARKS],
        "skipped": [{"name": s.name, "reason": s.reason} for s in skipped],
        "keyframes": KEYFRAMES,
        "real_below": round(options.bands.real_below, 3),
        "fake_from": round(options.bands.fake_from, 3),
        "report": (out / REPORT).relative_to(root).as_posix(),
        "content_report": (out / CONTENT_REPORT).relative_to(root).as_posix(),
        "files": rows,
    }
