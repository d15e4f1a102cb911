"""The HTTP API: analyses (queued), verification and the ledger (answered at once).

Every route answers JSON, or a problem document (RFC 9457) when it cannot; the page in
`static/` uses nothing but these routes.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel

from fauxlab.media import media_kind
from fauxlab.provenance.ledger import (
    Ledger,
    LedgerError,
    SignedTreeHead,
    verify_head,
    verify_inclusion_proof,
)
from fauxlab.provenance.ledger.heads import ORIGIN
from fauxlab.provenance.ledger.storage import is_url
from fauxlab.provenance.signing import SigningIdentity
from fauxlab.web.jobs import JobFailedError, JobRunner
from fauxlab.web.problems import SECURITY_HEADERS, ProblemError
from fauxlab.web.settings import ServeSettings
from fauxlab.web.store import AnalysisStore, Status
from fauxlab.web.uploads import new_id, store_upload

router = APIRouter(prefix="/api")
AnalysisId = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9_-]{16}$", max_length=16)]
SHA256 = re.compile(r"^[0-9a-f]{64}$")
FilePart = Annotated[UploadFile, File(description="An image, a video or a sound file.")]


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


def _reservation(request: Request) -> str:
    """The queue slot the app's guard reserved for this upload before reading its body."""
    token = getattr(request.state, "reservation", None)
    if token is None:  # not through the guard (never in a served app)
        raise ProblemError(503, "the upload was not admitted by the server's queue")
    return str(token)


@router.post("/analyses", status_code=202, response_model=Created, tags=["analyses"])
async def create_analysis(request: Request, file: FilePart) -> Created:
    """Upload an image, video or sound file to analyse; poll the URL in the answer for
    the result."""
    settings, store, runner = _settings(request), _store(request), _runner(request)
    reservation = _reservation(request)  # held since before the body was read
    path, size = await run_in_threadpool(
        store_upload, file, settings.uploads, settings.max_upload_bytes
    )
    analysis_id = new_id()
    name, kind = _display_name(file), media_kind(path).value
    store.add(analysis_id, name, kind, size, path, owner=_owner(request))
    runner.submit(analysis_id, path, _display_name(file), reservation)
    url = f"/api/analyses/{analysis_id}"
    return Created(id=analysis_id, status=Status.QUEUED.value, url=url, report_url=url + "/report")


STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)


def report_policy(html: str) -> str:
    """The page's CSP, but letting the report's own inline stylesheet apply (by its hash:
    nothing else inline), so the served report renders as the saved one does."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(m.encode()).digest()).decode() + "'"
        for m in STYLE.findall(html)
    )
    return SECURITY_HEADERS["Content-Security-Policy"].replace(
        "style-src 'self'", f"style-src 'self' {hashes}".rstrip()
    )


def _owner(request: Request) -> str | None:
    """The hash of the API key this request came with (None on a server without keys)."""
    owner: str | None = getattr(request.state, "owner", None)
    return owner


def _analysis(request: Request, analysis_id: str) -> Any:
    analysis = _store(request).get(analysis_id)
    if analysis is None or analysis.owner != _owner(request):  # another key's: not there
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
    html = found[1].decode()
    return HTMLResponse(html, headers={"Content-Security-Policy": report_policy(html)})


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
async def verify(request: Request, file: FilePart) -> dict[str, Any]:
    """fauxlab's own marks on a file: invisible watermark, C2PA credentials, ledger.
    Decoding runs in a worker, in the same bounded queue as analyses."""
    settings, runner = _settings(request), _runner(request)
    reservation = _reservation(request)
    path, _ = await run_in_threadpool(
        store_upload, file, settings.uploads, settings.max_upload_bytes
    )
    answer = runner.submit_verify(path, _display_name(file), reservation)
    try:
        report: dict[str, Any] = await asyncio.wrap_future(answer)
    except JobFailedError as failed:
        raise ProblemError(failed.status if failed.status != 500 else 422, failed.detail) from None
    return report


class _Ledger:
    """The ledger as the server reads it: opened without a signing key, so that no route
    can create a key or sign a head; heads are the latest the ledger's owner stored."""

    def __init__(self, request: Request) -> None:
        provenance = _settings(request).provenance
        location = provenance.ledger_path
        if not (is_url(location) or Path(location).is_file()):
            raise ProblemError(404, "this server has no ledger yet: nothing has been sealed")
        try:
            self.ledger = Ledger.open(location)
        except LedgerError as exc:
            raise ProblemError(503, f"the ledger cannot be opened: {_no_path(exc)}") from None
        # The operator's key, if this installation has one (never created here).
        identity = SigningIdentity.load_existing(provenance.identity_dir)
        self.own_key = identity.ledger_public_key_bytes() if identity else None

    def __enter__(self) -> _Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.ledger.close()

    def head(self) -> SignedTreeHead:
        head = self.ledger.latest_head()
        if head is None:
            raise ProblemError(
                404, "the ledger has no signed tree head yet; its operator signs one with "
                "`fauxlab ledger head`",
            )  # fmt: skip
        return head

    def key_for(self, head: SignedTreeHead) -> bytes:
        """The key to check `head` with: the operator's own if there is one."""
        return self.own_key if self.own_key is not None else bytes.fromhex(head.public_key)

    def shown(self, head: SignedTreeHead) -> dict[str, Any]:
        """The head, and what its signature is worth: checked against the operator's key,
        or only against the key inside it (integrity, not origin)."""
        verified = verify_head(head, self.key_for(head))
        if self.own_key is None:
            trust = (
                "checked against the key the head itself carries: this proves the head is "
                "intact, not who signed it; compare the key id with one from the operator"
            )
        elif head.public_key == self.own_key.hex():
            trust = "signed by this server's own ledger key"
        else:
            trust = "NOT signed by this server's ledger key: the head was made elsewhere"
        return head.to_dict() | {
            "origin": ORIGIN,
            "signature_verified": verified,
            "signed_by_this_server": None if self.own_key is None else verified,
            "trust": trust,
        }


def _no_path(exc: Exception) -> str:
    """A ledger error's message without the file path it starts with."""
    return str(exc).split(": ", 1)[-1]


@router.get("/ledger/head", tags=["ledger"])
def ledger_head(request: Request) -> dict[str, Any]:
    """The latest signed tree head: size, Merkle root, time, Ed25519 key and signature,
    and whether the key is this server's own. Never signs anything."""
    with _Ledger(request) as ledger:
        return ledger.shown(ledger.head())


@router.get("/ledger/entries/{index}", tags=["ledger"])
def ledger_entry(
    request: Request, index: Annotated[int, PathParam(ge=0, le=2**62)]
) -> dict[str, Any]:
    """One entry with its inclusion proof against the latest signed head (checked here
    too; the page checks it again in the browser)."""
    with _Ledger(request) as ledger:
        head = ledger.head()
        if index >= head.tree_size:
            raise ProblemError(
                404, f"no entry {index} under the latest signed head, which covers "
                f"{head.tree_size} entries",
            )  # fmt: skip
        try:
            proof = ledger.ledger.prove(index, head.tree_size)
        except LedgerError as exc:
            raise ProblemError(404, _no_path(exc)) from None
        verified = verify_inclusion_proof(proof, head, ledger.key_for(head))
        entry = proof.entry.to_dict()
        shown = ledger.shown(head)
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
    with _Ledger(request) as ledger:
        indices = [entry.index for entry in ledger.ledger.find_sha256(digest)]
    return {"sha256": digest, "entries": indices}


@router.get("/health", tags=["server"])
def health(request: Request) -> JSONResponse:
    """Up, how busy, and what is broken: 200 when analyses can run, else 503 with the
    problems listed (a dead worker pool, a stopped supervisor, an unwritable database)."""
    runner, store = _runner(request), _store(request)
    state = runner.health()
    problem = store.problem()
    if problem:
        state["problems"].append(problem)
        state["status"] = "broken"
    return JSONResponse(state, status_code=200 if state["status"] == "ok" else 503)
