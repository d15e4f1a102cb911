"""Reading a mark: whiten, fold the tile, lock on the pilot, decode, and decide.

Detection statistic and threshold
---------------------------------
For one hypothesis h (a scale and an offset of the tile) the decoder folds the whitened
image into one tile and matched-filters each chip: chip values c_j. For data chip j with key
sign k_j and the sign s_j(w) that codeword w puts there, the score of w is

    Z_h(w) = sum_j k_j c_j s_j(w) / ||c||.

Viterbi finds the codeword with the largest numerator, so the reported score is
max_w Z_h(w). Under the null (an unmarked image), c depends on the image alone and h on
the image and the *pilot* chips alone, while the data-chip key signs k_j are independent
fair ±1 draws. For any fixed w, Z_h(w) is then a Rademacher sum with unit-norm weights,
and Hoeffding's inequality gives P(Z_h(w) >= t) <= exp(-t^2 / 2), whatever the image.
A reading scores at most `HYPOTHESES` hypotheses, each against at most 2^32 codewords, so
by the union bound

    P(found | unmarked) <= HYPOTHESES * 2^32 * exp(-t^2 / 2) = FALSE_POSITIVE_RATE

for t = sqrt(2 ln(HYPOTHESES * 2^32 / FALSE_POSITIVE_RATE)) = 8.96 (64 hypotheses,
1e-6). The same bound, evaluated at the observed score, is the reading's p-value.
Hypotheses are cheap in this currency (16 would give 8.81, 1024 gives 9.27), so the
decoder tries the pilot's best three offsets rather than trusting its single best.
Unmarked pictures score 6 to 7 (the best of 2^32 codewords); a marked one near
sqrt(870) = 29.5 at most, about 23 untouched and 15 to 20 after JPEG, resizing or crops.

The bound holds under the model that the key is random relative to the picture; nothing
about natural images is assumed, and the empirical check (BENCHMARKS.md) found no false
positive in hundreds of unmarked faces and video frames.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from fauxlab.provenance.watermark import _ecc
from fauxlab.provenance.watermark._layout import (
    CHIP,
    PAYLOAD_BITS,
    TILE,
    WORK,
    Layout,
    band,
    halve,
)

FALSE_POSITIVE_RATE = 1e-6
HYPOTHESES = 64  # scale/offset hypotheses scored at most per reading (the union bound's H)
THRESHOLD = math.sqrt(2 * math.log(HYPOTHESES * 2.0**PAYLOAD_BITS / FALSE_POSITIVE_RATE))
_ENERGY_SIGMA = 2.0  # work px: neighbourhood for the local energy the band is divided by
_OFFSETS = 3  # pilot peaks (tile offsets) decoded per size
_SCAN_KEEP = 12  # sizes of the coarse crop scan refined at full resolution (see _scan)
_SCAN_OFFSETS = 3  # pilot peaks decoded per refined size, best sizes first

WorkMap = NDArray[np.float32]
Spectrum = NDArray[np.complex128]
Size = tuple[int, int]  # (height, width) in work px the image is resized to before folding


@dataclass(frozen=True)
class Candidate:
    """One decoded hypothesis: the image seen at `size` work px, the tile offset `shift`."""

    size: Size
    shift: tuple[int, int]
    score: float  # max over codewords of Z, see the module docstring
    payload: int
    agreement: float  # share of data chips whose sign matches the decoded codeword


def luma(image: NDArray[np.uint8]) -> NDArray[np.float32]:
    rgb = image.astype(np.float32)
    return 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]  # type: ignore[no-any-return]


def work_map(image: NDArray[np.uint8]) -> WorkMap:
    """The image's luma on the work grid, high-passed and divided by its local energy.

    Dividing by the energy is the decoder's whitening: chips on edges and texture, where
    the picture itself swamps the mark, count less than chips on smooth skin or sky.
    """
    y = luma(image)
    height, width = y.shape
    shrink = height >= WORK and width >= WORK
    small = cv2.resize(
        y, (WORK, WORK), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
    )
    high = band(small)
    energy = cv2.GaussianBlur(high * high, (0, 0), _ENERGY_SIGMA)
    whitened: WorkMap = high / (energy + 1.0)
    return whitened


def _fold(plane: NDArray[np.floating[Any]], size: Size, tile: int = TILE) -> Spectrum:
    """Resize a work map to `size` (the image is then a crop of `size / WORK` of the
    marked one), sum all its tiles into one, and return that tile's spectrum."""
    if size != plane.shape:
        plane = cv2.resize(plane, (size[1], size[0]), interpolation=cv2.INTER_AREA)
    pads = (-size[0] % tile, -size[1] % tile)
    padded = np.pad(plane, ((0, pads[0]), (0, pads[1])))
    rows, cols = padded.shape[0] // tile, padded.shape[1] // tile
    folded = padded.reshape(rows, tile, cols, tile).sum(axis=(0, 2), dtype=np.float64)
    return np.fft.rfft2(folded)


def _peaks(spectrum: Spectrum, lay: Layout, count: int) -> list[tuple[int, int]]:
    """The `count` best tile offsets for the pilot, at least one chip apart."""
    corr = np.fft.irfft2(spectrum * lay.pilot_filter).ravel()
    top = np.argpartition(corr, -64 * count)[-64 * count :]
    found: list[tuple[int, int]] = []
    for flat in top[np.argsort(corr[top])[::-1]]:
        y, x = divmod(int(flat), TILE)
        near = (
            min(abs(y - a) % TILE, -abs(y - a) % TILE) < CHIP
            and min(abs(x - b) % TILE, -abs(x - b) % TILE) < CHIP
            for a, b in found
        )
        if not any(near):
            found.append((y, x))
            if len(found) == count:
                break
    return found


def _pilot(spectrum: Spectrum, pilot_filter: Spectrum) -> float:
    """How far the pilot's best peak stands out of its correlation (a z-score)."""
    corr = np.fft.irfft2(spectrum * pilot_filter)
    return float((corr.max() - corr.mean()) / (corr.std() or 1.0))


def _decode(spectrum: Spectrum, size: Size, shift: tuple[int, int], lay: Layout) -> Candidate:
    """Matched-filter every chip at the offset, Viterbi-decode, and score the codeword."""
    matched = np.fft.irfft2(spectrum * lay.chip_filter)
    aligned = np.roll(matched, (-shift[0], -shift[1]), axis=(0, 1))
    chips = aligned[::CHIP, ::CHIP].ravel()
    received = chips[lay.data] * lay.signs[lay.data]
    soft = np.bincount(lay.coded_bit, weights=received, minlength=lay.coded_bits).astype(float)
    message = _ecc.decode(soft, PAYLOAD_BITS)
    expected = 1.0 - 2.0 * _ecc.encode(message)[lay.coded_bit]
    norm = float(np.linalg.norm(received)) or 1.0
    return Candidate(
        size=size,
        shift=shift,
        score=float(received @ expected) / norm,
        payload=int("".join(str(int(b)) for b in message), 2),
        agreement=float(np.mean(np.sign(received) == expected)),
    )


def _best_at(spectrum: Spectrum, size: Size, lay: Layout, offsets: int) -> Candidate:
    """Decode the pilot's best offsets at one size, stopping at the first that passes."""
    best: Candidate | None = None
    for shift in _peaks(spectrum, lay, offsets):
        candidate = _decode(spectrum, size, shift, lay)
        if best is None or candidate.score > best.score:
            best = candidate
        if best.score >= THRESHOLD:
            break
    assert best is not None
    return best


def _scan(plane: WorkMap, lay: Layout) -> list[tuple[Size, Spectrum]]:
    """Sizes to try for a crop, best pilot first: crops of 50% to 100% of the picture,
    of both sides alike (the best `_SCAN_KEEP` of that line) or of one side only, a change
    of aspect (the best `_SCAN_KEEP // 2` of each). The scan runs at half resolution,
    every other work pixel; the sizes kept are then refined to the pixel."""
    coarse, top = halve(plane), WORK // 2
    sides = range(TILE // 2, top)
    lines = (
        ([(s, s) for s in sides], _SCAN_KEEP),
        ([(s, top) for s in sides], _SCAN_KEEP // 2),
        ([(top, s) for s in sides], _SCAN_KEEP // 2),
    )
    fine: dict[Size, tuple[float, Spectrum]] = {}
    for line, keep in lines:
        rough = {
            size: _pilot(_fold(coarse, size, TILE // 2), lay.coarse_pilot_filter) for size in line
        }
        for hy, hx in sorted(rough, key=rough.__getitem__, reverse=True)[:keep]:
            options = {
                (2 * hy + d if hy < top else WORK, 2 * hx + d if hx < top else WORK)
                for d in (-1, 0, 1)
            }
            spectra = {size: _fold(plane, size) for size in options}
            peaks = {size: _pilot(spectra[size], lay.pilot_filter) for size in options}
            best = max(peaks, key=peaks.__getitem__)
            fine[best] = (peaks[best], spectra[best])
    ranked = sorted(fine, key=lambda size: fine[size][0], reverse=True)
    return [(size, fine[size][1]) for size in ranked]


def search(plane: WorkMap, lay: Layout) -> tuple[Candidate, int]:
    """The best hypothesis for a work map, and how many were scored (<= HYPOTHESES).

    First the whole picture (any resize lands here), at the pilot's best few offsets;
    only if that fails, the sizes of `_scan`, each at its best few offsets, until the
    budget of hypotheses is spent.
    """
    best = _best_at(_fold(plane, (WORK, WORK)), (WORK, WORK), lay, _OFFSETS)
    scored = _OFFSETS
    if best.score >= THRESHOLD:
        return best, scored
    for size, spectrum in _scan(plane, lay):
        if scored + _SCAN_OFFSETS > HYPOTHESES:
            break
        candidate = _best_at(spectrum, size, lay, _SCAN_OFFSETS)
        scored += _SCAN_OFFSETS
        if candidate.score > best.score:
            best = candidate
        if best.score >= THRESHOLD:
            break
    return best, scored
