"""The one loop every detector runs in, over many files: each analysed once, asked of
every detector, fused (`fauxlab.detection.onefile`), one by one or in a pool of worker
processes (`fauxlab.detection.pool`).

A folder is searched recursively; a file that cannot be read is recorded with its reason
and the run goes on, so one corrupt upload does not hide the verdicts on the rest.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from fauxlab.detection.evidence import Detector
from fauxlab.detection.onefile import (
    DetectOptions,
    DetectRun,
    FileError,
    FileReport,
    RunProgress,
    detect_one,
    expand,
    gather,
)
from fauxlab.detection.pool import detect_in_pool
from fauxlab.detection.registry import DetectorRecipe, Skipped

AUTO_JOBS = 0  # `jobs`: one worker per core for POOL_FROM files or more, else one process
POOL_FROM = 16  # below this, starting workers (each loads every model) costs more than it saves


def workers_for(jobs: int, files: int) -> int:
    """How many processes analyse `files` files when `jobs` were asked for."""
    if jobs == AUTO_JOBS:
        return (os.cpu_count() or 1) if files >= POOL_FROM else 1
    return jobs


def detect_inputs(
    paths: Sequence[Path],
    detectors: Sequence[Detector],
    options: DetectOptions | None = None,
    progress: RunProgress | None = None,
    skipped: Sequence[Skipped] = (),
    recipe: DetectorRecipe | None = None,
) -> DetectRun:
    """Detect on every media file in `paths`, going on past files that cannot be read.

    With `options.jobs` above 1 (or AUTO_JOBS and many files) and a `recipe` to build
    detectors from, several files are analysed at once in worker processes
    (`fauxlab.detection.pool`)."""
    options = options or DetectOptions()
    files, errors = expand(paths)
    jobs = workers_for(options.jobs, len(files))
    if jobs > 1 and recipe is not None and len(files) > 1:
        outcomes = _in_pool(files, recipe, replace(options, jobs=jobs), progress)
    else:
        outcomes = _one_by_one(files, detectors, options, progress)
    return gather(list(outcomes), errors, detectors, skipped, options)


def _one_by_one(
    files: list[Path],
    detectors: Sequence[Detector],
    options: DetectOptions,
    progress: RunProgress | None,
) -> Iterator[FileReport | FileError]:
    for index, path in enumerate(files):
        if progress is not None:
            progress.file_started(path, index, len(files))
        yield detect_one(path, detectors, options, progress.frames if progress else None)


def _in_pool(
    files: list[Path], recipe: DetectorRecipe, options: DetectOptions, progress: RunProgress | None
) -> Iterator[FileReport | FileError]:
    def finished(path: Path, done: int) -> None:
        if progress is not None:
            progress.file_started(path, done, len(files))

    if progress is not None:
        progress.file_started(files[0], 0, len(files))
    yield from detect_in_pool(files, recipe, options, finished)
