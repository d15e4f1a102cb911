"""`fauxlab detector train-traces`: the traces detector from real pictures alone.

Every training fake is a real picture reconstructed through one of a zoo of small
decoders (fauxlab.synthesis.traces), made in memory and never written; the held-out
numbers include decoder designs the detector never trained on.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import typer

from fauxlab.cli.output import print_json, progress_bar, stdout
from fauxlab.errors import InputError, OutputExistsError


def train(
    data: Annotated[
        Path, typer.Option("--data", help="The data root (holds faces/utkface and videos).")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="The run folder to write.")],
    minutes: Annotated[float | None, typer.Option(help="Stop after this many minutes.")] = None,
    steps: Annotated[int | None, typer.Option(help="Stop at this total step count.")] = None,
    faces: Annotated[int, typer.Option(help="UTKFace training faces in the pool.")] = 1500,
    decoder_steps: Annotated[int, typer.Option(help="Training steps of each zoo decoder.")] = 100,
    width: Annotated[int, typer.Option(help="Channels of the network's first layer.")] = 16,
    frames_per_clip: Annotated[int, typer.Option(help="Frames of each real clip.")] = 6,
    eval_faces: Annotated[int, typer.Option(help="Held-out faces measured at the end.")] = 100,
    seed: Annotated[int, typer.Option(help="Seed for the pool, the zoo and the crops.")] = 0,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the run in --out.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Train the traces detector (neighbouring-pixel residuals + a small CNN) on real
    faces, clips and photos against their reconstructions through a zoo of up-sampling
    decoders; then measure it on held-out faces and clips, including decoders it never
    saw, clean, after JPEG 75 and after halving and doubling the size. Writes
    OUT/traces.safetensors, OUT/report.json and checkpoints (resume with --resume)."""
    if minutes is None and steps is None:
        raise InputError("give --minutes or --steps (or both): how long to train")
    if out.exists() and not resume:
        raise OutputExistsError(f"{out}: already exists; add --resume to continue it")
    if not (data / "faces" / "utkface").is_dir():
        raise InputError(f"{data}: no faces/utkface folder here (see ../shared/data/README.md)")
    from fauxlab.detection import TracesTrainConfig, train_traces
    from fauxlab.synthesis.traces import ReconstructionZoo
    from fauxlab.training import Budget

    words = ["fauxlab", "detector", "train-traces", "--data", str(data), "--out", str(out)]
    words += ["--minutes", str(minutes)] if minutes is not None else []
    words += ["--steps", str(steps)] if steps is not None else []
    words += ["--faces", str(faces), "--decoder-steps", str(decoder_steps)]
    words += ["--width", str(width), "--frames-per-clip", str(frames_per_clip)]
    words += ["--eval-faces", str(eval_faces), "--seed", str(seed)]
    command = shlex.join(words)
    config = TracesTrainConfig(
        data=data,
        faces=faces,
        width=width,
        seed=seed,
        eval_faces=eval_faces,
        frames_per_clip=frames_per_clip,
    )
    zoo = ReconstructionZoo(steps=decoder_steps, seed=seed)
    with progress_bar() as bar:
        task = bar.add_task("reading", total=None)

        def progress(phase: str, done: int, total: int) -> None:
            bar.update(task, description=phase, completed=done, total=total or None)

        info = train_traces(config, zoo, out, Budget(steps, minutes), command, resume, progress)
    if as_json:
        print_json(info)
        return
    for name, row in info["held_out"].items():
        if "auc" in row:
            stdout.print(
                f"{name}: AUC {row['auc']:.4f}, accuracy {row['accuracy']:.3f}, "
                f"reals called fake {row['reals_called_fake']:.3f}",
                highlight=False,
            )
    stdout.print(f"model written to {out / 'traces.safetensors'}", highlight=False)
