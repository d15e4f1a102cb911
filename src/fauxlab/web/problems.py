"""Errors as RFC 9457 problem documents: a JSON body a person can act on, never a traceback."""

from __future__ import annotations

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

PROBLEM_TYPE = "application/problem+json"
# The page loads nothing from elsewhere; figures come as same-origin PNGs or data: URIs,
# and an uploaded sound is played from the browser's own copy (a blob: URL).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
        "style-src 'self'; "
        "script-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
log = logging.getLogger("fauxlab.web")


class BodyTooLargeError(Exception):
    """The request body passed the server's limit while it was being read."""


class UploadStalledError(Exception):
    """The request body stopped arriving (a stalled or deliberately slow upload)."""


class ProblemError(Exception):
    """Raise from a route to answer with a problem document."""

    def __init__(
        self, status: int, detail: str, headers: dict[str, str] | None = None, kind: str = ""
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}
        self.kind = kind or HTTPStatus(status).phrase.lower().replace(" ", "-")

    def response(self) -> JSONResponse:
        return problem_response(self.status, self.detail, self.headers, self.kind)


def too_large(limit: int) -> ProblemError:
    return ProblemError(
        413,
        f"the file is larger than this server's limit of {limit / 2**20:.0f} MB; "
        "trim or re-encode it, or ask the operator to raise --max-upload-mb",
    )


def busy(capacity: int, retry_after: int = 10) -> ProblemError:
    return ProblemError(
        429,
        f"the server is busy ({capacity} analyses running or waiting); try again in "
        f"{retry_after} s",
        {"Retry-After": str(retry_after)},
    )


def unauthorized(detail: str) -> ProblemError:
    return ProblemError(401, detail, {"WWW-Authenticate": 'Bearer realm="fauxlab"'})


def rate_limited(per_minute: int, retry_after: int) -> ProblemError:
    return ProblemError(
        429,
        f"this key may make {per_minute} requests a minute; try again in {retry_after} s",
        {"Retry-After": str(retry_after)},
        kind="rate-limited",
    )


def stalled() -> ProblemError:
    return ProblemError(
        408, "the upload stalled: the server stopped waiting for the rest of the file; "
        "send it again",
    )  # fmt: skip


def problem_response(
    status: int, detail: str, headers: dict[str, str] | None = None, kind: str = ""
) -> JSONResponse:
    title = HTTPStatus(status).phrase
    body = {
        "type": f"https://fauxlab.invalid/problems/{kind or title.lower().replace(' ', '-')}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_TYPE)


def _validation_detail(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors()[:3]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
        parts.append(f"{where or 'request'}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "the request is not valid"


def http_problem(request: Request, exc: HTTPException) -> JSONResponse:
    """Starlette's own errors (404, 405, a body that would not parse) as problems."""
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"{request.url.path}: no such page or API route; see /api/docs"
    elif exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}; see /api/docs"
    elif exc.status_code == 400 and detail == "There was an error parsing the body":
        detail = "the upload could not be read as a form; send multipart/form-data with a file"
    return problem_response(exc.status_code, detail, dict(exc.headers or {}))


def install_handlers(app: FastAPI, limit: int) -> None:
    """Every error the app can raise becomes a problem document."""

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        if isinstance(exc.__cause__, BodyTooLargeError):  # raised while the form was parsed
            return too_large(limit).response()
        if isinstance(exc.__cause__, UploadStalledError):
            return stalled().response()
        return http_problem(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(422, _validation_detail(exc), kind="invalid-request")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem_response(
            500, "fauxlab hit an unexpected error; the server log has the details"
        )
