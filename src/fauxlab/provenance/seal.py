"""`seal`: the one way fauxlab writes synthetic media. Watermark, C2PA, ledger, in order.

1. the pixels (or the sound) get an invisible watermark carrying a fresh ledger
   watermark id;
2. the file gets a signed C2PA manifest saying a trained model made it;
3. the final bytes are hashed (SHA-256, and PDQ for pictures or the audio fingerprint for
   sound) and appended to the ledger.
Everything is built in a private temporary folder beside the output. The output appears
(by hard link, which never replaces an existing file) only when it is complete, and the
ledger entry is appended only after that, so no entry ever points to a missing or unsealed
file; if the append fails, the output is removed again. The inputs are never touched.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from fauxlab import __version__
from fauxlab.errors import InputError, OutputExistsError
from fauxlab.fileio import sha256_file
from fauxlab.media import Frame, MediaKind, VideoWriter, media_kind, probe_video, read_image
from fauxlab.media import iter_frames as _iter_frames
from fauxlab.media import write_image as _write_image
from fauxlab.media.audio import Sound, read_audio, read_sound
from fauxlab.media.audio_writer import write_audio
from fauxlab.media.images import RGBImage
from fauxlab.provenance import watermark
from fauxlab.provenance.audio_hash import fingerprint
from fauxlab.provenance.context import Provenance
from fauxlab.provenance.credentials import Claim, Ingredient, sign
from fauxlab.provenance.ledger import EntryData, GeneratorInfo, Ledger, LedgerKeyError
from fauxlab.provenance.phash import pdq_hex, video_pdq
from fauxlab.provenance.signing import SigningIdentity

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
VIDEO_SUFFIXES = (".mp4",)
AUDIO_SUFFIXES = (".wav", ".mp3")  # the sound formats C2PA signs that fauxlab writes
MP3_BITRATE = 192_000  # a sealed MP3 is a copy to keep, not a low-rate repost
SOUND_TRACK_BITRATE = 160_000  # AAC for a video's marked sound: transparent for speech
Kind = Literal["image", "video", "audio"]


@dataclass(frozen=True)
class ModelInfo:
    """What made the media: a model name and the SHA-256 of its weights (None: unknown).

    `software` names the generating software; fauxlab's own outputs say "fauxlab".
    """

    name: str
    weights_sha256: str | None = None
    software: str = "fauxlab"
    software_version: str = __version__


@dataclass(frozen=True)
class SealedMedia:
    path: Path
    kind: Kind
    sha256: str
    watermark_id: int
    entry_index: int
    pdq: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "kind": self.kind,
            "sha256": self.sha256,
            "watermark_id": self.watermark_id,
            "ledger_entry": self.entry_index,
            "pdq": list(self.pdq),
        }


def _check_output(out: Path, suffixes: tuple[str, ...]) -> None:
    if out.suffix.lower() not in suffixes:
        raise InputError(f"{out}: sealed output must end in {', '.join(suffixes)}")
    if out.exists():
        raise OutputExistsError(f"{out}: already exists; choose another path or remove it first")
    out.parent.mkdir(parents=True, exist_ok=True)


class _Session:
    """The identity, the ledger and a private scratch folder for one seal."""

    def __init__(self, out: Path, provenance: Provenance | None) -> None:
        self.provenance = provenance or Provenance.default()
        self.identity: SigningIdentity = self.provenance.identity()
        self.ledger: Ledger = self.provenance.open_ledger(self.identity)
        self.scratch = Path(tempfile.mkdtemp(prefix=".fauxlab-seal-", dir=out.parent))

    def close(self) -> None:
        self.ledger.close()
        shutil.rmtree(self.scratch, ignore_errors=True)


def _publish_and_record(
    session: _Session,
    signed: Path,
    out: Path,
    entry: EntryData,
) -> int:
    """Hard-link the finished file into place (never over an existing one), then record it."""
    try:
        os.link(signed, out)
    except FileExistsError as exc:
        raise OutputExistsError(f"{out}: appeared while sealing; nothing was written") from exc
    try:
        index = session.ledger.append(entry).index
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    _sign_head(session.ledger)
    return index


def _sign_head(ledger: Ledger) -> None:
    """The writer signs a head over what it wrote, so that readers (the server's routes,
    `verify`) have one to prove against without ever signing themselves. A ledger whose
    latest head another key signed is left for its operator to adopt (`ledger head`)."""
    with contextlib.suppress(LedgerKeyError):
        ledger.head()


def _claim(title: str, model: ModelInfo, watermark_id: int, sources: Sequence[Path]) -> Claim:
    return Claim(
        title=title,
        model_name=model.name,
        model_weights_sha256=model.weights_sha256,
        watermark_id=watermark_id,
        ingredients=[Ingredient.from_file(p) for p in sources],
        generator=model.software,
        generator_version=model.software_version,
    )


def _generator(model: ModelInfo) -> GeneratorInfo:
    return GeneratorInfo(model.software, model.software_version, model.name, model.weights_sha256)


@dataclass(frozen=True)
class _Request:
    out: Path
    model: ModelInfo
    sources: Sequence[Path]
    title: str | None


def _sign_hash_record(
    session: _Session,
    unsigned: Path,
    request: _Request,
    kind: Kind,
    watermark_id: int,
) -> SealedMedia:
    """Steps 2 and 3, the same for stills and video: sign, hash the final bytes, record."""
    out = request.out
    signed = session.scratch / f"signed{out.suffix}"
    claim = _claim(request.title or out.stem, request.model, watermark_id, request.sources)
    sign(unsigned, signed, claim, session.identity)
    digest = sha256_file(signed)
    if kind == "image":
        pdq: tuple[str, ...] = (pdq_hex(read_image(signed)),)
    elif kind == "audio":  # the audio fingerprint, stored and searched like a PDQ hash
        heard = read_audio(signed)
        if heard is None:  # pragma: no cover - we just wrote its sound
            raise InputError(f"{signed}: the sealed sound has no sound track")
        pdq = (fingerprint(heard.samples, heard.sample_rate),)
    else:
        pdq = tuple(h.hex for h in video_pdq(signed))
    entry = EntryData(
        sha256=digest,
        pdq=pdq,
        kind=kind,
        generator=_generator(request.model),
        watermark_id=watermark_id,
        sources=[sha256_file(p) for p in request.sources],
        file_name=out.name,
    )
    index = _publish_and_record(session, signed, out, entry)
    return SealedMedia(out, kind, digest, watermark_id, index, pdq)


def _seal(
    out: Path,
    suffixes: tuple[str, ...],
    kind: Kind,
    write_marked: Callable[[Path, int], Path],
    request: _Request,
    provenance: Provenance | None,
) -> SealedMedia:
    """The three steps every output takes: a new watermark id, the marked file written
    by `write_marked(scratch, id)` (it returns the file), then signed, hashed, recorded."""
    _check_output(out, suffixes)
    session = _Session(out, provenance)
    try:
        watermark_id = session.ledger.new_watermark_id()
        unsigned = write_marked(session.scratch, watermark_id)
        return _sign_hash_record(session, unsigned, request, kind, watermark_id)
    finally:
        session.close()


def seal_image(
    image: RGBImage,
    out: Path,
    model: ModelInfo,
    sources: Sequence[Path] = (),
    *,
    title: str | None = None,
    provenance: Provenance | None = None,
) -> SealedMedia:
    """Write `image` to `out` (PNG, JPEG or WebP) watermarked, signed and recorded."""

    def write(scratch: Path, watermark_id: int) -> Path:
        unsigned = scratch / f"unsigned{out.suffix}"
        _write_image(unsigned, watermark.embed(image, watermark_id))
        return unsigned

    request = _Request(out, model, sources, title)
    return _seal(out, IMAGE_SUFFIXES, "image", write, request, provenance)


def seal_video(
    frames: Iterable[Frame],
    fps: float,
    out: Path,
    model: ModelInfo,
    sources: Sequence[Path] = (),
    *,
    audio_from: Path | None = None,
    title: str | None = None,
    provenance: Provenance | None = None,
) -> SealedMedia:
    """Encode `frames` to `out` (H.264 mp4, with `audio_from`'s sound) sealed as above.

    The sound carries the same watermark id as the pictures where it can (see
    `_marked_sound`), so a sound track cut out of the video is still recognised."""

    def write(scratch: Path, watermark_id: int) -> Path:
        unsigned = scratch / "unsigned.mp4"
        sound = _marked_sound(audio_from, scratch, watermark_id)
        with VideoWriter(unsigned, fps, audio_from=sound) as writer:
            for image, time in _marked(frames, watermark_id):
                writer.write(image, time)
        return unsigned

    request = _Request(out, model, sources, title)
    return _seal(out, VIDEO_SUFFIXES, "video", write, request, provenance)


def seal_audio(
    sound: Sound,
    out: Path,
    model: ModelInfo,
    sources: Sequence[Path] = (),
    *,
    title: str | None = None,
    provenance: Provenance | None = None,
) -> SealedMedia:
    """Write `sound` to `out` (WAV, or MP3 at 192 kbit/s) watermarked, signed and recorded.
    Every channel keeps its rate; the mark is the same in each (see `watermark`)."""

    def write(scratch: Path, watermark_id: int) -> Path:
        unsigned = scratch / f"unsigned{out.suffix.lower()}"
        marked = watermark.embed_audio(sound.channels, sound.sample_rate, watermark_id)
        bitrate = MP3_BITRATE if out.suffix.lower() == ".mp3" else None
        write_audio(unsigned, marked, sound.sample_rate, bitrate)
        return unsigned

    request = _Request(out, model, sources, title)
    return _seal(out, AUDIO_SUFFIXES, "audio", write, request, provenance)


def _marked_sound(source: Path | None, scratch: Path, watermark_id: int) -> Path | None:
    """`source`'s sound marked with `watermark_id`, as an AAC .m4a for the video writer to
    copy in; `source` itself where its sound cannot carry a mark (none, silent, under
    1.5 s). One AAC generation is the price: the writer copied AAC untouched before."""
    if source is None or read_audio(source) is None:
        return source
    sound = read_sound(source)
    try:
        marked = watermark.embed_audio(sound.channels, sound.sample_rate, watermark_id)
    except InputError:  # silent or too short: keep the sound as it was
        return source
    target = scratch / "sound.m4a"
    write_audio(target, marked, sound.sample_rate, SOUND_TRACK_BITRATE)
    return target


def _marked(frames: Iterable[Frame], watermark_id: int) -> Iterable[tuple[RGBImage, float]]:
    """Each frame watermarked, with its time (embed_frames works in lockstep)."""
    times: list[float] = []

    def images() -> Iterable[RGBImage]:
        for frame in frames:
            times.append(frame.time)
            yield frame.image

    for image in watermark.embed_frames(images(), watermark_id):
        yield image, times[-1]


def seal_file(
    path: Path,
    out: Path,
    model: ModelInfo,
    sources: Sequence[Path] = (),
    *,
    title: str | None = None,
    provenance: Provenance | None = None,
) -> SealedMedia:
    """Seal media made elsewhere: an image, video or sound file in, a sealed copy at `out`.

    The input itself is recorded as the first ingredient, so the sealed copy points
    back to the exact bytes it came from.
    """
    ingredients = [path, *sources]
    kind = media_kind(path)
    if kind is MediaKind.AUDIO:
        return seal_audio(
            read_sound(path), out, model, ingredients, title=title, provenance=provenance
        )
    if kind is MediaKind.IMAGE:
        return seal_image(
            read_image(path), out, model, ingredients, title=title, provenance=provenance
        )
    info = probe_video(path)
    return seal_video(
        _iter_frames(path),
        info.fps,
        out,
        model,
        ingredients,
        audio_from=path,
        title=title,
        provenance=provenance,
    )
