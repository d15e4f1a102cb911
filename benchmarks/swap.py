"""Face-swap training speed and quality: fauxlab's model against the classic deepfakes one.

    .venv/bin/python benchmarks/swap.py [--seconds 600] [--frames 0] [--batch 16]
    .venv/bin/python benchmarks/swap.py --seconds 60 --frames 300     # a quick run

Two identities (liveportrait-d6 and liveportrait-d9 by default) are extracted at 64 px
(default margin, as `fauxlab faces extract --size 64`) into a temporary folder. Then each
model trains for the same wall time, one after the other, in this process, with the same
data, batch and augmentation, and is scored on the same crops:
  img/s       faces per second of pure training steps (checkpoint and previews excluded)
  ssim        masked SSIM of A->A and B->B reconstructions (no augmentation)
  id          share of A crops swapped to B (and B to A) whose dlib embedding is nearest
              the target person's centroid
The machine is shared: run both models in one invocation and read the ratio. Sealed
previews go to a throwaway FAUXLAB_HOME inside the temporary folder.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import torch

from _common import data_argument
from fauxlab.faces import ExtractSettings, extract_faces
from fauxlab.media import Sampling
from fauxlab.synthesis.faceswap.config import TrainConfig
from fauxlab.synthesis.faceswap.data import load_faceset
from fauxlab.synthesis.faceswap.evaluate import crop_swap_scores
from fauxlab.synthesis.faceswap.guide import default_guide
from fauxlab.synthesis.faceswap.models import SwapModel, parameter_count
from fauxlab.synthesis.faceswap.runfolder import load_run
from fauxlab.synthesis.faceswap.train import train


def _extract(video: Path, out: Path, frames: int) -> Path:
    sampling = Sampling.parse(f"count:{frames}") if frames else None
    extract_faces([video], out, ExtractSettings(size=64, max_faces=1), sampling)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    data_argument(parser)
    parser.add_argument("--a", default="liveportrait-d6.mp4", help="video of person A")
    parser.add_argument("--b", default="liveportrait-d9.mp4", help="video of person B")
    parser.add_argument("--seconds", type=float, default=600, help="training time per model")
    parser.add_argument("--frames", type=int, default=0, help="frames per video (0: all)")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    parser.add_argument("--models", default="fauxlab,classic")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    with tempfile.TemporaryDirectory(prefix="fauxlab-swap-bench-") as tmp:
        work = Path(tmp)
        # Previews are sealed; keep this throwaway run's keys and ledger out of the real home.
        os.environ["FAUXLAB_HOME"] = str(work / "home")
        started = time.perf_counter()
        a = _extract(args.data / "videos" / args.a, work / "a", args.frames)
        b = _extract(args.data / "videos" / args.b, work / "b", args.frames)
        faces = {"a": load_faceset(a), "b": load_faceset(b)}
        print(
            f"faces: A {len(faces['a'])} ({args.a}), B {len(faces['b'])} ({args.b}), "
            f"64 px, extracted in {time.perf_counter() - started:.0f} s; "
            f"{args.seconds:.0f} s of training per model, batch {args.batch}, "
            f"{torch.get_num_threads()} threads"
        )
        rows = []
        for name in args.models.split(","):
            config = TrainConfig(
                model=name, batch=args.batch, preview_every=10**9, guide=default_guide(name)
            )
            summary = train(a, b, work / f"run-{name}", config, minutes=args.seconds / 60)
            scores = crop_swap_scores(load_run(work / f"run-{name}"), faces)
            params = parameter_count(SwapModel(name, 64)) / 1e6
            rows.append((name, params, summary.step, summary.images_per_s, scores))

    print(f"{'model':<9} {'params':>8} {'steps':>6} {'img/s':>7} {'ssim A':>7} {'ssim B':>7} "
          f"{'id A->B':>8} {'id B->A':>8}")  # fmt: skip
    for name, params, steps, speed, s in rows:
        print(
            f"{name:<9} {params:>7.1f}M {steps:>6} {speed:>7.1f} {s['ssim_a->a']:>7.3f} "
            f"{s['ssim_b->b']:>7.3f} {s['id_a->b']:>8.2f} {s['id_b->a']:>8.2f}"
        )
    speeds = {name: speed for name, _, _, speed, _ in rows}
    if {"fauxlab", "classic"} <= speeds.keys():
        print(f"training speed, fauxlab / classic: {speeds['fauxlab'] / speeds['classic']:.1f}x "
              "(goal >= 5x)")  # fmt: skip


if __name__ == "__main__":
    main()
