"""The HTTP API: analyses (queued), verification and the ledger (answered at once).

Every route answers JSON, or a problem document (RFC 9457) when it cannot; the page in
`static/` uses nothing but these routes.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel

from fauxlab.errors import FauxlabError
from fauxlab.media import media_kind
from fauxlab.provenance.ledger import LedgerError, verify_inclusion_proof
from fauxlab.provenance.ledger.heads import ORIGIN
from fauxlab.provenance.verify import verify_file
from fauxlab.web.jobs import JobRunner, QueueFullError
from fauxlab.web.problems import ProblemError
from fauxlab.web.settings import ServeSettings
from fauxlab.web.store import AnalysisStore, Status
from fauxlab.web.uploads import new_id, store_upload

router = APIRouter(prefix="/api")
AnalysisId = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9_-]{16}$", max_length=16)]
SHA256 = re.compile(r"^[0-9a-f]{64}$")
FilePart = Annotated[UploadFile, File(description="An image or a video.")]


class Created(BaseModel):
    id: str
    status: str
    url: str
    report_url: str


def _settings(request: Request) -> ServeSettings:
    settings: ServeSettings = request.app.state.settings
    return settings


def _store(request: Request) -> AnalysisStore:
    store: AnalysisStore = request.app.state.store
    return store


def _runner(request: Request) -> JobRunner:
    runner: JobRunner = request.app.state.runner
    return runner


def _display_name(upload: UploadFile) -> str:
    """The client's name for the file, for display only (never a path)."""
    name = Path((upload.filename or "upload").replace("\\", "/")).name
    return re.sub(r"[\x00-\x1f\x7f]", "", name)[:200] or "upload"


@router.post("/analyses", status_code=202, response_model=Created, tags=["analyses"])
async def create_analysis(request: Request, file: FilePart) -> Created:
    """Upload an image or video to analyse; poll the URL in the answer for the result."""
    settings, store, runner = _settings(request), _store(request), _runner(request)
    if runner.pending() >= runner.capacity:  # refuse before reading a large file to disk
        raise _busy(runner.capacity)
    path, size = await run_in_threadpool(
        store_upload, file, settings.uploads, settings.max_upload_bytes
    )
    analysis_id = new_id()
    store.add(analysis_id, _display_name(file), media_kind(path).value, size, path)
    try:
        runner.submit(analysis_id, path, _display_name(file))
    except QueueFullError as full:
        store.fail(analysis_id, "refused: the queue was full")
        path.unlink(missing_ok=True)
        raise _busy(runner.capacity, full.retry_after) from None
    url = f"/api/analyses/{analysis_id}"
    return Created(id=analysis_id, status=Status.QUEUED.value, url=url, report_url=url + "/report")


def _busy(capacity: int, retry_after: int = 10) -> ProblemError:
    return ProblemError(
        429,
        f"the server is busy ({capacity} analyses running or waiting); try again in "
        f"{retry_after} s",
        {"Retry-After": str(retry_after)},
    )


def _analysis(request: Request, analysis_id: str) -> Any:
    analysis = _store(request).get(analysis_id)
    if analysis is None:
        raise ProblemError(404, f"no analysis {analysis_id}; it may belong to another server")
    return analysis


@router.get("/analyses/{analysis_id}", tags=["analyses"])
def get_analysis(request: Request, analysis_id: AnalysisId) -> dict[str, Any]:
    """Status (queued, running, done, failed), progress from 0 to 1, and when done the
    result: the `fauxlab.detect/1` JSON document that `fauxlab detect --json` prints."""
    summary: dict[str, Any] = _analysis(request, analysis_id).summary()
    return summary


def _done(request: Request, analysis_id: str) -> None:
    analysis = _analysis(request, analysis_id)
    if analysis.status is not Status.DONE:
        raise ProblemError(
            409, f"analysis {analysis_id} is {analysis.status.value}, not done"
            + (f": {analysis.error}" if analysis.error else "; try again when it is"),
        )  # fmt: skip


@router.get("/analyses/{analysis_id}/report", response_class=HTMLResponse, tags=["analyses"])
def get_report(request: Request, analysis_id: AnalysisId) -> HTMLResponse:
    """The self-contained HTML report, as `fauxlab detect --report` writes it."""
    _done(request, analysis_id)
    found = _store(request).artefact(analysis_id, "report.html")
    assert found is not None
    return HTMLResponse(found[1].decode())


@router.get("/analyses/{analysis_id}/document.json", tags=["analyses"])
def get_document(request: Request, analysis_id: AnalysisId) -> JSONResponse:
    """The JSON result as a file to save."""
    _done(request, analysis_id)
    document = _analysis(request, analysis_id).document
    name = f"fauxlab-{analysis_id}.json"
    return JSONResponse(document, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/analyses/{analysis_id}/files/{name:path}", tags=["analyses"])
def get_file(
    request: Request,
    analysis_id: AnalysisId,
    name: Annotated[str, PathParam(max_length=200)],
) -> Response:
    """A figure (`figures/DETECTOR/NAME.png`) or the thumbnail (`thumbnail.jpg`)."""
    _analysis(request, analysis_id)
    found = _store(request).artefact(analysis_id, name) if name != "report.html" else None
    if found is None:
        raise ProblemError(404, f"analysis {analysis_id} has no file {name!r}")
    return Response(found[1], media_type=found[0], headers={"Cache-Control": "max-age=3600"})


@router.post("/verify", tags=["provenance"])
def verify(request: Request, file: FilePart) -> dict[str, Any]:
    """fauxlab's own marks on a file: invisible watermark, C2PA credentials, ledger."""
    settings = _settings(request)
    path, _ = store_upload(file, settings.uploads, settings.max_upload_bytes)
    try:
        report = verify_file(path, settings.provenance).to_dict()
    except FauxlabError as exc:
        raise ProblemError(422, str(exc).replace(str(path), _display_name(file))) from None
    finally:
        path.unlink(missing_ok=True)
    report["path"] = _display_name(file)
    return report


def _ledger(request: Request) -> Any:
    provenance = _settings(request).provenance
    if not provenance.ledger_path.is_file():
        raise ProblemError(404, "this server has no ledger yet: nothing has been sealed")
    try:
        return provenance.open_ledger()
    except LedgerError as exc:
        raise ProblemError(503, f"the ledger cannot be opened: {exc}") from None


@router.get("/ledger/head", tags=["ledger"])
def ledger_head(request: Request) -> dict[str, Any]:
    """The signed tree head: size, Merkle root, time, Ed25519 key and signature."""
    with _ledger(request) as ledger:
        head: dict[str, Any] = ledger.head().to_dict()
    return head | {"origin": ORIGIN}


@router.get("/ledger/entries/{index}", tags=["ledger"])
def ledger_entry(
    request: Request, index: Annotated[int, PathParam(ge=0, le=2**62)]
) -> dict[str, Any]:
    """One entry with its inclusion proof against the current signed head (checked here
    too; the page checks it again in the browser)."""
    with _ledger(request) as ledger:
        try:
            head = ledger.head()
            proof = ledger.prove(index, head.tree_size)
        except LedgerError as exc:
            raise ProblemError(404, str(exc).split(": ", 1)[-1]) from None
        verified = verify_inclusion_proof(proof, head, ledger.public_key)
        entry = proof.entry.to_dict()
    shown = head.to_dict() | {"origin": ORIGIN}
    return {"entry": entry, "proof": proof.to_dict(), "head": shown, "verified": verified}


@router.get("/ledger/search", tags=["ledger"])
def ledger_search(
    request: Request,
    sha256: Annotated[str, Query(min_length=64, max_length=64, description="hex SHA-256")],
) -> dict[str, Any]:
    """Entries recorded for a file with this SHA-256 (as `fauxlab verify` looks it up)."""
    digest = sha256.lower()
    if not SHA256.match(digest):
        raise ProblemError(422, "sha256 must be 64 hexadecimal characters", kind="invalid-request")
    with _ledger(request) as ledger:
        indices = [entry.index for entry in ledger.find_sha256(digest)]
    return {"sha256": digest, "entries": indices}


@router.get("/health", tags=["server"])
def health(request: Request) -> dict[str, Any]:
    """Is the server up, and how busy."""
    runner = _runner(request)
    return {"status": "ok", "pending": runner.pending(), "capacity": runner.capacity}
