"""`fauxlab gan`: train a GAN on a folder of images, sample it, walk its latent space."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from fauxlab.cli.output import print_json, progress_bar, stdout
from fauxlab.errors import InputError, OutputExistsError

if TYPE_CHECKING:
    from fauxlab.synthesis.gan.config import TrainConfig
    from fauxlab.synthesis.gan.metrics import GanEvaluation
    from fauxlab.training import Tick

# torch and the GAN modules are imported inside each command, not here: the whole command
# tree is built for every invocation, and `fauxlab --version` should not pay ~2 s for torch.

app = typer.Typer(help="Train and sample generative adversarial networks.", no_args_is_help=True)

# --resume continues the saved run; these options, given explicitly, must agree with it.
RESUME_CHECKED = ("model", "size", "batch", "seed", "loss", "holdout", "limit")


def _config(
    data_dir: Path,
    model: str,
    size: int,
    batch: int,
    seed: int,
    loss: str | None,
    limit: int | None,
    holdout: int,
) -> TrainConfig:
    from fauxlab.synthesis.gan.config import TrainConfig
    from fauxlab.synthesis.gan.losses import LOSS_NAMES
    from fauxlab.synthesis.gan.models import MODEL_NAMES

    if model not in MODEL_NAMES:
        raise InputError(f"unknown --model {model!r}; choose one of {', '.join(MODEL_NAMES)}")
    if loss is not None and loss not in LOSS_NAMES:
        raise InputError(f"unknown --loss {loss!r}; choose one of {', '.join(LOSS_NAMES)}")
    overrides: dict[str, Any] = {
        "data_dir": str(data_dir.resolve()), "batch": batch, "seed": seed, "holdout": holdout,
    }  # fmt: skip
    if loss is not None:
        overrides["loss"] = loss
    if limit is not None:
        overrides["image_limit"] = limit
    config = TrainConfig.for_model(model, size, **overrides)  # type: ignore[arg-type]
    config.check()  # a SettingError names what to change
    return config


@app.command("train")
def train(
    ctx: typer.Context,
    data_dir: Path = typer.Argument(..., help="A folder of images (searched recursively)."),
    out: Path = typer.Option(..., "--out", "-o", help="Run folder (new, or one to --resume)."),
    model: str = typer.Option("fauxlab", help="fauxlab (stabilised, default) or dcgan (2015)."),
    size: int = typer.Option(64, help="Image side in pixels (dcgan: 64; fauxlab: 32, 64, 128)."),
    minutes: float | None = typer.Option(None, help="Train for this many minutes (default 10)."),
    steps: int | None = typer.Option(None, help="Train until this total step count."),
    batch: int = typer.Option(64, help="Images per step."),
    seed: int = typer.Option(0, help="Seed for weights, batches, noise and augmentation."),
    loss: str | None = typer.Option(None, help="bce, ns or hinge (default: the model's own)."),
    limit: int | None = typer.Option(None, help="Use only the first N images (by name)."),
    holdout: int = typer.Option(
        0, help="Never train on N images (chosen by name hash); `gan eval` compares with them."
    ),
    sample_every: int = typer.Option(100, help="Draw a sealed fixed-noise grid every N steps."),
    checkpoint_every: int = typer.Option(500, help="Checkpoint every N steps (and every 10 min)."),
    device: str = typer.Option("auto", help="auto (CUDA when present), cpu or cuda."),
    resume: bool = typer.Option(False, "--resume", help="Continue the run in --out."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Train a GAN; grids, curves, checkpoints, time-lapse and metrics go into --out.

    With --resume the run's saved config is used: --model, --size, --batch, --seed, --loss,
    --holdout and --limit may be left out, and are refused if they differ from it; --steps
    is the total to reach, --minutes a further budget.
    """
    from dataclasses import replace

    from fauxlab.synthesis.gan.train import train as run_training
    from fauxlab.training import Budget

    config = _config(data_dir, model, size, batch, seed, loss, limit, holdout)
    config = replace(config, sample_every=sample_every, checkpoint_every=checkpoint_every)
    if minutes is None and steps is None:
        minutes = 10.0
    if (minutes is not None and minutes <= 0) or (steps is not None and steps < 1):
        raise InputError("--minutes and --steps must be positive")
    budget = Budget(total_steps=steps, minutes=minutes)
    given = [name for name in RESUME_CHECKED if _given(ctx, name)]
    with progress_bar() as bar:
        task = bar.add_task("starting", total=steps)

        def progress(tick: Tick) -> None:
            if tick.phase == "training":
                record = tick.values
                text = (
                    f"D {record['loss_d']:.3f} G {record['loss_g']:.3f} "
                    f"D(x) {record['d_real']:.2f} D(G(z)) {record['d_fake']:.2f}"
                )
                bar.update(task, completed=tick.done, description=text)
            else:
                bar.update(task, description=f"{tick.phase} {tick.done}/{tick.total}")

        result = run_training(
            config, out, budget, resume=resume, device=device, progress=progress, given=given
        )
    if as_json:
        print_json(result.to_dict())
    else:
        stdout.print(
            f"trained {out} from step {result.start_step} to {result.step} in "
            f"{result.seconds / 60:.1f} min ({result.images_per_second:.1f} img/s)",
            highlight=False,
        )


def _given(ctx: typer.Context, name: str) -> bool:
    """Whether the user set option `name` (on the command line), rather than its default."""
    source = ctx.get_parameter_source(name)
    return source is not None and source.name not in ("DEFAULT", "DEFAULT_MAP")


@app.command("sample")
def sample(
    run: str = typer.Argument(..., help="A run folder or a generator .safetensors file."),
    n: int = typer.Option(16, "-n", help="How many images."),
    out: Path = typer.Option(..., "--out", "-o", help="New folder for the sealed PNGs."),
    seed: int = typer.Option(0, help="Seed of the latent vectors."),
    as_json: bool = typer.Option(False, "--json", help="Print what was written as JSON."),
) -> None:
    """Draw N images from a trained generator; each one is sealed (watermark, C2PA, ledger)."""
    if n < 1:
        raise InputError(f"-n must be at least 1, got {n}")
    if out.exists():
        raise OutputExistsError(f"{out}: already exists; choose another path or remove it")
    from fauxlab.synthesis.gan.sample import load_generator, write_samples

    generator = load_generator(run)
    written = write_samples(generator, n, out, seed)
    if as_json:
        print_json({"generator": generator.name, "images": [s.to_dict() for s in written]})
    else:
        stdout.print(f"{len(written)} sealed images written to {out}", highlight=False)


@app.command("interpolate")
def interpolate(
    run: str = typer.Argument(..., help="A run folder or a generator .safetensors file."),
    out: Path = typer.Option(..., "--out", "-o", help="The video to write (.mp4)."),
    seconds: float = typer.Option(4.0, help="Length of the walk."),
    seed: int = typer.Option(0, help="Seed of the keyframe latents."),
    as_json: bool = typer.Option(False, "--json", help="Print what was written as JSON."),
) -> None:
    """A looping latent walk (slerp between one keyframe a second), sealed as MP4."""
    if out.suffix.lower() != ".mp4":
        raise InputError(f"{out}: the walk is written as .mp4")
    if out.exists():
        raise OutputExistsError(f"{out}: already exists; choose another path or remove it")
    if not 0.5 <= seconds <= 600:
        raise InputError(f"--seconds must be between 0.5 and 600, got {seconds}")
    from fauxlab.synthesis.gan.sample import load_generator, write_interpolation

    sealed = write_interpolation(load_generator(run), out, seconds, seed)
    if as_json:
        print_json(sealed.to_dict())
    else:
        stdout.print(f"sealed latent walk written to {out}", highlight=False)


@app.command("explain")
def explain(
    run: Path = typer.Argument(..., help="A run folder."),
    out: Path = typer.Option(..., "--out", "-o", help="The HTML page to write."),
) -> None:
    """One HTML page: both losses, D(real) and D(fake) over time, and the grids."""
    from fauxlab.synthesis.gan.explain import explain_page
    from fauxlab.training.checkpoint import write_atomic

    if out.exists():
        raise OutputExistsError(f"{out}: already exists; choose another path or remove it")
    write_atomic(out, explain_page(run).encode())
    stdout.print(f"explanation written to {out}", highlight=False)


@app.command("eval")
def evaluate(
    run: str = typer.Argument(
        ..., help="A run folder, a generator .safetensors file or a built-in."
    ),
    data_dir: Path | None = typer.Argument(
        None, help="Real images to compare with (all of them); default: the run's held-out set."
    ),
    n: int | None = typer.Option(
        None, "-n", help="Use N real images (a seeded random choice) and N generated; default all."
    ),
    seed: int = typer.Option(0, help="Seed of the latents, the choice of reals and KID's subsets."),
    as_json: bool = typer.Option(False, "--json", help="Print the scores as JSON."),
) -> None:
    """FD-Lite0, KID, precision and recall of a generator against real images.

    The real images are the run's held-out set (train with --holdout N: N files of its
    DATA_DIR chosen by name hash), or every image of DATA_DIR when given. As many images are
    generated, in memory: nothing is written. Numbers compare only at the same N.
    """
    from fauxlab.synthesis.gan.metrics import evaluate_generator, real_images
    from fauxlab.synthesis.gan.sample import load_generator

    generator = load_generator(run)
    with progress_bar() as bar:
        task = bar.add_task("starting")

        def progress(tick: Tick) -> None:
            bar.update(task, completed=tick.done, total=tick.total, description=tick.phase)

        reals, source = real_images(run, data_dir, generator.arch.size, n, seed, progress)
        result = evaluate_generator(
            generator, reals, seed=seed, real_source=source, progress=progress
        )
    if as_json:
        print_json(result.to_dict())
    else:
        _print_evaluation(result)


def _print_evaluation(result: GanEvaluation) -> None:
    s = result.scores
    stdout.print(
        f"{result.generator} (step {result.step}) against {result.images} real images from "
        f"{result.real_source}, Lite0 features at {result.feature_size} px, seed {result.seed}",
        highlight=False,
    )
    rows = [
        ("FD-Lite0", f"{s.fd_lite0:.2f}", "lower is better"),
        ("KID x 1000", f"{s.kid * 1000:.2f} +- {s.kid_std * 1000:.2f}", "lower is better"),
        ("precision", f"{s.precision:.3f}", "fakes that look real"),
        ("recall", f"{s.recall:.3f}", "real variety covered"),
    ]
    for name, value, meaning in rows:
        stdout.print(f"  {name:<11} {value:>16}   {meaning}", highlight=False)
