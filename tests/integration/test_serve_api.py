"""The HTTP API of `fauxlab serve`, with httpx against the real server in a subprocess:
uploads, results, reports, verify, the ledger, limits, problems, a restart, and a fuzz
of every route from the server's own OpenAPI document."""

from __future__ import annotations

import hashlib
import io
import os
import signal
import string
import struct
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from fauxlab.provenance.ledger import SignedTreeHead, verify_head
from fauxlab.provenance.seal import ModelInfo, seal_file, seal_image
from serve_helpers import (
    alive,
    assert_problem,
    children,
    free_port,
    running_server,
    serving,
    wait_done,
)

DETECTORS = ("--detectors", "provenance,spectrum,voice")  # quick to load; the e2e test uses all


@pytest.fixture(scope="module")
def sealed(tmp_path_factory: pytest.TempPathFactory, astronaut: np.ndarray) -> Path:
    """A picture fauxlab made: watermarked, signed, in the (test home's) ledger."""
    folder = tmp_path_factory.mktemp("sealed")
    out = folder / "made-by-fauxlab.png"
    seal_image(astronaut[::2, ::2], out, ModelInfo("test-generator", "ab" * 32))
    return out


@pytest.fixture(scope="module")
def sealed_speech(tmp_path_factory: pytest.TempPathFactory, speech_file: Path) -> Path:
    """Speech fauxlab "made": the real recording watermarked, signed and recorded as WAV."""
    out = tmp_path_factory.mktemp("sealed-speech") / "made-by-fauxlab.wav"
    seal_file(speech_file, out, ModelInfo("test-tts", "cd" * 32))
    return out


@pytest.fixture(scope="module")
def photo(tmp_path_factory: pytest.TempPathFactory, astronaut: np.ndarray) -> Path:
    path = tmp_path_factory.mktemp("photo") / "astronaut.jpg"
    Image.fromarray(np.ascontiguousarray(astronaut[:, ::-1])).save(path, quality=90)
    return path


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("serve") / "data"


@pytest.fixture(scope="module")
def server(data_dir: Path, sealed: Path, sealed_speech: Path) -> Iterator[str]:
    with running_server(data_dir, *DETECTORS, "--max-upload-mb", "2") as base:
        yield base


@pytest.fixture()
def client(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=60) as c:
        yield c


def _upload(client: httpx.Client, path: Path, route: str = "/api/analyses") -> httpx.Response:
    with path.open("rb") as handle:
        return client.post(route, files={"file": (path.name, handle)})


def _upload_as(client: httpx.Client, path: Path, name: str) -> httpx.Response:
    with path.open("rb") as handle:
        return client.post("/api/analyses", files={"file": (name, handle)})


def test_analysis_of_a_photo_end_to_end(client: httpx.Client, photo: Path, data_dir: Path) -> None:
    created = _upload(client, photo)
    assert created.status_code == 202, created.text
    body = created.json()
    assert body["status"] == "queued" and body["url"] == f"/api/analyses/{body['id']}"
    analysis = wait_done(client, body["url"])
    assert analysis["status"] == "done", analysis
    assert analysis["filename"] == "astronaut.jpg" and analysis["progress"] == 1
    document = analysis["result"]
    assert document["schema"] == "fauxlab.detect/1"
    (file,) = document["files"]
    assert file["path"] == "astronaut.jpg"  # the client's name, never our upload path
    assert file["verdict"] in ("real", "uncertain", "fake") and file["face_count"] >= 1
    assert {e["detector"] for e in file["evidence"]} == {"provenance", "spectrum", "voice"}
    spectrum = next(e for e in file["evidence"] if e["detector"] == "spectrum")
    chart = spectrum["figures"][0]
    assert chart["format"] == "svg"
    figure = client.get(f"{body['url']}/files/figures/spectrum/{chart['name']}.svg")
    assert figure.status_code == 200 and figure.headers["content-type"] == "image/svg+xml"
    assert figure.content.startswith(b"<?xml") and b"<svg" in figure.content
    thumb = client.get(f"{body['url']}/files/thumbnail.jpg")
    assert thumb.status_code == 200 and thumb.content.startswith(b"\xff\xd8")
    report = client.get(body["report_url"])
    assert report.status_code == 200 and "text/html" in report.headers["content-type"]
    assert "astronaut.jpg" in report.text and '<svg xmlns="http' in report.text
    download = client.get(f"{body['url']}/document.json")
    assert "attachment" in download.headers["content-disposition"]
    assert download.json()["files"][0]["sha256"] == hashlib.sha256(photo.read_bytes()).hexdigest()
    assert not [p for p in (data_dir / "uploads").iterdir()]  # the upload is not kept


def test_our_own_fake_is_caught_by_its_marks(client: httpx.Client, sealed: Path) -> None:
    analysis = wait_done(client, _upload(client, sealed).json()["url"])
    (file,) = analysis["result"]["files"]
    assert file["verdict"] == "fake" and file["decided_by"] == "provenance"


def test_verify_reads_all_three_marks(client: httpx.Client, sealed: Path, photo: Path) -> None:
    report = _upload(client, sealed, "/api/verify").json()
    assert report["sealed_by_fauxlab"] is True and report["tampered"] is False
    assert report["watermark"]["found"] is True
    assert report["credentials"]["present"] and report["credentials"]["valid"]
    assert report["ledger"]["status"] == "exact"
    assert report["path"] == "made-by-fauxlab.png"
    plain = _upload(client, photo, "/api/verify").json()
    assert plain["sealed_by_fauxlab"] is False and plain["watermark"]["found"] is False


def test_ledger_head_entry_proof_and_search(client: httpx.Client, sealed: Path) -> None:
    head = client.get("/api/ledger/head").json()
    assert head["tree_size"] >= 1 and head["origin"]
    fields = ("tree_size", "root", "timestamp", "key_id", "public_key", "signature")
    signed = SignedTreeHead.from_dict({k: head[k] for k in fields})
    assert verify_head(signed, bytes.fromhex(head["public_key"]))
    assert head["signature_verified"] is True and head["signed_by_this_server"] is True
    digest = hashlib.sha256(sealed.read_bytes()).hexdigest()
    found = client.get("/api/ledger/search", params={"sha256": digest}).json()
    assert len(found["entries"]) == 1
    answer = client.get(f"/api/ledger/entries/{found['entries'][0]}").json()
    assert answer["verified"] is True and answer["entry"]["sha256"] == digest
    assert answer["proof"]["tree_size"] == answer["head"]["tree_size"]
    assert_problem(client.get("/api/ledger/entries/999999"), 404, "999999")
    assert_problem(client.get("/api/ledger/search", params={"sha256": "zz" * 32}), 422)


def test_bad_uploads_are_problems_and_leave_nothing(
    client: httpx.Client, tmp_path: Path, data_dir: Path
) -> None:
    text = tmp_path / "notes.jpg"
    text.write_text("not a picture, whatever the name says")
    assert_problem(_upload(client, text), 415, "not an image, video or sound file")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    assert_problem(_upload(client, empty), 400, "empty")
    assert_problem(client.post("/api/analyses"), 422, "file")
    big = tmp_path / "big.png"
    big.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(3 * 1024 * 1024))
    assert_problem(_upload(client, big), 413, "2 MB")
    truncated = tmp_path / "cut.jpg"
    Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(truncated, quality=90)
    truncated.write_bytes(truncated.read_bytes()[:300])
    failed = wait_done(client, _upload(client, truncated).json()["url"])
    assert failed["status"] == "failed" and failed["error"]
    assert "Traceback" not in failed["error"]
    assert_problem(client.get(f"/api/analyses/{failed['id']}/report"), 409, "failed")
    assert not [p for p in (data_dir / "uploads").iterdir()]


def test_analysis_of_real_speech_end_to_end(
    client: httpx.Client, speech_file: Path, data_dir: Path
) -> None:
    """A sound upload (named as a client might, suffix unrelated to its content) gets the
    voice detector's verdict with its figure, the provenance evidence, and no thumbnail."""
    created = _upload_as(client, speech_file, "voicemail.bin")
    assert created.status_code == 202, created.text
    analysis = wait_done(client, created.json()["url"])
    assert analysis["status"] == "done", analysis
    assert analysis["kind"] == "audio" and analysis["filename"] == "voicemail.bin"
    (file,) = analysis["result"]["files"]
    assert file["kind"] == "audio" and file["path"] == "voicemail.bin"
    assert file["duration"] > 5 and file["face_count"] == 0
    evidence = {e["detector"]: e for e in file["evidence"]}
    assert evidence["provenance"]["details"]["sealed_by_fauxlab"] is False
    assert evidence["spectrum"]["probability"] is None  # a picture detector: not applicable
    voice = evidence["voice"]
    assert voice["probability"] is not None and file["decided_by"] == "voice"
    assert voice["details"]["windows"] == len(voice["details"]["timeline"]) >= 3
    (figure,) = voice["figures"]
    url = f"{created.json()['url']}/files/figures/voice/{quote(figure['name'])}.{figure['format']}"
    picture = client.get(url)
    assert picture.status_code == 200 and picture.content.startswith(b"\x89PNG")
    assert_problem(client.get(f"{created.json()['url']}/files/thumbnail.jpg"), 404, "thumbnail")
    report = client.get(created.json()["report_url"])
    assert report.status_code == 200 and "voicemail.bin" in report.text
    assert str(speech_file) not in report.text and str(data_dir) not in report.text
    assert not list((data_dir / "uploads").iterdir())


def test_sealed_speech_is_caught_by_its_marks_and_verified(
    client: httpx.Client, sealed_speech: Path, speech_file: Path
) -> None:
    analysis = wait_done(client, _upload(client, sealed_speech).json()["url"])
    (file,) = analysis["result"]["files"]
    assert file["kind"] == "audio"
    assert file["verdict"] == "fake" and file["decided_by"] == "provenance"
    report = _upload(client, sealed_speech, "/api/verify").json()
    assert report["sealed_by_fauxlab"] is True and report["tampered"] is False
    assert report["watermark"]["found"] is True and report["ledger"]["status"] == "exact"
    assert report["credentials"]["present"] and report["credentials"]["valid"]
    plain = _upload(client, speech_file, "/api/verify").json()
    assert plain["sealed_by_fauxlab"] is False and plain["watermark"]["found"] is False


def test_a_corrupt_sound_fails_in_one_line(
    client: httpx.Client, speech_file: Path, tmp_path: Path, data_dir: Path
) -> None:
    """A WAV whose header promises sound it does not hold, and a FLAC cut short: each
    analysis fails with a one-line reason, and nothing of the upload is kept."""
    wav = tmp_path / "broken.wav"
    # RIFF header, a 16-byte fmt chunk (PCM, mono, 16 kHz, 16 bit), a data chunk's header
    fmt = struct.pack("<4sI4s4sIHHIIHH", b"RIFF", 36 + 64000, b"WAVE", b"fmt ", 16, 1, 1,
                      16000, 32000, 2, 16)  # fmt: skip
    header = fmt + struct.pack("<4sI", b"data", 64000)
    wav.write_bytes(header + bytes(range(256)) * 4)  # 1 KB of the 64 KB announced
    cut = tmp_path / "cut.flac"
    cut.write_bytes(speech_file.read_bytes()[:200])
    for path in (wav, cut):
        created = _upload(client, path)
        assert created.status_code == 202, created.text
        failed = wait_done(client, created.json()["url"])
        assert failed["status"] == "failed", failed
        error = failed["error"]
        assert error and "\n" not in error and "Traceback" not in error
        assert any(word in error for word in ("truncated", "corrupt", "no decodable"))
        assert str(data_dir) not in error and str(tmp_path) not in error
    assert not list((data_dir / "uploads").iterdir())


def test_unknown_routes_and_ids_are_problems(client: httpx.Client) -> None:
    assert_problem(client.get("/api/analyses/AAAAAAAAAAAAAAAA"), 404, "no analysis")
    assert_problem(client.get("/api/analyses/../../etc/passwd"), 404)
    assert_problem(client.get("/api/analyses/short"), 422)
    assert_problem(client.get("/api/nothing-here"), 404, "/api/docs")
    assert_problem(client.delete("/api/ledger/head"), 405)


def test_page_docs_and_openapi_are_served(client: httpx.Client) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "Analyse" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/api/docs").status_code == 200
    spec = client.get("/api/openapi.json").json()
    assert {"/api/analyses", "/api/verify", "/api/ledger/head"} <= set(spec["paths"])


def test_results_survive_a_restart(tmp_path: Path, photo: Path) -> None:
    data = tmp_path / "data"
    with running_server(data, *DETECTORS) as base, httpx.Client(base_url=base) as c:
        url = _upload(c, photo).json()["url"]
        before = wait_done(c, url)
    with running_server(data, *DETECTORS) as base, httpx.Client(base_url=base) as c:
        after = c.get(url).json()
    assert after["status"] == "done" and after["result"] == before["result"]


def test_a_full_queue_answers_429_with_retry_after(tmp_path: Path, video_with_audio: Path) -> None:
    with (
        running_server(tmp_path / "data", *DETECTORS, "--queue", "0") as base,
        httpx.Client(base_url=base, timeout=60) as c,
    ):
        first = _upload(c, video_with_audio)
        second = _upload(c, video_with_audio)
        assert first.status_code == 202
        assert_problem(second, 429, "busy")
        assert int(second.headers["retry-after"]) >= 1
        assert wait_done(c, first.json()["url"])["status"] == "done"
        assert _upload(c, video_with_audio).status_code == 202  # room again


def test_a_stop_mid_analysis_ends_its_worker_and_the_next_start_resumes_it(
    tmp_path: Path, shared_videos: Path
) -> None:
    clip = shared_videos / "liveportrait-d6.mp4"  # 34 s: seconds of analysis to stop inside
    if not clip.is_file():
        pytest.skip(f"{clip} not found")
    data = tmp_path / "data"
    with serving(data, *DETECTORS) as (base, server), httpx.Client(base_url=base) as c:
        url = _upload(c, clip).json()["url"]
        deadline = time.monotonic() + 120
        while (status := c.get(url).json()["status"]) == "queued":
            assert time.monotonic() < deadline, "the analysis never started"
            time.sleep(0.05)
        assert status == "running", status
        started = [pid for pid in children(server.pid) if alive(pid)]
        # As a service manager (or Ctrl-C in a terminal) stops it: the whole process group.
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    assert started, "the server runs its analyses in worker processes"
    deadline = time.monotonic() + 30
    while left := [pid for pid in started if alive(pid)]:
        assert time.monotonic() < deadline, f"workers outlived the server: {left}"
        time.sleep(0.2)
    assert len(list((data / "uploads").iterdir())) == 1, "the unfinished job keeps its upload"
    with running_server(data, *DETECTORS) as base, httpx.Client(base_url=base) as c:
        assert wait_done(c, url)["status"] == "done"
    assert list((data / "uploads").iterdir()) == []


# ---- fuzz: every route of the OpenAPI document, arbitrary parameters and bodies ----


def _routes(spec: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    routes = []
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            params = [p["name"] for p in op.get("parameters", []) if p["in"] == "path"]
            routes.append((method.upper(), path, params))
    return routes


_TEXT = st.text(alphabet=string.printable + "éß\u202e/%", max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_fuzz_every_route_never_answers_5xx(server: str, data: st.DataObject) -> None:
    with httpx.Client(base_url=server, timeout=60) as client:
        spec = client.get("/api/openapi.json").json()
        method, path, params = data.draw(st.sampled_from(_routes(spec)))
        for name in params:
            value = data.draw(st.one_of(_TEXT, st.integers(-(2**70), 2**70).map(str)))
            path = path.replace("{" + name + "}", quote(value, safe="") or "x")
        query = data.draw(st.dictionaries(st.sampled_from(["sha256", "x"]), _TEXT, max_size=2))
        body = data.draw(st.binary(max_size=2048))
        name = data.draw(_TEXT)
        files = {"file": (name or "f", io.BytesIO(body))} if method == "POST" else None
        response = client.request(method, path, params=query, files=files)
    assert response.status_code < 500, (method, path, response.text)
    assert "Traceback" not in response.text
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")


def test_serve_refuses_bad_settings_in_one_line(tmp_path: Path) -> None:
    """Before loading any model: a busy port, a file for --data, a damaged database."""
    import socket

    from cli_helpers import assert_clean_error, fauxlab

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        assert_clean_error(fauxlab("serve", "--port", port, "--data", tmp_path), "--port")
    a_file = tmp_path / "file"
    a_file.write_text("mine")
    assert_clean_error(fauxlab("serve", "--data", a_file), "is a file")
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / "analyses.sqlite").write_bytes(b"SQLite format 3\x00" + b"\x07" * 5000)
    free = str(free_port())
    assert_clean_error(fauxlab("serve", "--data", damaged, "--port", free), "analyses database")
    assert_clean_error(fauxlab("serve", "--detectors", "nope"), "--detectors")
    assert a_file.read_text() == "mine"
