"""Running analyses: a pool of worker processes behind a bounded queue.

Each worker loads the detectors once (`fauxlab.detection.pool.start_worker`) and analyses
one file at a time; frame progress comes back over a multiprocessing queue, drained by a
thread into the database. When the queue is full, `submit` refuses at once (the API turns
that into 429 with Retry-After) instead of letting work pile up without bound.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from fauxlab.detection import (
    STARTED,
    AnalysisOptions,
    DetectOptions,
    DetectRun,
    ProgressEvent,
    one_thread_per_worker,
    render,
    run_one,
    start_worker,
    to_document,
)
from fauxlab.web.settings import ServeSettings
from fauxlab.web.store import AnalysisStore

if TYPE_CHECKING:
    from multiprocessing.queues import Queue

    from fauxlab.detection import DetectorRecipe

log = logging.getLogger("fauxlab.web")
SECONDS_PER_JOB = 10  # a rough guess for Retry-After: a photo takes ~1 s, a clip ~15 s


def start_server_worker(recipe: DetectorRecipe, events: Queue[ProgressEvent]) -> None:
    """A worker that leaves stopping to the server: Ctrl-C in a terminal and a service
    manager's SIGTERM reach the whole process group, and a worker killed by them first
    would fail its job; the server ends its workers itself (`JobRunner.close`). Should the
    server die without doing so (SIGKILL), the worker exits within a second."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    server = os.getppid()
    threading.Thread(target=_exit_with, args=(server,), daemon=True).start()
    start_worker(recipe, events)


def _exit_with(server: int) -> None:
    while os.getppid() == server:
        time.sleep(1.0)
    os._exit(0)


class QueueFullError(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("queue full")
        self.retry_after = retry_after


def artefacts_of(run: DetectRun) -> dict[str, tuple[str, bytes]]:
    """The files a finished analysis serves: its HTML report, figures and thumbnail."""
    found: dict[str, tuple[str, bytes]] = {"report.html": ("text/html", render(run).encode())}
    for report in run.files:
        if report.thumbnail:
            found["thumbnail.jpg"] = ("image/jpeg", report.thumbnail)
        for evidence in report.evidence:
            for figure in evidence.figures:
                found[f"figures/{evidence.detector}/{figure.name}.png"] = ("image/png", figure.png)
    return found


def named(run: DetectRun, filename: str) -> DetectRun:
    """The run with the client's file name in place of our private upload path, so the
    JSON and the report show the name the person knows and reveal nothing of the server."""
    shown = Path(filename)
    return replace(
        run,
        files=[replace(report, path=shown) for report in run.files],
        errors=[replace(error, path=shown) for error in run.errors],
    )


class JobRunner:
    """Owns the worker pool; the store is the single source of truth for job state."""

    def __init__(self, settings: ServeSettings, store: AnalysisStore) -> None:
        self.settings = settings
        self.store = store
        self.options = DetectOptions(analysis=AnalysisOptions(keyframes=settings.keyframes))
        context = multiprocessing.get_context("spawn")
        one_thread_per_worker()
        self._events: Queue[ProgressEvent] = context.Queue()
        self._pool = ProcessPoolExecutor(
            settings.workers, context, start_server_worker, (settings.recipe, self._events)
        )
        self._lock = threading.Lock()
        self._pending: set[str] = set()
        self._closing = False
        self._drain = threading.Thread(target=self._drain_events, daemon=True)
        self._drain.start()

    @property
    def capacity(self) -> int:
        return self.settings.workers + self.settings.queue_size

    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def resume_unfinished(self) -> int:
        """Queue again what a previous run of the server accepted but did not finish."""
        resumed = 0
        for analysis in self.store.unfinished():
            if analysis.upload and Path(analysis.upload).is_file():
                self.store.requeue(analysis.id)
                self._submit(analysis.id, Path(analysis.upload), analysis.filename)
                resumed += 1
            else:
                self.store.fail(
                    analysis.id, "the server stopped before this analysis finished and the "
                    "upload is gone; upload the file again",
                )  # fmt: skip
        return resumed

    def submit(self, analysis_id: str, upload: Path, filename: str) -> None:
        """Queue an analysis the store already holds; raises QueueFullError when at capacity."""
        with self._lock:
            waiting = len(self._pending)
            if waiting >= self.capacity:
                ahead = waiting - self.settings.workers + 1
                raise QueueFullError(max(1, ahead * SECONDS_PER_JOB // self.settings.workers))
            self._pending.add(analysis_id)
        self._submit(analysis_id, upload, filename, reserved=True)

    def _submit(
        self, analysis_id: str, upload: Path, filename: str, reserved: bool = False
    ) -> None:
        if not reserved:
            with self._lock:
                self._pending.add(analysis_id)
        try:
            future = self._pool.submit(run_one, upload, self.options, analysis_id)
        except (BrokenProcessPool, RuntimeError) as exc:
            self._finished(analysis_id, upload)
            self.store.fail(analysis_id, f"the analysis pool is not running ({exc})")
            return
        future.add_done_callback(lambda f: self._complete(f, analysis_id, upload, filename))

    def _release(self, analysis_id: str) -> None:
        with self._lock:
            self._pending.discard(analysis_id)

    def _finished(self, analysis_id: str, upload: Path) -> None:
        self._release(analysis_id)
        upload.unlink(missing_ok=True)  # the bytes are not kept once judged

    def _complete(
        self, future: Future[DetectRun], analysis_id: str, upload: Path, filename: str
    ) -> None:
        if self._closing or future.cancelled():  # stopped: the job stays unfinished with
            return  # its upload, so that the next start queues it again (resume_unfinished)
        # Free the queue slot before the job reads as done, so that a client that sees
        # "done" and uploads again is never refused as busy.
        self._release(analysis_id)
        try:
            run = named(future.result(), filename)
            if run.files:
                self.store.finish(analysis_id, to_document(run), artefacts_of(run))
            else:
                reason = run.errors[0].reason if run.errors else "the file could not be read"
                self.store.fail(analysis_id, reason)
        except BrokenProcessPool:
            log.error("a worker died while analysing %s", analysis_id)
            self.store.fail(
                analysis_id, "the analysis stopped: the worker process died (out of memory?); "
                "try a shorter or smaller file",
            )  # fmt: skip
        except Exception:  # anything else must still end the job, never leave it running
            log.exception("analysis %s failed", analysis_id)
            self.store.fail(analysis_id, "fauxlab hit an unexpected error analysing this file")
        # The bytes are not kept once judged; until a verdict is stored they stay, so that
        # a crash or a stop before this line still resumes the job.
        upload.unlink(missing_ok=True)

    def _drain_events(self) -> None:
        while True:
            try:
                event = self._events.get()
            except (EOFError, OSError, ValueError):
                return
            if event is None:  # type: ignore[comparison-overlap]
                return
            tag, done, total = event
            if total == STARTED:
                self.store.started(tag)
                continue
            fraction = done / total if total else 0.0
            stage = f"decoding and finding faces: frame {done} of {total}"
            self.store.progress(tag, min(0.95, 0.9 * fraction), stage)

    def close(self) -> None:
        """Stop now. A worker left mid-analysis would outlive the server, blocked on the
        progress queue nobody reads, so workers are killed; their jobs resume next start.
        The store is closed after this returns, so no callback may still be writing."""
        if self._closing:
            return
        self._closing = True
        # ProcessPoolExecutor has no public handle on its workers or manager before 3.14.
        processes = list((getattr(self._pool, "_processes", None) or {}).values())
        manager = getattr(self._pool, "_executor_manager_thread", None)
        self._pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.kill()  # they ignore SIGTERM (start_server_worker)
        for process in processes:
            process.join(timeout=10)
        if isinstance(manager, threading.Thread):
            manager.join(timeout=10)  # callbacks run on it: let a verdict in hand be stored
        self._events.cancel_join_thread()
        self._events.put(None)  # type: ignore[arg-type]
        self._drain.join(timeout=5)
