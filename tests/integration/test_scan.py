"""`fauxlab scan` on a real Ray: a two-node cluster simulated on this machine (two raylets,
one CPU each), real media, a real kill -9 of an actor process, and the records checked
against what `fauxlab detect --json` says about the same files."""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cli_helpers import assert_clean_error, fauxlab
from fauxlab.datasplit import held_out_faces
from fauxlab.detection import DetectOptions, DetectorRecipe
from fauxlab.scan import ScanSettings, scan

pytestmark = pytest.mark.slow
ray = pytest.importorskip("ray")
DETECTORS = "provenance,spectrum"  # the cheapest: no face model, no torch network
# the run's own facts, which differ between two runs over the same file
NOT_COMPARED = ("seconds", "schema", "key", "status", "run")


@pytest.fixture(scope="session")
def cluster() -> Iterator[Any]:
    """Two Ray nodes on this machine, one CPU each, this process connected as a driver:
    started once for all these tests (about 7 s)."""
    from ray.cluster_utils import Cluster

    os.environ["RAY_AUTH_MODE"] = "disabled"  # local test cluster: no token files in ~/.ray
    nodes = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    nodes.add_node(num_cpus=1)
    nodes.wait_for_nodes()
    ray.init(address=nodes.address, include_dashboard=False)
    yield nodes
    ray.shutdown()
    nodes.shutdown()


@pytest.fixture
def photos(shared_data: Path, tmp_path: Path) -> Path:
    """Four held-out UTKFace photos and one corrupt file, in a fresh folder."""
    folder = tmp_path / "in"
    folder.mkdir()
    for path in held_out_faces(shared_data)[:4]:
        shutil.copy(path, folder / path.name)
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff not really a JPEG")
    return folder


def _records(out: Path) -> list[dict[str, Any]]:
    lines = (out / "results.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def _detect_json(*inputs: Path) -> dict[str, Any]:
    result = fauxlab("detect", *inputs, "--json", "--detectors", DETECTORS)
    assert result.returncode in (0, 1), result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def _comparable(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if k not in NOT_COMPARED}


def _same_as_detect(records: list[dict[str, Any]], document: dict[str, Any]) -> None:
    """Every file's record is detect's entry for it, and every error has detect's reason."""
    ok = {r["path"]: _comparable(r) for r in records if r["status"] == "ok"}
    assert ok == {f["path"]: _comparable(f) for f in document["files"]}
    errors = {r["path"]: r["reason"] for r in records if r["status"] == "error"}
    assert errors == {e["path"]: e["reason"] for e in document["errors"]}


def test_local_engine_matches_detect_resumes_and_records_bad_files(
    photos: Path, tmp_path: Path
) -> None:
    out = tmp_path / "results"
    first = fauxlab("scan", photos, "--out", out, "--detectors", DETECTORS, "--json")
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert (summary["found"], summary["examined"], summary["errors"]) == (5, 5, 1)
    assert "files done" in first.stderr  # progress on stderr
    records = _records(out)
    _same_as_detect(records, _detect_json(photos))
    assert {r["run"]["engine"] for r in records} == {"local"}

    # again, with one new file named in a list file: only that one is examined
    extra = tmp_path / "extra.jpg"
    shutil.copy(next(photos.glob("*.chip.jpg")), extra)
    listing = tmp_path / "files.txt"
    listing.write_text(f"# the new one and an old one\n{extra}\n{photos / 'broken.jpg'}\n")
    again = fauxlab("scan", photos, listing, "--out", out, "--detectors", DETECTORS, "--json")
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert (summary["examined"], summary["skipped"], summary["records"]) == (1, 5, 6)
    paths = [r["path"] for r in _records(out)]
    assert sorted(paths) == sorted({*paths}) and str(extra) in paths

    # a glob finds the same files: nothing left to do
    pattern = str(photos / "*.jpg")
    third = fauxlab("scan", pattern, "--out", out, "--detectors", DETECTORS, "--json")
    assert json.loads(third.stdout)["examined"] == 0, third.stderr
    parquet = pytest.importorskip("pyarrow.parquet").read_table(out / "results.parquet")
    assert parquet.num_rows == 6 and set(parquet.column("status").to_pylist()) == {"ok", "error"}


def test_ray_on_two_nodes_matches_detect(cluster: Any, photos: Path, tmp_path: Path) -> None:
    """Through the command line, joining the cluster with --address: the same records as
    detect --json, and the files were examined on both nodes."""
    out = tmp_path / "results"
    result = fauxlab(
        "scan", photos, "--out", out, "--engine", "ray", "--address", cluster.address,
        "--detectors", DETECTORS, "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["examined"] == 5
    records = _records(out)
    _same_as_detect(records, _detect_json(photos))
    assert {r["run"]["engine"] for r in records} == {"ray"}
    alive = {n["NodeID"] for n in ray.nodes() if n["Alive"]}
    nodes = {r["run"]["node"] for r in records}
    assert nodes <= alive and len(nodes) == 2, nodes


def test_worker_killed_mid_file_is_retried_and_recorded_once(
    cluster: Any, photos: Path, shared_videos: Path, tmp_path: Path
) -> None:
    clip = photos / "clip.mp4"
    shutil.copy(shared_videos / "liveportrait-d0.mp4", clip)  # about 4 s to examine
    out = tmp_path / "results"
    recipe = DetectorRecipe(tuple(DETECTORS.split(",")))
    settings = ScanSettings(engine="ray", progress_every=1.0)
    finished: list[Any] = []
    worker = threading.Thread(
        target=lambda: finished.append(scan([str(photos)], out, recipe, DetectOptions(), settings))
    )
    worker.start()
    killed = None
    deadline = time.monotonic() + 240
    while killed is None and time.monotonic() < deadline and worker.is_alive():
        for marker in (out / "inflight").glob("*") if (out / "inflight").is_dir() else ():
            try:
                on = marker.read_text()
            except OSError:
                continue
            if on == str(clip):
                killed = int(marker.name)
                os.kill(killed, signal.SIGKILL)  # mid-file: the marker names the clip
                break
        time.sleep(0.05)
    worker.join(timeout=300)
    assert killed is not None, "no worker was seen on the clip"
    assert finished and finished[0].examined == 6
    records = [r for r in _records(out) if r["path"] == str(clip)]
    assert len(records) == 1 and records[0]["status"] == "ok"
    assert records[0]["run"]["pid"] != killed  # examined again by a restarted actor
    in_parts = [
        line
        for part in (out / "parts").glob("*.jsonl")
        for line in part.read_text().splitlines()
        if json.loads(line)["path"] == str(clip)
    ]
    assert len(in_parts) == 1


def test_usage_errors_are_one_line(photos: Path, tmp_path: Path) -> None:
    taken = tmp_path / "mine"
    taken.mkdir()
    (taken / "notes.txt").write_text("a user's own file")
    result = fauxlab("scan", photos, "--out", taken, "--detectors", DETECTORS)
    assert_clean_error(result, "not a scan's results folder")
    assert (taken / "notes.txt").read_text() == "a user's own file"
    result = fauxlab("scan", photos, "--out", tmp_path / "r", "--address", "127.0.0.1:1")
    assert_clean_error(result, "--engine ray")
    result = fauxlab("scan", str(tmp_path / "nothing-*.jpg"), "--out", tmp_path / "r")
    assert_clean_error(result, "no file matches")
    result = fauxlab("scan", photos, "--out", tmp_path / "r", "--detectors", "nosuch")
    assert_clean_error(result, "unknown detector")


def test_detectors_that_cannot_load_on_the_workers_stop_the_scan_in_one_line(
    cluster: Any, photos: Path, tmp_path: Path
) -> None:
    out = tmp_path / "results"
    missing = tmp_path / "no-such-model.safetensors"
    result = fauxlab(
        "scan", photos, "--out", out, "--engine", "ray", "--address", cluster.address,
        "--detectors", "learned", "--model", missing,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    last = [line for line in result.stderr.splitlines() if line.strip()][-1]
    assert last.startswith("error: on a Ray worker:") and str(missing) in last
    assert "Traceback" not in result.stderr
    assert not list((out / "parts").glob("*.jsonl"))  # no file is marked done
