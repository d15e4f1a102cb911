"""`fauxlab detector`: train the detectors that `fauxlab detect` runs."""

from __future__ import annotations

import shlex
from pathlib import Path

import typer

from fauxlab.cli import detector_learned
from fauxlab.cli.output import print_json, progress_bar, stdout
from fauxlab.errors import InputError, OutputExistsError

app = typer.Typer(help="Train fauxlab's fake detectors.", no_args_is_help=True)
app.command("train")(detector_learned.train)


@app.callback()
def group() -> None:
    """Train fauxlab's fake detectors (a group, so more trainers can join it)."""


def _command(
    reals: list[Path], fakes: list[Path], generators: list[str], out: Path, n: int, seed: int,
    holdout: int, eval_n: int, size: int,
) -> str:  # fmt: skip
    """The command line that reproduces this training, for the model card."""
    words = ["fauxlab", "detector", "train-spectrum"]
    words += [w for p in reals for w in ("--real", str(p))]
    words += [w for p in fakes for w in ("--fake", str(p))]
    words += [w for g in generators for w in ("--fake-generator", g)]
    words += ["--out", str(out), "--n", str(n), "--seed", str(seed), "--holdout", str(holdout)]
    words += ["--eval-n", str(eval_n), "--size", str(size)]
    return shlex.join(words)


@app.command("train-spectrum")
def train_spectrum(
    real: list[Path] = typer.Option(..., "--real", help="A folder of real images (repeatable)."),
    fake: list[Path] = typer.Option(
        [], "--fake", help="A folder of fake images, e.g. `gan sample` output (repeatable)."
    ),
    fake_generator: list[str] = typer.Option(
        [],
        "--fake-generator",
        help="A GAN run folder or generator file, sampled in memory (repeatable).",
    ),
    out: Path = typer.Option(..., "--out", "-o", help="The model file to write (.safetensors)."),
    n: int = typer.Option(4000, "--n", help="Training images per class, over its sources."),
    seed: int = typer.Option(0, help="Seed for picks, augmentation and latents."),
    holdout: int = typer.Option(
        1000, help="Evaluate only on each folder's last N files by name (at most a fifth)."
    ),
    eval_n: int = typer.Option(1000, "--eval-n", help="Held-out images per source."),
    size: int = typer.Option(64, help="Side all images are first brought to (the fakes' size)."),
    as_json: bool = typer.Option(False, "--json", help="Print the held-out report as JSON."),
) -> None:
    """Train the spectral detector (radial power spectrum + logistic regression).

    Reals and fakes go through the same resize, blur and JPEG augmentation; the last
    --holdout files of each folder and a separate latent stream of each generator are
    kept for the held-out AUC printed at the end.
    """
    if out.exists():
        raise OutputExistsError(f"{out}: already exists; choose another path or remove it")
    if out.suffix != ".safetensors":
        raise InputError(f"{out}: the model is written as a .safetensors file")
    if not 16 <= size <= 1024:
        raise InputError(f"--size must be between 16 and 1024, got {size}")
    if eval_n < 1:
        raise InputError(f"--eval-n must be at least 1, got {eval_n}")
    for folder in [*real, *fake]:
        if not folder.is_dir():
            raise InputError(f"{folder}: not a folder of images")
    from fauxlab.detection.spectrum.train import SpectrumTrainConfig
    from fauxlab.detection.spectrum.train import train_spectrum as run_training

    config = SpectrumTrainConfig(
        reals=tuple(real),
        fakes=tuple(fake),
        generators=tuple(fake_generator),
        per_class=n,
        seed=seed,
        size=size,
        holdout=holdout,
        eval_per_source=eval_n,
    )
    command = _command(real, fake, fake_generator, out, n, seed, holdout, eval_n, size)
    with progress_bar() as bar:
        task = bar.add_task("starting", total=None)

        def progress(phase: str, done: int, total: int) -> None:
            bar.update(task, description=phase, completed=done, total=total)

        model, report = run_training(config, command, progress)
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
