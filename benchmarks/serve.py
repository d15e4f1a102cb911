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
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from _common import data_argument

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from serve_helpers import running_server


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
                return time.perf_counter() - started, worst, status
            time.sleep(0.2)


def _cli_seconds(photos: list[Path]) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "fauxlab", "detect", *map(str, photos), "--json"],
        capture_output=True, check=False,
    )  # fmt: skip
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data_argument(parser)
    parser.add_argument("--n", type=int, default=50, help="concurrent analyses")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--cli-files", type=int, default=10, help="photos for cli-each")
    args = parser.parse_args()
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
