"""`fauxlab voice`: train a voice swap between two speakers, apply it, measure it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from fauxlab.cli.output import print_json, say_checkpoint_kept, stderr, stdout
from fauxlab.cli.provenance import LEDGER_HELP
from fauxlab.errors import InputError, OutputExistsError

if TYPE_CHECKING:
    from fauxlab.training import Tick

app = typer.Typer(help="Voice swap: train, apply and evaluate.", no_args_is_help=True)

SPEAKER_HELP = "a folder of that speaker's audio files, or a quoted glob of them"


def _report_every(seconds: float = 30.0) -> Any:
    """A plain progress line on stderr every `seconds` (training runs for minutes)."""
    last = [time.monotonic()]

    def report(tick: Tick) -> None:
        if time.monotonic() - last[0] >= seconds:
            last[0] = time.monotonic()
            values = tick.values
            print(
                f"{values['fraction']:6.1%} step {tick.done} loss {values['loss']:.4f}",
                file=stderr.file,
                flush=True,
            )

    return report


@app.command("train")
def train(
    a: str | None = typer.Option(None, "--a", help=f"Speaker A: {SPEAKER_HELP}."),
    b: str | None = typer.Option(None, "--b", help=f"Speaker B: {SPEAKER_HELP}."),
    out: Path = typer.Option(..., "--out", "-o", help="Run folder (checkpoints, previews)."),
    minutes: float | None = typer.Option(None, help="Train this many minutes (more)."),
    steps: int | None = typer.Option(None, help="Train until this total step count."),
    batch: int | None = typer.Option(None, help="Segments of each speaker per step (16)."),
    preview_every: int | None = typer.Option(
        None, help="Checkpoint and sealed audio previews every N steps (default 500)."
    ),
    seed: int = typer.Option(0, help="Random seed."),
    resume: bool = typer.Option(False, "--resume", help="Continue the run in --out."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Train a shared encoder with one decoder per speaker; Ctrl-C or kill saves a checkpoint.

    The last file of each speaker by name is held out of training (for `voice eval`).
    With --resume the run keeps its speakers and settings; --batch and --preview-every
    change them only when given.
    """
    if not resume and (a is None or b is None):
        raise InputError("give both --a and --b speakers (or --resume an existing run)")
    if resume and (a is not None or b is not None):
        raise InputError("a resumed run keeps its speakers; drop --a and --b with --resume")
    if minutes is None and steps is None:
        raise InputError("give a budget: --minutes M or --steps N")
    if (minutes is not None and minutes <= 0) or (steps is not None and steps <= 0):
        raise InputError("--minutes and --steps must be positive")
    given = {"batch": batch, "preview_every": preview_every}
    overrides = {k: v for k, v in given.items() if v is not None}
    from fauxlab.synthesis.voice.swap.train import VoiceTrainConfig
    from fauxlab.synthesis.voice.swap.train import train as run_training

    config = VoiceTrainConfig(seed=seed, **overrides)
    try:
        summary = run_training(
            a, b, out, config, steps=steps, minutes=minutes, resume=resume,
            overrides=overrides, progress=_report_every(),
        )  # fmt: skip
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM; the CLI exits 130
        say_checkpoint_kept("voice train", out)
        raise
    if as_json:
        print_json(summary.to_dict())
        return
    loss = summary.losses.get("loss")
    stdout.print(
        f"voice swap: step {summary.step}, {summary.segments_per_s:.0f} segments/s"
        + (f", loss {loss:.4f}" if loss is not None else "")
        + f"; run in {out}, latest preview {summary.previews[-1] if summary.previews else '-'}",
        highlight=False,
    )


@app.command("apply")
def apply(
    run: Path = typer.Argument(..., help="A run folder made by `fauxlab voice train`."),
    source: Path = typer.Argument(..., help="A sound file, or a video whose sound to convert."),
    to: str = typer.Option("b", "--to", help="Whose voice to speak in: a or b."),
    out: Path = typer.Option(
        ..., "--out", "-o", help="Output .wav/.mp3 (sound) or .mp4 (video), always sealed."
    ),
    ledger: str | None = typer.Option(None, help=LEDGER_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Say a recording again in the other speaker's voice; the output is always sealed.

    Sealed means watermark, C2PA manifest and ledger entry. A video keeps its picture."""
    from fauxlab.provenance.context import Provenance
    from fauxlab.synthesis.voice.swap.apply import apply_voice
    from fauxlab.synthesis.voice.swap.runfolder import load_run

    if to not in ("a", "b"):
        raise InputError(f"--to must be a or b, got {to!r}")
    if out.exists():
        raise OutputExistsError(f"{out}: already exists; choose another path or remove it first")
    if not source.is_file():
        raise InputError(f"{source}: no such file")
    loaded = load_run(run)
    with stderr.status("converting", spinner="dots"):
        summary = apply_voice(loaded, source, out, to, Provenance.default(ledger))
    if as_json:
        print_json(summary.to_dict())
    else:
        stdout.print(
            f"{summary.seconds:.1f} s of speech in {to}'s voice; sealed to {out} "
            f"(watermark id {summary.sealed['watermark_id']})",
            highlight=False,
        )


@app.command("eval")
def evaluate(
    run: Path = typer.Argument(..., help="The run folder that made the swap."),
    source: Path = typer.Argument(..., help="The original recording (or video)."),
    swapped: Path = typer.Argument(..., help="The output of `fauxlab voice apply`."),
    to: str = typer.Option("b", "--to", help="Who the swap was towards: a or b."),
    as_json: bool = typer.Option(False, "--json", help="Print the scores as JSON."),
) -> None:
    """Speaker similarity, words kept and the voice detector's view of a swap.

    Speaker: resemblyzer cosines to the target against the source; words: pocketsphinx
    agreement with the input and mel-cepstral distortion (docs/voice-swap.md). Needs the
    `voice-eval` extra."""
    from fauxlab.synthesis.voice.swap.evaluate import evaluate as score
    from fauxlab.synthesis.voice.swap.runfolder import load_run

    for path in (source, swapped):
        if not path.is_file():
            raise InputError(f"{path}: no such file")
    if to not in ("a", "b"):
        raise InputError(f"--to must be a or b, got {to!r}")
    loaded = load_run(run)
    with stderr.status("scoring", spinner="dots"):
        scores = score(loaded, source, swapped, to)
        scores["naturalness"] = _naturalness(source, swapped)
    if as_json:
        print_json(scores)
        return
    for name, value in scores.items():
        stdout.print(f"{name:>22}: {value}", highlight=False)


def _naturalness(source: Path, swapped: Path) -> dict[str, Any]:
    """The voice detector's P(synthetic) of input and output: a proxy for how natural the
    output sounds (it was trained to catch vocoder and TTS traces; docs/voice-swap.md)."""
    from fauxlab.detection import available_detectors, detect_file

    detectors, _ = available_detectors(["voice"])
    scores = {}
    for name, path in (("input", source), ("output", swapped)):
        report = detect_file(path, detectors)
        scores[name] = report.detector_probability("voice")
    return {"proxy": "fauxlab voice detector P(synthetic), shipped weights", **scores}
