"""Which containers can carry fauxlab's content credentials, recognised by their bytes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fauxlab.errors import CorruptMediaError, UnsupportedFormatError
from fauxlab.media.discover import check_readable_file


@dataclass(frozen=True)
class MediaFormat:
    name: str
    mime: str
    suffixes: tuple[str, ...]


JPEG = MediaFormat("JPEG", "image/jpeg", (".jpg", ".jpeg"))
PNG = MediaFormat("PNG", "image/png", (".png",))
WEBP = MediaFormat("WebP", "image/webp", (".webp",))
# One ISO BMFF family: a QuickTime-branded file named .mp4 (or the reverse) is common.
MP4 = MediaFormat("MP4", "video/mp4", (".mp4", ".m4v", ".mov"))
QUICKTIME = MediaFormat("QuickTime", "video/quicktime", (".mov", ".mp4", ".m4v"))
WAV = MediaFormat("WAV", "audio/wav", (".wav",))
MP3 = MediaFormat("MP3", "audio/mpeg", (".mp3",))
FORMATS = (JPEG, PNG, WEBP, MP4, QUICKTIME, WAV, MP3)
SUPPORTED = "JPEG, PNG, WebP, MP4/M4V, MOV, WAV and MP3"

# ISO BMFF brands of still images (HEIF, AVIF): c2pa reads them, fauxlab does not make them.
_STILL_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1", b"avif"})
# Leading bytes of formats we recognise only to name them in the error.
_OTHER_SIGNATURES = (
    (b"BM", "BMP"),
    (b"GIF8", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"\x1a\x45\xdf\xa3", "Matroska/WebM"),
    (b"%PDF", "PDF"),
)


def _sniff(head: bytes) -> MediaFormat | str | None:
    """The format the leading bytes announce, the name of one we do not sign, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _STILL_BRANDS:
            return "HEIF/AVIF"
        return QUICKTIME if brand == b"qt  " else MP4
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return WAV
    if head.startswith(b"ID3") or (
        head[0:1] == b"\xff" and len(head) > 1 and head[1] & 0xE6 == 0xE2
    ):
        return MP3  # an ID3 tag, or an MPEG audio layer III frame header
    if head[:4] == b"RIFF":
        return "RIFF (" + head[8:12].decode("latin-1").strip() + ")"
    for signature, name in _OTHER_SIGNATURES:
        if head.startswith(signature):
            return name
    return None


def detect_format(path: Path) -> MediaFormat:
    """The container of `path`, from its content. Raises `UnsupportedFormatError` for any
    other format and `CorruptMediaError` for an empty file or one whose name promises a
    supported format its bytes do not hold."""
    check_readable_file(path)
    with path.open("rb") as handle:
        head = handle.read(16)
    sniffed = _sniff(head)
    if isinstance(sniffed, MediaFormat):
        return sniffed
    if sniffed is not None:
        raise UnsupportedFormatError(
            f"{path}: {sniffed} files cannot carry fauxlab content credentials "
            f"(supported: {SUPPORTED})"
        )
    suffix = path.suffix.lower()
    for candidate in FORMATS:
        if suffix in candidate.suffixes:
            raise CorruptMediaError(
                f"{path}: named like a {candidate.name} file but its content is not "
                f"{candidate.name} (damaged, or renamed from something else)"
            )
    raise UnsupportedFormatError(
        f"{path}: not a media format that can carry content credentials (supported: {SUPPORTED})"
    )
