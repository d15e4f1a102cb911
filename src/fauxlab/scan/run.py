"""A whole scan: find the files, skip those done, run an engine, keep every record."""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from fauxlab.detection import DetectOptions, DetectorRecipe
from fauxlab.errors import InputError
from fauxlab.scan.inputs import find_inputs
from fauxlab.scan.progress import ScanProgress
from fauxlab.scan.record import error_record, file_key, where
from fauxlab.scan.results import ResultSink

Engine = Literal["local", "ray"]
ENGINES: tuple[Engine, ...] = ("local", "ray")


@dataclass(frozen=True)
class ScanSettings:
    engine: Engine = "local"
    address: str | None = None  # a Ray cluster to join; None: start a local one
    workers: int = 0  # Ray actors (0: one per CPU of the cluster)
    progress_every: float = 5.0  # seconds between progress lines


@dataclass(frozen=True)
class ScanSummary:
    """What a scan did: files found, already done before, examined now (of which
    errors), and the compacted results."""

    found: int
    skipped: int
    examined: int
    errors: int
    records: int
    jsonl: Path
    parquet: Path
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "found": self.found,
            "skipped": self.skipped,
            "examined": self.examined,
            "errors": self.errors,
            "records": self.records,
            "jsonl": str(self.jsonl),
            "parquet": str(self.parquet),
            "seconds": round(self.seconds, 3),
        }


def _require_extra(engine: Engine) -> None:
    """Ray and pyarrow are the `scale` extra: say how to get them, before any work."""
    import importlib.util

    needed = ["pyarrow", *(["ray"] if engine == "ray" else [])]
    missing = [name for name in needed if importlib.util.find_spec(name) is None]
    if missing:
        raise InputError(
            f"fauxlab scan needs {' and '.join(missing)}: pip install 'fauxlab[scale]'"
        )


def _records(
    todo: list[tuple[Path, str]],
    recipe: DetectorRecipe,
    options: DetectOptions,
    settings: ScanSettings,
    sink: ResultSink,
) -> Iterator[dict[str, Any]]:
    if not todo:
        return iter(())
    if settings.engine == "ray":
        from fauxlab.scan.onray import ray_records

        return ray_records(todo, recipe, options, sink.inflight, settings.address, settings.workers)
    from fauxlab.scan.local import local_records

    return local_records(todo, recipe, options)


def scan(
    arguments: list[str],
    out: Path,
    recipe: DetectorRecipe,
    options: DetectOptions,
    settings: ScanSettings | None = None,
) -> ScanSummary:
    """Scan every media file that `arguments` name into the results folder `out`.

    Files whose record is in `out` already are skipped; a file that cannot be examined
    becomes a record with its reason. What is finished is kept even when the scan is
    interrupted: run it again to go on."""
    settings = settings or ScanSettings()
    if settings.engine not in ENGINES:
        raise InputError(f"--engine {settings.engine}: choose from {', '.join(ENGINES)}")
    _require_extra(settings.engine)
    started = time.monotonic()
    files, unreadable = find_inputs(arguments)
    if not files and not unreadable:
        raise InputError("no image, video or sound file found in the given inputs")
    sink = ResultSink.open(out)
    here = where(settings.engine)
    for error in unreadable:  # named paths that are not media: a record each, once
        sink.add(error_record(error.path, file_key(error.path), error.reason, here))
    keyed = [(path, file_key(path)) for path in files]
    todo = [(path, key) for path, key in keyed if key not in sink.done]
    progress = ScanProgress(len(todo), settings.progress_every)
    examined = errors = 0
    stream = _records(todo, recipe, options, settings, sink)
    try:
        for record in stream:
            if sink.add(record):
                examined += 1
                errors += record["status"] == "error"
                progress.advance()
            if sink.due():
                sink.flush()
    finally:
        sink.flush()  # what finished is kept, even on Ctrl-C
        if isinstance(stream, Generator):
            stream.close()  # stops a Ray the scan started, now rather than at exit
    progress.finish()
    jsonl, parquet, records = sink.compact()
    return ScanSummary(
        found=len(files),
        skipped=len(files) - len(todo),
        examined=examined,
        errors=errors,
        records=records,
        jsonl=jsonl,
        parquet=parquet,
        seconds=time.monotonic() - started,
    )
