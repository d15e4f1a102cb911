"""`fauxlab detect` and `fauxlab bench`: is it fake, how sure, and why; and how good is that."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import typer
from rich.progress import Progress, TaskID
from rich.table import Table

from fauxlab.cli.output import print_json, progress_bar, stderr, stdout
from fauxlab.detection import (
    AUTO_JOBS,
    DEFAULT_KEYFRAMES,
    DEFAULT_THRESHOLD,
    AnalysisOptions,
    BenchResult,
    DetectOptions,
    DetectorRecipe,
    DetectRun,
    FileError,
    GroupRow,
    Skipped,
    Verdict,
    bands,
    bench_dict,
    collect,
    detect_inputs,
    expand,
    run_bench,
    to_document,
    write_html,
    write_outputs,
)
from fauxlab.errors import InputError, OutputExistsError

_COLOUR = {
    Verdict.FAKE: "bold red",
    Verdict.UNCERTAIN: "bold yellow",
    Verdict.REAL: "bold green",
    Verdict.NO_FACE: "bold blue",
}


DETECTORS_HELP = "Comma-separated detector names (default: every one available)."


class _Bar:
    """Feeds a rich progress bar: one task for files, one for the frames of the current one."""

    def __init__(self, bar: Progress) -> None:
        self.bar = bar
        self.files: TaskID = bar.add_task("files", total=None)
        self.frame_task: TaskID = bar.add_task("frames", total=None, visible=False)

    def file_started(self, path: Path, index: int, total: int) -> None:
        self.bar.update(self.files, total=total, completed=index, description=path.name[:40])
        self.bar.update(self.frame_task, completed=0, total=None, visible=False)

    def frames(self, done: int, total: int) -> None:
        self.bar.update(self.frame_task, completed=done, total=total or None, visible=True)


def _options(threshold: float, frames: int, jobs: int, figures: bool) -> DetectOptions:
    if frames < 1:
        raise InputError(f"--frames {frames}: need at least 1 keyframe per video")
    if jobs < 0:
        raise InputError(f"--jobs {jobs}: give a number of processes, or 0 for one per core")
    return DetectOptions(bands(threshold), AnalysisOptions(keyframes=frames), jobs, figures)


def _recipe(
    detectors: str | None, model: Path | None, voice_model: str | None = None
) -> DetectorRecipe:
    options: tuple[tuple[str, str, Any], ...] = ()
    if model is not None:
        options += (("learned", "model", model),)
    if voice_model is not None:
        if voice_model not in ("cnn", "linear") and not Path(voice_model).is_file():
            raise InputError(f"--voice-model {voice_model}: not a file; give a path, cnn or linear")
        options += (("voice", "model", voice_model),)
    if detectors is None:
        return DetectorRecipe(None, options)
    names = [n.strip() for n in detectors.split(",") if n.strip()]
    if not names:
        raise InputError("--detectors is empty; name at least one, e.g. --detectors provenance")
    if model is not None and "learned" not in names:
        raise InputError("--model replaces the learned detector; add learned to --detectors")
    return DetectorRecipe(tuple(names), options)


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _table(run: DetectRun) -> Table:
    table = Table(show_lines=False, pad_edge=False, expand=False)
    table.add_column("verdict", no_wrap=True)
    table.add_column("P(fake)", justify="right", no_wrap=True)
    table.add_column("file", overflow="fold")
    table.add_column("why", overflow="fold")
    for report in run.files:
        p = "-" if report.probability is None else f"{report.probability:.2f}"
        verdict = f"[{_COLOUR[report.verdict]}]{report.verdict.value}[/]"
        table.add_row(verdict, p, _shown(report.path), report.explanation)
    return table


def _lines(run: DetectRun) -> list[str]:
    """verdict, P(fake), path and why, separated by two spaces, aligned on the first two."""
    rows = []
    for report in run.files:
        p = "-" if report.probability is None else f"{report.probability:.2f}"
        rows.append(
            f"{report.verdict.value:<9}  {p:>4}  {_shown(report.path)}  {report.explanation}"
        )
    return rows


def _notes(errors: list[FileError], skipped: list[Skipped]) -> None:
    for s in skipped:
        stderr.print(
            f"note: detector {s.name} not used: {s.reason}", highlight=False, soft_wrap=True
        )
    if errors:
        stderr.print(f"{len(errors)} file(s) could not be read:", highlight=False)
    for e in errors:
        stderr.print(f"  {_shown(e.path)}: {e.reason}", highlight=False, soft_wrap=True)


def _require_some(files: int, errors: list[FileError]) -> None:
    """Nothing readable at all is an input error, said in one line."""
    if files:
        return
    if not errors:
        raise InputError("no image or video found in the given inputs")
    first = f"{errors[0].path}: {errors[0].reason}"
    more = f" (and {len(errors) - 1} more unreadable file(s))" if len(errors) > 1 else ""
    raise InputError(first + more)


JOBS_HELP = (
    "Files analysed at once, each in its own process with its own models. 0 (default): "
    "one per CPU core for 16 or more files, else one."
)
MODEL_HELP = (
    "A learned detector (.safetensors or a `detector train` run) instead of the shipped one."
)
VOICE_MODEL_HELP = (
    "The voice detector's model: cnn (the small CNN, the default), linear (the LFCC "
    "model shipped beside it) or a file."
)


def detect(
    inputs: list[Path] = typer.Argument(..., help="Images, videos or folders (recursive)."),
    as_json: bool = typer.Option(False, "--json", help="Print the JSON report on stdout."),
    report: Path | None = typer.Option(
        None, "--report", help="Write a self-contained HTML report."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing --report file."),
    threshold: float = typer.Option(
        DEFAULT_THRESHOLD, "--threshold", help="P(fake) at the centre of the uncertain band."
    ),
    detectors: str | None = typer.Option(None, "--detectors", help=DETECTORS_HELP),
    frames: int = typer.Option(
        DEFAULT_KEYFRAMES, "--frames", help="Keyframes per video the image detectors score."
    ),
    model: Path | None = typer.Option(None, "--model", help=MODEL_HELP),
    voice_model: str | None = typer.Option(None, "--voice-model", help=VOICE_MODEL_HELP),
    jobs: int = typer.Option(AUTO_JOBS, "--jobs", "-j", help=JOBS_HELP),
) -> None:
    """Is it fake? A verdict, a probability and the evidence for each file.

    Exits 1 when at least one file is judged fake, 0 otherwise, 2 on a usage or input error.
    """
    options = _options(threshold, frames, jobs, figures=report is not None)
    if report is not None and report.exists() and not force:
        raise OutputExistsError(f"{report}: already exists; choose another path or add --force")
    files, unreadable = expand(inputs)
    _require_some(len(files), unreadable)  # before loading any model: fail fast
    recipe = _recipe(detectors, model, voice_model)
    loaded, skipped = recipe.load()
    with progress_bar() as bar:
        run = detect_inputs(files, loaded, options, _Bar(bar), skipped, recipe)
    run = replace(run, errors=unreadable + run.errors)
    _require_some(len(run.files), run.errors)
    if report is not None:
        write_html(run, report, overwrite=force)
    if as_json:
        print_json(to_document(run))
    elif stdout.is_terminal:
        stdout.print(_table(run))
    else:  # piped: one unwrapped line per file, so grep and cut see whole paths
        for line in _lines(run):
            print(line)
    _notes(run.errors, run.skipped)
    if report is not None:
        stderr.print(f"report written to {report}", highlight=False)
    if any(f.verdict is Verdict.FAKE for f in run.files):
        raise typer.Exit(1)


def _render_groups(groups: list[GroupRow], title: str) -> None:
    table = Table(pad_edge=False)
    table.add_column(title)
    for name in ("n", "mean score", "accuracy"):
        table.add_column(name, justify="right")
    table.add_column("AUC vs real", justify="right")
    for g in groups:
        auc = "-" if g.auc is None else f"{g.auc:.3f}"
        table.add_row(g.group, str(g.n), f"{g.mean_score:.3f}", f"{g.accuracy:.3f}", auc)
    stdout.print(table)


def _render_bench(result: BenchResult, out: Path) -> None:
    counts = f"{result.labels.count(0)} real, {result.labels.count(1)} fake"
    stdout.print(f"[bold]{result.root}[/]: {counts}; detectors {', '.join(result.detectors)}")
    stdout.print(
        f"AUC {result.auc:.3f}   AP {result.ap:.3f}   EER {result.eer:.3f} "
        f"(threshold {result.eer_threshold:.2f})   accuracy {result.accuracy:.3f} "
        f"at {result.threshold:.2f}",
        highlight=False,
    )
    scorers = Table(pad_edge=False, title="with 95% bootstrap intervals")
    scorers.add_column("scorer")
    for name in ("judged", "AUC", "AP", "accuracy", "false alarms", "misses"):
        scorers.add_column(name, justify="right")
    for m in result.scorers:
        scorers.add_row(
            m.name,
            str(m.judged),
            *(str(e) for e in (m.auc, m.ap, m.accuracy, m.false_positive_rate, m.miss_rate)),
        )
    stdout.print(scorers)
    _render_groups(result.groups, "subfolder")
    if result.sources:
        _render_groups(result.sources, "source (file-name prefix)")
    stdout.print(f"wrote {out / 'roc.svg'} and {out / 'scores.csv'}", highlight=False)


def bench(
    labeled_dir: Path = typer.Argument(..., help="A folder with real/ and fake/ inside."),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="New folder for roc.svg and scores.csv (default bench-NAME)."
    ),
    threshold: float = typer.Option(DEFAULT_THRESHOLD, "--threshold", help="For the accuracy."),
    detectors: str | None = typer.Option(None, "--detectors", help=DETECTORS_HELP),
    frames: int = typer.Option(
        DEFAULT_KEYFRAMES, "--frames", help="Keyframes per video the image detectors score."
    ),
    model: Path | None = typer.Option(None, "--model", help=MODEL_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON."),
    jobs: int = typer.Option(AUTO_JOBS, "--jobs", "-j", help=JOBS_HELP),
) -> None:
    """Measure detection on labelled media: AUC, AP, EER, accuracy, per subfolder."""
    options = _options(threshold, frames, jobs, figures=False)
    target = out or Path(f"bench-{labeled_dir.resolve().name}")
    if target.exists():
        raise OutputExistsError(f"{target}: already exists; choose another --out or remove it")
    samples = collect(labeled_dir)  # before loading any model: fail fast
    recipe = _recipe(detectors, model)
    loaded, skipped = recipe.load()
    with progress_bar() as bar:
        result = run_bench(labeled_dir, loaded, options, _Bar(bar), skipped, samples, recipe)
    write_outputs(result, target)
    if as_json:
        print_json(bench_dict(result, target))
    else:
        _render_bench(result, target)
    _notes(result.errors, result.skipped)
