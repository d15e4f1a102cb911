"""uvicorn's HTTP/1.1 protocol (h11), with a deadline for a request's head.

uvicorn times out an idle kept-alive connection, but a new connection that sends nothing,
or half a request line, is held open forever: thousands of them exhaust the process's file
descriptors. Here a connection that has not sent a whole request head within the deadline
is closed. (A body that stalls is cut off by the app, `uploads.BodyLimit`.)
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.h11_impl import H11Protocol


def with_head_deadline(seconds: float) -> type[H11Protocol]:
    """An h11 protocol class that closes connections with no request head after `seconds`."""

    class HeadDeadlineH11(H11Protocol):
        _head_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._head_timer = self.loop.call_later(seconds, self._head_overdue)

        def _head_overdue(self) -> None:
            if self.cycle is None and not self.transport.is_closing():  # no request yet
                self.transport.close()

        def connection_lost(self, exc: Exception | None) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
            super().connection_lost(exc)

    return HeadDeadlineH11
