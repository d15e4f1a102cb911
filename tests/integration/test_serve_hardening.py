"""`fauxlab serve` against hostile uploads and dead workers (issue 23): each test makes its
attack file itself, runs it against a real server on 127.0.0.1, and checks the server held
and that /api/health said the truth throughout."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import stat
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image

from fauxlab.provenance.ledger import Ledger
from fauxlab.provenance.ledger.synthetic import entries
from serve_helpers import (
    assert_problem,
    crafted_mkv,
    peak_memory_mb,
    running_server,
    serving,
    wait_done,
    worker_pids,
)

DETECTORS = ("--detectors", "provenance,spectrum")
SERVER_PEAK_MB = 600  # the server process itself; decoding happens in its workers


@pytest.fixture(scope="module")
def photo(tmp_path_factory: pytest.TempPathFactory, astronaut: np.ndarray) -> Path:
    path = tmp_path_factory.mktemp("photo") / "honest.jpg"
    Image.fromarray(np.ascontiguousarray(astronaut)).save(path, quality=90)
    return path


@pytest.fixture(scope="module")
def pixel_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """8000 x 8000 pixels in about 60 KB: 192 MB as RGB, several times that to analyse."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.png"
    Image.new("L", (8000, 8000), 0).save(path, optimize=True)
    assert path.stat().st_size < 200_000
    return path


@pytest.fixture(scope="module")
def slow_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1,700 tiny frames at 1 fps: seconds of decoding for a few hundred KB."""
    return crafted_mkv(tmp_path_factory.mktemp("slow") / "slow.mkv", [32] * 1700, fps=1)


def upload(client: httpx.Client, path: Path, route: str = "/api/analyses") -> httpx.Response:
    with path.open("rb") as handle:
        return client.post(route, files={"file": (path.name, handle)})


def healthy(client: httpx.Client, within: float = 15) -> dict[str, Any]:
    """/api/health once it says ok (a pool being replaced says 503 'broken' meanwhile)."""
    deadline = time.monotonic() + within
    while True:
        response = client.get("/api/health")
        state: dict[str, Any] = response.json()
        if response.status_code == 200:
            assert state["status"] == "ok" and state["problems"] == [], state
            return state
        assert response.status_code == 503 and state["status"] == "broken", state
        assert state["problems"] and "analysis pool" in " ".join(state["problems"]), state
        assert time.monotonic() < deadline, f"still broken: {state}"
        time.sleep(0.1)


def wait_running(client: httpx.Client, url: str) -> None:
    deadline = time.monotonic() + 120
    while (status := client.get(url).json()["status"]) == "queued":
        assert time.monotonic() < deadline, "the analysis never started"
        time.sleep(0.05)
    assert status == "running", status


def no_server_paths(text: str, data: Path) -> None:
    assert str(data) not in text and "/uploads/" not in text, text[:500]


# ---- 1: decoding happens in bounded workers, behind the same queue, never in the server


def test_oversized_pixels_fail_in_a_worker_as_too_large_not_in_the_server(
    tmp_path: Path, pixel_bomb: Path, photo: Path
) -> None:
    data = tmp_path / "data"
    options = ("--worker-memory-mb", "400", "--queue", "1")
    with (
        serving(data, *DETECTORS, *options) as (base, server),
        httpx.Client(base_url=base, timeout=120) as client,
        ThreadPoolExecutor(4) as threads,
    ):
        answers = list(threads.map(lambda _: upload(client, pixel_bomb, "/api/verify"), range(4)))
        statuses = sorted(a.status_code for a in answers)
        assert 413 in statuses and set(statuses) <= {413, 429}, statuses
        for answer in answers:
            if answer.status_code == 413:
                assert_problem(answer, 413, "too large", "memory")
            else:
                assert_problem(answer, 429, "busy")
                assert int(answer.headers["retry-after"]) >= 1
            no_server_paths(answer.text, data)
        assert peak_memory_mb(server.pid) < SERVER_PEAK_MB
        state = healthy(client)
        assert state["pending"] == 0 and "too large" in state["last_failure"]
        honest = upload(client, photo, "/api/verify")  # the worker lived on
        assert honest.status_code == 200 and honest.json()["path"] == "honest.jpg"
        no_server_paths(honest.text, data)  # item 5: credentials.path was the upload path
        analysis = wait_done(client, upload(client, pixel_bomb).json()["url"])
        assert analysis["status"] == "failed" and "too large" in analysis["error"]
        healthy(client)
    with sqlite3.connect(data / "analyses.sqlite") as conn:  # no row for a verify or a 429
        assert conn.execute("SELECT COUNT(*) FROM analyses").fetchone()[0] == 1


# ---- 2: a dead worker is replaced, its job retried; a job past its time is stopped


def test_a_worker_killed_mid_job_is_replaced_and_the_job_retried(
    tmp_path: Path, slow_video: Path, photo: Path
) -> None:
    data = tmp_path / "data"
    with (
        serving(data, *DETECTORS) as (base, server),
        httpx.Client(base_url=base, timeout=60) as client,
    ):
        url = upload(client, slow_video).json()["url"]
        wait_running(client, url)
        (worker,) = worker_pids(server.pid)
        os.kill(worker, signal.SIGKILL)  # what the kernel's OOM killer does
        assert len(list((data / "uploads").iterdir())) == 1, "the upload is kept for the retry"
        analysis = wait_done(client, url)
        assert analysis["status"] == "done", analysis
        state = healthy(client)
        assert state["pool_restarts"] == 1 and state["jobs_retried"] == 1
        assert "worker process died" in state["last_failure"]
        assert worker not in worker_pids(server.pid)
        assert wait_done(client, upload(client, photo).json()["url"])["status"] == "done"
    assert list((data / "uploads").iterdir()) == []


def test_a_job_past_its_time_limit_is_stopped_and_its_worker_replaced(
    tmp_path: Path, photo: Path
) -> None:
    # 6,000 tiny frames at 1 fps: about 30 s of decoding on an idle core, twice the limit,
    # while the honest photo after it takes about 1 s (a busy machine slows both alike)
    endless = crafted_mkv(tmp_path / "endless.mkv", [16] * 6000, fps=1)
    options = ("--job-timeout", "15", "--max-video-seconds", "7200")
    with (
        running_server(tmp_path / "data", *DETECTORS, *options) as base,
        httpx.Client(base_url=base, timeout=60) as client,
    ):
        analysis = wait_done(client, upload(client, endless).json()["url"])
        assert analysis["status"] == "failed" and "longer than" in analysis["error"], analysis
        state = healthy(client)
        assert state["jobs_timed_out"] == 1 and state["pool_restarts"] == 1
        assert wait_done(client, upload(client, photo).json()["url"])["status"] == "done"


# ---- 3: every frame against the pixel limit; caps on duration and frames


def test_every_frame_is_checked_and_long_videos_are_refused(tmp_path: Path) -> None:
    growing = crafted_mkv(tmp_path / "growing.mkv", [64] * 5 + [640] * 2)  # header: 64x64
    long = crafted_mkv(tmp_path / "long.mkv", [16] * 700, fps=1)  # 700 s in a few KB
    data = tmp_path / "data"
    options = ("--max-pixels", "100000", "--max-video-seconds", "600")
    with (
        running_server(data, *DETECTORS, *options) as base,
        httpx.Client(base_url=base, timeout=60) as client,
    ):
        grown = wait_done(client, upload(client, growing).json()["url"])
        assert grown["status"] == "failed" and "too large" in grown["error"], grown
        assert "640x640" in grown["error"]
        no_server_paths(str(grown), data)
        too_long = wait_done(client, upload(client, long).json()["url"])
        assert too_long["status"] == "failed" and "too long" in too_long["error"], too_long
        checked = upload(client, growing, "/api/verify")  # verify decodes frames too
        assert_problem(checked, 413, "too large", "640x640", "growing.mkv")
        no_server_paths(checked.text, data)
        healthy(client)


# ---- 4: GET routes never create keys or sign


def test_ledger_reads_create_no_key_and_sign_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger_path = tmp_path / "theirs.sqlite"
    with Ledger(ledger_path, signing_key=Ed25519PrivateKey.generate()) as ledger:
        ledger.append_many(entries(3, seed=1))
        ledger.head()
        ledger.append_many(entries(2, seed=2, first_watermark=100))  # newer than the head
    home = tmp_path / "empty-home"
    (home / "identity").mkdir(parents=True)
    monkeypatch.setenv("FAUXLAB_HOME", str(home))
    with (
        running_server(tmp_path / "data", *DETECTORS, "--ledger", str(ledger_path)) as base,
        httpx.Client(base_url=base, timeout=60) as client,
    ):
        head = client.get("/api/ledger/head").json()
        assert head["tree_size"] == 3 and head["signature_verified"] is True
        assert head["signed_by_this_server"] is None and "not who signed" in head["trust"]
        entry = client.get("/api/ledger/entries/1").json()
        assert entry["verified"] is True and entry["head"]["tree_size"] == 3
        assert_problem(client.get("/api/ledger/entries/4"), 404, "latest signed head")
        assert client.get("/api/ledger/search", params={"sha256": "ab" * 32}).status_code == 200
        healthy(client)
    assert list((home / "identity").iterdir()) == []
    with Ledger(ledger_path) as ledger:
        assert len(ledger.heads()) == 1 and ledger.size == 5


# ---- also: the queue is checked before the body; stalled uploads end; no row for a 429


def _stall(base: str, size: int) -> socket.socket:
    """Start an upload that declares `size` bytes, send a few, then nothing."""
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    boundary = "x" * 16
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="s.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    )
    sock.sendall(
        (
            f"POST /api/analyses HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            f"Content-Length: {size}\r\n\r\n{head}"
        ).encode()
        + b"\0" * 1000
    )
    return sock


def test_a_full_queue_refuses_before_the_body_and_stalled_uploads_are_cut_off(
    tmp_path: Path, photo: Path
) -> None:
    data = tmp_path / "data"
    options = ("--queue", "1", "--upload-timeout", "2", "--max-upload-mb", "60")
    with (
        running_server(data, *DETECTORS, *options) as base,
        httpx.Client(base_url=base, timeout=60) as client,
    ):
        host, port = base.removeprefix("http://").split(":")
        silent = socket.create_connection((host, int(port)))  # sends nothing at all
        stalled = [_stall(base, 50 * 2**20) for _ in range(2)]  # both slots held
        deadline = time.monotonic() + 10
        while client.get("/api/health").json()["pending"] < 2:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        refused = upload(client, photo)
        assert_problem(refused, 429, "busy")
        for sock in stalled:  # cut off once nothing came for --upload-timeout seconds
            sock.settimeout(30)
            answer = sock.recv(4096).decode(errors="replace")
            assert answer.startswith("HTTP/1.1 408"), answer[:200]
            sock.close()
        silent.settimeout(30)
        assert silent.recv(100) == b"", "a connection that sends no request is closed"
        silent.close()
        assert healthy(client)["pending"] == 0
        assert [p.name for p in (data / "uploads").iterdir()] == []
        assert wait_done(client, upload(client, photo).json()["url"])["status"] == "done"
    with sqlite3.connect(data / "analyses.sqlite") as conn:
        assert conn.execute("SELECT status FROM analyses").fetchall() == [("done",)]


# ---- also: Host allow-list, Origin check, private files, the report's CSP, retention


def test_hosts_origins_permissions_report_style_and_retention(tmp_path: Path, photo: Path) -> None:
    data = tmp_path / "data"
    with (
        running_server(data, *DETECTORS, "--allowed-host", "fauxlab.example") as base,
        httpx.Client(base_url=base, timeout=60) as client,
    ):
        rebound = client.get("/api/health", headers={"Host": "attacker.example"})
        assert_problem(rebound, 400, "--allowed-host")
        assert client.get("/api/health", headers={"Host": "fauxlab.example"}).status_code == 200
        with photo.open("rb") as handle:
            forged = client.post(
                "/api/analyses", files={"file": ("x.jpg", handle)},
                headers={"Origin": "http://attacker.example"},
            )  # fmt: skip
        assert_problem(forged, 403, "cross-origin")
        with photo.open("rb") as handle:
            ours = client.post(
                "/api/analyses", files={"file": ("x.jpg", handle)}, headers={"Origin": base}
            )
        assert ours.status_code == 202
        url = ours.json()["url"]
        assert wait_done(client, url)["status"] == "done"
        report = client.get(ours.json()["report_url"])
        policy = report.headers["content-security-policy"]
        assert "style-src 'self' 'sha256-" in policy and "<style>" in report.text
        assert report.headers.get_list("content-security-policy") == [policy]
    for path in [data, data / "uploads", *data.iterdir()]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))
    time.sleep(1.0)
    with (  # a second start keeps results for under a second: the old one is gone
        running_server(data, *DETECTORS, "--keep-days", "0.00001") as base,
        httpx.Client(base_url=base, timeout=60) as client,
    ):
        assert_problem(client.get(url), 404)
