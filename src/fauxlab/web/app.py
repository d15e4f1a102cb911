"""The FastAPI application: API routes, the page, problem documents, limits, lifespan."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from fauxlab import __version__
from fauxlab.config import private_dir
from fauxlab.web.api import router
from fauxlab.web.jobs import JobRunner, QueueFullError
from fauxlab.web.keys import RateLimiter, key_hash
from fauxlab.web.problems import (
    SECURITY_HEADERS,
    BodyTooLargeError,
    ProblemError,
    UploadStalledError,
    busy,
    install_handlers,
    rate_limited,
    stalled,
    too_large,
    unauthorized,
)
from fauxlab.web.settings import ServeSettings
from fauxlab.web.store import AnalysisStore
from fauxlab.web.uploads import BodyLimit, declared_too_large

STATIC = Path(str(resources.files("fauxlab.web") / "static"))
UPLOAD_ROUTES = ("/api/analyses", "/api/verify")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
OPEN_ROUTES = ("/api/health", "/api/docs", "/api/openapi.json")  # no key needed


def _hostname(netloc: str) -> str:
    """`host[:port]` or `[v6]:port` to the bare lower-case host name."""
    netloc = netloc.strip().lower()
    if netloc.startswith("["):
        return netloc[1 : netloc.find("]")] if "]" in netloc else netloc
    return netloc.rsplit(":", 1)[0] if netloc.count(":") == 1 else netloc


class _Guard:
    """Before any route runs: answer only to allowed Host names (DNS rebinding), take no
    upload from another origin (CSRF), refuse oversized bodies before reading them, and
    hold a queue slot for an upload before its body is read (429 when none is free). After:
    security headers on every answer."""

    def __init__(self, app: ASGIApp, settings: ServeSettings) -> None:
        self.app = BodyLimit(
            app, settings.max_upload_bytes, settings.upload_idle_s, settings.upload_total_s
        )
        self.limit = settings.max_upload_bytes
        self.hosts = frozenset(h.lower() for h in settings.allowed_hosts)
        self.keys = dict(settings.api_keys)
        self.per_minute = settings.rate_limit
        self.limiter = RateLimiter(settings.rate_limit) if settings.rate_limit > 0 else None

    def _key_refusal(self, scope: Scope, headers: dict[bytes, bytes]) -> ProblemError | None:
        """With keys: a known bearer token within its rate, or 401/429. The key's hash
        goes in the request's state so routes show each key only its own analyses."""
        path = scope["path"]
        if not self.keys or not path.startswith("/api/") or path in OPEN_ROUTES:
            return None
        scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return unauthorized(
                "this server needs an API key: send it as 'Authorization: Bearer KEY'; "
                "its operator creates keys with `fauxlab serve-keys add`"
            )
        digest = key_hash(token.strip())
        if digest not in self.keys:
            return unauthorized("unknown API key: ask this server's operator for one")
        if self.limiter is not None:
            wait = self.limiter.take(digest)
            if wait:
                return rate_limited(self.per_minute, wait)
        scope.setdefault("state", {})["owner"] = digest
        return None

    def _refusal(self, scope: Scope, headers: dict[bytes, bytes]) -> ProblemError | None:
        host = headers.get(b"host", b"").decode("latin-1")
        if _hostname(host) not in self.hosts:
            return ProblemError(
                400, f"this server does not answer to the host name {host[:100]!r}; its "
                "operator can allow it with --allowed-host", kind="host-not-allowed",
            )  # fmt: skip
        origin = headers.get(b"origin")
        if scope["method"] not in SAFE_METHODS and origin is not None:
            parsed = urlsplit(origin.decode("latin-1"))
            if parsed.netloc.lower() != host.lower() or parsed.scheme not in ("http", "https"):
                return ProblemError(
                    403, f"cross-origin request from {origin.decode('latin-1')[:100]!r} "
                    "refused: upload from this server's own page", kind="cross-origin",
                )  # fmt: skip
        length = headers.get(b"content-length")
        if declared_too_large(length.decode("latin-1") if length else None, self.limit):
            return too_large(self.limit)
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def with_headers(message: dict[str, object]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                raw = list(message.get("headers", []))  # type: ignore[call-overload]
                present = {name.lower() for name, _ in raw}
                raw += [
                    (k.lower().encode(), v.encode())
                    for k, v in SECURITY_HEADERS.items()
                    if k.lower().encode() not in present  # a route's own CSP wins
                ]
                message["headers"] = raw
            await send(message)

        headers = dict(scope.get("headers", []))
        refusal = self._refusal(scope, headers) or self._key_refusal(scope, headers)
        if refusal is None and scope["method"] == "POST" and scope["path"] in UPLOAD_ROUTES:
            runner: JobRunner = scope["app"].state.runner
            try:  # before a byte of the body is read
                scope.setdefault("state", {})["reservation"] = runner.reserve()
            except QueueFullError as full:
                refusal = busy(runner.capacity, full.retry_after)
        if refusal is not None:
            await refusal.response()(scope, receive, with_headers)  # type: ignore[arg-type]
            return
        try:
            await self.app(scope, receive, with_headers)  # type: ignore[arg-type]
        except (BodyTooLargeError, UploadStalledError) as exc:  # read outside a form
            if started:
                raise
            problem = too_large(self.limit) if isinstance(exc, BodyTooLargeError) else stalled()
            await problem.response()(scope, receive, with_headers)  # type: ignore[arg-type]
        finally:
            token = scope.get("state", {}).get("reservation")
            if token is not None:  # an upload that did not become a job frees its slot
                scope["app"].state.runner.release(token)


def create_app(settings: ServeSettings) -> FastAPI:
    """A new app; its pool and database start with the app's lifespan, not before."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        private_dir(settings.data_dir)
        private_dir(settings.uploads)
        for upload in settings.uploads.iterdir():  # uploads kept by an older server
            upload.chmod(0o600)
        for stale in settings.uploads.glob(".*.part"):  # partial uploads of a crash
            stale.unlink(missing_ok=True)
        store = AnalysisStore(settings.database)
        runner = JobRunner(settings, store)
        app.state.store, app.state.runner = store, runner
        if settings.keep_days > 0:
            store.purge(time.time() - settings.keep_days * 86400)
        runner.resume_unfinished()
        try:
            yield
        finally:
            runner.close()
            store.close()

    app = FastAPI(
        title="fauxlab",
        version=__version__,
        summary="Is it fake? Analyse media, verify fauxlab's marks, read the ledger.",
        lifespan=lifespan,
        docs_url=None,  # Swagger UI would load scripts from a CDN: /api/docs is ours
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    install_handlers(app, settings.max_upload_bytes)

    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @app.get("/api/docs", include_in_schema=False)
    def docs() -> FileResponse:
        return FileResponse(STATIC / "docs.html")

    app.add_middleware(_Guard, settings=settings)  # type: ignore[arg-type]
    return app
