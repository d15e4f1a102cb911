"""`fauxlab detector train`: the learned face detector, from real faces only."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import typer

from fauxlab.cli.output import print_json, progress_bar, stdout
from fauxlab.errors import InputError


def train(
    real: list[Path] = typer.Option(..., "--real", help="Folder of real images or videos."),
    out: Path = typer.Option(..., "--out", "-o", help="Run folder (new, or one to --resume)."),
    exclude: list[str] = typer.Option([], help="Leave out files matching this name pattern."),
    holdout_fraction: float = typer.Option(
        0.1, help="Hold out this share of each folder's files (by name hash) for validation."
    ),
    minutes: float | None = typer.Option(None, help="Train for this many minutes."),
    steps: int | None = typer.Option(None, help="Train until this total step count."),
    seed: int = typer.Option(0, help="Seed of the batches, blends and degradations."),
    decay_steps: int = typer.Option(
        300, help="With --steps: the learning rate falls to 0 over this many last steps."
    ),
    size: int = typer.Option(
        128, help="Side of the face crop the network sees, in pixels (a multiple of 32)."
    ),
    video_codec: bool = typer.Option(
        False,
        "--video-codec",
        help="Also put real and blended crops alike through H.264 (shrunk, encoded, "
        "enlarged), so that re-encoded real video is not read as a blend.",
    ),
    resume: bool = typer.Option(False, "--resume", help="Continue the run in --out."),
    as_json: bool = typer.Option(False, "--json", help="Print the validation result as JSON."),
) -> None:
    """Train the face detector on self-blended images of the --real faces.

    The exported detector (RUN/detector.safetensors) is what `fauxlab detect --model RUN`
    loads. Faces are found once and cached in the run folder."""
    from fauxlab.detection import DetectorConfig, train_detector
    from fauxlab.training import Budget, Tick

    if not 0.0 < holdout_fraction < 0.5:
        raise InputError(f"--holdout-fraction must be in (0, 0.5), got {holdout_fraction}")
    if minutes is None and steps is None:
        raise InputError("give --steps N (reproducible) or --minutes M")
    if (minutes is not None and minutes <= 0) or (steps is not None and steps < 1):
        raise InputError("--minutes and --steps must be positive")
    if not 64 <= size <= 512 or size % 32:
        raise InputError(f"--size must be a multiple of 32 from 64 to 512, got {size}")
    config = DetectorConfig(
        real=tuple(str(p) for p in real),
        exclude=tuple(exclude),
        holdout_fraction=holdout_fraction,
        seed=seed,
        decay_steps=decay_steps,
        input_size=size,
        video_codec=video_codec,
    )
    command = shlex.join(["fauxlab", *sys.argv[1:]])
    with progress_bar() as bar:
        task = bar.add_task("starting", total=steps)

        def progress(tick: Tick) -> None:
            if tick.phase == "training":
                record = tick.values
                text = f"loss {record['loss']:.3f} boundary {record['boundary']:.3f}"
                bar.update(task, completed=tick.done, description=text)
            else:
                bar.update(task, description=f"{tick.phase} {tick.done}/{tick.total}")

        result = train_detector(
            config, out, Budget(steps, minutes), resume=resume, progress=progress, command=command
        )
    summary = {
        "run": str(out),
        "validation_auc": round(result.auc, 4),
        "validation_auc_jpeg75": round(result.auc_jpeg75, 4),
        "platt": [result.calibration.scale, result.calibration.bias],
    }
    if as_json:
        print_json(summary)
    else:
        stdout.print(
            f"detector written to {out / 'detector.safetensors'}: held-out self-blend AUC "
            f"{result.auc:.3f} ({result.auc_jpeg75:.3f} after JPEG 75)",
            highlight=False,
        )
