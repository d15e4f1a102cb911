"""Several files at once: a pool of worker processes, each with its own detectors.

Processes, not threads: the watermark search, the face finder and the figure drawing hold
the GIL for much of their time, and a MediaPipe graph must not be shared between threads.
The workers are spawned, not forked, because torch's thread pool does not survive a fork;
each loads its own models once (a second or two) and then runs one thread, so N workers
use N cores without fighting over them.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from fauxlab.detection.evidence import Detector
from fauxlab.detection.onefile import (
    DetectOptions,
    DetectRun,
    FileError,
    FileReport,
    detect_one,
    expand,
    gather,
)
from fauxlab.detection.registry import DetectorRecipe, Skipped

if TYPE_CHECKING:
    from multiprocessing.queues import Queue

ProgressEvent = tuple[str, int, int]  # (tag, frames done, frames in all)
STARTED = -1  # "frames in all" of the event a worker sends as it takes a job
_detectors: list[Detector] = []
_skipped: list[Skipped] = []
_events: list[Queue[ProgressEvent]] = []


# Thread pools of the native libraries read these when they load, which in a spawned worker
# is before `start_worker` runs (numpy's OpenBLAS loads with the first import). So the
# parent sets them before it spawns; its own libraries, loaded already, keep their threads.
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def one_thread_per_worker() -> None:
    """Make workers spawned from now on use one core each: N workers on N cores, instead
    of N pools of N threads contending (measured: 2 workers ran slower than 1 process)."""
    os.environ.update(ONE_THREAD)


def start_worker(recipe: DetectorRecipe, events: Queue[ProgressEvent] | None = None) -> None:
    """Runs once in each new worker: load the detectors, use one thread."""
    os.environ.update(ONE_THREAD)
    import cv2

    cv2.setNumThreads(1)
    loaded, skipped = recipe.load()
    _detectors.extend(loaded)
    _skipped.extend(skipped)
    if events is not None:
        _events.append(events)
    import sys

    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)


def worker_events() -> Queue[ProgressEvent] | None:
    """The progress queue this worker process was started with, or None outside a worker."""
    return _events[0] if _events else None


def _frames_of(tag: str) -> Callable[[int, int], None]:
    """Sends a file's frame progress to the parent, tagged with the job it belongs to."""

    def frames(done: int, total: int) -> None:
        if _events and (done == total or done % 10 == 0):
            _events[0].put((tag, done, total))

    return frames


def run_one(path: Path, options: DetectOptions, tag: str) -> DetectRun:
    """One file as a whole run (reports, errors, detectors, skipped), for the server."""
    if _events:
        _events[0].put((tag, 0, STARTED))
    files, errors = expand([path])
    outcomes = [detect_one(file, _detectors, options, _frames_of(tag)) for file in files]
    return gather(outcomes, errors, _detectors, _skipped, options)


def _one(path: Path, options: DetectOptions) -> FileReport | FileError:
    outcome = detect_one(path, _detectors, options)
    if isinstance(outcome, FileError) or options.figures:
        return outcome
    return _undrawn(outcome)


def _undrawn(report: FileReport) -> FileReport:
    """The report with its figures named but not drawn: leaving the worker draws them."""
    evidence = [replace(e, figures=[f.undrawn() for f in e.figures]) for e in report.evidence]
    return replace(report, evidence=evidence)


def detect_in_pool(
    files: Sequence[Path],
    recipe: DetectorRecipe,
    options: DetectOptions,
    finished: Callable[[Path, int], None] | None = None,
) -> Iterator[FileReport | FileError]:
    """Each file's report or error, in the order of `files`; `finished(path, done)` is
    called as each one completes, in whatever order they do."""
    context = multiprocessing.get_context("spawn")
    workers = max(1, min(options.jobs, len(files)))
    one_thread_per_worker()
    with ProcessPoolExecutor(workers, context, start_worker, (recipe,)) as pool:
        futures: dict[Future[FileReport | FileError], int] = {
            pool.submit(_one, path, options): index for index, path in enumerate(files)
        }
        results: list[FileReport | FileError | None] = [None] * len(files)
        for done, future in enumerate(as_completed(futures), start=1):
            index = futures[future]
            results[index] = future.result()
            if finished is not None:
                finished(files[index], done)
    for result in results:
        assert result is not None
        yield result
