"""Load on `fauxlab serve`: many small analyses at once, against the CLI doing them in turn.

    .venv/bin/python benchmarks/serve.py [--data ../shared/data] [--n 50] [--workers 2]
        [--cli-files 10]

Submits `--n` small analyses (UTKFace face photos, 200 px, the last files by name) all at
once from `--n` client threads to a fresh server (`--workers` processes, a queue large
enough for all of them), polls each until it is done, and checks that none is lost
(every id ends `done`) and none answered 5xx. Prints p50 and p95 latency (upload to
result) and throughput. Baselines, run beside it on the same photos:
  cli-each   `fauxlab detect PHOTO --json`, one process per photo, as a script calling
             the CLI would do (timed on `--cli-files` photos, rate extrapolated)
  cli-batch  one `fauxlab detect PHOTOS... --json` over all of them (models loaded once)
Ratios printed: server throughput / each baseline's.

    .venv/bin/python benchmarks/serve.py --abuse [--workers 2] [--honest 10]
        [--worker-memory-mb 3072] [--server-bound-mb 600]

The abuse run (issue 23), against a fresh server with every detector: 20 uploads that
declare 50 MB and stall after 1 KB, 20 parallel `/api/verify` of an 8000x8000 PNG made
on the spot (60 KB on disk, 192 MB as pixels), `--honest` photo analyses and one real
video, and one worker killed with SIGKILL while the video is analysed. Samples the
server's memory (VmHWM) and the server's plus its workers' resident memory every 0.1 s.
Passes when the server stays under `--server-bound-mb`, every accepted analysis ends with
a verdict (none lost), every honest one is `done`, and the stalled uploads are cut off.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from _common import data_argument

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from serve_helpers import children, peak_memory_mb, running_server, serving, worker_pids

_FAILURES: list[str] = []  # why analyses failed, to print


def _one(base: str, photo: Path) -> tuple[float, int, str]:
    """(seconds from upload to result, worst HTTP status seen, final status)."""
    started = time.perf_counter()
    worst = 0
    with httpx.Client(base_url=base, timeout=120) as client:
        with photo.open("rb") as handle:
            created = client.post("/api/analyses", files={"file": (photo.name, handle)})
        worst = created.status_code
        if created.status_code != 202:
            return time.perf_counter() - started, worst, "refused"
        url = created.json()["url"]
        while True:
            answer = client.get(url)
            worst = max(worst, answer.status_code)
            status = answer.json().get("status", "?") if answer.status_code == 200 else "?"
            if status in ("done", "failed") or answer.status_code >= 500:
                if status == "failed":
                    _FAILURES.append(answer.json().get("error") or "")
                return time.perf_counter() - started, worst, status
            time.sleep(0.2)


def _cli_seconds(photos: list[Path]) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "fauxlab", "detect", *map(str, photos), "--json"],
        capture_output=True, check=False,
    )  # fmt: skip
    return time.perf_counter() - started


def _resident_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class _Sampler:
    """The largest sum of resident memory over the server and its children, 10 per s."""

    def __init__(self, server: int) -> None:
        self.server, self.peak, self.stop = server, 0.0, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.wait(0.1):
            total = sum(_resident_mb(p) for p in [self.server, *children(self.server)])
            self.peak = max(self.peak, total)


def _stall(base: str) -> socket.socket:
    """An upload that declares 50 MB, sends 1 KB, then nothing."""
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    part = (
        '--b\r\nContent-Disposition: form-data; name="file"; filename="s.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    )
    sock.sendall(
        f"POST /api/analyses HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: "
        f"multipart/form-data; boundary=b\r\nContent-Length: {50 * 2**20}\r\n\r\n{part}".encode()
        + b"\0" * 1024
    )
    return sock


def _verify(base: str, path: Path) -> int:
    with httpx.Client(base_url=base, timeout=600) as client, path.open("rb") as handle:
        return client.post("/api/verify", files={"file": (path.name, handle)}).status_code


def abuse(args: argparse.Namespace) -> None:
    from PIL import Image

    photos = sorted((args.data / "faces" / "utkface").glob("*.jpg"))[-args.honest :]
    video = args.data / "videos" / "liveportrait-d6.mp4"
    with tempfile.TemporaryDirectory() as folder:
        bomb = Path(folder) / "bomb.png"
        Image.new("L", (8000, 8000), 0).save(bomb, optimize=True)
        os.environ.setdefault("FAUXLAB_HOME", str(Path(folder) / "home"))
        options = ("--workers", str(args.workers), "--queue", "64", "--upload-timeout", "10",
                   "--worker-memory-mb", str(args.worker_memory_mb))  # fmt: skip
        with (
            serving(Path(folder) / "data", *options) as (base, server),
            httpx.Client(base_url=base, timeout=120) as client,
            ThreadPoolExecutor(40) as pool,
        ):
            sampler = _Sampler(server.pid)
            started = time.perf_counter()
            stalled = [_stall(base) for _ in range(20)]
            with video.open("rb") as handle:
                clip = client.post("/api/analyses", files={"file": (video.name, handle)})
            clip_url = clip.json()["url"]
            bombs = [pool.submit(_verify, base, bomb) for _ in range(20)]
            honest = [pool.submit(_one, base, photo) for photo in photos]
            while client.get(clip_url).json()["status"] != "running":
                time.sleep(0.05)
            time.sleep(1.0)
            killed = worker_pids(server.pid)[0]
            os.kill(killed, signal.SIGKILL)  # what the kernel's OOM killer does
            verdicts = [future.result() for future in honest]
            deadline = time.monotonic() + 900
            while (state := client.get(clip_url).json())["status"] not in ("done", "failed"):
                assert time.monotonic() < deadline, "the video never finished"
                time.sleep(0.2)
            if state["status"] == "failed":
                _FAILURES.append(state.get("error") or "")
            bomb_statuses = [future.result() for future in bombs]
            cut_off = 0
            for sock in stalled:
                sock.settimeout(60)
                cut_off += sock.recv(64).startswith(b"HTTP/1.1 408")
                sock.close()
            wall = time.perf_counter() - started
            sampler.stop.set()
            health = client.get("/api/health")
            server_peak = peak_memory_mb(server.pid)
    lost = sum(v[2] not in ("done", "failed") for v in verdicts) + (
        state["status"] not in ("done", "failed")
    )
    honest_done = sum(v[2] == "done" for v in verdicts) + (state["status"] == "done")
    counts = {code: bomb_statuses.count(code) for code in sorted(set(bomb_statuses))}
    body = health.json()
    print(
        f"abuse: {args.workers} workers, {wall:.1f} s; server peak {server_peak:.0f} MB "
        f"(bound {args.server_bound_mb} MB); server + workers peak {sampler.peak:.0f} MB"
    )
    print(f"  20 oversized verifies: {counts}; 20 stalled uploads cut off (408): {cut_off}")
    print(
        f"  honest: {honest_done} of {len(verdicts) + 1} done (the video: {state['status']}, "
        f"retried after the kill); lost: {lost}"
    )
    for reason in sorted(set(_FAILURES)):
        print(f"  failed ({_FAILURES.count(reason)}): {reason}")
    print(f"  health after: {health.status_code} {body['status']}, pool restarts "
          f"{body['pool_restarts']}, jobs retried {body['jobs_retried']}")  # fmt: skip
    if (
        lost
        or honest_done != len(verdicts) + 1
        or server_peak > args.server_bound_mb
        or cut_off != 20
        or health.status_code != 200
    ):
        sys.exit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data_argument(parser)
    parser.add_argument("--n", type=int, default=50, help="concurrent analyses")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--cli-files", type=int, default=10, help="photos for cli-each")
    parser.add_argument("--abuse", action="store_true", help="the abuse run instead")
    parser.add_argument("--honest", type=int, default=10, help="honest photos (abuse run)")
    parser.add_argument("--server-bound-mb", type=int, default=600, help="abuse run's bound")
    parser.add_argument("--worker-memory-mb", type=int, default=3072, help="abuse run's server")
    args = parser.parse_args()
    if args.abuse:
        abuse(args)
        return
    photos = sorted((args.data / "faces" / "utkface").glob("*.jpg"))[-args.n :]
    with tempfile.TemporaryDirectory() as folder:
        os.environ.setdefault("FAUXLAB_HOME", str(Path(folder) / "home"))
        options = ("--workers", str(args.workers), "--queue", str(args.n))
        with running_server(Path(folder) / "data", *options) as base:
            started = time.perf_counter()
            with ThreadPoolExecutor(args.n) as pool:
                results = list(pool.map(lambda p: _one(base, p), photos))
            wall = time.perf_counter() - started
    latencies = sorted(r[0] for r in results)
    lost = sum(r[2] != "done" for r in results)
    errors = sum(r[1] >= 500 for r in results)
    server_rate = len(photos) / wall
    print(f"server: {len(photos)} analyses, {args.workers} workers: {wall:.1f} s, "
          f"{server_rate:.2f}/s; latency p50 {statistics.median(latencies):.1f} s, "
          f"p95 {latencies[int(0.95 * (len(latencies) - 1))]:.1f} s; "
          f"not done {lost}, 5xx {errors}")  # fmt: skip
    each = photos[: args.cli_files]
    each_rate = len(each) / sum(_cli_seconds([p]) for p in each)
    batch_rate = len(photos) / _cli_seconds(photos)
    print(f"cli-each: {each_rate:.2f}/s ({len(each)} processes); server is "
          f"{server_rate / each_rate:.2f}x")  # fmt: skip
    print(f"cli-batch: {batch_rate:.2f}/s (one process); server is {server_rate / batch_rate:.2f}x")
    if lost or errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
