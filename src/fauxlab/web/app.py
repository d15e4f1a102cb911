"""The FastAPI application: API routes, the page, problem documents, limits, lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from fauxlab import __version__
from fauxlab.web.api import router
from fauxlab.web.jobs import JobRunner
from fauxlab.web.problems import install_handlers, too_large
from fauxlab.web.settings import ServeSettings
from fauxlab.web.store import AnalysisStore
from fauxlab.web.uploads import BodyLimit, declared_too_large

STATIC = Path(str(resources.files("fauxlab.web") / "static"))
# The page loads nothing from elsewhere; figures come as same-origin PNGs or data: URIs.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; "
        "script-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class _Guard:
    """Refuse oversized bodies before reading them, add security headers to every answer."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = BodyLimit(app, limit)
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        length = headers.get(b"content-length")
        if declared_too_large(length.decode() if length else None, self.limit):
            await too_large(self.limit).response()(scope, receive, send)
            return

        async def with_headers(message: dict[str, object]) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", []))  # type: ignore[call-overload]
                raw += [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                message["headers"] = raw
            await send(message)

        await self.app(scope, receive, with_headers)  # type: ignore[arg-type]


def create_app(settings: ServeSettings) -> FastAPI:
    """A new app; its pool and database start with the app's lifespan, not before."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.uploads.mkdir(parents=True, exist_ok=True)
        for stale in settings.uploads.glob(".*.part"):  # partial uploads of a crash
            stale.unlink(missing_ok=True)
        store = AnalysisStore(settings.database)
        runner = JobRunner(settings, store)
        app.state.store, app.state.runner = store, runner
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

    app.add_middleware(_Guard, limit=settings.max_upload_bytes)  # type: ignore[arg-type]
    return app
