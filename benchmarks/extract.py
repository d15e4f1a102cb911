"""Aligned faces per second: fauxlab's tracked extraction against per-frame detection.

    .venv/bin/python benchmarks/extract.py [--data ../shared/data] [--video liveportrait-d6.mp4]

Three runs on the same video, same process, each writing 256 px PNG crops to a temp folder:
  ours       MediaPipe FaceMesh in tracking mode + One Euro smoothing (the default)
  baseline   MediaPipe detecting afresh on every frame, no tracking
  classic    dlib HOG + 68 landmarks on every frame (the classic deepfakes extractor),
             on the first --classic-frames frames only (it is slow)
Then the share of frames with a face over every shared talking video (tracking mode).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _common import data_argument
from fauxlab.faces import ExtractSettings, FaceOptions, extract_faces, faces_in_video
from fauxlab.media import Sampling, VideoWriter, iter_frames, probe_video


def _run(video: Path, settings: ExtractSettings) -> tuple[int, float]:
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        summary = extract_faces([video], Path(folder) / "faces", settings)
        return summary.faces_written, time.perf_counter() - started


def _head(video: Path, frames: int, folder: Path) -> Path:
    """The first `frames` frames of a video, for the slow classic extractor."""
    out = folder / f"head-{video.name}"
    with VideoWriter(out, probe_video(video).fps) as writer:
        for frame in iter_frames(video, Sampling("all")):
            if frame.index >= frames:
                break
            writer.write(frame.image, frame.time)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    data_argument(parser)
    parser.add_argument("--video", default="liveportrait-d6.mp4")
    parser.add_argument("--classic-frames", type=int, default=150)
    args = parser.parse_args()
    video = args.data / "videos" / args.video

    ours_n, ours_s = _run(video, ExtractSettings(size=256))
    base_n, base_s = _run(video, ExtractSettings(size=256, track=False))
    with tempfile.TemporaryDirectory() as folder:
        head = _head(video, args.classic_frames, Path(folder))
        classic_n, classic_s = _run(head, ExtractSettings(size=256, backend="dlib", track=False))
    frames = probe_video(video).frame_count
    print(f"video: {video.name}, {frames} frames; 256 px crops, PNG writing included")
    rows = [
        ("ours (mediapipe, tracked)", ours_n, ours_s),
        ("baseline (mediapipe, every frame)", base_n, base_s),
        ("classic (dlib HOG, every frame)", classic_n, classic_s),
    ]
    for name, count, seconds in rows:
        print(f"{name:<36} {count:5d} faces {seconds:7.2f} s {count / seconds:7.1f} faces/s")
    ours_rate = ours_n / ours_s
    print(f"ratio ours/baseline {ours_rate / (base_n / base_s):.2f}x")
    print(f"ratio ours/classic {ours_rate / (classic_n / classic_s):.1f}x")

    total = with_face = 0
    misses: dict[str, int] = {}
    for clip in sorted((args.data / "videos").glob("*.mp4")):
        for frame in faces_in_video(clip, None, FaceOptions()):
            total += 1
            if frame.faces:
                with_face += 1
            else:
                misses[clip.name] = misses.get(clip.name, 0) + 1
    print(
        f"frames with a face over all shared videos: {with_face}/{total} = {with_face / total:.4f}"
    )
    if misses:
        print("misses:", ", ".join(f"{k} {v}" for k, v in sorted(misses.items())))


if __name__ == "__main__":
    main()
