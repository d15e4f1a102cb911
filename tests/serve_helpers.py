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
from typing import IO, Any

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _PortTakenError(AssertionError):
    """Another socket took the probed port before the server bound it."""


def _stop(process: subprocess.Popen[bytes], log: IO[str]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


def _wait_healthy(process: subprocess.Popen[bytes], log_path: Path, base: str) -> None:
    deadline = time.monotonic() + 120
    while True:
        if process.poll() is not None:
            text = log_path.read_text()
            taken = "cannot listen" in text or "address already in use" in text
            raise (_PortTakenError if taken else AssertionError)(f"server exited: {text}")
        try:
            if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError("server did not answer within 120 s")
        time.sleep(0.3)


@contextmanager
def running_server(data: Path, *options: str, port: int | None = None) -> Iterator[str]:
    """Start the server, wait until /api/health answers, yield its base URL, stop it."""
    with serving(data, *options, port=port) as (base, _):
        yield base


def children(pid: int) -> list[int]:
    """The processes `pid` started (Linux /proc)."""
    listing = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in listing.read_text().split()] if listing.exists() else []


def alive(pid: int) -> bool:
    """Running or sleeping; a zombie waiting for a parent that never reaps it is not."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@contextmanager
def serving(
    data: Path, *options: str, port: int | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`running_server`, also yielding the server's process.

    A probed free port can be taken by another socket before the server binds it (two
    test workers, a browser); then a fresh port is tried, up to three times.
    """
    for attempt in range(3):
        chosen = port or free_port()
        command = [sys.executable, "-m", "fauxlab", "serve", "--port", str(chosen),
                   "--data", str(data), *options]  # fmt: skip
        log_path = data.parent / f"serve-{chosen}.log"
        log = log_path.open("w")
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                   env=os.environ.copy(), start_new_session=True)  # fmt: skip
        base = f"http://127.0.0.1:{chosen}"
        try:
            _wait_healthy(process, log_path, base)
        except _PortTakenError:
            _stop(process, log)
            if port is not None or attempt == 2:
                raise
            continue
        except BaseException:
            _stop(process, log)
            raise
        break
    try:
        yield base, process
    finally:
        _stop(process, log)


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


def crafted_mkv(path: Path, sizes: list[int], fps: int = 5) -> Path:
    """A Matroska MJPEG video whose frame k is sizes[k] pixels square. The header gives the
    first frame's size only: MJPEG frames carry their own, as a hostile file's may."""
    import fractions

    import av
    import numpy as np

    rate = fractions.Fraction(1, fps)
    contexts: dict[int, Any] = {}
    with av.open(str(path), "w", format="matroska") as out:
        stream = out.add_stream("mjpeg", rate=fps)
        stream.width = stream.height = sizes[0]
        stream.pix_fmt = "yuvj420p"
        stream.time_base = rate
        for index, size in enumerate(sizes):
            if size not in contexts:
                context = av.CodecContext.create("mjpeg", "w")
                context.width = context.height = size
                context.pix_fmt = "yuvj420p"
                context.time_base = rate
                contexts[size] = context
            pixels = np.full((size, size, 3), 90 + index % 60, np.uint8)
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24").reformat(format="yuvj420p")
            frame.pts, frame.time_base = index, rate
            for packet in contexts[size].encode(frame):
                packet.stream = stream
                packet.pts = packet.dts = index
                packet.time_base = rate
                out.mux(packet)
    return path


def worker_pids(server: int) -> list[int]:
    """The server's analysis workers (not multiprocessing's resource tracker)."""
    found = []
    for pid in children(server):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in command and alive(pid):
            found.append(pid)
    return found


def peak_memory_mb(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmHWM for {pid}")
