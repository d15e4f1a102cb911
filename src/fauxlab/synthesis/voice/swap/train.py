"""Train a voice swap: shared encoder, decoders a and b, each decoder rebuilding its own
speaker's log-mel envelope from the shared code (as each face swap decoder rebuilds its
own face). Checkpoints (through `fauxlab.training`) and sealed audio previews are written
every `preview_every` steps, every `checkpoint_minutes`, at the end and on Ctrl-C or
SIGTERM; `resume=True` continues a run from its newest checkpoint.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch

from fauxlab.errors import ModelError, SettingError
from fauxlab.media.audio import Sound
from fauxlab.provenance.seal import seal_audio
from fauxlab.synthesis.voice.swap.convert import VoiceConverter, other
from fauxlab.synthesis.voice.swap.data import (
    Speaker,
    band_stats,
    load_speaker,
    read_speech,
    speaker_files,
    split,
)
from fauxlab.synthesis.voice.swap.features import RATE, MelEnvelope
from fauxlab.synthesis.voice.swap.model import SPEAKERS, VoiceSwapModel, parameter_count
from fauxlab.synthesis.voice.swap.runfolder import (
    CHECKPOINTS,
    METRICS,
    PREVIEWS,
    LoadedRun,
    RunInfo,
    new_run_folder,
    read_run_info,
    write_run_info,
)
from fauxlab.training import (
    Budget,
    MetricsLog,
    has_checkpoint,
    interruptible,
    load_checkpoint,
    save_checkpoint,
    seed_everything,
)
from fauxlab.training.loop import Every, Hooks, Losses, Progress, Tick, fit

PREVIEW_SECONDS = 6.0  # of each speaker's held-out file, swapped, in a preview


@dataclass(frozen=True)
class VoiceTrainConfig:
    batch: int = 16  # segments of each speaker per step
    segment: int = 128  # frames (1.28 s) per training segment
    learning_rate: float = 5e-4
    preview_every: int = 500  # steps between checkpoints + previews
    checkpoint_minutes: float = 10.0
    log_every: int = 25
    seed: int = 0

    def check(self) -> None:
        if self.batch < 1 or self.segment < 16 or self.learning_rate <= 0:
            raise SettingError("batch >= 1, segment >= 16 frames and a positive rate, please")
        if self.preview_every < 1:
            raise SettingError("--preview-every must be at least 1")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> VoiceTrainConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in raw.items() if k in known})


@dataclass
class VoiceTrainSummary:
    run: str
    step: int = 0
    segments: int = 0
    train_seconds: float = 0.0
    segments_per_s: float = 0.0
    parameters: int = 0
    losses: dict[str, float] = field(default_factory=dict)
    previews: list[str] = field(default_factory=list)
    weights_sha256: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class VoiceTrainer:
    """The model, its optimiser, both speakers' normalised features, and the counters."""

    def __init__(self, config: VoiceTrainConfig, info: RunInfo, speakers: dict[str, Speaker],
                 out: Path) -> None:  # fmt: skip
        self.config, self.info, self.out = config, info, out
        self.rng = seed_everything(config.seed)
        self.model = VoiceSwapModel()
        self.opt = torch.optim.Adam(self.model.parameters(), config.learning_rate)
        mean, std = np.asarray(info.band_mean), np.asarray(info.band_std)
        self.data = {
            name: [torch.from_numpy(((m - mean) / std).T.astype(np.float32)) for m in s.mels]
            for name, s in speakers.items()
        }
        self.weights = {
            name: torch.tensor([float(m.shape[1]) for m in mels])
            for name, mels in self.data.items()
        }
        self.metrics = MetricsLog(out / METRICS)
        self.step = 0
        self.segments = 0
        self.train_seconds = 0.0
        self.weights_sha256: str | None = None

    def batch(self, speaker: str) -> torch.Tensor:
        """`batch` random segments of `speaker`, files drawn in proportion to length."""
        size = self.config.segment
        picks = torch.multinomial(
            self.weights[speaker], self.config.batch, True, generator=self.rng
        )
        out = []
        for index in picks.tolist():
            mel = self.data[speaker][index]
            if mel.shape[1] < size:  # a short file: repeat it to fill the segment
                mel = mel.repeat(1, size // mel.shape[1] + 1)
            start = int(torch.randint(0, mel.shape[1] - size + 1, (1,), generator=self.rng))
            out.append(mel[:, start : start + size])
        return torch.stack(out)

    def train_step(self) -> dict[str, float]:
        self.model.train()
        losses: dict[str, torch.Tensor] = {}
        for speaker in SPEAKERS:
            mel = self.batch(speaker)
            losses[f"loss_{speaker}"] = torch.nn.functional.l1_loss(self.model(mel, speaker), mel)
        total = sum(losses.values(), torch.zeros(()))
        self.opt.zero_grad(set_to_none=True)
        total.backward()  # type: ignore[no-untyped-call]
        self.opt.step()
        self.step += 1
        self.segments += self.config.batch * len(SPEAKERS)
        return {"loss": float(total.detach()), **{k: float(v.detach()) for k, v in losses.items()}}

    def tensors(self) -> dict[str, torch.Tensor]:
        return {f"model.{k}": v for k, v in self.model.state_dict().items()}

    def save(self) -> None:
        state: dict[str, Any] = {"opt": self.opt.state_dict(), "rng": self.rng.get_state()}
        info = {"segments": self.segments, "train_seconds": round(self.train_seconds, 2)}
        path = save_checkpoint(self.out / CHECKPOINTS, self.step, self.tensors(), state, info)
        record = json.loads((self.out / CHECKPOINTS / "latest.json").read_text())
        self.weights_sha256 = str(record["files"][path.name])

    def restore(self) -> None:
        checkpoint = load_checkpoint(self.out / CHECKPOINTS)
        try:
            prefix = "model."
            own = {
                k[len(prefix) :]: v for k, v in checkpoint.tensors.items() if k.startswith(prefix)
            }
            self.model.load_state_dict(own)
            self.opt.load_state_dict(checkpoint.state["opt"])
            self.rng.set_state(checkpoint.state["rng"])
        except (RuntimeError, KeyError, ValueError) as exc:
            raise ModelError(f"{self.out}: checkpoint does not fit this model ({exc})") from exc
        self.step = checkpoint.step
        self.segments = int(checkpoint.info.get("segments", 0))
        self.train_seconds = float(checkpoint.info.get("train_seconds", 0.0))
        self.weights_sha256 = str(checkpoint.info["files"][f"step-{self.step:08d}.safetensors"])
        self.metrics.truncate_after(self.step)

    def preview(self) -> list[Path]:
        """Each speaker's held-out file (its first PREVIEW_SECONDS) in the other's voice,
        sealed as WAV like every synthetic voice fauxlab writes."""
        run = LoadedRun(self.out, self.info, self.model, self.step, self.weights_sha256 or "")
        written = []
        for source in SPEAKERS:
            to = other(source)
            held = Path(self.info.speaker(source)["held_out"][0])
            samples = read_speech(held)[: int(PREVIEW_SECONDS * RATE)]
            swapped = VoiceConverter.of(run, to)(samples, str(held))
            out = self.out / PREVIEWS / f"step-{self.step:08d}-{source}-to-{to}.wav"
            out.unlink(missing_ok=True)  # a resumed run may redo a step it previewed before
            sound = Sound(swapped[None, :], RATE)
            seal_audio(sound, out, run.model_info(), [held], title=f"voice preview {out.stem}")
            written.append(out)
        return written


def _new_run(a_spec: str, b_spec: str, out: Path, config: VoiceTrainConfig) -> RunInfo:
    files = {"a": speaker_files(a_spec), "b": speaker_files(b_spec)}
    new_run_folder(out)
    mel = MelEnvelope()
    speakers: dict[str, dict[str, Any]] = {}
    loaded = []
    for name, spec in (("a", a_spec), ("b", b_spec)):
        train, held = split(files[name])
        speaker = load_speaker(train, mel)
        loaded.append(speaker)
        speakers[name] = {
            "spec": spec,
            "train": [str(p) for p in train],
            "held_out": [str(p) for p in held],
            "pitch": speaker.pitch.to_dict(),
            "train_seconds": round(speaker.seconds, 2),
        }
    mean, std = band_stats(loaded)
    info = RunInfo(speakers["a"], speakers["b"], mean.tolist(), std.tolist(), config.to_dict())
    write_run_info(out, info)
    return info


def _speakers(info: RunInfo) -> dict[str, Speaker]:
    mel = MelEnvelope()
    return {
        name: load_speaker([Path(p) for p in info.speaker(name)["train"]], mel) for name in SPEAKERS
    }


def train(
    a_spec: str | None,
    b_spec: str | None,
    out: Path,
    config: VoiceTrainConfig | None = None,
    *,
    steps: int | None = None,
    minutes: float | None = None,
    resume: bool = False,
    overrides: dict[str, Any] | None = None,
    progress: Progress | None = None,
) -> VoiceTrainSummary:
    """Train (or with `resume`, continue) a voice swap run in `out` for `steps` total steps
    and/or `minutes` more minutes. A resumed run keeps its speakers and settings except
    those in `overrides`."""
    if steps is None and minutes is None:
        raise SettingError("give a budget: --steps N (total) or --minutes M")
    with interruptible():
        if resume:
            info = read_run_info(out)
            config = VoiceTrainConfig.from_dict({**info.settings, **(overrides or {})})
        else:
            if a_spec is None or b_spec is None:
                raise SettingError("give both --a and --b (or --resume an existing run)")
            config = config or VoiceTrainConfig()
            config.check()
            info = _new_run(a_spec, b_spec, out, config)
        config.check()
        trainer = VoiceTrainer(config, info, _speakers(info), out)
        if resume and has_checkpoint(out / CHECKPOINTS):
            trainer.restore()
        summary = VoiceTrainSummary(run=str(out), parameters=parameter_count(trainer.model))
        _loop(trainer, Budget(total_steps=steps, minutes=minutes), summary, progress)
    summary.step, summary.segments = trainer.step, trainer.segments
    summary.train_seconds = round(trainer.train_seconds, 2)
    summary.segments_per_s = round(trainer.segments / max(trainer.train_seconds, 1e-9), 2)
    summary.weights_sha256 = trainer.weights_sha256
    return summary


def _loop(trainer: VoiceTrainer, budget: Budget, summary: VoiceTrainSummary,
          progress: Progress | None) -> None:  # fmt: skip
    config, start_step = trainer.config, trainer.step
    window: list[dict[str, float]] = []
    saved = {"step": trainer.step if has_checkpoint(trainer.out / CHECKPOINTS) else -1}

    def one_step() -> tuple[int, dict[str, float]]:
        tick = time.perf_counter()
        losses = trainer.train_step()
        trainer.train_seconds += time.perf_counter() - tick
        summary.losses = losses
        window.append(losses)
        return trainer.step, losses

    def log(step: int) -> None:
        mean = {k: round(sum(w[k] for w in window) / len(window), 5) for k in window[0]}
        speed = trainer.segments / max(trainer.train_seconds, 1e-9)
        trainer.metrics.append({"step": step, "segments": trainer.segments,
                                "segments_per_s": round(speed, 2), **mean})  # fmt: skip
        window.clear()

    def report(step: int, losses: Losses) -> None:
        if progress is not None:
            fraction = _fraction(budget, step)
            progress(Tick("training", step, budget.total_steps, {**losses, "fraction": fraction}))

    def checkpoint(step: int) -> None:
        trainer.save()
        saved["step"] = step
        summary.previews.extend(str(p) for p in trainer.preview())

    def stop(_: int, error: BaseException | None) -> None:
        # on success, error, Ctrl-C or SIGTERM alike: keep what was learned
        if trainer.step > start_step and saved["step"] != trainer.step:
            checkpoint(trainer.step)

    schedule = [
        Every(log, steps=config.log_every),
        Every(checkpoint, steps=config.preview_every, minutes=config.checkpoint_minutes),
    ]
    fit(one_step, budget, Hooks(report, schedule, stop), start=trainer.step)


def _fraction(budget: Budget, step: int) -> float:
    parts = []
    if budget.total_steps:
        parts.append(step / budget.total_steps)
    if budget.minutes:
        parts.append(budget.elapsed() / (budget.minutes * 60))
    return min(1.0, max(parts)) if parts else 0.0
