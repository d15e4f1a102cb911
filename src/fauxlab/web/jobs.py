"""Running analyses and verifications: a pool of worker processes behind a bounded queue.

Each worker loads the detectors once (`fauxlab.detection.pool.start_worker`) and handles
one file at a time, under an address-space limit (`RLIMIT_AS`), so a file that decodes to
more memory than allowed fails in its worker as "too large" instead of taking the machine
down; frame progress comes back over a multiprocessing queue, drained by a thread into
the database.

Capacity is counted in slots: a request reserves one before its body is read (`reserve`,
called by the app's guard), and keeps it while its job waits or runs. When none is free
the request is refused at once (429 with Retry-After) instead of letting work pile up.

A supervisor thread keeps the pool alive: a worker that dies (the kernel's OOM killer, a
`kill -9`, a crash in a native library) breaks the whole `ProcessPoolExecutor`; the
supervisor replaces it, and every job that was interrupted is queued again (once: a file
that kills its worker twice fails, saying so), its upload kept until it has a verdict.
The supervisor also ends a job that runs past its wall-clock limit, by killing its worker
(a stuck native decoder cannot be interrupted any other way), which the same rebuild
then replaces.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import secrets
import signal
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from fauxlab.detection import (
    STARTED,
    AnalysisOptions,
    DetectOptions,
    DetectRun,
    ProgressEvent,
    file_timeline,
    one_thread_per_worker,
    render,
    run_one,
    start_worker,
    to_document,
    worker_events,
)
from fauxlab.errors import FauxlabError, MediaTooLargeError
from fauxlab.media.limits import MediaLimits, set_media_limits
from fauxlab.web.settings import MB, ServeSettings
from fauxlab.web.store import AnalysisStore

if TYPE_CHECKING:
    from multiprocessing.queues import Queue

    from fauxlab.detection import DetectorRecipe
    from fauxlab.provenance.context import Provenance

log = logging.getLogger("fauxlab.web")
SECONDS_PER_JOB = 10  # a rough guess for Retry-After: a photo takes ~1 s, a clip ~15 s
WORKER_PID = -2  # "frames in all" of the event that tells which process took a job
TICK = 0.5  # how often the supervisor looks at the pool and the clock
MAX_CRASHES = 2  # a job whose worker died this often fails instead of running again
PURGE_EVERY = 3600.0
CRASH_WINDOW, CRASH_LOOP = 300.0, 3  # this many pool restarts this recently: a crash loop


def _address_space() -> int:
    """This process's mapped address space in bytes (VmSize), 0 where /proc is missing."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def start_server_worker(
    recipe: DetectorRecipe,
    events: Queue[ProgressEvent],
    limits: MediaLimits,
    memory_headroom: int,
) -> None:
    """A worker that leaves stopping to the server: Ctrl-C in a terminal and a service
    manager's SIGTERM reach the whole process group, and a worker killed by them first
    would fail its job; the server ends its workers itself (`JobRunner.close`). Should the
    server die without doing so (SIGKILL), the worker exits within a second.

    Once its models are loaded, the worker may map `memory_headroom` bytes more (0: no
    limit): past that an allocation fails (MemoryError, or the decoder's own error), and the
    job fails as too large while the worker lives on."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    server = os.getppid()
    threading.Thread(target=_exit_with, args=(server,), daemon=True).start()
    start_worker(recipe, events)
    set_media_limits(limits)
    import fauxlab.provenance.verify  # noqa: F401  (loaded before the limit is measured)

    loaded = _address_space()
    if memory_headroom > 0 and loaded > 0:  # without /proc there is nothing to add to
        import resource

        ceiling = loaded + memory_headroom
        resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))


def _exit_with(server: int) -> None:
    while os.getppid() == server:
        time.sleep(1.0)
    os._exit(0)


def _announce(events: Any, tag: str) -> None:
    events.put((tag, os.getpid(), WORKER_PID))


def analyse_in_worker(path: Path, options: DetectOptions, tag: str) -> DetectRun:
    """One analysis, in a worker: says which process runs it, then `run_one`."""
    events = worker_events()
    if events is not None:
        _announce(events, tag)
    return run_one(path, options, tag)


def verify_in_worker(path: Path, provenance: Provenance, tag: str) -> dict[str, Any]:
    """`fauxlab verify` of one upload, in a worker (it decodes, so it is bounded like an
    analysis); never creates a key nor signs a head."""
    from fauxlab.provenance.verify import verify_file

    events = worker_events()
    if events is not None:
        _announce(events, tag)
    report: dict[str, Any] = verify_file(path, provenance).to_dict()
    return report


class QueueFullError(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("queue full")
        self.retry_after = retry_after


class JobFailedError(Exception):
    """A verification that ended without a report: `status` is the HTTP status to answer."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def artefacts_of(run: DetectRun) -> dict[str, tuple[str, bytes]]:
    """The files a finished analysis serves: its HTML report, figures (charts as SVG,
    pictures as PNG), thumbnail, and a video's timeline chart."""
    found: dict[str, tuple[str, bytes]] = {"report.html": ("text/html", render(run).encode())}
    for report in run.files:
        if report.thumbnail:
            found["thumbnail.jpg"] = ("image/jpeg", report.thumbnail)
        timeline = file_timeline(report, faces_shown=False)  # the page shows no faces
        if timeline is not None:
            found["timeline.svg"] = ("image/svg+xml", timeline.data)
        for evidence in report.evidence:
            for figure in evidence.figures:
                name = f"figures/{evidence.detector}/{figure.file_name}"
                found[name] = (figure.media_type, figure.data)
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


def scrub(value: Any, upload: Path, filename: str) -> Any:
    """`value` (JSON-like) with every mention of the server's upload path, or of the folder
    it lies in, replaced by the client's file name: answers carry no server paths."""
    if isinstance(value, str):
        return value.replace(str(upload), filename).replace(str(upload.parent), "[upload]")
    if isinstance(value, dict):
        return {key: scrub(item, upload, filename) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(item, upload, filename) for item in value]
    return value


@dataclass(eq=False)
class Job:
    id: str
    kind: Literal["analysis", "verify"]
    upload: Path
    filename: str
    crashes: int = 0
    dispatched: int = 0
    answer: Future[dict[str, Any]] | None = None  # a verification's report, for its request
    pool: int = field(default=-1)  # the pool generation it was last submitted to


class JobRunner:
    """Owns the worker pool; the store is the single source of truth for analyses' state."""

    def __init__(self, settings: ServeSettings, store: AnalysisStore) -> None:
        self.settings = settings
        self.store = store
        self.options = DetectOptions(analysis=AnalysisOptions(keyframes=settings.keyframes))
        self._context = multiprocessing.get_context("spawn")
        one_thread_per_worker()
        os.environ.setdefault("MALLOC_ARENA_MAX", "2")  # address space a limit can count on
        self._events: Queue[ProgressEvent] = self._context.Queue()
        self._lock = threading.Lock()
        self._pending: dict[str, Job | None] = {}  # None: a slot reserved by an upload
        self._running: dict[str, tuple[int, float]] = {}  # job id: (worker pid, started)
        self._retry: list[Job] = []
        self._timed_out: set[str] = set()
        self._generation = 0
        self._pool = self._new_pool()
        self._closing = False
        self._wake = threading.Event()
        self.restarts = 0
        self.retried = 0
        self.timed_out = 0
        self._last_failure = ""
        self._rebuild_error = ""
        self._purged = 0.0
        self._restarted: list[float] = []  # when the pool was rebuilt (monotonic)
        self._drain = threading.Thread(target=self._drain_events, daemon=True)
        self._drain.start()
        self._supervisor = threading.Thread(target=self._supervise, daemon=True)
        self._supervisor.start()

    def _new_pool(self) -> ProcessPoolExecutor:
        settings = self.settings
        limits = MediaLimits(
            max_pixels=settings.max_pixels,
            max_seconds=settings.max_video_seconds,
            max_frames=settings.max_video_frames,
        )
        return ProcessPoolExecutor(
            settings.workers,
            self._context,
            start_server_worker,
            (settings.recipe, self._events, limits, settings.worker_memory_mb * MB),
        )

    # -- capacity -------------------------------------------------------------------------

    @property
    def capacity(self) -> int:
        return self.settings.workers + self.settings.queue_size

    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def _retry_after(self, waiting: int) -> int:
        ahead = waiting - self.settings.workers + 1
        return max(1, ahead * SECONDS_PER_JOB // self.settings.workers)

    def reserve(self) -> str:
        """A slot for an upload about to be read; QueueFullError when none is free."""
        with self._lock:
            waiting = len(self._pending)
            if waiting >= self.capacity:
                raise QueueFullError(self._retry_after(waiting))
            token = "slot-" + secrets.token_urlsafe(9)
            self._pending[token] = None
            return token

    def release(self, token: str) -> None:
        """Give back a reserved slot that did not become a job (the upload failed)."""
        with self._lock:
            if token in self._pending and self._pending[token] is None:
                del self._pending[token]

    def _take(self, job: Job, reservation: str | None) -> None:
        with self._lock:
            if reservation is not None:
                self._pending.pop(reservation, None)
            self._pending[job.id] = job

    # -- submitting -----------------------------------------------------------------------

    def resume_unfinished(self) -> int:
        """Queue again what a previous run of the server accepted but did not finish."""
        resumed = 0
        for analysis in self.store.unfinished():
            if analysis.upload and Path(analysis.upload).is_file():
                self.store.requeue(analysis.id)
                job = Job(analysis.id, "analysis", Path(analysis.upload), analysis.filename)
                self._take(job, None)
                self._dispatch(job)
                resumed += 1
            else:
                self.store.fail(
                    analysis.id, "the server stopped before this analysis finished and the "
                    "upload is gone; upload the file again",
                )  # fmt: skip
        return resumed

    def submit(self, analysis_id: str, upload: Path, filename: str, reservation: str) -> None:
        """Queue an analysis the store already holds, in the slot its upload reserved."""
        job = Job(analysis_id, "analysis", upload, filename)
        self._take(job, reservation)
        self._dispatch(job)

    def submit_verify(
        self, upload: Path, filename: str, reservation: str
    ) -> Future[dict[str, Any]]:
        """Queue a verification in the slot its upload reserved; the future holds the
        report, or JobFailedError. The upload is deleted once it is answered."""
        job = Job("verify-" + secrets.token_urlsafe(9), "verify", upload, filename)
        job.answer = Future()
        self._take(job, reservation)
        self._dispatch(job)
        return job.answer

    def _dispatch(self, job: Job) -> None:
        with self._lock:
            pool, generation = self._pool, self._generation
        try:
            if job.kind == "analysis":
                future: Future[Any] = pool.submit(
                    analyse_in_worker, job.upload, self.options, job.id
                )
            else:
                future = pool.submit(verify_in_worker, job.upload, self.settings.provenance, job.id)
        except (BrokenProcessPool, RuntimeError):  # being replaced: the supervisor resubmits
            with self._lock:
                self._retry.append(job)
            self._wake.set()
            return
        job.pool = generation
        job.dispatched += 1
        future.add_done_callback(lambda f: self._complete(f, job))

    # -- finishing ------------------------------------------------------------------------

    def _end(self, job: Job) -> None:
        """The job has its verdict: free its slot and its upload."""
        with self._lock:
            self._pending.pop(job.id, None)
            self._running.pop(job.id, None)
            self._timed_out.discard(job.id)
        job.upload.unlink(missing_ok=True)  # the bytes are not kept once judged

    def _complete(self, future: Future[Any], job: Job) -> None:
        if self._closing:  # stopped: an analysis stays unfinished with its upload, so that
            if job.answer is not None and not job.answer.done():  # the next start queues
                job.answer.set_exception(JobFailedError(503, "the server is stopping"))
            return  # it again (resume_unfinished)
        exc = None if future.cancelled() else future.exception()
        if future.cancelled() or isinstance(exc, BrokenProcessPool):  # a pool replaced
            self._interrupted(job)
            return
        if exc is None:
            self._succeeded(job, future.result())
        elif isinstance(exc, MemoryError):
            self._failed(job, 413, self._too_large())
        elif isinstance(exc, FauxlabError):  # the file's own fault, said in one line
            status = 413 if isinstance(exc, MediaTooLargeError) else 422
            text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            self._failed(job, status, scrub(text, job.upload, job.filename))
        else:
            log.error("job %s failed: %r", job.id, exc)
            self._failed(job, 500, "fauxlab hit an unexpected error on this file")

    def _too_large(self) -> str:
        return (
            "too large: this file needs more memory than this server gives one analysis "
            f"({self.settings.worker_memory_mb} MB beyond the models); try a smaller or "
            "shorter file"
        )

    def _interrupted(self, job: Job) -> None:
        """Its worker died (or was killed for running too long): queue it again once."""
        self._wake.set()  # the supervisor replaces the pool now, not at its next tick
        with self._lock:
            ran = self._running.pop(job.id, None) is not None
            timed_out = job.id in self._timed_out
        if timed_out:
            self._failed(
                job, 504, f"stopped: the analysis took longer than this server's limit of "
                f"{self.settings.job_timeout_s:.0f} s; try a shorter file",
            )  # fmt: skip
            return
        if ran:
            job.crashes += 1
        if job.crashes >= MAX_CRASHES or job.dispatched > MAX_CRASHES + 2:
            self._failed(
                job, 413, "the worker process died twice on this file (out of memory?); "
                "try a shorter or smaller file",
            )  # fmt: skip
            return
        log.warning("job %s was interrupted by a dead worker; it runs again", job.id)
        if job.kind == "analysis" and ran:  # those still waiting stay as they were
            self.store.requeue(job.id, "queued again: its worker process died")
        with self._lock:
            self._retry.append(job)
            self.retried += ran
        self._wake.set()

    def _succeeded(self, job: Job, result: Any) -> None:
        if job.kind == "verify":
            assert job.answer is not None
            report = scrub(result, job.upload, job.filename)
            report["path"] = job.filename
            self._end(job)
            job.answer.set_result(report)
            return
        # Free the queue slot before the job reads as done, so that a client that sees
        # "done" and uploads again is never refused as busy.
        with self._lock:
            self._pending.pop(job.id, None)
            self._running.pop(job.id, None)
        try:
            run = named(result, job.filename)
            if run.files:
                document = scrub(to_document(run), job.upload, job.filename)
                self.store.finish(job.id, document, artefacts_of(run))
            else:
                reason = run.errors[0].reason if run.errors else "the file could not be read"
                self.store.fail(job.id, scrub(reason, job.upload, job.filename))
        except Exception:  # anything else must still end the job, never leave it running
            log.exception("analysis %s failed", job.id)
            self.store.fail(job.id, "fauxlab hit an unexpected error analysing this file")
        # The bytes are not kept once judged; until a verdict is stored they stay, so that
        # a crash or a stop before this line still resumes the job.
        self._end(job)

    def _failed(self, job: Job, status: int, reason: str) -> None:
        self._last_failure = reason
        if job.kind == "verify":
            assert job.answer is not None
            self._end(job)
            job.answer.set_exception(JobFailedError(status, reason))
            return
        self.store.fail(job.id, reason)
        self._end(job)

    # -- the supervisor ---------------------------------------------------------------------

    def _pool_broken(self) -> str:
        """Why the current pool cannot run jobs, or ''."""
        pool = self._pool
        if getattr(pool, "_broken", False):
            return "a worker process died"
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            if process.exitcode is not None:
                return f"worker process {process.pid} exited (code {process.exitcode})"
        return ""

    def _supervise(self) -> None:
        while not self._closing:
            self._wake.wait(TICK)
            self._wake.clear()
            if self._closing:
                return
            try:
                self._check_pool()
                self._check_clock()
                self._purge_old()
            except Exception:  # the supervisor must outlive anything it looks at
                log.exception("the job supervisor hit an error")

    def _check_pool(self) -> None:
        broken = self._pool_broken()
        if broken:
            self._rebuild(broken)
        with self._lock:
            retry, self._retry = self._retry, []
        for job in retry:
            self._dispatch(job)

    def _rebuild(self, why: str) -> None:
        """Replace a broken pool. Its futures fail with BrokenProcessPool, and their
        callbacks queue the interrupted jobs again for the new pool."""
        log.error("the analysis pool is broken (%s); starting a new one", why)
        old = self._pool
        processes = list((getattr(old, "_processes", None) or {}).values())
        try:
            new = self._new_pool()
        except Exception as exc:
            self._rebuild_error = f"the analysis pool could not be restarted ({exc})"
            raise
        with self._lock:
            self._pool, self._generation = new, self._generation + 1
            self.restarts += 1
            self._restarted.append(time.monotonic())
            self._last_failure = f"the analysis pool was restarted: {why}"
            self._rebuild_error = ""
        old.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.exitcode is None:
                process.kill()

    def _check_clock(self) -> None:
        limit = self.settings.job_timeout_s
        if limit <= 0:
            return
        now = time.monotonic()
        with self._lock:
            late = [(tag, pid) for tag, (pid, started) in self._running.items()
                    if now - started > limit and tag not in self._timed_out]  # fmt: skip
            self._timed_out.update(tag for tag, _ in late)
            self.timed_out += len(late)
        for tag, pid in late:
            log.error("job %s passed the %.0f s limit: killing its worker %d", tag, limit, pid)
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)

    def _purge_old(self) -> None:
        days = self.settings.keep_days
        now = time.time()
        if days <= 0 or now - self._purged < PURGE_EVERY:
            return
        self._purged = now
        removed = self.store.purge(now - days * 86400)
        if removed:
            log.warning("removed %d analyses older than %g days", removed, days)

    def _drain_events(self) -> None:
        while True:
            try:
                event = self._events.get()
            except (EOFError, OSError, ValueError):
                return
            if event is None:  # type: ignore[comparison-overlap]
                return
            tag, done, total = event
            if total == WORKER_PID:
                with self._lock:  # a job already answered must not be timed any more
                    if tag in self._pending:
                        self._running[tag] = (done, time.monotonic())
                continue
            if total == STARTED:
                self.store.started(tag)
                continue
            fraction = done / total if total else 0.0
            stage = f"decoding and finding faces: frame {done} of {total}"
            self.store.progress(tag, min(0.95, 0.9 * fraction), stage)

    # -- health and stopping ----------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        """What works and what does not, for /api/health."""
        problems = []
        broken = self._pool_broken()
        if broken:
            problems.append(f"the analysis pool is broken ({broken}); it is being restarted")
        if self._rebuild_error:
            problems.append(self._rebuild_error)
        recent = [t for t in self._restarted if time.monotonic() - t < CRASH_WINDOW]
        if len(recent) >= CRASH_LOOP:
            problems.append(
                f"workers keep dying: the pool was restarted {len(recent)} times in the last "
                f"{CRASH_WINDOW:.0f} s"
            )
        if not self._supervisor.is_alive() and not self._closing:
            problems.append("the job supervisor has stopped: dead workers are not replaced")
        if not self._drain.is_alive() and not self._closing:
            problems.append("the progress thread has stopped: progress is not recorded")
        processes = list((getattr(self._pool, "_processes", None) or {}).values())
        with self._lock:
            pending = len(self._pending)
            running = len(self._running)
            retrying = len(self._retry)
        return {
            "status": "broken" if problems else "ok",
            "problems": problems,
            "pending": pending,
            "running": running,
            "capacity": self.capacity,
            "workers": {
                "configured": self.settings.workers,
                "started": sum(1 for p in processes if p.exitcode is None),
                "memory_limit_mb": self.settings.worker_memory_mb or None,
            },
            "job_timeout_s": self.settings.job_timeout_s or None,
            "pool_restarts": self.restarts,
            "jobs_retried": self.retried,
            "jobs_waiting_for_a_new_pool": retrying,
            "jobs_timed_out": self.timed_out,
            "last_failure": self._last_failure or None,
            "keep_days": self.settings.keep_days or None,
        }

    def close(self) -> None:
        """Stop now. A worker left mid-analysis would outlive the server, blocked on the
        progress queue nobody reads, so workers are killed; their jobs resume next start.
        The store is closed after this returns, so no callback may still be writing."""
        if self._closing:
            return
        self._closing = True
        self._wake.set()
        self._supervisor.join(timeout=10)
        pool = self._pool
        # ProcessPoolExecutor has no public handle on its workers or manager before 3.14.
        processes = list((getattr(pool, "_processes", None) or {}).values())
        manager = getattr(pool, "_executor_manager_thread", None)
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.kill()  # they ignore SIGTERM (start_server_worker)
        for process in processes:
            process.join(timeout=10)
        if isinstance(manager, threading.Thread):
            manager.join(timeout=10)  # callbacks run on it: let a verdict in hand be stored
        with self._lock:
            waiting = [job for job in self._pending.values() if job is not None]
        for job in waiting:
            if job.answer is not None and not job.answer.done():
                job.answer.set_exception(JobFailedError(503, "the server is stopping"))
        self._events.cancel_join_thread()
        self._events.put(None)  # type: ignore[arg-type]
        self._drain.join(timeout=5)
