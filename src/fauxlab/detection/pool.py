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
from pathlib import Path
from typing import TYPE_CHECKING

from fauxlab.detection.builtin import DetectorRecipe
from fauxlab.errors import FauxlabError
from fauxlab.media import media_kind

if TYPE_CHECKING:
    from fauxlab.detection.evidence import Detector
    from fauxlab.detection.run import DetectOptions, FileError, FileReport

_detectors: list[Detector] = []


def _start_worker(recipe: DetectorRecipe) -> None:
    os.environ["OMP_NUM_THREADS"] = "1"  # before torch loads: one core per worker
    loaded, _ = recipe.load()
    _detectors.extend(loaded)
    import sys

    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)


def _one(path: Path, options: DetectOptions) -> FileReport | FileError:
    from fauxlab.detection.run import FileError, detect_file, examine_error

    try:
        media_kind(path)  # a file found in a folder is checked only now
        return detect_file(path, _detectors, options)
    except FauxlabError as exc:
        return FileError(path, examine_error(path, exc))


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
    with ProcessPoolExecutor(workers, context, _start_worker, (recipe,)) as pool:
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
