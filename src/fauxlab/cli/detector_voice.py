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
    from fauxlab.detection import CnnTrainConfig, Recording
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
    from fauxlab.synthesis.voice.fakes import (
        LEFT_OUT_VOCODERS,
        TRAINED_VOCODERS,
        TRAINING_VOCODERS,
    )

    groups = {
        "training_vocoders": set(TRAINING_VOCODERS),
        "neural_vocoder": set(TRAINED_VOCODERS),
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


def _check_paths(real: Path, out: Path, vocoder_out: Path | None, seconds: float) -> None:
    for path in (out, vocoder_out):
        if path is not None and path.exists():
            raise OutputExistsError(f"{path}: already exists; choose another path or remove it")
        if path is not None and path.suffix != ".safetensors":
            raise InputError(f"{path}: the model is written as a .safetensors file")
    if not real.is_dir() or not (real / "manifest.csv").is_file():
        raise InputError(f"{real}: not a folder of speech with a manifest.csv of speakers")
    if seconds < 2.0:
        raise InputError(f"--seconds must be at least 2, got {seconds}")


def train(
    real: Annotated[Path, typer.Option("--real", help="The folder of real speech.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The model file (.safetensors).")],
    kind: Annotated[
        str, typer.Option("--model", help="cnn (LCNN on the spectrogram) or linear (LFCC).")
    ] = "linear",
    seconds: Annotated[
        float, typer.Option(help="Seconds taken from the start of each recording.")
    ] = 6.0,
    copies: Annotated[int, typer.Option(help="Augmented copies of each recording.")] = 2,
    tts: Annotated[int, typer.Option(help="Text-to-speech clips made for measuring.")] = 30,
    seed: Annotated[int, typer.Option(help="Seed for the augmentation.")] = 0,
    lfcc_only: Annotated[
        bool, typer.Option("--lfcc-only", help="Train the baseline: LFCC statistics alone.")
    ] = False,
    neural: Annotated[
        bool,
        typer.Option(help="Train the small neural vocoder first and add its fakes."),
    ] = True,
    vocoder_steps: Annotated[int, typer.Option(help="Training steps of the vocoder.")] = 1500,
    vocoder_out: Annotated[
        Path | None, typer.Option(help="Also save the trained neural vocoder here.")
    ] = None,
    steps: Annotated[int, typer.Option(help="CNN training steps (batches of 32).")] = 2000,
    minutes: Annotated[float, typer.Option(help="CNN training wall-clock cap.")] = 40.0,
    channels: Annotated[
        str,
        typer.Option(
            help="CNN augmentation: codecs (MP3, Opus, telephone, resampling, noise) or wide "
            "(also rooms, coloured noise, loudness, AAC)."
        ),
    ] = "codecs",
    real_copies: Annotated[
        int | None,
        typer.Option(help="CNN: augmented copies of each real (default: --copies)."),
    ] = None,
    cosine: Annotated[
        bool, typer.Option("--cosine", help="CNN: learning rate falling on a cosine.")
    ] = False,
    false_alarms: Annotated[
        float | None,
        typer.Option(
            help="CNN: raise the 0.5 point until at most this share of the calibration "
            "reals reach it."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Train the voice detector on real speech against its resynthesis by Griffin-Lim, a
    mel round trip, WORLD and a small neural vocoder trained first on the same speakers,
    augmented with MP3, Opus, the telephone band, resampling and noise: a small CNN on
    the spectrogram (--model cnn) or a linear model on LFCC statistics; then measure it on
    held-out speakers, the LPC vocoder and the Piper voice it never heard."""
    _check_paths(real, out, vocoder_out, seconds)
    if kind not in ("cnn", "linear"):
        raise InputError(f"--model must be cnn or linear, got {kind!r}")
    if vocoder_out is not None and not neural:
        raise InputError("--vocoder-out needs the neural vocoder (drop --no-neural)")
    if min(steps, vocoder_steps) < 1 or minutes <= 0:
        raise InputError("--steps, --vocoder-steps and --minutes must be positive")
    cnn_words = _cnn_options(channels, real_copies, cosine, false_alarms)
    if cnn_words and kind != "cnn":
        raise InputError(f"{cnn_words[0]} is an option of --model cnn")
    from fauxlab.datasplit import Source, speaker_groups, split_by_speaker
    from fauxlab.detection import CnnTrainConfig
    from fauxlab.synthesis.voice import fakes

    config = CnnTrainConfig(  # checked here, before the vocoders run
        augmented_copies=copies,
        steps=steps,
        minutes=minutes,
        seed=seed,
        channels=channels,
        real_copies=real_copies,
        cosine=cosine,
        false_alarm_target=false_alarms,
    )

    words = ["fauxlab", "detector", "train-voice", "--real", str(real), "--out", str(out)]
    words += ["--model", kind, "--seconds", str(seconds), "--copies", str(copies)]
    words += ["--tts", str(tts), "--seed", str(seed), *(["--lfcc-only"] if lfcc_only else [])]
    words += ["--vocoder-steps", str(vocoder_steps)] if neural else ["--no-neural"]
    words += ["--steps", str(steps), "--minutes", str(minutes), *cnn_words] if kind == "cnn" else []
    command = shlex.join(words)
    training, held = Source(real.name, holdout_fraction=0.25, by_speaker=True).split(real.parent)
    with progress_bar() as bar:
        task = bar.add_task("reading", total=None)

        def tick(phase: str) -> Any:
            return lambda done, total: bar.update(
                task, description=phase, completed=done, total=total
            )

        reals = [fakes.read_clip(p, seconds) for p in training]
        trained: dict[str, Any] = {}
        if neural:
            from fauxlab.synthesis.voice.neural import train_vocoder

            vocoder = train_vocoder(
                [c.samples for c in reals],
                fakes.RATE,
                vocoder_steps,
                seed=seed,
                progress=tick("neural vocoder"),
            )
            trained["neural"] = vocoder
            if vocoder_out is not None:
                vocoder.save(vocoder_out)
        families = (*fakes.TRAINING_VOCODERS, *trained)
        made = list(fakes.resynthesised(reals, families, tick("vocoders"), trained))
        if kind == "cnn":
            calibration_files, _ = split_by_speaker(training, speaker_groups(real), 0.8)
            model = _train_cnn(
                reals,
                made,
                {p.name for p in calibration_files},
                config,
                lambda phase, d, t: tick(phase)(d, t),
            )
        else:
            model = _train_linear(reals, made, lfcc_only, copies, seed, tick("features"))
        held_reals = [fakes.read_clip(p, seconds) for p in held]
        families = (*families, *fakes.LEFT_OUT_VOCODERS)
        held_fakes = list(
            fakes.resynthesised(held_reals, families, tick("held-out fakes"), trained)
        )
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


def _train_linear(
    reals: list[Clip], made: list[Clip], lfcc_only: bool, copies: int, seed: int, tick: Any
) -> Any:
    from fauxlab.detection import LfccSettings, VoiceTrainConfig, train_voice

    settings = LfccSettings(lfcc_only=lfcc_only)
    config = VoiceTrainConfig(settings=settings, augmented_copies=copies, seed=seed)
    return train_voice(_recordings([*reals, *made]), config, tick)


def _cnn_options(
    channels: str, real_copies: int | None, cosine: bool, false_alarms: float | None
) -> list[str]:
    """The CNN-only options given (left out at their defaults, so that the first CNN's
    command reads as it did)."""
    words = [] if channels == "codecs" else ["--channels", channels]
    words += [] if real_copies is None else ["--real-copies", str(real_copies)]
    words += ["--cosine"] if cosine else []
    return words + ([] if false_alarms is None else ["--false-alarms", str(false_alarms)])


def _train_cnn(
    reals: list[Clip],
    made: list[Clip],
    calibration_names: set[str],
    config: CnnTrainConfig,
    tick: Any,
) -> Any:
    """The CNN on the training speakers, its weights chosen and calibrated on a fifth of
    them (whole speakers) with their fakes."""
    from fauxlab.detection import train_cnn

    def source(clip: Clip) -> str:
        return clip.name.split(":", 1)[-1]

    clips = [*reals, *made]
    fit = [c for c in clips if source(c) not in calibration_names]
    held = [c for c in clips if source(c) in calibration_names]
    return train_cnn(_recordings(fit), _recordings(held), config, tick)
