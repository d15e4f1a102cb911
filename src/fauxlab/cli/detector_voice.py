"""`fauxlab detector train-voice`: the voice detector from a folder of real speech.

The speakers are split first (a quarter of the files, by whole speakers, held out); the
training speakers' recordings are resynthesised through the training vocoders here, and
the held-out speakers' through those and through the vocoder and the voice left out of
training, to measure what the detector has never heard.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import typer

from fauxlab.cli.output import print_json, progress_bar, stdout
from fauxlab.errors import InputError, OutputExistsError

if TYPE_CHECKING:
    from fauxlab.detection import Recording
    from fauxlab.synthesis.voice.fakes import Clip

THRESHOLD = 0.5


def _recordings(clips: Sequence[Clip]) -> list[Recording]:
    from fauxlab.detection import Recording

    return [Recording(c.name, c.samples, c.fake, c.family) for c in clips]


def _mp3(clips: Sequence[Clip], bitrate: int = 64_000) -> list[Clip]:
    from fauxlab.media.audio_writer import recode
    from fauxlab.synthesis.voice.fakes import RATE, Clip

    return [Clip(c.name, recode(c.samples, RATE, ".mp3", bitrate), c.family) for c in clips]


def evaluate(model: Any, reals: list[Clip], fakes: list[Clip]) -> dict[str, float]:
    """EERs of `model` against the held-out reals: per fake family group, clean and after
    MP3 64 kbps, and the share of held-out reals called fake at 0.5."""
    from fauxlab.detection import voice_equal_error, voice_scores
    from fauxlab.synthesis.voice.fakes import LEFT_OUT_VOCODERS, TRAINING_VOCODERS

    groups = {
        "training_vocoders": set(TRAINING_VOCODERS),
        "left_out_vocoder": set(LEFT_OUT_VOCODERS),
        "left_out_tts": {"piper"},
    }
    out: dict[str, float] = {}
    for suffix, (r, f) in {"": (reals, fakes), "_mp3_64k": (_mp3(reals), _mp3(fakes))}.items():
        real_scores = voice_scores(model, _recordings(r))
        for name, families in groups.items():
            chosen = [c for c in f if c.family in families]
            if not chosen:
                continue
            out[f"eer_{name}{suffix}"] = voice_equal_error(model, _recordings([*r, *chosen]))
        out[f"real_called_fake{suffix}"] = float(np.mean(real_scores >= THRESHOLD))
    return out


def train(
    real: Annotated[Path, typer.Option("--real", help="The folder of real speech.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The model file (.safetensors).")],
    seconds: Annotated[
        float, typer.Option(help="Seconds taken from the start of each recording.")
    ] = 6.0,
    copies: Annotated[int, typer.Option(help="Augmented copies of each recording.")] = 2,
    tts: Annotated[int, typer.Option(help="Text-to-speech clips made for measuring.")] = 30,
    seed: Annotated[int, typer.Option(help="Seed for the augmentation.")] = 0,
    lfcc_only: Annotated[
        bool, typer.Option("--lfcc-only", help="Train the baseline: LFCC statistics alone.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Train the voice detector (LFCC statistics + logistic regression) on real speech
    against its resynthesis by Griffin-Lim, a mel round trip and WORLD, augmented with
    MP3, Opus, the telephone band, resampling and noise; then measure it on held-out
    speakers, the LPC vocoder and the Piper voice it never heard."""
    if out.exists():
        raise OutputExistsError(f"{out}: already exists; choose another path or remove it")
    if out.suffix != ".safetensors":
        raise InputError(f"{out}: the model is written as a .safetensors file")
    if not real.is_dir() or not (real / "manifest.csv").is_file():
        raise InputError(f"{real}: not a folder of speech with a manifest.csv of speakers")
    if seconds < 2.0:
        raise InputError(f"--seconds must be at least 2, got {seconds}")
    from fauxlab.datasplit import Source
    from fauxlab.detection import LfccSettings, VoiceTrainConfig, train_voice
    from fauxlab.synthesis.voice import fakes

    words = ["fauxlab", "detector", "train-voice", "--real", str(real), "--out", str(out)]
    words += ["--seconds", str(seconds), "--copies", str(copies), "--tts", str(tts)]
    words += ["--seed", str(seed), *(["--lfcc-only"] if lfcc_only else [])]
    command = shlex.join(words)
    training, held = Source(real.name, holdout_fraction=0.25, by_speaker=True).split(real.parent)
    with progress_bar() as bar:
        task = bar.add_task("reading", total=None)

        def tick(phase: str) -> Any:
            return lambda done, total: bar.update(
                task, description=phase, completed=done, total=total
            )

        reals = [fakes.read_clip(p, seconds) for p in training]
        made = list(fakes.resynthesised(reals, fakes.TRAINING_VOCODERS, tick("vocoders")))
        settings = LfccSettings(lfcc_only=lfcc_only)
        config = VoiceTrainConfig(settings=settings, augmented_copies=copies, seed=seed)
        model = train_voice(_recordings([*reals, *made]), config, tick("features"))
        held_reals = [fakes.read_clip(p, seconds) for p in held]
        families = (*fakes.TRAINING_VOCODERS, *fakes.LEFT_OUT_VOCODERS)
        held_fakes = list(fakes.resynthesised(held_reals, families, tick("held-out fakes")))
        held_fakes += list(fakes.spoken(tts))
        bar.update(task, description="measuring", total=None)
        metrics = evaluate(model, held_reals, held_fakes)
    import json

    model.info.update(
        command=command,
        metrics=json.dumps({k: round(v, 4) for k, v in metrics.items()}, sort_keys=True),
        data=f"{len(training)} training and {len(held)} held-out recordings of {real}",
    )
    model.save(out)
    if as_json:
        print_json({"model": str(out), "command": command, "metrics": metrics})
        return
    for name, value in metrics.items():
        stdout.print(f"{name}: {value:.4f}", highlight=False)
    stdout.print(f"model written to {out}", highlight=False)
