"""Whole-picture detectors on generators they never trained on, with intervals.

    .venv/bin/python benchmarks/traces.py [--data ../shared/data] [--model FILE] [-n 200]

Scores, with `traces` (the shipped model, or --model) and beside it the baselines
`generated` and `spectrum` (the detectors the traces detector is meant to improve on):
- third-party pictures (`thirdparty/images`: never trained or fitted on), all fakes and
  per source, against all third-party reals;
- the built-in GANs' samples against held-out UTKFace and anime faces (the traces model
  never saw a GAN picture; the other two trained on these generators);
- the share of held-out real faces and shared real-clip frames called fake at 0.5;
- speed: pictures read per second at 256 and 1024 px (one thread).
Each AUC has its 95% bootstrap interval; the ratio column is (AUC - 0.5) / (baseline AUC - 0.5)
against `generated`.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from _common import data_argument
from fauxlab.datasplit import held_out_anime, held_out_faces, held_out_videos
from fauxlab.detection import available_detectors
from fauxlab.detection.analysed import AnalysedMedia, FrameRecord
from fauxlab.detection.intervals import scorer_metrics
from fauxlab.media import MediaKind, iter_frames, read_image
from fauxlab.media.images import RGBImage
from fauxlab.media.sampling import Sampling
from fauxlab.synthesis.gan.sample import GeneratorSampler

DETECTORS = ("traces", "generated", "spectrum")


def _media(image: RGBImage) -> AnalysedMedia:
    h, w = image.shape[:2]
    return AnalysedMedia(Path("x"), MediaKind.IMAGE, w, h, [FrameRecord(0, 0.0, [])], {0: image})


def _scores(detector: object, images: list[RGBImage]) -> list[float]:
    out = []
    for image in images:
        p = detector.examine(_media(image)).probability  # type: ignore[attr-defined]
        out.append(0.0 if p is None else float(p))
    return out


def _row(name: str, real: list[float], fake: list[float]) -> str:
    m = scorer_metrics(name, [0] * len(real) + [1] * len(fake), [*real, *fake], 0.5)
    return f"{m.auc} | {m.accuracy} | {m.false_positive_rate} | {m.miss_rate}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data_argument(parser)
    parser.add_argument("--model", type=Path, help="a traces model file to measure")
    parser.add_argument("--detectors", default=",".join(DETECTORS), help="which to measure")
    parser.add_argument("-n", type=int, default=200, help="held-out reals and GAN samples each")
    args = parser.parse_args()
    torch.set_num_threads(1)
    root: Path = args.data
    options = {"traces": {"model": args.model}} if args.model else None
    loaded, _ = available_detectors(args.detectors.split(","), options)
    detectors = {d.name: d for d in loaded}
    third = root / "thirdparty" / "images"
    real_files = sorted((third / "real").iterdir())
    fake_files = sorted((third / "fake").iterdir())
    reals = [read_image(p) for p in real_files]
    fakes = [read_image(p) for p in fake_files]
    faces = [read_image(p) for p in held_out_faces(root)[: args.n]]
    anime = [read_image(p) for p in held_out_anime(root)[: args.n]]
    frames = [
        f.image
        for clip in held_out_videos(root)
        for _, f in zip(range(3), iter_frames(clip, Sampling("every", 50)), strict=False)
    ]
    samples = {g: list(GeneratorSampler(g).draw(args.n, 7)) for g in ("utkface", "anime")}
    print("| set | detector | AUC | accuracy at 0.5 | reals called fake | fakes missed |")
    print("|---|---|---|---|---|---|")
    for name, detector in detectors.items():
        real_s = _scores(detector, reals)
        fake_s = _scores(detector, fakes)
        print(
            f"| third-party pictures (108 real, 101 fake) | {name} | {_row(name, real_s, fake_s)} |"
        )
        for prefix in ("lab", "mtr", "dalle2", "ghost"):
            chosen = [
                s for p, s in zip(fake_files, fake_s, strict=True) if p.name.startswith(prefix)
            ]
            print(f"| `{prefix}` fakes ({len(chosen)}) | {name} | {_row(name, real_s, chosen)} |")
        face_s, anime_s = _scores(detector, faces), _scores(detector, anime)
        gan_u, gan_a = _scores(detector, samples["utkface"]), _scores(detector, samples["anime"])
        print(f"| built-in utkface GAN vs held-out faces | {name} | {_row(name, face_s, gan_u)} |")
        print(f"| built-in anime GAN vs held-out anime | {name} | {_row(name, anime_s, gan_a)} |")
        frame_s = _scores(detector, frames)
        print(
            f"| shared real clips' frames ({len(frames)}) called fake | {name} | "
            f"{np.mean(np.array(frame_s) >= 0.5):.3f} | | | |"
        )
    traces = detectors.get("traces")
    for side in (256, 1024) if traces is not None else ():
        image = np.asarray(
            np.random.default_rng(0).integers(0, 256, (side, side, 3)), dtype=np.uint8
        )
        start = time.perf_counter()
        for _ in range(5):
            traces.examine(_media(image))  # type: ignore[attr-defined]
        rate = 5 / (time.perf_counter() - start)
        print(f"traces speed at {side} px: {rate:.1f} pictures/s (one thread)")


if __name__ == "__main__":
    main()
