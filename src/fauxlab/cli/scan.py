"""`fauxlab scan`: detection over many files, here or on a Ray cluster, resumable."""

from __future__ import annotations

from pathlib import Path

import typer

from fauxlab.cli.detect import DETECTORS_HELP, MODEL_HELP, _options, _recipe
from fauxlab.cli.output import print_json, stdout
from fauxlab.detection import DEFAULT_KEYFRAMES, DEFAULT_THRESHOLD, detector_spec
from fauxlab.errors import InputError
from fauxlab.scan import ENGINES, Engine, ScanSettings, scan

ENGINE_HELP = "local: this process, one file after another; ray: a pool of Ray actors."
ADDRESS_HELP = "A Ray cluster to join (ray://HOST:10001 or HOST:6379); default: start one here."


def scan_command(
    inputs: list[str] = typer.Argument(
        ..., help="Folders (recursive), list files (.txt: one path a line), globs or files."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Results folder (created, or resumed)."),
    engine: str = typer.Option("local", "--engine", help=ENGINE_HELP),
    address: str | None = typer.Option(None, "--address", help=ADDRESS_HELP),
    workers: int = typer.Option(0, "--workers", help="Ray actors (0: one per CPU of the cluster)."),
    detectors: str | None = typer.Option(None, "--detectors", help=DETECTORS_HELP),
    threshold: float = typer.Option(
        DEFAULT_THRESHOLD, "--threshold", help="P(fake) at the centre of the uncertain band."
    ),
    frames: int = typer.Option(
        DEFAULT_KEYFRAMES, "--frames", help="Keyframes per video the image detectors score."
    ),
    model: Path | None = typer.Option(None, "--model", help=MODEL_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Detect on many files into RESULTS: one fauxlab.detect/1 record per file, in
    results.jsonl and results.parquet. Run it again to go on where it stopped.

    A file that cannot be read is a record with its reason, not a stopped scan. Exits 0
    when the scan finished (whatever the verdicts), 2 on a usage or input error."""
    if engine not in ENGINES:
        raise InputError(f"--engine {engine}: choose from {', '.join(ENGINES)}")
    if address is not None and engine != "ray":
        raise InputError("--address joins a Ray cluster; add --engine ray")
    if workers < 0:
        raise InputError(f"--workers {workers}: give a number of actors, or 0 for one per CPU")
    options = _options(threshold, frames, 1, figures=False)
    recipe = _recipe(detectors, model)
    for name in recipe.names or ():
        detector_spec(name)  # an unknown name fails here, before any worker starts
    chosen: Engine = "ray" if engine == "ray" else "local"
    settings = ScanSettings(engine=chosen, address=address, workers=workers)
    summary = scan(inputs, out, recipe, options, settings)
    if as_json:
        print_json(summary.to_dict())
        return
    stdout.print(
        f"{summary.found} files: {summary.examined} examined now ({summary.errors} could not "
        f"be read), {summary.skipped} done before; {summary.records} records in "
        f"{summary.jsonl} and {summary.parquet}",
        highlight=False,
        soft_wrap=True,
    )
