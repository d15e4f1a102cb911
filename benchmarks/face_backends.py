"""Which face backend: detection rate, landmark stability and speed on the shared videos.

    .venv/bin/python benchmarks/face_backends.py [--data ../shared/data] [--fps 5]

Every shared video has one real face in every frame, so a frame without a face is a miss.
For each backend, on frames sampled at --fps from every video, still-image mode (each
frame on its own, so no tracking helps any backend):
  found     share of frames where the backend found a face
  extra     share of frames where it found more than one (false positives)
  ms/frame  detection + landmarks
  NME       mean distance of the 68 points to MediaPipe's, over the inter-ocular distance
            (agreement, not accuracy: there is no hand-labelled ground truth here)
  jitter    landmark jitter on consecutive frames of hdtf-1 (all frames, video mode):
            mean |second difference| of the points over the inter-ocular distance
The baseline is dlib (HOG + 68 points), the classic deepfakes extractor; the ratio column
is each backend's speed against it.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from _common import data_argument
from fauxlab.faces import make_backend
from fauxlab.faces.landmarks import LEFT_EYE, RIGHT_EYE
from fauxlab.media import Sampling, iter_frames


def _ocular(landmarks: np.ndarray) -> float:
    return float(np.linalg.norm(landmarks[RIGHT_EYE].mean(0) - landmarks[LEFT_EYE].mean(0)))


def _jitter(backend_name: str, video: Path) -> float:
    backend = make_backend(backend_name, video=True, max_faces=1)
    points = []
    for frame in iter_frames(video):
        faces = backend.detect(frame.image)
        if faces:
            points.append(faces[0].landmarks / _ocular(faces[0].landmarks))
    backend.close()
    return float(np.abs(np.diff(np.stack(points), n=2, axis=0)).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    data_argument(parser)
    parser.add_argument("--fps", type=float, default=5.0)
    args = parser.parse_args()
    videos = sorted((args.data / "videos").glob("*.mp4"))
    frames = [f.image for v in videos for f in iter_frames(v, Sampling("fps", args.fps))]
    print(f"{len(frames)} frames from {len(videos)} videos at {args.fps} fps")

    results: dict[str, dict[str, float]] = {}
    reference: list[np.ndarray | None] = []
    for name in ("mediapipe", "dlib", "haar"):
        backend = make_backend(name, video=False, max_faces=4)
        found = extra = 0
        errors = []
        started = time.perf_counter()
        detections = [backend.detect(image) for image in frames]
        seconds = time.perf_counter() - started
        backend.close()
        for i, faces in enumerate(detections):
            found += bool(faces)
            extra += len(faces) > 1
            best = max(faces, key=lambda f: f.width * f.height) if faces else None
            if name == "mediapipe":
                reference.append(best.landmarks if best else None)
            elif best is not None and reference[i] is not None:
                ref = reference[i]
                assert ref is not None
                errors.append(np.linalg.norm(best.landmarks - ref, axis=1).mean() / _ocular(ref))
        results[name] = {
            "found": found / len(frames),
            "extra": extra / len(frames),
            "ms": 1000 * seconds / len(frames),
            "nme": float(np.mean(errors)) if errors else 0.0,
            "jitter": _jitter(name, args.data / "videos" / "hdtf-1.mp4"),
        }
    base = results["dlib"]["ms"]
    header = ("backend", "found", "extra", "ms/frame", "vs dlib", "NME", "jitter")
    print("{:<10} {:>7} {:>7} {:>9} {:>8} {:>6} {:>7}".format(*header))
    for name, r in results.items():
        print(
            f"{name:<10} {r['found']:7.3f} {r['extra']:7.3f} {r['ms']:9.1f} {base / r['ms']:7.1f}x"
            f" {r['nme']:6.3f} {r['jitter']:7.4f}"
        )


if __name__ == "__main__":
    main()
