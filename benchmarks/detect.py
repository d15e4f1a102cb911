"""How long `fauxlab detect` takes: videos against their decode time and duration, and
face photos per second.

    .venv/bin/python benchmarks/detect.py [--data ../shared/data] [--videos a.mp4,b.mp4]
                                          [--photos 200] [--jobs 2,4]

Videos: for each clip, the default analysis (every frame decoded and its faces tracked,
32 keyframes scored by every shipped detector) against two baselines run beside it:
  decode    decoding every frame to RGB and nothing else (the floor no analysis beats)
  duration  the clip's own length (>= 1x means faster than real time)
Goal: a 30 s clip at 512 to 720p in <= 15 s on 2 cores (>= 2x real time).

Forensic overhead: on each clip's analysed media, the time of blink + lipsync +
shallowfake + temporal against the learned detector's (goal: forensic / learned <= 0.5,
i.e. the forensic evidence adds no more than 50% to the learned detector's time), and
against the learned detector with the face pass it cannot run without (decode, faces,
tracking: `analyse`, shared by every detector).

Photos: UTKFace faces (the held-out last files by name) upscaled to 256 px JPEGs, each
analysed as `fauxlab detect` would; baseline: decoding the same JPEGs. Goal >= 20/s.
With --jobs, two rates: wall time from the command's start (the workers' start-up, about
5 s of importing torch and loading every model, included) and the steady rate from the
first file done to the last, which is what a large folder runs at. Also timed with --jobs:
the bulk-triage set `--detectors learned,generated,spectrum`
(the three learned and spectral detectors, without the blind search for our own
watermark in crops, which is most of a photo's time).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from _common import data_argument
from fauxlab.detection import DetectOptions, detect_file, detect_inputs
from fauxlab.detection.analysed import analyse
from fauxlab.detection.evidence import Detector
from fauxlab.detection.registry import DetectorRecipe, available_detectors
from fauxlab.media import Sampling, iter_frames, probe_video, read_image

DEFAULT_VIDEOS = "liveportrait-d6.mp4,hdtf-1.mp4,voxceleb-1.mp4,retalking-1.mp4"


def _decode_seconds(video: Path) -> float:
    started = time.perf_counter()
    for _ in iter_frames(video, Sampling("all")):
        pass
    return time.perf_counter() - started


def _videos(data: Path, names: list[str]) -> None:
    detectors, _ = available_detectors()
    print(f"detectors: {', '.join(d.name for d in detectors)}")
    print("| clip | size | duration s | decode s | detect s | x real time | detect / decode |")
    print("|---|---|---|---|---|---|---|")
    for name in names:
        video = data / "videos" / name
        info = probe_video(video)
        decode = _decode_seconds(video)
        started = time.perf_counter()
        report = detect_file(video, detectors)
        seconds = time.perf_counter() - started
        print(
            f"| {name} | {info.width}x{info.height} | {info.duration:.1f} | {decode:.1f} | "
            f"{seconds:.1f} | {info.duration / seconds:.2f}x | {seconds / decode:.2f} |"
            f"  verdict {report.verdict.value}",
            flush=True,
        )


FORENSIC = ("blink", "lipsync", "shallowfake", "temporal")


def _forensic_overhead(data: Path, names: list[str]) -> None:
    """Per clip: the learned detector's time against the forensic detectors' together,
    on the same analysed media (decoding and face tracking counted for neither)."""
    detectors, _ = available_detectors()
    print("\n| clip | face pass s | learned s | " + " | ".join(f"{n} s" for n in FORENSIC)
          + " | forensic / learned | forensic / (face pass + learned) |")  # fmt: skip
    print("|---|---|---|" + "---|" * len(FORENSIC) + "---|---|")
    for name in names:
        started = time.perf_counter()
        media = analyse(data / "videos" / name)
        face_pass = time.perf_counter() - started
        spent: dict[str, float] = {}
        for detector in detectors:
            if detector.name in ("learned", *FORENSIC):
                detector.examine(media)  # first call loads lazily held models
                started = time.perf_counter()
                detector.examine(media)
                spent[detector.name] = time.perf_counter() - started
        forensic = sum(spent.get(n, 0.0) for n in FORENSIC)
        cells = " | ".join(f"{spent.get(n, 0.0):.2f}" for n in FORENSIC)
        learned = spent["learned"]
        print(f"| {name} | {face_pass:.2f} | {learned:.2f} | {cells} | {forensic / learned:.2f} "
              f"| {forensic / (face_pass + learned):.2f} |", flush=True)  # fmt: skip


def _photos(data: Path, count: int, jobs_list: list[int]) -> None:
    detectors, _ = available_detectors()
    source = sorted((data / "faces" / "utkface").glob("*.jpg"))[-count:]
    with tempfile.TemporaryDirectory() as folder:
        photos = []
        for path in source:
            out = Path(folder) / path.name
            Image.open(path).convert("RGB").resize((256, 256), Image.Resampling.LANCZOS).save(
                out, quality=90
            )
            photos.append(out)
        detect_file(photos[0], detectors)  # load models once, outside the timing
        started = time.perf_counter()
        for photo in photos:
            read_image(photo)
        decode = time.perf_counter() - started
        started = time.perf_counter()
        for photo in photos:
            detect_file(photo, detectors)
        seconds = time.perf_counter() - started
        per_detector = _per_detector_ms(photos[: min(40, len(photos))], detectors)
        pooled, triage = {}, {}
        for jobs in jobs_list:
            pooled[jobs] = _pooled(photos, DetectorRecipe(), jobs)
            triage[jobs] = _pooled(photos, DetectorRecipe(TRIAGE), jobs)
    n = len(photos)
    print(
        f"\nphotos: {n} UTKFace faces at 256 px: detect {n / seconds:.1f}/s, decode only "
        f"{n / decode:.0f}/s (detect takes {decode / seconds:.3f}x the decode rate; goal >= 20/s)"
    )
    for jobs, run in pooled.items():
        print(
            f"  --jobs {jobs}: {n / run.seconds:.1f}/s with the workers' start-up "
            f"({seconds / run.seconds:.2f}x one process), {run.steady:.1f}/s once started"
        )
        fast = triage[jobs]
        print(
            f"  --jobs {jobs} --detectors {','.join(TRIAGE)}: {n / fast.seconds:.1f}/s with "
            f"start-up ({seconds / fast.seconds:.2f}x one process with every detector), "
            f"{fast.steady:.1f}/s once started"
        )
    print("  ms per photo: " + ", ".join(f"{k} {v:.0f}" for k, v in per_detector.items()))


TRIAGE = ("learned", "generated", "spectrum")


class _Completions:
    """When each file finished (the pool reports completions through `file_started`)."""

    def __init__(self) -> None:
        self.times: list[float] = []

    def file_started(self, path: Path, index: int, total: int) -> None:
        if index > 0:
            self.times.append(time.perf_counter())

    def frames(self, done: int, total: int) -> None:
        pass


@dataclass(frozen=True)
class Pooled:
    seconds: float  # wall time, starting the workers and their models included
    steady: float  # files/s from the first file done to the last: the rate once started


def _pooled(photos: list[Path], recipe: DetectorRecipe, jobs: int) -> Pooled:
    """`detect --jobs` on the photos, as a user runs it (no report: figures undrawn)."""
    detectors = recipe.load()[0] if jobs == 1 else []  # workers load their own
    done = _Completions()
    started = time.perf_counter()
    detect_inputs(photos, detectors, DetectOptions(jobs=jobs, figures=False), done, recipe=recipe)
    seconds = time.perf_counter() - started
    span = done.times[-1] - done.times[0] if len(done.times) > 1 else 0.0
    return Pooled(seconds, (len(done.times) - 1) / span if span > 0 else 0.0)


def _per_detector_ms(photos: list[Path], detectors: list[Detector]) -> dict[str, float]:
    """Where a photo's time goes: analysis (decode + faces), then each detector."""
    spent = {"analyse": 0.0} | {d.name: 0.0 for d in detectors}
    for photo in photos:
        started = time.perf_counter()
        media = analyse(photo)
        spent["analyse"] += time.perf_counter() - started
        for detector in detectors:
            started = time.perf_counter()
            detector.examine(media)
            spent[detector.name] += time.perf_counter() - started
    return {k: 1000 * v / len(photos) for k, v in spent.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    data_argument(parser)
    parser.add_argument("--videos", default=DEFAULT_VIDEOS, help="comma-separated clip names")
    parser.add_argument("--photos", type=int, default=200, help="how many face photos")
    parser.add_argument("--jobs", default="2", help="worker processes to try for the photos")
    args = parser.parse_args()
    clips = [v for v in args.videos.split(",") if v]
    _videos(args.data, clips)
    _forensic_overhead(args.data, clips)
    if args.photos:
        _photos(args.data, args.photos, [int(j) for j in args.jobs.split(",") if j])


if __name__ == "__main__":
    main()
