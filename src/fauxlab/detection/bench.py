"""`fauxlab bench`: run detect on a labelled folder and measure how well it separates.

LABELED_DIR holds `real/` and `fake/`, searched recursively; the first folder level below
them names a subfolder (`fake/gan`, `fake/swap`; files directly inside count as `fake`),
so one run compares kinds of forgery. A file's score is its fused probability, and 0 when
no detector could judge it: by the fusion's max rule, no detector raising the alarm is the
least suspicious a file can be.
"""

from __future__ import annotations

import csv
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fauxlab.charts import Series, line_chart, palette
from fauxlab.detection.evidence import Detector
from fauxlab.detection.intervals import REPLICATES, ScorerMetrics, scorer_metrics
from fauxlab.detection.metrics import (
    accuracy_at,
    average_precision,
    equal_error_rate,
    roc_auc,
    roc_curve,
)
from fauxlab.detection.onefile import DetectOptions, FileError, FileReport, RunProgress
from fauxlab.detection.registry import DetectorRecipe, Skipped
from fauxlab.detection.run import detect_inputs
from fauxlab.errors import InputError, OutputExistsError
from fauxlab.media import expand_inputs

LABELS = {"real": 0, "fake": 1}


@dataclass(frozen=True)
class Sample:
    path: Path
    label: int  # 1 fake, 0 real
    group: str  # "real", "fake" or "fake/<subfolder>"


@dataclass(frozen=True)
class Scored:
    sample: Sample
    report: FileReport

    @property
    def score(self) -> float:
        return self.report.probability if self.report.probability is not None else 0.0


@dataclass(frozen=True)
class GroupRow:
    group: str
    label: int
    n: int
    mean_score: float
    accuracy: float
    auc: float | None  # this fake subfolder against every real file; None for reals


@dataclass(frozen=True)
class BenchResult:
    root: Path
    scored: list[Scored]
    errors: list[FileError]
    detectors: list[str]
    skipped: list[Skipped]
    threshold: float
    auc: float
    ap: float
    eer: float
    eer_threshold: float
    accuracy: float
    groups: list[GroupRow]
    sources: list[GroupRow]  # by the file-name prefix, when every file has one
    scorers: list[ScorerMetrics]  # "fused" first, then each detector, with intervals

    @property
    def labels(self) -> list[int]:
        return [s.sample.label for s in self.scored]

    @property
    def scores(self) -> list[float]:
        return [s.score for s in self.scored]


def collect(root: Path) -> list[Sample]:
    """The labelled files under `root`; a missing or empty real/ or fake/ is an error."""
    if not root.is_dir():
        raise InputError(f"{root}: not a folder; expected a folder with real/ and fake/ inside")
    samples: list[Sample] = []
    base = root.resolve()
    for name, label in LABELS.items():
        folder = root / name
        if not folder.is_dir():
            raise InputError(
                f"{root}: no {name}/ subfolder; a labelled folder holds real/ and fake/"
            )
        files = expand_inputs([folder], audio=True)
        if not files:
            raise InputError(f"{folder}: no image or video inside")
        for path in files:
            parts = path.relative_to(base).parts
            group = "/".join(parts[:2]) if len(parts) > 2 else name
            samples.append(Sample(path, label, group))
    return samples


def source_of(path: Path) -> str | None:
    """The source a file is named after: `lab_0042.jpg` -> `lab`, `emo_talk_3.mp4` -> `emo`."""
    return path.stem.split("_", 1)[0] if "_" in path.stem else None


def _group_key(s: Scored) -> str:
    return s.sample.group


def _source_key(s: Scored) -> str:
    return f"{'fake' if s.sample.label else 'real'}/{source_of(s.sample.path)}"


def _groups(
    scored: list[Scored], threshold: float, key: Callable[[Scored], str] = _group_key
) -> list[GroupRow]:
    reals = [s.score for s in scored if s.sample.label == 0]
    rows: list[GroupRow] = []
    for group in sorted({key(s) for s in scored}, key=lambda g: (not g.startswith("real"), g)):
        members = [s for s in scored if key(s) == group]
        label = members[0].sample.label
        scores = [s.score for s in members]
        auc = roc_auc([0] * len(reals) + [1] * len(scores), reals + scores) if label else None
        rows.append(
            GroupRow(
                group,
                label,
                len(members),
                float(np.mean(scores)),
                accuracy_at([label] * len(scores), scores, threshold),
                auc,
            )
        )
    return rows


def run_bench(
    root: Path,
    detectors: Sequence[Detector],
    options: DetectOptions | None = None,
    progress: RunProgress | None = None,
    skipped: Sequence[Skipped] = (),
    samples: Sequence[Sample] | None = None,
    recipe: DetectorRecipe | None = None,
) -> BenchResult:
    """Detect on every labelled file (`samples`, default `collect(root)`) and compute the
    metrics; unreadable files are listed, not fatal."""
    options = options or DetectOptions()
    samples = list(samples) if samples is not None else collect(root)
    run = detect_inputs([s.path for s in samples], detectors, options, progress, skipped, recipe)
    by_path = {r.path: r for r in run.files}
    scored = [Scored(s, by_path[s.path]) for s in samples if s.path in by_path]
    for name, label in LABELS.items():
        if not any(s.sample.label == label for s in scored):
            raise InputError(f"{root / name}: none of its files could be read")
    labels = [s.sample.label for s in scored]
    scores = [s.score for s in scored]
    eer, eer_threshold = equal_error_rate(labels, scores)
    threshold = options.bands.threshold
    named = all(source_of(s.sample.path) is not None for s in scored)
    scorers = [scorer_metrics("fused", labels, scores, threshold)]
    for name in run.detectors:
        probabilities = [s.report.detector_probability(name) for s in scored]
        if any(p is not None for p in probabilities):
            scorers.append(scorer_metrics(name, labels, probabilities, threshold))
    return BenchResult(
        root=root,
        scored=scored,
        errors=run.errors,
        detectors=run.detectors,
        skipped=run.skipped,
        threshold=threshold,
        auc=roc_auc(labels, scores),
        ap=average_precision(labels, scores),
        eer=eer,
        eer_threshold=eer_threshold,
        accuracy=accuracy_at(labels, scores, threshold),
        groups=_groups(scored, threshold),
        sources=_groups(scored, threshold, _source_key) if named else [],
        scorers=scorers,
    )


def roc_svg(result: BenchResult) -> bytes:
    """The ROC of all fakes against all reals, plus one per fake subfolder when several,
    as an SVG document (sharp at any size, its text searchable), the threshold's point
    marked on the overall curve."""
    fakes = [g for g in result.groups if g.label == 1]
    curves: list[tuple[str, list[int], list[float]]] = [
        (f"all (AUC {result.auc:.3f})", result.labels, result.scores)
    ]
    if len(fakes) > 1:
        reals = [s.score for s in result.scored if s.sample.label == 0]
        for g in fakes:
            mine = [s.score for s in result.scored if s.sample.group == g.group]
            labels = [0] * len(reals) + [1] * len(mine)
            curves.append((f"{g.group} ({g.auc or 0:.3f})", labels, reals + mine))
    series = [Series("chance", [(0.0, 0.0), (1.0, 1.0)], colour=palette.GREY, dashed=True)]
    for label, y, s in curves:
        fpr, tpr, _ = roc_curve(y, s)
        series.append(Series(label, list(zip(fpr.tolist(), tpr.tolist(), strict=True))))
    truth = np.asarray(result.labels)
    called = np.asarray(result.scores) >= result.threshold
    if (truth == 0).any() and (truth == 1).any():
        at = (float(called[truth == 0].mean()), float(called[truth == 1].mean()))
        series.append(
            Series(f"at threshold {result.threshold:.2f}", [at], palette.BLACK, kind="points")
        )
    chart = line_chart(
        series,
        title=f"Fakes caught against false alarms: {result.root.name}",
        x_title="share of real files called fake (false alarms)",
        y_title="share of fakes caught",
        x_range=(0.0, 1.0),
        y_range=(0.0, 1.0),
        size=(640, 520),
    )
    return chart.data


def _rows(result: BenchResult) -> list[dict[str, Any]]:
    base = result.root.resolve()
    rows: list[dict[str, Any]] = []
    for s in result.scored:
        p = s.report.probability
        row: dict[str, Any] = {
            "path": str(s.sample.path.relative_to(base)),
            "label": "fake" if s.sample.label else "real",
            "subfolder": s.sample.group,
            "probability": "" if p is None else round(p, 4),
            "score": round(s.score, 4),
            "verdict": s.report.verdict.value,
        }
        for name in result.detectors:
            q = s.report.detector_probability(name)
            row[f"p_{name}"] = "" if q is None else round(q, 4)
        rows.append(row)
    return rows


def write_outputs(result: BenchResult, out: Path) -> list[Path]:
    """roc.svg and scores.csv in a new folder `out`, which appears only when complete."""
    if out.exists():
        raise OutputExistsError(
            f"{out}: already exists; choose another `out` or remove it first", settings=["out"]
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        (partial / "roc.svg").write_bytes(roc_svg(result))
        rows = _rows(result)
        with (partial / "scores.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        partial.rename(out)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return [out / "roc.svg", out / "scores.csv"]


def _group_dict(g: GroupRow, key: str) -> dict[str, Any]:
    return {
        key: g.group,
        "label": "fake" if g.label else "real",
        "n": g.n,
        "mean_score": round(g.mean_score, 4),
        "accuracy": round(g.accuracy, 4),
        "auc_vs_real": None if g.auc is None else round(g.auc, 4),
    }


def _scorer_dict(m: ScorerMetrics) -> dict[str, Any]:
    return {
        "name": m.name,
        "judged": m.judged,
        "auc": m.auc.as_list(),
        "ap": m.ap.as_list(),
        "accuracy": m.accuracy.as_list(),
        "false_positive_rate": m.false_positive_rate.as_list(),
        "miss_rate": m.miss_rate.as_list(),
    }


def bench_dict(result: BenchResult, out: Path | None) -> dict[str, Any]:
    """What `fauxlab bench --json` prints."""
    return {
        "schema": "fauxlab.bench/1",
        "labeled_dir": str(result.root),
        "threshold": result.threshold,
        "detectors": result.detectors,
        "skipped_detectors": [{"name": s.name, "reason": s.reason} for s in result.skipped],
        "counts": {"real": result.labels.count(0), "fake": result.labels.count(1)},
        "metrics": {
            "auc": round(result.auc, 4),
            "ap": round(result.ap, 4),
            "eer": round(result.eer, 4),
            "eer_threshold": round(result.eer_threshold, 4),
            "accuracy": round(result.accuracy, 4),
        },
        "groups": [_group_dict(g, "subfolder") for g in result.groups],
        "sources": [_group_dict(g, "source") for g in result.sources],
        "intervals": {
            "method": "stratified bootstrap, 95% percentile interval, [value, low, high]",
            "replicates": REPLICATES,
            "scorers": [_scorer_dict(m) for m in result.scorers],
        },
        "files": _rows(result),
        "errors": [{"path": str(e.path), "reason": e.reason} for e in result.errors],
        "out": None if out is None else str(out),
    }
