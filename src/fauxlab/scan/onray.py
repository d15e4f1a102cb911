"""The Ray engine: files stream through a pool of actors on Ray Data, each actor with
its own detectors, loaded once (as `fauxlab serve` workers do).

Ray Data's streaming executor holds back the reading of new rows while the actors and
the consumer (the driver, which writes the results) are busy, so memory stays flat
however many files there are. Each actor is restarted if its process dies
(`max_restarts`), and the task it was running is given to a live actor
(`max_task_retries`): a file whose worker was killed is examined again. Rows travel as
paths, so every node must see the files at the same paths (a shared file system).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from numpy.typing import NDArray

from fauxlab.detection import DetectOptions, Detector, DetectorRecipe
from fauxlab.errors import FauxlabError, InputError
from fauxlab.scan.record import scan_record, where

# One file a block up to this many blocks (more rows a block past it): a retried task
# repeats one file, and files spread evenly over actors (a scan is bound by the files).
MAX_BLOCKS = 4096
CANNOT = "fauxlab.scan/cannot"  # a worker's row saying its detectors cannot load


class ScanWorker:
    """One Ray actor: loads the detectors once, then takes batches of paths."""

    def __init__(self, recipe: DetectorRecipe, options: DetectOptions, inflight: str) -> None:
        import ray

        _one_thread()
        self.detectors: list[Detector] = []
        self.cannot = ""  # why the detectors cannot load here: said once, by the driver
        try:
            self.detectors, _ = recipe.load()
        except FauxlabError as exc:  # not a death Ray would restart in vain, again and again
            self.cannot = str(exc)
        self.options = options
        self.run = where("ray", ray.get_runtime_context().get_node_id())
        # the file this worker is on, where the results folder is visible from here
        folder = Path(inflight)
        self.marker = folder / str(os.getpid()) if folder.is_dir() else None

    def _mark(self, path: str | None) -> None:
        if self.marker is None:
            return
        try:
            if path is None:
                self.marker.unlink(missing_ok=True)
            else:
                self.marker.write_text(path, encoding="utf-8")
        except OSError:  # a progress hint only: never worth failing a file for
            pass

    def __call__(self, batch: dict[str, NDArray[Any]]) -> dict[str, list[str]]:
        if self.cannot:
            return {"record": [json.dumps({CANNOT: self.cannot})] * len(batch["path"])}
        records = []
        for path, key in zip(batch["path"], batch["key"], strict=True):
            self._mark(str(path))
            record = scan_record(Path(str(path)), str(key), self.detectors, self.options, self.run)
            records.append(json.dumps(record, separators=(",", ":")))
        self._mark(None)
        return {"record": records}


def _one_thread() -> None:
    """One core per actor, as pool workers do: N actors on N cores, not N x N threads."""
    import sys

    import cv2

    cv2.setNumThreads(1)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)


def _last_line(exc: BaseException) -> str:
    """The last line of Ray's message: the exception that ended the remote traceback."""
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return lines[-1].strip() if lines else type(exc).__name__


def _connect(address: str | None) -> bool:
    """Join the cluster at `address`, or start a local Ray; True when we started it (and
    so stop it). A Ray already connected in this process is used as it is."""
    import ray

    if ray.is_initialized():
        return False
    # offline by design: no usage statistics sent anywhere (a setting the user may override)
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        ray.init(
            address=address,
            include_dashboard=False,
            logging_level=logging.WARNING,
            configure_logging=True,
            # workers' own logs stay in Ray's session folder (/tmp/ray/session_latest/logs):
            # a file's trouble is in its record, and a worker's death Ray handles
            log_to_driver=False,
        )
    except ConnectionError as exc:
        raise InputError(f"--address {address}: no Ray cluster answers there ({exc})") from exc
    return True


def _quiet_data() -> None:
    """Our progress lines say what Ray Data's bars and start-up notes would."""
    import ray.data

    logging.getLogger("ray.data").setLevel(logging.ERROR)
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    context.max_consecutive_actor_init_deaths = 2  # detectors that cannot load: say so soon


def ray_records(
    todo: Sequence[tuple[Path, str]],
    recipe: DetectorRecipe,
    options: DetectOptions,
    inflight: Path,
    address: str | None = None,
    workers: int = 0,
) -> Iterator[dict[str, Any]]:
    """Each file's record, in the order the actors finish them. `workers`: actors in the
    pool (0: one per CPU of the cluster)."""
    import ray
    import ray.data

    started = _connect(address)
    try:
        _quiet_data()
        cpus = ray.cluster_resources().get("CPU", 1)  # type: ignore[no-untyped-call]
        size = workers or max(1, int(cpus))
        rows = [{"path": str(path), "key": key} for path, key in todo]
        blocks = max(1, min(len(rows), MAX_BLOCKS))
        dataset = ray.data.from_items(rows, override_num_blocks=blocks).map_batches(
            ScanWorker,
            fn_constructor_kwargs={"recipe": recipe, "options": options, "inflight": str(inflight)},
            batch_size=1,
            compute=ray.data.ActorPoolStrategy(size=min(size, blocks)),
            num_cpus=1,
            # Ray Data gives pool actors max_restarts=-1 and max_task_retries=-1 by default
            # (checked in 2.60's actor_pool_map_operator): a killed actor comes back, and
            # its task is retried. Named here they are only a deprecation warning.
        )
        # A worker whose detectors cannot load answers each of its rows at once with why;
        # the rows are drained to the end, not abandoned: a streaming executor stopped
        # midway leaves threads that outlive Ray's shutdown and can end the process with
        # a core-worker error before the one-line message is out. Files that workers able
        # to load did judge are kept.
        cannot = ""
        for row in dataset.iter_rows():
            record = json.loads(row["record"])
            if CANNOT in record:
                cannot = cannot or str(record[CANNOT])
            else:
                yield record
        if cannot:
            raise InputError(f"on a Ray worker: {cannot}")
    except ray.exceptions.RayError as exc:  # actors that cannot start, a cluster gone
        reason = _last_line(exc)
        raise FauxlabError(f"the scan on Ray stopped: {reason}; run it again to go on") from exc
    finally:
        if started:
            ray.shutdown()
