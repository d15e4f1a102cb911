"""`fauxlab detector`: train the detectors that `fauxlab detect` runs."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from fauxlab.cli import detector_learned, detector_traces, detector_voice
from fauxlab.cli.output import print_json, progress_bar, stdout
from fauxlab.errors import InputError, OutputExistsError

if TYPE_CHECKING:
    from fauxlab.detection import LinearModel, SourceConfig, TrainReport
    from fauxlab.synthesis.gan.sample import GeneratorSampler
    from fauxlab.training import Progress, Tick

app = typer.Typer(help="Train fauxlab's fake detectors.", no_args_is_help=True)
app.command("train")(detector_learned.train)
app.command("train-voice")(detector_voice.train)
app.command("train-traces")(detector_traces.train)

# The options the whole-image trainers share.
Reals = Annotated[list[Path], typer.Option("--real", help="A folder of real images (repeatable).")]
Fakes = Annotated[
    list[Path] | None,
    typer.Option("--fake", help="A folder of fake images, e.g. `gan sample` output (repeatable)."),
]
Generators = Annotated[
    list[str] | None,
    typer.Option(
        "--fake-generator",
        help="A GAN run folder, generator file or built-in name, sampled in memory (repeatable).",
    ),
]
Out = Annotated[Path, typer.Option("--out", "-o", help="The model file to write (.safetensors).")]
Seed = Annotated[int, typer.Option(help="Seed for picks, augmentation and latents.")]
Holdout = Annotated[
    int,
    typer.Option(help="Evaluate only on each folder's N held-out files (at most a fifth)."),
]
EvalN = Annotated[int, typer.Option("--eval-n", help="Held-out images per source.")]
Size = Annotated[int, typer.Option(help="Side all images are first brought to (the fakes' size).")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the held-out report as JSON.")]


@app.callback()
def group() -> None:
    """Train fauxlab's fake detectors (a group, so more trainers can join it)."""


def _check(out: Path, size: int, eval_n: int, folders: list[Path]) -> None:
    """Refuse what would fail late, before the slow imports: an existing or misnamed
    output, bad sizes, a folder that is not there."""
    if out.exists():
        raise OutputExistsError(f"{out}: already exists; choose another path or remove it")
    if out.suffix != ".safetensors":
        raise InputError(f"{out}: the model is written as a .safetensors file")
    if not 16 <= size <= 1024:
        raise InputError(f"--size must be between 16 and 1024, got {size}")
    if eval_n < 1:
        raise InputError(f"--eval-n must be at least 1, got {eval_n}")
    for folder in folders:
        if not folder.is_dir():
            raise InputError(f"{folder}: not a folder of images")


def _samplers(generators: list[str] | None) -> tuple[GeneratorSampler, ...]:
    """The generators to draw training fakes from (each loads when first used)."""
    from fauxlab.synthesis.gan.sample import GeneratorSampler

    return tuple(GeneratorSampler(g) for g in generators or ())


def _command(trainer: str, config: SourceConfig, out: Path) -> str:
    """The command line that reproduces this training, for the model card."""
    words = ["fauxlab", "detector", trainer]
    words += [w for p in config.reals for w in ("--real", str(p))]
    words += [w for p in config.fakes for w in ("--fake", str(p))]
    words += [w for g in config.generators for w in ("--fake-generator", g.source)]
    words += ["--out", str(out), "--n", str(config.per_class), "--seed", str(config.seed)]
    words += ["--holdout", str(config.holdout), "--eval-n", str(config.eval_per_source)]
    words += ["--size", str(config.size)]
    return shlex.join(words)


def _train_and_report(
    trainer: str,
    config: SourceConfig,
    out: Path,
    as_json: bool,
    run: Callable[[str, Progress], tuple[LinearModel[Any], TrainReport]],
) -> None:
    """Train with a progress bar, save, and print the held-out numbers."""
    command = _command(trainer, config, out)
    with progress_bar() as bar:
        task = bar.add_task("starting", total=None)

        def progress(tick: Tick) -> None:
            bar.update(task, description=tick.phase, completed=tick.done, total=tick.total)

        model, report = run(command, progress)
    model.save(out)
    if as_json:
        print_json({"model": str(out), "command": command, **report.to_dict()})
        return
    for row in report.pairs:
        stdout.print(
            f"{row['fake']} vs {row['real']}: AUC {row['auc']:.4f}, accuracy {row['accuracy']:.3f}"
            f"; after JPEG 75: AUC {row['auc_jpeg75']:.4f}, accuracy {row['accuracy_jpeg75']:.3f}",
            highlight=False,
        )
    o = report.overall
    stdout.print(
        f"held-out AUC {o['auc']:.4f}, accuracy {o['accuracy']:.3f} "
        f"({report.counts['held_out_fake']} fake, {report.counts['held_out_real']} real); "
        f"after JPEG 75: AUC {o['auc_jpeg75']:.4f}, accuracy {o['accuracy_jpeg75']:.3f}",
        highlight=False,
    )
    if report.skipped:
        stdout.print(f"skipped {len(report.skipped)} unreadable files", highlight=False)
    stdout.print(f"model written to {out}", highlight=False)


@app.command("train-spectrum")
def train_spectrum(
    real: Reals,
    out: Out,
    fake: Fakes = None,
    fake_generator: Generators = None,
    n: Annotated[int, typer.Option("--n", help="Training images per class.")] = 4000,
    seed: Seed = 0,
    holdout: Holdout = 1000,
    eval_n: EvalN = 1000,
    size: Size = 64,
    as_json: AsJson = False,
) -> None:
    """Train the spectral detector (radial power spectrum + logistic regression).

    Reals and fakes go through the same resize, blur and JPEG augmentation; the
    --holdout files of each folder and a separate latent stream of each generator are
    kept for the held-out AUC printed at the end.
    """
    _check(out, size, eval_n, [*real, *(fake or [])])
    from fauxlab.detection import SpectrumTrainConfig
    from fauxlab.detection import train_spectrum as run_training

    config = SpectrumTrainConfig(
        reals=tuple(real), fakes=tuple(fake or ()), generators=_samplers(fake_generator),
        per_class=n, seed=seed, size=size, holdout=holdout, eval_per_source=eval_n,
    )  # fmt: skip
    _train_and_report(
        "train-spectrum", config, out, as_json, lambda c, p: run_training(config, c, p)
    )


@app.command("train-generated")
def train_generated(
    real: Reals,
    out: Out,
    fake: Fakes = None,
    fake_generator: Generators = None,
    n: Annotated[int, typer.Option("--n", help="Training images per class.")] = 2000,
    seed: Seed = 0,
    holdout: Holdout = 1000,
    eval_n: EvalN = 1000,
    size: Size = 64,
    as_json: AsJson = False,
) -> None:
    """Train the generated-image detector (frozen ImageNet Lite0 features + logistic
    regression) on real photos against GAN samples drawn in memory.

    Reals and fakes go through the same crop, resize, blur and JPEG pipeline; the
    --holdout files of each folder and a separate latent stream of each generator are
    kept for the held-out AUC printed at the end (clean and after JPEG 75).
    """
    _check(out, size, eval_n, [*real, *(fake or [])])
    from fauxlab.detection import FeatureSettings, GeneratedTrainConfig
    from fauxlab.detection import train_generated as run_training

    config = GeneratedTrainConfig(
        reals=tuple(real), fakes=tuple(fake or ()), generators=_samplers(fake_generator),
        per_class=n, seed=seed, size=size, holdout=holdout, eval_per_source=eval_n,
        settings=FeatureSettings(side=size),
    )  # fmt: skip
    _train_and_report(
        "train-generated", config, out, as_json, lambda c, p: run_training(config, c, p)
    )
