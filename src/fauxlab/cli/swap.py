"""`fauxlab swap`: train a face swap between two people, apply it, measure it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from fauxlab.cli.output import print_json, progress_bar, say_checkpoint_kept, stderr, stdout
from fauxlab.errors import InputError, OutputExistsError
from fauxlab.media import MediaKind, media_kind, probe_video

if TYPE_CHECKING:
    from fauxlab.synthesis.faceswap.losses import LossWeights
    from fauxlab.training import Tick

app = typer.Typer(help="Face swap: train, apply and evaluate.", no_args_is_help=True)


def _train_progress() -> tuple[Progress, Callable[[Tick], None]]:
    """A rich bar on a terminal; a plain line every 30 s otherwise (logs)."""
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
        disable=not stderr.is_terminal,
    )
    task = bar.add_task("training", total=1000, status="")
    last_line = [time.monotonic()]

    def report(tick: Tick) -> None:
        values = tick.values
        status = f"step {tick.done} loss {values['loss']:.4f} {values['images_per_s']:.0f} img/s"
        if values["gan_on"]:
            status += " +gan"
        fraction = values["fraction"]
        bar.update(task, completed=int(fraction * 1000), status=status)
        if not stderr.is_terminal and time.monotonic() - last_line[0] >= 30:
            last_line[0] = time.monotonic()
            print(f"{fraction:6.1%} {status}", file=stderr.file, flush=True)

    return bar, report


def _note(line: str) -> None:
    """A line for the user that is not an error (printed above the progress bar)."""
    stderr.print(f"note: {line}", highlight=False, soft_wrap=True)


@app.command("train")
def train(
    a: Path | None = typer.Option(None, "--a", help="Faces of person A (`faces extract` folder)."),
    b: Path | None = typer.Option(None, "--b", help="Faces of person B (`faces extract` folder)."),
    out: Path = typer.Option(..., "--out", "-o", help="Run folder (checkpoints, previews)."),
    size: int = typer.Option(64, help="Training size in pixels: 64 or 128."),
    model: str = typer.Option("fauxlab", help="fauxlab (fast, default) or classic (baseline)."),
    gan_weight: float | None = typer.Option(
        None, help="Weight of a patch critic switched on halfway (about 0.1; default 0 = off)."
    ),
    expression_weight: float | None = typer.Option(
        None,
        help="Weight of the term that makes each swap keep its source's mouth opening "
        "(default 0 = off; see docs/faceswap.md).",
    ),
    guide: str | None = typer.Option(
        None,
        help="expression (default for --model fauxlab): tell each decoder how open the mouth "
        "and eyes are, so swaps follow the source's mouth (docs/faceswap.md); none (default "
        "for classic): the decoders see only the shared code.",
    ),
    mouth_weight: float | None = typer.Option(
        None,
        help="Extra loss weight inside the mouth (default 8: a mouth pixel counts 9x a "
        "cheek; docs/faceswap.md).",
    ),
    eye_weight: float | None = typer.Option(
        None,
        help="Extra loss weight inside the eyes (default 3: an eye pixel counts 4x a cheek; "
        "docs/faceswap.md).",
    ),
    lr_decay: float | None = typer.Option(
        None,
        help="Last share of the budget over which the learning rate falls linearly to 0 "
        "(default 0 = constant; docs/faceswap.md).",
    ),
    mouth_balance: float | None = typer.Option(
        None,
        help="Even out mouth openings in the faces drawn: 0 draws frames uniformly, 1 each "
        "opening range equally often (default 0.5; docs/faceswap.md).",
    ),
    minutes: float | None = typer.Option(None, help="Train this many minutes (more)."),
    steps: int | None = typer.Option(None, help="Train until this total step count."),
    batch: int | None = typer.Option(None, help="Faces of each person per step (default 16)."),
    preview_every: int | None = typer.Option(
        None, help="Checkpoint and sealed preview every N steps (default 500)."
    ),
    seed: int = typer.Option(0, help="Random seed."),
    resume: bool = typer.Option(False, "--resume", help="Continue the run in --out."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Train a shared encoder with one decoder per person; Ctrl-C or kill saves a checkpoint.

    With --resume the run keeps its model, size, faces folders and settings; --batch,
    --gan-weight, --expression-weight and --preview-every change them only when given.
    When memory is too small for the batch it is halved (and said so) and training goes on.
    """
    from fauxlab.synthesis.faceswap.config import TrainConfig
    from fauxlab.synthesis.faceswap.guide import default_guide
    from fauxlab.synthesis.faceswap.train import train as run_training

    if not resume and (a is None or b is None):
        raise InputError("give both --a and --b faces folders (or --resume an existing run)")
    if minutes is None and steps is None:
        raise InputError("give a budget: --minutes M or --steps N")
    if (minutes is not None and minutes <= 0) or (steps is not None and steps <= 0):
        raise InputError("--minutes and --steps must be positive")
    if preview_every is not None and preview_every < 1:
        raise InputError("--preview-every must be at least 1")
    losses = _loss_weights(mouth_weight, eye_weight, resume)
    given: dict[str, Any] = {
        "batch": batch,
        "gan_weight": gan_weight,
        "expression_weight": expression_weight,
        "preview_every": preview_every,
        "lr_decay": lr_decay,
        "mouth_balance": mouth_balance,
    }
    overrides = {k: v for k, v in given.items() if v is not None}
    base = TrainConfig(
        model=model, size=size, seed=seed, guide=guide or default_guide(model), losses=losses
    )
    config = replace(base, **overrides)  # the rest from TrainConfig's own defaults
    bar, report = _train_progress()
    try:
        with bar:
            summary = run_training(
                a or Path(), b or Path(), out, config,
                steps=steps, minutes=minutes, resume=resume, overrides=overrides,
                progress=report, notice=_note,
            )  # fmt: skip
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM; the CLI exits 130
        say_checkpoint_kept("swap train", out)
        raise
    if as_json:
        print_json(summary.to_dict())
    else:
        loss = summary.losses.get("loss")
        stdout.print(
            f"{summary.model}: step {summary.step}, {summary.images} faces seen, "
            f"{summary.images_per_s:.1f} img/s"
            + (f", loss {loss:.4f}" if loss is not None else "")
            + f"; run in {out}, latest preview {summary.previews[-1] if summary.previews else '-'}",
            highlight=False,
        )


def _loss_weights(mouth: float | None, eyes: float | None, resume: bool) -> LossWeights:
    """The region weights a new run trains with; a resumed run keeps its own."""
    from fauxlab.synthesis.faceswap.losses import LossWeights

    defaults = LossWeights()
    for flag, value in (("--mouth-weight", mouth), ("--eye-weight", eyes)):
        if value is not None and value < 0:
            raise InputError(f"{flag} must be 0 or more, got {value}")
        if value is not None and resume:
            raise InputError(f"{flag} is fixed when a run starts; drop it with --resume")
    return replace(
        defaults,
        mouth=defaults.mouth if mouth is None else mouth,
        eyes=defaults.eyes if eyes is None else eyes,
    )


@app.command("apply")
def apply(
    run: Path = typer.Argument(..., help="A run folder made by `fauxlab swap train`."),
    source: Path = typer.Argument(..., help="An image or video with the face to replace."),
    to: str = typer.Option("b", "--to", help="Whose face to draw: a or b."),
    out: Path = typer.Option(..., "--out", "-o", help="Output .png/.jpg/.webp or .mp4 (sealed)."),
    track: int | None = typer.Option(
        None,
        help="Video: the track id to swap (default: the biggest face first seen). "
        "Image: the face number, 0 = largest.",
    ),
    flip_average: bool = typer.Option(
        False,
        help="Draw each face and its mirror image and average them (2 decoder passes; "
        "no steady gain measured, docs/faceswap.md).",
    ),
    sharpen: float = typer.Option(
        1.0,  # convert.DEFAULT_SHARPEN, written out to keep torch out of the CLI's start
        help="Unsharp-mask the drawn face by this amount, 0 to 4 (0 = off; docs/faceswap.md).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Swap one person's face in an image or video; audio is kept, the output sealed."""
    from fauxlab.synthesis.faceswap.convert import apply_swap
    from fauxlab.synthesis.faceswap.runfolder import load_run

    if out.exists():
        raise OutputExistsError(f"{out}: already exists; choose another path or remove it first")
    if not source.is_file():
        raise InputError(f"{source}: no such file")
    loaded = load_run(run)
    total = None
    if media_kind(source) is MediaKind.VIDEO:
        total = probe_video(source).frame_count or None
    with progress_bar() as bar:
        task = bar.add_task("swapping", total=total)
        summary = apply_swap(
            loaded, source, out, to, track, lambda done: bar.update(task, completed=done),
            flip_average=flip_average, sharpen=sharpen,
        )  # fmt: skip
    if as_json:
        print_json(summary.to_dict())
    else:
        stdout.print(
            f"{summary.frames_swapped} of {summary.frames} frames swapped (track "
            f"{summary.track}, to {to}); sealed to {out}",
            highlight=False,
        )


@app.command("eval")
def evaluate(
    run: Path = typer.Argument(..., help="The run folder that made the swap."),
    source: Path = typer.Argument(..., help="The original image or video."),
    swapped: Path = typer.Argument(..., help="The output of `fauxlab swap apply`."),
    to: str = typer.Option("b", "--to", help="Who the swap was towards: a or b."),
    max_frames: int = typer.Option(300, help="Score at most this many frames."),
    as_json: bool = typer.Option(False, "--json", help="Print the scores as JSON."),
) -> None:
    """Identity retrieval, expression transfer, temporal stability, reconstruction SSIM."""
    from fauxlab.synthesis.faceswap.evaluate import evaluate as score
    from fauxlab.synthesis.faceswap.runfolder import load_run

    for path in (source, swapped):
        if not path.is_file():
            raise InputError(f"{path}: no such file")
    if to not in ("a", "b"):
        raise InputError(f"--to must be a or b, got {to!r}")
    _note_frame_rates(source, swapped)
    loaded = load_run(run)
    with stderr.status("scoring", spinner="dots"):
        scores = score(loaded, source, swapped, to, max_frames)
    if as_json:
        print_json(scores.to_dict())
        return
    for name, value in scores.to_dict().items():
        stdout.print(f"{name:>24}: {value}", highlight=False)


def _note_frame_rates(source: Path, swapped: Path) -> None:
    """Say so when the two videos differ in frame rate: frames are then paired by time,
    not by number, and a reader should know that some source frames were skipped or
    repeated. (`swap apply` keeps the source's rate, so this means a re-encoded copy.)"""
    if media_kind(source) is not MediaKind.VIDEO or media_kind(swapped) is not MediaKind.VIDEO:
        return
    rates = probe_video(source).fps, probe_video(swapped).fps
    if abs(rates[0] - rates[1]) > 0.01 * rates[0]:
        stderr.print(
            f"note: {swapped} runs at {rates[1]:g} fps and {source} at {rates[0]:g} fps; "
            "each swapped frame is compared with the source frame nearest in time",
            highlight=False,
            soft_wrap=True,
        )
