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
decoder tries the pilot's best three offsets of the whole picture, and two of each crop
size, rather than trusting its single best. A reading scores at most 3 + 12 * 2 = 27,
under the 64 the threshold allows for.
Unmarked pictures score 6 to 7 (the best of 2^32 codewords); a marked one near
sqrt(870) = 29.5 at most, about 23 untouched and 15 to 20 after JPEG, resizing or crops.

The bound holds under the model that the key is random relative to the picture; nothing
about natural images is assumed, and the empirical check (BENCHMARKS.md) found no false
positive in hundreds of unmarked faces and video frames.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from scipy import fft, sparse

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
_SCAN_KEEP = 6  # sizes of the coarse crop scan refined at full resolution (see _scan)
_SCAN_OFFSETS = 2  # pilot peaks decoded per refined size, best sizes first
_REFINE = (-1, 0, 1)  # full-resolution sizes tried around each coarse one (work px)

WorkMap = NDArray[np.float32]
Spectrum = NDArray[np.complex64]  # single precision: twice the FFT speed, scores equal to 1e-4
FloatRow = NDArray[np.float64]
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
    return fft.rfft2(_fold_tile(plane, tile))  # type: ignore[no-any-return]


def _fold_tile(plane: NDArray[np.floating[Any]], tile: int) -> NDArray[np.float32]:
    pads = (-plane.shape[0] % tile, -plane.shape[1] % tile)
    padded = np.pad(plane, ((0, pads[0]), (0, pads[1])))
    rows, cols = padded.shape[0] // tile, padded.shape[1] // tile
    return padded.reshape(rows, tile, cols, tile).sum(axis=(0, 2), dtype=np.float32)  # type: ignore[no-any-return]


@lru_cache(maxsize=8)
def _fold_operators(length: int, sizes: tuple[int, ...], tile: int) -> NDArray[np.float32]:
    """(len(sizes), tile, length): for each size, the linear map that resizes an axis of
    `length` to it (exactly as cv2's INTER_AREA, which is separable) and folds it into one
    tile. With these, folding a plane at every size of a scan is a few matrix products,
    where resizing the plane once per size was most of the scan's cost."""
    identity = np.eye(length, dtype=np.float32)
    operators = np.zeros((len(sizes), tile, length), dtype=np.float32)
    for i, size in enumerate(sizes):
        resized = cv2.resize(identity, (length, size), interpolation=cv2.INTER_AREA)
        for start in range(0, size, tile):
            rows = resized[start : start + tile]
            operators[i, : len(rows)] += rows
    return operators


@lru_cache(maxsize=4 * WORK)
def _axis_fold(length: int, size: int, tile: int) -> sparse.csr_matrix:
    """One size's `_fold_operators` as a sparse matrix: an input pixel feeds at most two
    output pixels, so it is 98% zeros and the sparse product is several times faster."""
    return sparse.csr_matrix(_fold_operators(length, (size,), tile)[0])


def _stacked_folds(length: int, sizes: tuple[int, ...], tile: int) -> sparse.csr_matrix:
    """(len(sizes) * tile, length): the sizes' folds one above the other."""
    return sparse.vstack([_axis_fold(length, size, tile) for size in sizes], format="csr")


_coarse_folds = lru_cache(maxsize=2)(_stacked_folds)  # the coarse scan's sizes never change


@lru_cache(maxsize=2)
def _diagonal_folds(length: int, sizes: tuple[int, ...], tile: int) -> sparse.csr_matrix:
    """The sizes' folds along a block diagonal: each size's applied to its own rows."""
    return sparse.block_diag([_axis_fold(length, size, tile) for size in sizes], format="csr")


def _fold_sizes(plane: NDArray[np.float32], sizes: list[Size], tile: int) -> NDArray[np.float32]:
    """(len(sizes), tile, tile): `plane` resized to each size (INTER_AREA) and folded, as
    `_fold_tile(cv2.resize(...))` gives to float rounding, with the sparse folds: the
    height pass once per distinct height, then the width pass per size."""
    length = plane.shape[0]
    heights = tuple(sorted({h for h, _ in sizes}))
    rows = np.asarray(_stacked_folds(length, heights, tile) @ plane, dtype=np.float32)
    start = {h: i * tile for i, h in enumerate(heights)}
    tiles = np.empty((len(sizes), tile, tile), dtype=np.float32)
    for k, (h, w) in enumerate(sizes):
        tiles[k] = (_axis_fold(plane.shape[1], w, tile) @ rows[start[h] : start[h] + tile].T).T
    return tiles


def _pilot_z(
    spectra: Spectrum, pilot_filter: Spectrum
) -> tuple[NDArray[np.float64], NDArray[np.floating[Any]]]:
    """For a stack of folded tiles' spectra, how far the pilot's best peak stands out of
    its correlation (z-scores), and the flattened correlations themselves."""
    side = spectra.shape[-2]
    corr = fft.irfft2(spectra * pilot_filter, s=(side, side)).reshape(len(spectra), -1)
    spread = corr.std(axis=1)
    z = (corr.max(axis=1) - corr.mean(axis=1)) / np.where(spread > 0, spread, 1.0)
    return z, corr


def _peaks(corr: NDArray[np.floating[Any]], count: int) -> list[tuple[int, int]]:
    """The `count` best tile offsets in a flattened pilot correlation, a chip apart."""
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


def _data_chips(matched: NDArray[np.float64], shift: tuple[int, int], lay: Layout) -> FloatRow:
    """The matched-filter value of every data chip with the tile at `shift`, key signs off."""
    aligned = np.roll(matched, (-shift[0], -shift[1]), axis=(0, 1))
    return aligned[::CHIP, ::CHIP].ravel()[lay.data] * lay.signs[lay.data]


def _decode_all(hypotheses: list[tuple[Size, Spectrum, tuple[int, int]]], lay: Layout) -> Candidate:
    """Matched-filter every chip of each hypothesis, Viterbi-decode them all in one batch,
    and return the best-scoring codeword."""
    sizes = list(dict.fromkeys(size for size, _, _ in hypotheses))
    spectra = {size: spectrum for size, spectrum, _ in hypotheses}
    filtered = fft.irfft2(np.stack([spectra[size] for size in sizes]) * lay.chip_filter)
    matched = dict(zip(sizes, filtered, strict=True))
    received = np.stack([_data_chips(matched[size], shift, lay) for size, _, shift in hypotheses])
    soft = np.stack(
        [np.bincount(lay.coded_bit, weights=row, minlength=lay.coded_bits) for row in received]
    ).astype(np.float64)
    messages = _ecc.decode_batch(soft, PAYLOAD_BITS)
    expected = 1.0 - 2.0 * _ecc.encode_batch(messages)[:, lay.coded_bit]
    norms = np.linalg.norm(received, axis=1)
    scores = np.einsum("ij,ij->i", received, expected) / np.where(norms > 0, norms, 1.0)
    best = int(np.argmax(scores))
    size, _, shift = hypotheses[best]
    return Candidate(
        size=size,
        shift=shift,
        score=float(scores[best]),
        payload=int("".join(str(int(b)) for b in messages[best]), 2),
        agreement=float(np.mean(np.sign(received[best]) == expected[best])),
    )


def _coarse_scores(plane: WorkMap, lay: Layout) -> dict[Size, float]:
    """The pilot's z-score at every size of the three scan lines, at half resolution:
    both sides cut alike (s, s), the height only (s, top) and the width only (top, s)."""
    coarse, top, tile = halve(plane).astype(np.float32), WORK // 2, TILE // 2
    sides = tuple(range(tile, top))
    folds = _coarse_folds(top, sides, tile)
    rows = np.asarray(folds @ coarse, dtype=np.float32)
    rows = rows.reshape(len(sides), tile, top)  # the height resized to each side, folded
    both = _diagonal_folds(top, sides, tile) @ rows.transpose(0, 2, 1).reshape(-1, tile)
    height_only = (coarse[:tile] + coarse[tile:]) @ folds.T
    tiles = np.concatenate(
        [
            np.asarray(both, np.float32).reshape(len(sides), tile, tile).transpose(0, 2, 1),
            rows[..., :tile] + rows[..., tile:],  # (s, top): the width only folded
            np.asarray(height_only, np.float32).reshape(tile, len(sides), tile).transpose(1, 0, 2),
        ]
    )
    z, _ = _pilot_z(fft.rfft2(tiles), lay.coarse_pilot_filter)
    sizes = [(s, s) for s in sides] + [(s, top) for s in sides] + [(top, s) for s in sides]
    return dict(zip(sizes, z.tolist(), strict=True))


def _scan(plane: WorkMap, lay: Layout) -> list[tuple[Size, Spectrum, NDArray[np.floating[Any]]]]:
    """Sizes to try for a crop, best pilot first: crops of 50% to 100% of the picture,
    of both sides alike (the best `_SCAN_KEEP` of that line) or of one side only, a change
    of aspect (the best `_SCAN_KEEP // 2` of each). The scan runs at half resolution,
    every other work pixel; the sizes kept are then refined to the pixel."""
    rough, top = _coarse_scores(plane, lay), WORK // 2
    lines = (
        ([size for size in rough if size[0] == size[1]], _SCAN_KEEP),
        ([size for size in rough if size[1] == top], _SCAN_KEEP // 2),
        ([size for size in rough if size[0] == top], _SCAN_KEEP // 2),
    )
    groups: list[list[Size]] = []
    for line, keep in lines:
        for hy, hx in sorted(line, key=rough.__getitem__, reverse=True)[:keep]:
            groups.append(
                sorted(
                    {
                        (2 * hy + d if hy < top else WORK, 2 * hx + d if hx < top else WORK)
                        for d in _REFINE
                    }
                )
            )
    options = sorted({size for group in groups for size in group})
    stacked = fft.rfft2(_fold_sizes(plane.astype(np.float32), options, TILE))
    z, corr = _pilot_z(stacked, lay.pilot_filter)
    index = {size: i for i, size in enumerate(options)}
    fine = {max(group, key=lambda size: z[index[size]]) for group in groups}
    ranked = sorted(fine, key=lambda size: z[index[size]], reverse=True)
    return [(size, stacked[index[size]], corr[index[size]]) for size in ranked]


def search(plane: WorkMap, lay: Layout) -> tuple[Candidate, int]:
    """The best hypothesis for a work map, and how many were scored (<= HYPOTHESES).

    First the whole picture (any resize lands here), at the pilot's best few offsets;
    only if that fails, the sizes of `_scan`, each at its best few offsets, until the
    budget of hypotheses is spent; those are decoded in one batch.
    """
    whole = _fold(plane, (WORK, WORK))
    _, corr = _pilot_z(whole[None], lay.pilot_filter)
    best = _decode_all([((WORK, WORK), whole, s) for s in _peaks(corr[0], _OFFSETS)], lay)
    if best.score >= THRESHOLD:
        return best, _OFFSETS
    hypotheses = [
        (size, spectrum, shift)
        for size, spectrum, corr in _scan(plane, lay)[: (HYPOTHESES - _OFFSETS) // _SCAN_OFFSETS]
        for shift in _peaks(corr, _SCAN_OFFSETS)
    ]
    if hypotheses:
        scanned = _decode_all(hypotheses, lay)
        if scanned.score > best.score:
            best = scanned
    return best, _OFFSETS + len(hypotheses)
