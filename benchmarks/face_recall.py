"""Face recall in the wild: small, turned, dark and paired faces in large frames.

    .venv/bin/python benchmarks/face_recall.py [--data ../shared/data] [--faces 120]

Scenes (tests/face_scenes.py): held-out UTKFace faces and frames of the shared videos,
their faces scaled to 60 to 160 px, pasted into
1080x1920, 1920x1080 and 1280x720 frames of face-free pictures, turned by up to 25
degrees, darkened to a third, or two people; plus face-free frames. Then every frame at
1 fps of the third-party and shared videos as stills, and the first 10 s of each tracked
frame by frame (the `detect` path), where a person sees a face in every frame.
Baseline beside it: the same backend with the small-face search switched off (the
whole-frame pass alone, as before). Prints recall, false faces per face found, and
seconds per frame for both, and the ratio.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from _common import data_argument

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from face_scenes import Portrait, matches, portraits, scenes, video_portraits
from fauxlab.faces import detect
from fauxlab.media import Sampling, iter_frames


def _scenes(backend: detect.FaceBackend, people: list[Portrait]) -> dict[str, float]:
    found = missed = false = 0
    start = time.perf_counter()
    frames = 0
    for scene in scenes(people, empty=len(people) // 3):
        faces = backend.detect(scene.image)
        frames += 1
        hits = [any(matches(f.box, truth) for f in faces) for truth in scene.faces]
        found += sum(hits)
        missed += len(hits) - sum(hits)
        false += sum(not any(matches(f.box, t) for t in scene.faces) for f in faces)
    return {
        "recall": found / (found + missed),
        "false_per_face": false / max(1, found + false),
        "seconds_per_frame": (time.perf_counter() - start) / frames,
    }


def _videos(backend_name: str, videos: list[Path], video_mode: bool) -> dict[str, float]:
    """Stills: a frame a second, each on its own (as `faces extract` samples). Video mode:
    every frame of the first 10 s, tracked (as `detect` reads a clip)."""
    with_face = total = 0
    start = time.perf_counter()
    for video in videos:
        backend = detect.make_backend(backend_name, video=video_mode)
        sampling = Sampling.parse("every:1" if video_mode else "fps:1")
        for frame in iter_frames(video, sampling):
            if video_mode and frame.time > 10.0:
                break
            total += 1
            with_face += bool(backend.detect(frame.image))
        backend.close()
    return {
        "frames": total,
        "recall": with_face / max(1, total),
        "seconds_per_frame": (time.perf_counter() - start) / max(1, total),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data_argument(parser)
    parser.add_argument("--faces", type=int, default=120)
    args = parser.parse_args()
    data = Path(args.data)
    videos = sorted((data / "thirdparty" / "videos").rglob("*.*")) + sorted(
        (data / "videos").glob("*.mp4")
    )
    people = portraits(data / "faces" / "utkface", args.faces) + video_portraits(
        sorted((data / "videos").glob("*.mp4")), 3
    )
    results: dict[str, dict[str, dict[str, float]]] = {}
    original = detect.MediaPipeBackend._add_small_faces
    for mode in ("baseline (whole frame only)", "fauxlab (with small-face search)"):
        if mode.startswith("baseline"):
            detect.MediaPipeBackend._add_small_faces = (  # type: ignore[method-assign]
                lambda self, image, keyframe, faces: faces
            )
        else:
            detect.MediaPipeBackend._add_small_faces = original  # type: ignore[method-assign]
        backend = detect.make_backend("mediapipe")
        results[mode] = {
            "scenes": _scenes(backend, people),
            "stills": _videos("mediapipe", videos, video_mode=False),
            "tracked": _videos("mediapipe", videos, video_mode=True),
        }
        backend.close()
    print(f"{'mode':34s} {'set':7s} {'recall':>7s} {'false':>7s} {'s/frame':>8s}")
    for mode, sets in results.items():
        for name, r in sets.items():
            false = f"{r['false_per_face']:.3f}" if "false_per_face" in r else "-"
            print(
                f"{mode:34s} {name:7s} {r['recall']:7.3f} {false:>7s} {r['seconds_per_frame']:8.3f}"
            )
    base, ours = results.values()
    for name in ("scenes", "stills", "tracked"):
        ratio = ours[name]["seconds_per_frame"] / base[name]["seconds_per_frame"]
        print(f"time per frame, {name}: {ratio:.2f}x the baseline")


if __name__ == "__main__":
    main()
