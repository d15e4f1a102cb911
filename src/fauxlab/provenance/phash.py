"""Perceptual hashes: PDQ (Meta's 256-bit image hash) for images and sampled video frames.

Unlike SHA-256, a perceptual hash barely moves when media is re-encoded, resized or
lightly edited, so the ledger can recognise its own output after it has been passed
around. PDQ calls two hashes the same image at Hamming distance <= 31 of 256.

Hex is PDQ's own: 64 digits, most significant bit first, as Meta's reference tools
and ThreatExchange print them, so hashes compare with anyone else's PDQ.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pdqhash  # type: ignore[import-untyped]
from numpy.typing import NDArray

from fauxlab.media import Sampling, iter_frames
from fauxlab.provenance.borders import NO_BARS, common_bars, find_bars, strip_bars

PDQ_BITS = 256
NEAR_DUPLICATE_DISTANCE = 31
"""PDQ's own match threshold: at most 31 of 256 bits differ."""

MIN_QUALITY = 50
"""PDQ's advice: below this quality (flat or nearly blank images) a hash is unreliable."""

DEFAULT_VIDEO_FRAMES = 8


@dataclass(frozen=True)
class PerceptualHash:
    """A PDQ hash (64 hex digits) and PDQ's quality score, 0..100."""

    hex: str
    quality: int

    @property
    def reliable(self) -> bool:
        """Whether PDQ trusts the hash enough to match on it (quality >= 50)."""
        return self.quality >= MIN_QUALITY


def _rgb(image: NDArray[np.uint8]) -> NDArray[np.uint8]:
    if image.dtype != np.uint8:
        raise ValueError(f"PDQ needs uint8 pixels, got {image.dtype}")
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    if image.ndim != 3 or image.shape[2] not in (3, 4):
        raise ValueError(f"PDQ needs an RGB image (H, W, 3), got shape {image.shape}")
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise ValueError("PDQ needs a non-empty image")
    return np.ascontiguousarray(image[:, :, :3])


def pdq(image: NDArray[np.uint8]) -> PerceptualHash:
    """PDQ of an RGB uint8 image (grey or RGBA accepted; alpha ignored)."""
    bits, quality = pdqhash.compute(_rgb(image))
    packed = np.packbits(np.asarray(bits, dtype=np.uint8))  # bit 255 first, as PDQ prints
    return PerceptualHash(packed.tobytes().hex(), int(quality))


DIHEDRAL_EDITS = (
    "",
    "turned 90 degrees clockwise",
    "turned 180 degrees",
    "turned 90 degrees counter-clockwise",
    "flipped upside down",
    "mirrored",
    "transposed",
    "transposed the other way",
)
"""For each of `pdq_dihedral`'s hashes, what a copy was done to, compared with the
original it matches when that hash does ("" for the picture as it is)."""


def pdq_dihedral(image: NDArray[np.uint8]) -> list[PerceptualHash]:
    """PDQ of the picture in its eight dihedral poses, in `DIHEDRAL_EDITS`' order: PDQ
    derives them from one DCT, so the eight cost about one hash. A mirrored or turned
    copy matches its original through one of them."""
    bits, quality = pdqhash.compute_dihedral(_rgb(image))
    return [
        PerceptualHash(np.packbits(np.asarray(b, dtype=np.uint8)).tobytes().hex(), int(quality))
        for b in bits
    ]


def pdq_hex(image: NDArray[np.uint8]) -> str:
    """Just the hex of `pdq(image)`."""
    return pdq(image).hex


def hamming(a_hex: str, b_hex: str) -> int:
    """Bits that differ between two PDQ hashes given as hex."""
    if len(a_hex) != PDQ_BITS // 4 or len(b_hex) != PDQ_BITS // 4:
        raise ValueError(f"PDQ hashes are {PDQ_BITS // 4} hex digits: {a_hex!r}, {b_hex!r}")
    return (int(a_hex, 16) ^ int(b_hex, 16)).bit_count()


def is_near_duplicate(a_hex: str, b_hex: str) -> bool:
    """PDQ's verdict: the same picture after ordinary processing."""
    return hamming(a_hex, b_hex) <= NEAR_DUPLICATE_DISTANCE


def video_pdq(path: Path, frames: int = DEFAULT_VIDEO_FRAMES) -> list[PerceptualHash]:
    """PDQ of `frames` frames spread evenly over a video (fewer if it is shorter).

    Even spacing by frame count makes the same frames come out of a re-encode of the
    same clip, so its hashes line up with the original's.
    """
    if frames < 1:
        raise ValueError(f"sample at least one frame, got {frames}")
    return [pdq(frame.image) for frame in iter_frames(path, Sampling("count", frames))]


def _bars_label(bars: tuple[int, int, int, int]) -> str:
    top, bottom, left, right = bars
    kinds = (["letterbox"] if top or bottom else []) + (["pillarbox"] if left or right else [])
    return " and ".join(kinds) + " bars removed"


def _join(*parts: str) -> str:
    return ", ".join(part for part in parts if part)


def image_lookups(image: NDArray[np.uint8]) -> list[tuple[str, str]]:
    """(how the copy was edited, PDQ hex) to look a picture up by: its eight dihedral
    variants, and those of the picture inside its flat bars when it has any. A crop PDQ
    does not survive (its DCT sees another picture); the watermark covers crops."""
    found = [(edit, h.hex) for edit, h in zip(DIHEDRAL_EDITS, pdq_dihedral(image), strict=True)]
    bars = find_bars(image)
    if bars != NO_BARS:
        inner = pdq_dihedral(np.ascontiguousarray(strip_bars(_rgb(image), bars)))
        label = _bars_label(bars)
        found += [
            (_join(label, edit), h.hex) for edit, h in zip(DIHEDRAL_EDITS, inner, strict=True)
        ]
    return found


def video_lookups(path: Path, frames: int = DEFAULT_VIDEO_FRAMES) -> list[tuple[str, str]]:
    """(how the copy was edited, PDQ hex) for `frames` frames spread over a video: each
    frame as it is and mirrored, and both inside the bars all frames share, if any."""
    if frames < 1:
        raise ValueError(f"sample at least one frame, got {frames}")
    images = [_rgb(frame.image) for frame in iter_frames(path, Sampling("count", frames))]
    bars = common_bars([find_bars(image) for image in images])
    found: list[tuple[str, str]] = []
    for image in images:
        found += [("", pdq(image).hex), ("mirrored", pdq(image[:, ::-1]).hex)]
        if bars != NO_BARS:
            inner = strip_bars(image, bars)
            label = _bars_label(bars)
            found += [(label, pdq(inner).hex), (_join(label, "mirrored"), pdq(inner[:, ::-1]).hex)]
    return found
