"""Receiving files: a cap on the body before it is read, random names, types from content.

A client's file name never becomes a path: the bytes land in the server's own folder
under a random id, and the suffix comes from the content's leading bytes (a `.jpg` that
is really a PNG is stored as `.png`; a text file is refused with 415).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import time
from pathlib import Path

from starlette.datastructures import UploadFile
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fauxlab.config import private_dir
from fauxlab.media.discover import content_suffix
from fauxlab.web.problems import BodyTooLargeError, ProblemError, UploadStalledError, too_large

CHUNK = 1024 * 1024
FORM_OVERHEAD = 64 * 1024  # multipart boundaries and headers around the file itself


class BodyLimit:
    """ASGI middleware: refuse a declared Content-Length over the limit at once, and stop
    reading a body (chunked, or lying about its length) the moment it passes the limit,
    or when it stalls: nothing for `idle` seconds, or not whole after `total` seconds."""

    def __init__(self, app: ASGIApp, limit: int, idle: float, total: float) -> None:
        self.app = app
        self.limit = limit + FORM_OVERHEAD
        self.idle = idle
        self.total = total

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT"):
            await self.app(scope, receive, send)
            return
        seen = 0
        deadline = time.monotonic() + self.total

        async def counted() -> Message:
            nonlocal seen
            wait = min(self.idle, deadline - time.monotonic())
            try:
                message = await asyncio.wait_for(receive(), timeout=max(wait, 0.001))
            except TimeoutError:
                raise UploadStalledError from None
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise BodyTooLargeError
            return message

        await self.app(scope, counted, send)


def new_id() -> str:
    return secrets.token_urlsafe(12)


def declared_too_large(content_length: str | None, limit: int) -> bool:
    try:
        return content_length is not None and int(content_length) > limit + FORM_OVERHEAD
    except ValueError:
        return False


def store_upload(upload: UploadFile, folder: Path, limit: int) -> tuple[Path, int]:
    """Copy the upload under a random name with the suffix its content calls for; the
    partial file is removed on any failure. Returns (path, size)."""
    private_dir(folder)
    staging = folder / f".{new_id()}.part"
    size = 0
    try:
        fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            while chunk := upload.file.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise too_large(limit)
                out.write(chunk)
        if size == 0:
            raise ProblemError(400, "the uploaded file is empty; choose the file again")
        suffix = content_suffix(staging)
        if suffix is None:
            raise ProblemError(
                415,
                "this is not an image, video or sound file fauxlab can read (JPEG, PNG, "
                "WebP, BMP, MP4, MOV, WebM, MKV, AVI, WAV, FLAC, MP3, M4A/AAC, Ogg/Opus)",
            )
        final = folder / f"{new_id()}{suffix}"
        staging.rename(final)
        return final, size
    finally:
        staging.unlink(missing_ok=True)
