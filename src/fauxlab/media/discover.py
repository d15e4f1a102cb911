"""Decide what a path is (image, video, audio, folder) before any decoder touches it."""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path

from fauxlab.errors import CorruptMediaError, InputError, UnsupportedFormatError

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp"})
VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".webm", ".avi", ".mkv"})
AUDIO_SUFFIXES = frozenset({".wav", ".flac", ".mp3", ".m4a", ".aac", ".ogg", ".opus"})
MEDIA_SUFFIXES = IMAGE_SUFFIXES | VIDEO_SUFFIXES

# Leading bytes of each container we accept, so a renamed file is still recognised:
# (signature, offset, kind, the suffix its content calls for).
_SIGNATURES: tuple[tuple[bytes, int, str, str], ...] = (
    (b"\xff\xd8\xff", 0, "image", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image", ".png"),
    (b"BM", 0, "image", ".bmp"),
    (b"\x1a\x45\xdf\xa3", 0, "video", ".mkv"),  # Matroska / WebM
    (b"WEBP", 8, "image", ".webp"),  # RIFF....WEBP
    (b"AVI ", 8, "video", ".avi"),  # RIFF....AVI
    (b"WAVE", 8, "audio", ".wav"),  # RIFF....WAVE
    (b"fLaC", 0, "audio", ".flac"),
    (b"OggS", 0, "audio", ".ogg"),  # Vorbis or Opus
    (b"ID3", 0, "audio", ".mp3"),  # MP3 with an ID3v2 tag first
)
# ISO BMFF brands of sound-only files (iTunes AAC, Apple lossless)
_AUDIO_BRANDS = frozenset({b"M4A ", b"M4B ", b"M4P "})
# ISO BMFF brands that are still images (HEIF, AVIF), not video, though they share `ftyp`
_STILL_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1", b"avif"})


class MediaKind(StrEnum):
    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"


def _identify(path: Path) -> tuple[MediaKind, str] | None:
    """The kind and suffix the file's leading bytes announce, or None when they announce
    nothing we read."""
    with path.open("rb") as handle:
        head = handle.read(16)
    for signature, offset, kind, suffix in _SIGNATURES:
        if head[offset : offset + len(signature)] == signature and (
            offset == 0 or head[:4] == b"RIFF"
        ):
            return MediaKind(kind), suffix
    if head[4:8] == b"ftyp":  # mp4, mov, m4v: unless the brand says HEIF/AVIF still image
        if head[8:12] in _STILL_BRANDS:
            return None
        if head[8:12] in _AUDIO_BRANDS:
            return MediaKind.AUDIO, ".m4a"
        return MediaKind.VIDEO, ".mov" if head[8:12] == b"qt  " else ".mp4"
    if head[0] == 0xFF and head[1] & 0xF6 == 0xF0:  # ADTS sync word, layer 0: raw AAC
        return MediaKind.AUDIO, ".aac"
    if head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06:  # MPEG audio frame
        return MediaKind.AUDIO, ".mp3"
    return None


def _sniff(path: Path) -> MediaKind | None:
    found = _identify(path)
    return None if found is None else found[0]


def content_suffix(path: Path) -> str | None:
    """The file suffix its content calls for (`.jpg`, `.mp4`...), or None when the
    content is nothing we read: how a file with a client-given name is stored safely."""
    found = _identify(path)
    return None if found is None else found[1]


def check_readable_file(path: Path) -> None:
    """Raise an `InputError` that says exactly why `path` cannot be read
    (`CorruptMediaError`, a kind of `InputError`, for an empty file)."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, expected a file")
    if not path.is_file():  # a pipe or a device: opening it could block or never end
        raise InputError(f"{path}: not a regular file")
    try:
        size = path.stat().st_size
        with path.open("rb"):
            pass
    except PermissionError as exc:
        raise InputError(f"{path}: permission denied") from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    if size == 0:
        raise CorruptMediaError(f"{path}: the file is empty")


def media_kind(path: Path) -> MediaKind:
    """Classify a file by its content, falling back to its suffix; reject anything else."""
    check_readable_file(path)
    sniffed = _sniff(path)
    if sniffed is not None:
        return sniffed
    suffix = path.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return MediaKind.IMAGE
    if suffix in VIDEO_SUFFIXES:
        return MediaKind.VIDEO
    if suffix in AUDIO_SUFFIXES:
        return MediaKind.AUDIO
    supported = ", ".join(sorted(MEDIA_SUFFIXES | AUDIO_SUFFIXES))
    raise UnsupportedFormatError(
        f"{path}: not an image, video or audio file fauxlab can read (supported: {supported})"
    )


def _walk_media(folder: Path, suffixes: frozenset[str]) -> list[Path]:
    """Media files (by `suffixes`) under `folder`, sorted, skipping hidden files and
    folders (names that start with a dot: editor backups, `._name` resource forks, our
    own partial outputs)
    and not following links to folders, so a link loop cannot trap the walk."""
    found: list[Path] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found.extend(
            Path(root, name)
            for name in files
            if not name.startswith(".") and Path(name).suffix.lower() in suffixes
        )
    return sorted(p for p in found if p.is_file())


def expand_inputs(paths: list[Path], audio: bool = False) -> list[Path]:
    """Files given directly, plus every media file found recursively in given folders
    (images and videos, and sound files too when `audio`).

    Files named directly must be media (an error otherwise); inside folders, other
    files are skipped quietly, as `find`-style tools do. Paths come back resolved
    (absolute), each once, in the order given and sorted within each folder.
    """
    suffixes = MEDIA_SUFFIXES | AUDIO_SUFFIXES if audio else MEDIA_SUFFIXES
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(_walk_media(path, suffixes))
        else:
            media_kind(path)
            found.append(path)
    unique: dict[Path, None] = dict.fromkeys(p.resolve() for p in found)
    return list(unique)


def image_files(folder: Path) -> list[Path]:
    """Every image under `folder` (recursively, by suffix), sorted; none is an error."""
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder of images")
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise InputError(f"{folder}: no JPEG, PNG, WebP or BMP images found")
    return files
