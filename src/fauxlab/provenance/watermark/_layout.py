"""Where the mark lives: a key-derived tile of ±1 chips in a resolution-normalised grid.

Every image is seen through a square "work" grid of `WORK` x `WORK` pixels, whatever its
size or aspect, so a resize of the whole picture changes nothing the decoder sees. The
grid holds `GRID` x `GRID` chips of `CHIP` work pixels; the chips repeat a tile of
`TILE_CHIPS` x `TILE_CHIPS`, so any crop that keeps half the width still holds every chip
of the tile at least once. A share of the tile's chips are a known pilot, used to find
the tile's scale and offset; the rest carry the coded payload, each coded bit on about
eight chips, each chip with its own key sign.

The layout comes from SHAKE-256 of the key, not from numpy's generators, so marks made
today stay readable whatever numpy version reads them later.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from fauxlab.provenance.watermark import _ecc

PAYLOAD_BITS = 32
DEFAULT_KEY = 0x7A11_AB00  # the project's public key; a deployment may pick its own
WORK = 256  # side of the normalised work grid, in work pixels
CHIP = 4  # work pixels per chip side
GRID = WORK // CHIP  # chips per side over the whole image
TILE_CHIPS = 32  # chips per tile side: the tile is half the image wide
TILE = TILE_CHIPS * CHIP  # tile side in work pixels
PILOT_CHIPS = 154  # 15% of the tile: enough to lock scale and offset, little spent on it
MARK_RMS = 2.4  # grey levels: PSNR ~ 20 log10(255 / 2.4) = 40.5 dB before rounding
BAND_SIGMA = 3.0  # work px: the decoder takes what a Gaussian this wide predicts as host

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Layout:
    """The tile for one key: which chips are pilot, which carry which coded bit, and signs."""

    signs: FloatArray  # (TILE_CHIPS**2,) key sign of every chip, ±1
    pilot: NDArray[np.intp]  # chip indices of the pilot
    data: NDArray[np.intp]  # chip indices that carry payload
    coded_bit: NDArray[np.intp]  # for each data chip, the coded bit it carries
    coded_bits: int
    pilot_filter: NDArray[np.complex64]  # conj(rfft2) of the pilot as the decoder sees it
    coarse_pilot_filter: NDArray[np.complex64]  # the same at half resolution, for scans
    coarse_mirror_filter: NDArray[np.complex64]  # that of the pilot mirrored, for scans
    chip_filter: NDArray[np.complex64]  # conj(rfft2) of chip 0 as the decoder sees it

    def chips(self, payload: int) -> FloatArray:
        """The ±1 value of every chip of the tile for `payload`."""
        message = np.array(
            [(payload >> (PAYLOAD_BITS - 1 - i)) & 1 for i in range(PAYLOAD_BITS)], dtype=np.int8
        )
        coded = _ecc.encode(message)
        values = self.signs.copy()
        values[self.data] *= 1.0 - 2.0 * coded[self.coded_bit]
        return values


def _stream(key: int, label: bytes, count: int) -> NDArray[np.uint64]:
    digest = hashlib.shake_256(b"fauxlab-watermark-v1/" + label + key.to_bytes(8, "big"))
    return np.frombuffer(digest.digest(8 * count), dtype=">u8").astype(np.uint64)


def _permutation(key: int, label: bytes, count: int) -> NDArray[np.intp]:
    return np.argsort(_stream(key, label, count), kind="stable").astype(np.intp)


@lru_cache(maxsize=8)
def layout(key: int = DEFAULT_KEY) -> Layout:
    """The layout for `key` (cached: building it costs a few milliseconds)."""
    count = TILE_CHIPS * TILE_CHIPS
    order = _permutation(key, b"chips", count)
    pilot, data = np.sort(order[:PILOT_CHIPS]), np.sort(order[PILOT_CHIPS:])
    signs = np.where(_stream(key, b"signs", count) >> np.uint64(63), 1.0, -1.0)
    coded_bits = _ecc.coded_length(PAYLOAD_BITS)
    spread = _permutation(key, b"spread", len(data))  # interleave: a coded bit's chips scatter
    coded_bit = np.empty(len(data), dtype=np.intp)
    coded_bit[spread] = np.arange(len(data)) % coded_bits
    pilot_chips = np.zeros(count)
    pilot_chips[pilot] = signs[pilot]
    one_chip = np.zeros(count)
    one_chip[0] = 1.0
    coarse_pilot = halve(decoder_view(pilot_chips))
    return Layout(
        signs=signs,
        pilot=pilot,
        data=data,
        coded_bit=coded_bit,
        coded_bits=coded_bits,
        pilot_filter=np.conj(np.fft.rfft2(decoder_view(pilot_chips))).astype(np.complex64),
        coarse_pilot_filter=np.conj(np.fft.rfft2(coarse_pilot)).astype(np.complex64),
        coarse_mirror_filter=np.conj(np.fft.rfft2(coarse_pilot[:, ::-1])).astype(np.complex64),
        chip_filter=np.conj(np.fft.rfft2(decoder_view(one_chip))).astype(np.complex64),
    )


def band(plane: NDArray[np.float32]) -> NDArray[np.float32]:
    """The decoder's high-pass: the work-grid luma less its Gaussian-smoothed self."""
    return plane - cv2.GaussianBlur(plane, (0, 0), BAND_SIGMA)  # type: ignore[no-any-return]


def decoder_view(chips: FloatArray) -> FloatArray:
    """A tile of chip values as the decoder sees it: rendered over a work-sized image,
    high-passed and folded. Correlating with it is the matched filter."""
    plane = band(render(chips, WORK, WORK, rms=None))
    n = WORK // TILE
    return plane.astype(np.float64).reshape(n, TILE, n, TILE).sum(axis=(0, 2))  # type: ignore[no-any-return]


def halve(plane: NDArray[np.floating[Any]]) -> FloatArray:
    """Half the resolution by summing 2x2 blocks (sides must be even)."""
    h, w = plane.shape
    return plane.reshape(h // 2, 2, w // 2, 2).sum(axis=(1, 3), dtype=np.float64)  # type: ignore[no-any-return]


def render(
    chips: FloatArray, height: int, width: int, rms: float | None = MARK_RMS
) -> NDArray[np.float32]:
    """The mark in image pixels: the tile repeated over the chip grid, bilinearly
    stretched to the image, scaled to `rms` grey levels (None: chips stay ±1)."""
    reps = -(-GRID // TILE_CHIPS)
    tile = chips.reshape(TILE_CHIPS, TILE_CHIPS)
    grid = np.tile(tile, (reps, reps))[:GRID, :GRID].astype(np.float32)
    mark: NDArray[np.float32] = cv2.resize(grid, (width, height), interpolation=cv2.INTER_LINEAR)
    if rms is None:
        return mark
    actual = float(np.sqrt(np.mean(np.square(mark, dtype=np.float64))))
    return mark * np.float32(rms / max(actual, 1e-6))
