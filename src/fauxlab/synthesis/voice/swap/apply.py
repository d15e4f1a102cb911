"""`voice apply`: a sound file or a video's sound track in the other speaker's voice,
written only through `fauxlab.provenance.seal` (watermark, C2PA, ledger), with no way to
skip it. A video keeps its picture (frame count, size and rate); its frames are sealed
like every video fauxlab writes, and its new sound track is marked too.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from fauxlab.errors import InputError, OutputExistsError
from fauxlab.media import MediaKind, iter_frames, media_kind, probe_video
from fauxlab.media.audio import Sound, read_audio
from fauxlab.media.audio_writer import write_audio
from fauxlab.provenance.context import Provenance
from fauxlab.provenance.seal import (
    AUDIO_SUFFIXES,
    VIDEO_SUFFIXES,
    SealedMedia,
    seal_audio,
    seal_video,
)
from fauxlab.synthesis.voice.swap.convert import VoiceConverter, other
from fauxlab.synthesis.voice.swap.data import read_speech
from fauxlab.synthesis.voice.swap.features import RATE
from fauxlab.synthesis.voice.swap.runfolder import LoadedRun


@dataclass
class VoiceApplySummary:
    source: str
    out: str
    to: str
    kind: str
    seconds: float
    step: int
    sealed: dict[str, object] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _check_out(out: Path, suffixes: tuple[str, ...], what: str) -> None:
    if out.exists():
        raise OutputExistsError(f"{out}: already exists; choose another path or remove it first")
    if out.suffix.lower() not in suffixes:
        raise InputError(f"{out}: {what} output must end in {', '.join(suffixes)}")


def apply_voice(
    run: LoadedRun, source: Path, out: Path, to: str, provenance: Provenance | None = None
) -> VoiceApplySummary:
    """Convert `source`'s speech to speaker `to` and write it, sealed, to `out`."""
    other(to)  # checks `to` before any work
    if not source.is_file():
        raise InputError(f"{source}: no such file")
    kind = media_kind(source)
    converter = VoiceConverter.of(run, to)
    if kind is MediaKind.AUDIO:
        _check_out(out, AUDIO_SUFFIXES, "a sound file's")
        samples = converter(read_speech(source), str(source))
        sealed = seal_audio(
            Sound(samples[None, :], RATE), out, run.model_info(), [source],
            title=out.stem, provenance=provenance,
        )  # fmt: skip
        seconds = len(samples) / RATE
    elif kind is MediaKind.VIDEO:
        _check_out(out, VIDEO_SUFFIXES, "a video's")
        sealed, seconds = _apply_video(converter, source, out, provenance)
    else:
        raise InputError(f"{source}: a still image has no voice to convert")
    return VoiceApplySummary(str(source), str(out), to, kind.value, round(seconds, 3), run.step,
                             sealed.to_dict())  # fmt: skip


def _apply_video(
    converter: VoiceConverter, source: Path, out: Path, provenance: Provenance | None
) -> tuple[SealedMedia, float]:
    """The picture as it is, the sound track converted; both sealed by `seal_video`."""
    audio = read_audio(source, RATE)
    if audio is None or len(audio.samples) == 0:
        raise InputError(f"{source}: the video has no sound track to convert")
    samples = converter(audio.samples, str(source))
    out.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".fauxlab-voice-", dir=out.parent))
    try:
        sound = write_audio(scratch / "voice.wav", samples, RATE)
        sealed = seal_video(
            iter_frames(source), probe_video(source).fps, out, converter.run.model_info(),
            [source], audio_from=sound, title=out.stem, provenance=provenance,
        )  # fmt: skip
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return sealed, len(samples) / RATE
