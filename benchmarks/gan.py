"""GAN quality and speed: fauxlab's small-data GAN against DCGAN, and our trainer against a
plain DCGAN loop.

    .venv/bin/python benchmarks/gan.py [--minutes 10] [--datasets anime,utkface] [--keep DIR]
    .venv/bin/python benchmarks/gan.py --minutes 0.3 --datasets anime --speed-steps 30  # a try

1. Quality. On each dataset, `dcgan` and `fauxlab` (64 px, batch 64, their own defaults)
   train for the same wall time (loading the images included, as in `gan train`), one
   after the other, with the last --holdout files held out. Each generator then draws as
   many images as were held out (in memory), scored in EfficientNet-Lite0 features:
   FD-Lite0, KID, precision and recall (see docs/gan.md). The row "real (train split)"
   scores as many random training images against the same held-out set: the best a
   generator of the training set could do, including any difference between the split's
   two sides. Goal: FD-Lite0 fauxlab / dcgan <= 0.70.
2. Speed. Training images/s of our trainer with `--model dcgan` (the `gan train` loop:
   batches, flips, logging) against a minimal DCGAN loop written below in pytorch/examples
   style: same networks, batch, optimiser and images in memory. Both run in this process,
   in alternating rounds; each speed is the median of its 10-step windows, the first
   window of each round (warm-up, the step-0 grid) left out. Goal: ours >= 0.95x.

Runs, sealed grids and their throwaway keys and ledger go to a temporary folder (or --keep).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from _common import data_argument
from fauxlab.backbones.lite0 import Lite0Features
from fauxlab.provenance.seal import seal_image
from fauxlab.synthesis.gan.config import TrainConfig
from fauxlab.synthesis.gan.data import load_images
from fauxlab.synthesis.gan.imaging import make_grid
from fauxlab.synthesis.gan.metrics import (
    FEATURE_SIZE,
    FeatureScores,
    compare_features,
    generate_images,
    image_features,
)
from fauxlab.synthesis.gan.models import build_discriminator, build_generator
from fauxlab.synthesis.gan.sample import load_generator
from fauxlab.synthesis.gan.train import train
from fauxlab.training import Budget

DATASETS = {"anime": "anime-faces", "utkface": "faces/utkface"}
MODELS = ("dcgan", "fauxlab")
WINDOW = 10  # steps per speed reading, as the trainer's log_every


@dataclass
class Row:
    dataset: str
    model: str
    steps: int | None
    images_per_second: float | None
    scores: FeatureScores


def window_speeds(run: Path) -> list[float]:
    """The trainer's own img/s per logged window, the first one (warm-up) left out."""
    log = run / "metrics.jsonl"
    lines = log.read_text().splitlines() if log.is_file() else []
    return [float(json.loads(line)["images_per_second"]) for line in lines][1:]


def train_model(folder: Path, model: str, args: argparse.Namespace, out: Path) -> list[float]:
    config = TrainConfig.for_model(
        model, 64, data_dir=str(folder), holdout=args.holdout, seed=args.seed,
        sample_every=10**9, checkpoint_every=10**9,
    )  # fmt: skip
    train(config, out, Budget(minutes=args.minutes))
    return window_speeds(out)


def final_grid(run: Path) -> None:
    """A sealed grid of 64 samples, for BENCHMARKS.md."""
    generator = load_generator(run)
    images = generator.generate(generator.latents(64, 0))
    seal_image(make_grid(images), run / "final-grid.png", generator.model_info, title=str(run))


def quality(name: str, args: argparse.Namespace, work: Path, extractor: Lite0Features) -> list[Row]:
    folder = args.data / DATASETS[name]
    held, _ = load_images(folder, 64, None, None, args.holdout, held_out=True)
    training, _ = load_images(folder, 64, None, None, args.holdout)
    pick = torch.randperm(training.shape[0], generator=torch.Generator().manual_seed(args.seed))
    real = image_features(held, extractor)
    reference = compare_features(real, image_features(training[pick[: held.shape[0]]], extractor))
    rows = [Row(name, "real (train split)", None, None, reference)]
    for model in MODELS:
        run = work / f"{name}-{model}"
        speeds = train_model(folder, model, args, run)
        generator = load_generator(run)
        fake = image_features(generate_images(generator, held.shape[0], args.seed), extractor)
        speed = statistics.median(speeds) if speeds else None
        rows.append(Row(name, model, generator.step, speed, compare_features(real, fake)))
        final_grid(run)
        print(f"  {name} {model}: {generator.step} steps, FD {rows[-1].scores.fd_lite0:.1f}")
    return rows


def reference_loop(images: torch.Tensor, steps: int, batch: int, seed: int) -> list[float]:
    """pytorch/examples' DCGAN loop (dcgan/main.py), with its networks built by our
    models.py so that only the loop differs. Our D returns logits, so BCEWithLogitsLoss
    stands in for Sigmoid + BCELoss (the same loss)."""
    torch.manual_seed(seed)
    config = TrainConfig.for_model("dcgan", 64)
    netG, netD = build_generator(config.arch), build_discriminator(config.arch)
    criterion = nn.BCEWithLogitsLoss()
    optimizerD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optimizerG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
    speeds, started = [], time.perf_counter()
    for step in range(1, steps + 1):
        index = torch.randint(images.shape[0], (batch,))
        real = images[index].float() / 127.5 - 1.0
        # (1) update D: maximize log(D(x)) + log(1 - D(G(z)))
        netD.zero_grad()
        label = torch.full((batch,), 1.0)
        errD_real = criterion(netD(real), label)
        errD_real.backward()
        fake = netG(torch.randn(batch, config.arch.z_dim, 1, 1))
        label.fill_(0.0)
        output = netD(fake.detach())
        errD_fake = criterion(output, label)
        errD_fake.backward()
        optimizerD.step()
        # (2) update G: maximize log(D(G(z)))
        netG.zero_grad()
        label.fill_(1.0)
        output = netD(fake)
        errG = criterion(output, label)
        errG.backward()
        optimizerG.step()
        _ = (errD_real + errD_fake).item(), errG.item(), output.sigmoid().mean().item()
        if step % WINDOW == 0:
            speeds.append(WINDOW * batch / (time.perf_counter() - started))
            started = time.perf_counter()
    return speeds[1:]


def speed(args: argparse.Namespace, work: Path) -> tuple[float, float, int]:
    """Median img/s of the reference loop and of our trainer, and windows per side."""
    folder = args.data / DATASETS[args.datasets.split(",")[0]]
    config = TrainConfig.for_model(
        "dcgan", 64, data_dir=str(folder), image_limit=args.speed_images, seed=args.seed,
        sample_every=10**9, checkpoint_every=10**9,
    )  # fmt: skip
    images, _ = load_images(folder, 64, args.speed_images)
    ours: list[float] = []
    reference: list[float] = []
    for round_ in range(args.rounds):
        reference += reference_loop(images, args.speed_steps, config.batch, args.seed)
        run = work / f"speed-{round_}"
        train(config, run, Budget(total_steps=args.speed_steps))
        ours += window_speeds(run)
    return statistics.median(reference), statistics.median(ours), min(len(ours), len(reference))


def print_quality(rows: list[Row], args: argparse.Namespace) -> None:
    print(
        f"\n{args.minutes:g} min of training per model, 64 px, batch 64, --holdout "
        f"{args.holdout}; Lite0 features at {args.feature_size} px, "
        f"{torch.get_num_threads()} threads\n"
    )
    print("| dataset | model | steps | img/s | FD-Lite0 | KID x 1000 | precision | recall |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        s = r.scores
        steps = "" if r.steps is None else str(r.steps)
        rate = "" if r.images_per_second is None else f"{r.images_per_second:.0f}"
        print(
            f"| {r.dataset} | {r.model} | {steps} | {rate} | {s.fd_lite0:.1f} | "
            f"{s.kid * 1000:.1f} +- {s.kid_std * 1000:.1f} | {s.precision:.3f} | {s.recall:.3f} |"
        )
    for name in dict.fromkeys(r.dataset for r in rows):
        fd = {r.model: r.scores.fd_lite0 for r in rows if r.dataset == name}
        ratio = fd["fauxlab"] / fd["dcgan"]
        print(f"\nFD-Lite0 fauxlab / dcgan on {name}: {ratio:.2f} (goal <= 0.70)")


def print_speed(reference: float, ours: float, windows: int, args: argparse.Namespace) -> None:
    print(
        f"\ndcgan, 64 px, batch 64, {args.speed_images} images in memory, {args.rounds} rounds "
        f"of {args.speed_steps} steps, median of {windows} windows of {WINDOW} steps\n"
    )
    print("| loop | img/s | vs reference |")
    print("|---|---:|---:|")
    print(f"| reference (pytorch/examples style) | {reference:.1f} | 1.00x |")
    print(f"| fauxlab trainer (`gan train --model dcgan`) | {ours:.1f} | {ours / reference:.2f}x |")
    print(f"\ntrainer / reference: {ours / reference:.2f}x (goal >= 0.95x)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    data_argument(parser)
    parser.add_argument("--minutes", type=float, default=10.0, help="training time per model")
    parser.add_argument("--datasets", default="anime,utkface", help="anime and/or utkface")
    parser.add_argument("--holdout", type=int, default=1000, help="held-out images per dataset")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--feature-size", type=int, default=FEATURE_SIZE, help="Lite0 input px")
    parser.add_argument("--speed-steps", type=int, default=100, help="steps per speed round")
    parser.add_argument("--speed-images", type=int, default=2048, help="images for speed")
    parser.add_argument("--rounds", type=int, default=2, help="alternating speed rounds")
    parser.add_argument("--skip", choices=("quality", "speed"), help="leave one part out")
    parser.add_argument("--keep", type=Path, help="keep runs and grids in this new folder")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    unknown = set(args.datasets.split(",")) - DATASETS.keys()
    if unknown:
        parser.error(f"unknown datasets {', '.join(sorted(unknown))}; choose from anime, utkface")
    if args.keep is not None and args.keep.exists():
        parser.error(f"{args.keep} already exists")

    with tempfile.TemporaryDirectory(prefix="fauxlab-gan-bench-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        # Grids are sealed; keep this throwaway run's keys and ledger out of the real home.
        os.environ["FAUXLAB_HOME"] = str(work / "home")
        started = time.perf_counter()
        rows: list[Row] = []
        if args.skip != "quality":
            extractor = Lite0Features(size=args.feature_size)
            for name in args.datasets.split(","):
                rows += quality(name, args, work, extractor)
        measured = speed(args, work) if args.skip != "speed" else None
        print(f"\nbenchmark took {(time.perf_counter() - started) / 60:.1f} min")
        if rows:
            print_quality(rows, args)
        if measured is not None:
            print_speed(*measured, args)


if __name__ == "__main__":
    main()
