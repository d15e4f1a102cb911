"""A real `fauxlab serve` in a subprocess on a free loopback port, for API and browser tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_server(data: Path, *options: str, port: int | None = None) -> Iterator[str]:
    """Start the server, wait until /api/health answers, yield its base URL, stop it."""
    port = port or free_port()
    command = [sys.executable, "-m", "fauxlab", "serve", "--port", str(port), "--data", str(data)]
    log = (data.parent / f"serve-{port}.log").open("w")
    process = subprocess.Popen([*command, *options], stdout=log, stderr=subprocess.STDOUT,
                               env=os.environ.copy())  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise AssertionError(f"server exited: {(data.parent / log.name).read_text()}")
            try:
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("server did not answer within 120 s")
            time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def wait_done(client: httpx.Client, url: str, timeout: float = 240) -> dict[str, Any]:
    """Poll an analysis until it is done or failed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        analysis: dict[str, Any] = client.get(url).json()
        if analysis["status"] in ("done", "failed"):
            return analysis
        time.sleep(0.3)
    raise AssertionError(f"{url} not finished after {timeout} s")


def assert_problem(response: httpx.Response, status: int, *needles: str) -> None:
    """An RFC 9457 problem document with this status and a detail naming the cause."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    assert "Traceback" not in response.text
    for needle in needles:
        assert needle in body["detail"], (needle, body["detail"])
