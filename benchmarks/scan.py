"""What `fauxlab scan --engine ray` costs against `fauxlab detect --jobs 2`, and where a
scan stops growing.

    .venv/bin/python benchmarks/scan.py [--data ../shared/data] [--full]
                                        [--detectors a,b] [--cluster] [--skip-baseline]

The set: held-out UTKFace photos plus the third-party pictures, and clips from videos/.
By default 100 photos and 5 clips (this machine has 2 busy cores); --full takes the
issue's 500 photos and 20 clips.

1. Throughput, both from the command's start to its end (start-up and model loading
   included), on the same files and detectors:
     baseline  fauxlab detect FILES... --jobs 2 --json
     ray       fauxlab scan LIST --engine ray (a local Ray started and stopped: 2 actors)
   Goal: ray / baseline >= 0.9.
2. --cluster: the same files on a simulated cluster (`ray.cluster_utils.Cluster`) of one
   node with one CPU, then two nodes with one CPU each: how the rate grows with nodes
   as far as two cores allow.
3. The parts every node shares, measured alone, to say where adding nodes stops
   paying: the driver's results sink (records kept durably a second), compaction to
   JSONL and Parquet (records a second), and the driver's stat of each input (keys a
   second).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import data_argument
from fauxlab.datasplit import held_out_faces
from fauxlab.detection import DetectOptions, DetectorRecipe
from fauxlab.scan import ResultSink, ScanSettings, file_key, scan


def _media(data: Path, photos: int, clips: int) -> list[Path]:
    """Half the photos third-party pictures (as many as there are), the rest faces."""
    third = sorted(p for p in (data / "thirdparty" / "images").rglob("*") if p.is_file())
    third = third[: min(len(third), photos // 2)]
    faces = held_out_faces(data)[: photos - len(third)]
    videos = sorted((data / "videos").glob("*.mp4"))[:clips]
    return [*faces, *third, *videos]


def _timed(command: list[str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode not in (0, 1):
        sys.exit(f"failed: {' '.join(command[:4])}...\n{result.stderr[-2000:]}")
    return time.perf_counter() - started


def _throughput(files: list[Path], listing: Path, detectors: list[str], baseline: bool) -> None:
    fauxlab = [sys.executable, "-m", "fauxlab"]
    chosen = ["--detectors", ",".join(detectors)] if detectors else []
    print("| run | files | seconds | files/s |")
    print("|---|---|---|---|")
    base = None
    if baseline:
        base = _timed([*fauxlab, "detect", *map(str, files), "--jobs", "2", "--json", *chosen])
        rate = len(files) / base
        print(f"| detect --jobs 2 (baseline) | {len(files)} | {base:.1f} | {rate:.2f} |")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "results"
        command = ["scan", str(listing), "--out", str(out), "--engine", "ray"]
        ray = _timed([*fauxlab, *command, *chosen])
    print(f"| scan --engine ray | {len(files)} | {ray:.1f} | {len(files) / ray:.2f} |")
    if base is not None:
        print(f"\nray / baseline throughput: {base / ray:.2f} (goal >= 0.9)")


def _cluster(listing: Path, files: int, detectors: list[str]) -> None:
    import ray
    from ray.cluster_utils import Cluster

    recipe = DetectorRecipe(tuple(detectors) if detectors else None)
    print("\n| simulated cluster | actors | seconds | files/s |")
    print("|---|---|---|---|")
    for nodes in (1, 2):
        cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
        for _ in range(nodes - 1):
            cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
        ray.init(address=cluster.address, include_dashboard=False)
        with tempfile.TemporaryDirectory() as tmp:
            settings = ScanSettings(engine="ray", progress_every=60)
            started = time.perf_counter()
            scan([str(listing)], Path(tmp) / "r", recipe, DetectOptions(), settings)
            seconds = time.perf_counter() - started
        ray.shutdown()
        cluster.shutdown()
        print(f"| {nodes} node(s) x 1 CPU | {nodes} | {seconds:.1f} | {files / seconds:.2f} |")


def _shared_parts(record: dict[str, object], files: list[Path], count: int = 20000) -> None:
    """The driver's own work per file, apart from detection."""
    with tempfile.TemporaryDirectory() as tmp:
        sink = ResultSink.open(Path(tmp) / "r")
        started = time.perf_counter()
        for i in range(count):
            sink.add({**record, "key": f"k{i}", "path": f"/data/{i}.jpg"})
            if sink.due():
                sink.flush()
        sink.flush()
        kept = count / (time.perf_counter() - started)
        started = time.perf_counter()
        sink.compact()
        compacted = count / (time.perf_counter() - started)
    started = time.perf_counter()
    for _ in range(20):
        for path in files:
            file_key(path)
    keys = 20 * len(files) / (time.perf_counter() - started)
    size = len(json.dumps(record))
    print(f"\n| driver part ({size}-byte records) | per second |")
    print("|---|---|")
    print(f"| results sink: records kept durably | {kept:,.0f} |")
    print(f"| compaction to JSONL + Parquet | {compacted:,.0f} |")
    print(f"| input keys (stat) | {keys:,.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data_argument(parser)
    parser.add_argument("--full", action="store_true", help="500 photos and 20 clips")
    parser.add_argument("--detectors", default="", help="comma-separated (default: all)")
    parser.add_argument("--cluster", action="store_true", help="1 and 2 simulated nodes")
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")  # a local benchmark cluster
    photos, clips = (500, 20) if args.full else (100, 5)
    files = _media(args.data, photos, clips)
    detectors = [d for d in args.detectors.split(",") if d]
    print(f"{len(files)} files ({clips} clips); detectors: {args.detectors or 'all'}\n")
    with tempfile.TemporaryDirectory() as tmp:
        listing = Path(tmp) / "files.txt"
        listing.write_text("".join(f"{p}\n" for p in files))
        _throughput(files, listing, detectors, not args.skip_baseline)
        if args.cluster:
            _cluster(listing, len(files), detectors)
        out = Path(tmp) / "one"
        one = scan([str(files[0])], out, DetectorRecipe(("spectrum",)), DetectOptions())
        record = json.loads(one.jsonl.read_text().splitlines()[0])
    _shared_parts(record, files)


if __name__ == "__main__":
    main()
