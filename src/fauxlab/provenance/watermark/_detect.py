"""Reading a mark: whiten, undo the edit, fold the tile, lock on the pilot, decode, decide.

What the decoder searches
-------------------------
A repost may be resized, cropped to any aspect, mirrored, turned by a few degrees, or
letterboxed. Resizing costs nothing (the work grid is resolution-normalised). The rest
is searched in stages, cheapest and likeliest first, stopping at the first that passes
(`search`):

1. the whole picture at the pilot's best three offsets (any resize; the old fast path);
2. the same mirrored: a mirror folds to the mirrored tile, read as it is;
3. lattices: the mark repeats every tile, so the autocorrelation of the whitened map
   (spectrally whitened too) peaks at the tile's two periods wherever an edit moved
   them: rotation, shear, zoom, a crop of any aspect. Proposed: the best two peaks near
   each axis in every pairing, each completed by its rotation partner, and the best
   three rotation-and-even-scale lattices scored on both axes at once. Each proposal's
   map is unwarped (an affine resample) so its periods become the tile's, folded as it
   is and mirrored, and the four with the strongest pilot are decoded;
4. the crop scan (the old search, now both ways round through a mirrored pilot filter):
   crops of 50% to 100% of equal shares, of one side, and of one side with the other
   held at the period the autocorrelation found.

Flat bars (letterbox, pillarbox; `fauxlab.provenance.borders`) are stripped before all
this, and the picture read as it is after, if the stripped one fails: two views.
Autocorrelation was chosen over an exhaustive rotation search because it sees every
edit at once for the price of one FFT: the pilot only tolerates about 1 degree of error
(its z-score falls from 11 to 4 at 2 degrees), so a search would have to try some 40
angles, each with its own crop scan, times two for the mirror.

Detection statistic and threshold
---------------------------------
For one hypothesis h (an edit undone and an offset of the tile) the decoder folds the
whitened image into one tile and matched-filters each chip: chip values c_j. For data
chip j with key sign k_j and the sign s_j(w) that codeword w puts there, the score of w is

    Z_h(w) = sum_j k_j c_j s_j(w) / ||c||.

Viterbi finds the codeword with the largest numerator, so the reported score is
max_w Z_h(w). Under the null (an unmarked image), c depends on the image alone and h on
the image and the *pilot* chips alone (bars, autocorrelation peaks, lattices and crop
sizes are functions of the picture; the choice among them and the offsets, of the pilot),
while the data-chip key signs k_j are independent fair ±1 draws. For any fixed w, Z_h(w)
is then a Rademacher sum with unit-norm weights, and Hoeffding's inequality gives
P(Z_h(w) >= t) <= exp(-t^2 / 2), whatever the image. A reading decodes at most
`HYPOTHESES` hypotheses, each against at most 2^32 codewords, so by the union bound

    P(found | unmarked) <= HYPOTHESES * 2^32 * exp(-t^2 / 2) = FALSE_POSITIVE_RATE

for t = sqrt(2 ln(HYPOTHESES * 2^32 / FALSE_POSITIVE_RATE)) = 9.12 (256 hypotheses,
1e-6). The same bound, evaluated at the observed score, is the reading's p-value.
Hypotheses are cheap in this currency (64 would give 8.96, 1024 gives 9.27). A view
decodes at most `PER_VIEW` = 3 + 3 + 4 * 2 + 36 * 2 = 86 (whole, mirrored, lattices,
scan), a reading at most two views, 172: under the 256 the threshold is set for. Only
decoded hypotheses count; proposals ranked by the pilot alone cost nothing.
Unmarked pictures score 6 to 7.5 (the best of 2^32 codewords over up to 172
hypotheses); a marked one near sqrt(870) = 29.5 at most, about 23 untouched and 15 to 20
after JPEG, resizing, crops, mirror or rotation.

The bound holds under the model that the key is random relative to the picture; nothing
about natural images is assumed, and the empirical check (BENCHMARKS.md) found no false
positive in hundreds of unmarked faces, letterboxed faces and video frames.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
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
HYPOTHESES = 256  # hypotheses decoded at most per reading (the union bound's H; see `search`)
THRESHOLD = math.sqrt(2 * math.log(HYPOTHESES * 2.0**PAYLOAD_BITS / FALSE_POSITIVE_RATE))
_ENERGY_SIGMA = 2.0  # work px: neighbourhood for the local energy the band is divided by
_OFFSETS = 3  # pilot peaks (tile offsets) decoded for the whole picture, each way round
_SCAN_KEEP = 6  # sizes of the coarse crop scan refined at full resolution (see _scan)
_SCAN_OFFSETS = 2  # pilot peaks decoded per refined size, best sizes first
_REFINE = (-1, 0, 1)  # full-resolution sizes tried around each coarse one (work px)
_LAGS = (100.0, 245.0)  # work px: tile periods looked for, a 1.28x zoom to a crop of 52%
_TILT = 14.0  # degrees a period may lean off its axis: rotations of +-10 and some shear
_MIN_OVERLAP = WORK * 32  # work px^2 a lag must still overlap to be looked at
_POWER_SIGMA = 4.0  # frequency bins: the smoothing the power spectrum is divided by
_LATTICE_PEAKS = 2  # autocorrelation peaks kept per axis (see `lattices`)
_SIMILAR = 3  # rotations with an even scale proposed from both axes at once (`_similar`)
_LATTICE_KEEP = 4  # unwarped lattices (either way round) decoded, best pilot first
_LATTICE_OFFSETS = 2  # pilot peaks decoded per lattice kept
PER_VIEW = 2 * _OFFSETS + _LATTICE_KEEP * _LATTICE_OFFSETS + 2 * 3 * _SCAN_KEEP * _SCAN_OFFSETS
"""Hypotheses one view (the picture, or the picture without its bars) decodes at most: the
whole picture both ways round, the lattices kept, and the crop scan (at most
3 * _SCAN_KEEP sizes each way round: 6 + 3 + 3 + 3 + 3) with `_SCAN_OFFSETS` offsets each."""

WorkMap = NDArray[np.float32]
Spectrum = NDArray[np.complex64]  # single precision: twice the FFT speed, scores equal to 1e-4
FloatRow = NDArray[np.float64]
Size = tuple[int, int]  # (height, width) in work px the image is resized to before folding
Lattice = tuple[tuple[float, float], tuple[float, float]]
"""The tile's two periods as seen in a work map: (dy, dx) of its height period, then of its
width period, in work px. Unedited: ((128, 0), (0, 128))."""


@dataclass(frozen=True)
class Pose:
    """What a hypothesis assumes happened to the picture since it was marked.

    `mirrored`: flipped left to right. `size`: the work map is resized to it before folding,
    undoing a crop to `size / WORK` of each side. `lattice`: instead of a resize, the map is
    unwarped so that these periods (found by autocorrelation) become the tile's: undoes a
    rotation, shear or any change of scale of either side.
    """

    size: Size = (WORK, WORK)
    mirrored: bool = False
    lattice: Lattice | None = None

    def crop(self) -> tuple[float, float]:
        """The share of the marked picture's height and width this one seems to show."""
        if self.lattice is None:
            return (self.size[0] / WORK, self.size[1] / WORK)
        (y1, x1), (y2, x2) = self.lattice
        return (TILE / math.hypot(y1, x1), TILE / math.hypot(y2, x2))

    def rotation(self, height: int, width: int) -> float:
        """Degrees the picture (`height` x `width` px) seems turned, counter-clockwise as
        seen: the mean lean of the two periods measured in the picture's own pixels."""
        if self.lattice is None:
            return 0.0
        (y1, x1), (y2, x2) = self.lattice
        ky, kx = height / WORK, width / WORK
        lean_width = math.atan2(y2 * ky, x2 * kx)
        lean_height = math.atan2(-x1 * kx, y1 * ky)
        return -math.degrees((lean_width + lean_height) / 2)


@dataclass(frozen=True)
class Candidate:
    """One decoded hypothesis: the picture seen in `pose`, the tile offset `shift`."""

    pose: Pose
    shift: tuple[int, int]
    score: float  # max over codewords of Z, see the module docstring
    payload: int
    agreement: float  # share of data chips whose sign matches the decoded codeword

    @property
    def size(self) -> Size:
        return self.pose.size


Hypothesis = tuple[Pose, Spectrum, tuple[int, int]]


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


def _decode_all(hypotheses: list[Hypothesis], lay: Layout) -> Candidate:
    """Matched-filter every chip of each hypothesis, Viterbi-decode them all in one batch,
    and return the best-scoring codeword."""
    poses = list(dict.fromkeys(pose for pose, _, _ in hypotheses))
    spectra = {pose: spectrum for pose, spectrum, _ in hypotheses}
    filtered = fft.irfft2(np.stack([spectra[pose] for pose in poses]) * lay.chip_filter)
    matched = dict(zip(poses, filtered, strict=True))
    received = np.stack([_data_chips(matched[pose], shift, lay) for pose, _, shift in hypotheses])
    soft = np.stack(
        [np.bincount(lay.coded_bit, weights=row, minlength=lay.coded_bits) for row in received]
    ).astype(np.float64)
    messages = _ecc.decode_batch(soft, PAYLOAD_BITS)
    expected = 1.0 - 2.0 * _ecc.encode_batch(messages)[:, lay.coded_bit]
    norms = np.linalg.norm(received, axis=1)
    scores = np.einsum("ij,ij->i", received, expected) / np.where(norms > 0, norms, 1.0)
    best = int(np.argmax(scores))
    pose, _, shift = hypotheses[best]
    return Candidate(
        pose=pose,
        shift=shift,
        score=float(scores[best]),
        payload=int("".join(str(int(b)) for b in messages[best]), 2),
        agreement=float(np.mean(np.sign(received[best]) == expected[best])),
    )


ScanLine = tuple[list[Size], int]  # sizes along one line of the scan, how many to keep


def _coarse_scores(
    plane: WorkMap, lay: Layout, anchors: tuple[int | None, int | None] = (None, None)
) -> tuple[dict[tuple[bool, Size], float], list[ScanLine]]:
    """The pilot's z-score at every size of the scan lines, at half resolution: both
    sides cut alike (s, s), the height only (s, top) and the width only (top, s), and,
    where the autocorrelation found one side's period (`anchors`: that side's size), the
    other side scanned with it held (h, s) or (s, w), a crop of any aspect. For the
    picture as it is and mirrored, keyed (mirrored, size); with the lines and how many
    of each to refine.

    A mirrored picture folds to the mirror of the same tile, circularly shifted, and the
    z-score ignores shifts: correlating the same folded tiles with the mirrored pilot
    scores the mirrored picture, so the folds, most of the scan's cost, are shared."""
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
    lines: list[ScanLine] = [
        ([(s, s) for s in sides], _SCAN_KEEP),
        ([(s, top) for s in sides], _SCAN_KEEP // 2),
        ([(top, s) for s in sides], _SCAN_KEEP // 2),
    ]
    height, width = anchors
    extra = []
    if height is not None:  # the height resized to the anchor, the width to every side
        held = np.asarray(rows[height - tile] @ folds.T, np.float32)
        extra.append(held.reshape(tile, len(sides), tile).transpose(1, 0, 2))
        lines.append(([(height, s) for s in sides], _SCAN_KEEP // 2))
    if width is not None:  # the width resized to the anchor, the height to every side
        fold = _axis_fold(top, width, tile)
        held = np.asarray(fold @ rows.reshape(-1, top).T, np.float32).T
        extra.append(held.reshape(len(sides), tile, tile))
        lines.append(([(s, width) for s in sides], _SCAN_KEEP // 2))
    spectra = fft.rfft2(np.concatenate([tiles, *extra]) if extra else tiles)
    sizes = [size for line, _ in lines for size in line]
    scores: dict[tuple[bool, Size], float] = {}
    for mirrored, pilot in ((False, lay.coarse_pilot_filter), (True, lay.coarse_mirror_filter)):
        z, _ = _pilot_z(spectra, pilot)
        for size, value in zip(sizes, z.tolist(), strict=True):
            scores[mirrored, size] = value
    return scores, lines


def _scan(
    plane: WorkMap, lay: Layout, anchors: tuple[int | None, int | None] = (None, None)
) -> list[tuple[Pose, Spectrum, NDArray[np.floating[Any]]]]:
    """Poses to try for a crop, best pilot first: crops of 50% to 100% of the picture,
    of both sides alike (the best `_SCAN_KEEP` of that line), of one side only, a change
    of aspect, or of one side with the other held at an anchor (the best `_SCAN_KEEP // 2`
    of each), for the picture as it is and mirrored. The scan runs at half resolution,
    every other work pixel; the sizes kept are then refined to the pixel."""
    rough, lines = _coarse_scores(plane, lay, anchors)
    top = WORK // 2
    found: list[tuple[Pose, Spectrum, NDArray[np.floating[Any]], float]] = []
    for mirrored in (False, True):
        groups: list[list[Size]] = []
        for line, keep in lines:
            ranked_line = sorted(line, key=lambda size: rough[mirrored, size], reverse=True)
            for hy, hx in ranked_line[:keep]:
                groups.append(
                    sorted(
                        {
                            (2 * hy + d if hy < top else WORK, 2 * hx + d if hx < top else WORK)
                            for d in _REFINE
                        }
                    )
                )
        options = sorted({size for group in groups for size in group})
        view = np.ascontiguousarray(plane[:, ::-1]) if mirrored else plane
        stacked = fft.rfft2(_fold_sizes(view.astype(np.float32), options, TILE))
        z, corr = _pilot_z(stacked, lay.pilot_filter)
        index = {size: i for i, size in enumerate(options)}
        fine = {max(group, key=lambda size: z[index[size]]) for group in groups}
        for size in fine:
            i = index[size]
            found.append((Pose(size=size, mirrored=mirrored), stacked[i], corr[i], float(z[i])))
    found.sort(key=lambda item: item[3], reverse=True)
    return [(pose, spectrum, corr) for pose, spectrum, corr, _ in found]


def _whole(plane: WorkMap, lay: Layout, mirrored: bool) -> list[Hypothesis]:
    """The whole picture as it is (any resize lands here), or mirrored, at the pilot's
    best few offsets."""
    spectrum = _fold(plane[:, ::-1] if mirrored else plane, (WORK, WORK))
    _, corr = _pilot_z(spectrum[None], lay.pilot_filter)
    pose = Pose(mirrored=mirrored)
    return [(pose, spectrum, shift) for shift in _peaks(corr[0], _OFFSETS)]


@lru_cache(maxsize=1)
def _lag_geometry() -> tuple[NDArray[np.float64], NDArray[np.bool_], NDArray[np.bool_]]:
    """For the zero-padded autocorrelation of a work map: 1 / sqrt(overlap) of every lag
    (so that lags of any overlap compare as z-scores), and the lags where the height and
    the width period may lie."""
    side = 2 * WORK
    lags = np.fft.fftfreq(side, 1.0 / side)
    dy, dx = np.meshgrid(lags, lags, indexing="ij")
    overlap = np.clip(WORK - np.abs(dy), 0, None) * np.clip(WORK - np.abs(dx), 0, None)
    radius, angle = np.hypot(dy, dx), np.degrees(np.arctan2(dy, dx))
    ring = (radius >= _LAGS[0]) & (radius <= _LAGS[1]) & (overlap >= _MIN_OVERLAP)
    height_axis = ring & (np.abs(angle - 90.0) <= _TILT)
    width_axis = ring & (np.abs(angle) <= _TILT)
    return 1.0 / np.sqrt(np.maximum(overlap, 1.0)), height_axis, width_axis


def _subpixel(values: NDArray[np.float64], y: int, x: int) -> tuple[float, float]:
    """A peak's lag to a fraction of a pixel: a parabola through it and its neighbours on
    each axis (the autocorrelation is circular, so neighbours wrap)."""
    side = values.shape[0]
    offsets = []
    for dy, dx in ((1, 0), (0, 1)):
        low = values[(y - dy) % side, (x - dx) % side]
        mid = values[y, x]
        high = values[(y + dy) % side, (x + dx) % side]
        curve = low - 2 * mid + high
        offsets.append(float(np.clip(0.5 * (low - high) / curve, -0.5, 0.5)) if curve < 0 else 0.0)
    lag_y = y - side if y >= side // 2 else y
    lag_x = x - side if x >= side // 2 else x
    return (lag_y + offsets[0], lag_x + offsets[1])


def _axis_peaks(auto: NDArray[np.float64], mask: NDArray[np.bool_]) -> list[tuple[float, float]]:
    """The best `_LATTICE_PEAKS` lags within `mask`, a few pixels apart, to sub-pixel."""
    flat = np.flatnonzero(mask)
    order = flat[np.argsort(auto.ravel()[flat])[::-1][: 64 * _LATTICE_PEAKS]]
    kept: list[tuple[int, int]] = []
    for index in order:
        y, x = divmod(int(index), auto.shape[1])
        if all(abs(y - a) + abs(x - b) > 4 for a, b in kept):
            kept.append((y, x))
            if len(kept) == _LATTICE_PEAKS:
                break
    return [_subpixel(auto, y, x) for y, x in kept]


Period = tuple[float, float]  # (dy, dx) work px: one of the tile's periods in a work map


@dataclass(frozen=True)
class Periods:
    """The autocorrelation of a work map as z-scores over the lags where a period may lie
    (zero elsewhere), and its best peaks near the height and the width axis."""

    auto: NDArray[np.float64]
    heights: list[Period]
    widths: list[Period]


def periods(plane: WorkMap) -> Periods:
    """The tile's periods as the picture shows them, from the autocorrelation of its work
    map: the mark repeats every tile, so a crop, zoom, rotation or shear moves the peaks
    at one tile's lag (128 work px on each axis) to where the edit put them. The best
    `_LATTICE_PEAKS` near the height axis, and near the width axis.

    The power spectrum is divided by its own smoothed self first: what the picture has in
    plenty (its textures, edges, a striped shirt) then weighs no more than the rest, while
    the mark's periodicity, fine lines spread over the whole spectrum, stands out. On
    crops this lifts the true peak's z-score from about 11 to 35."""
    spectrum = fft.rfft2(plane.astype(np.float32), s=(2 * WORK, 2 * WORK))
    power = np.abs(spectrum) ** 2
    power /= cv2.GaussianBlur(power, (0, 0), _POWER_SIGMA) + 1e-12  # spectral whitening
    auto = fft.irfft2(power, s=(2 * WORK, 2 * WORK)).astype(np.float64)
    scale, height_axis, width_axis = _lag_geometry()
    auto *= scale
    looked = height_axis | width_axis
    values = auto[looked]
    auto = (auto - values.mean()) / max(float(values.std()), 1e-12)
    auto[~looked] = 0.0
    return Periods(auto, _axis_peaks(auto, height_axis), _axis_peaks(auto, width_axis))


@lru_cache(maxsize=8)
def _similarity_grid(aspect: float) -> tuple[NDArray[np.float64], ...]:
    """For every rotation (+-12 degrees, steps of 0.25) and period length (the lag range,
    steps of half a pixel) of the tile seen turned and evenly scaled in a picture of
    `aspect`: the lags of its height and width periods in the work map, and the pair."""
    turn = np.radians(np.arange(-12.0, 12.01, 0.25))
    length = np.arange(_LAGS[0], _LAGS[1], 0.5)
    theta, size = (v.ravel() for v in np.meshgrid(turn, length, indexing="ij"))
    cos, sin = np.cos(theta), np.sin(theta)
    return (size * cos, size * sin * aspect, -size * sin, size * cos * aspect, theta, size)


def _bilinear(
    values: NDArray[np.float64], y: NDArray[np.float64], x: NDArray[np.float64]
) -> NDArray[np.float64]:
    """`values` (circular) at fractional positions, interpolated bilinearly."""
    side = values.shape[0]
    y0, x0 = np.floor(y), np.floor(x)
    fy, fx = y - y0, x - x0
    r0, c0 = y0.astype(np.intp) % side, x0.astype(np.intp) % side
    r1, c1 = (r0 + 1) % side, (c0 + 1) % side
    top = values[r0, c0] * (1 - fx) + values[r0, c1] * fx
    bottom = values[r1, c0] * (1 - fx) + values[r1, c1] * fx
    return top * (1 - fy) + bottom * fy  # type: ignore[no-any-return]


def _similar(found: Periods, aspect: float) -> list[Lattice]:
    """The `_SIMILAR` best lattices of a rotation with an even crop or zoom, scored by the
    autocorrelation at both of their periods at once: twice the evidence of one axis, in a
    space of two parameters instead of four, which finds the pair where the picture's own
    structure outscores each period alone."""
    hy, hx, wy, wx, theta, size = _similarity_grid(round(aspect, 4))
    score = _bilinear(found.auto, hy, hx) + _bilinear(found.auto, wy, wx)
    kept: list[int] = []
    for index in np.argsort(score)[::-1][:400]:
        if all(
            abs(theta[index] - theta[k]) > math.radians(1.5) or abs(size[index] - size[k]) > 4
            for k in kept
        ):
            kept.append(int(index))
            if len(kept) == _SIMILAR:
                break
    return [((hy[k], hx[k]), (wy[k], wx[k])) for k in kept]


def lattices(found: Periods, aspect: float = 1.0) -> list[Lattice]:
    """Lattices to try: the periods found on each axis in every pairing; each completed by
    the one a rotation (or an equal crop) would give the other axis, as long and at a
    right angle in the picture's own pixels (`aspect`: its height / width), for when the
    picture's own structure hides one axis's peak; and the best rotations with an even
    crop scored on both axes at once (`_similar`)."""
    heights, widths = found.heights, found.widths
    proposed = [(h, w) for h in heights for w in widths]
    proposed += [(h, (-h[1] / aspect, h[0] * aspect)) for h in heights]
    proposed += [((w[1] / aspect, -w[0] * aspect), w) for w in widths]
    proposed += _similar(found, aspect)
    return list(dict.fromkeys(proposed))


def _anchor(found: list[Period]) -> int | None:
    """The coarse scan size (half-resolution px) of the best period, if it lies along its
    axis and within the scan's range: a crop of that side to TILE / its length."""
    if not found:
        return None
    dy, dx = found[0]
    length, lean = math.hypot(dy, dx), min(abs(dy), abs(dx))
    size = round(WORK / 2 * TILE / length)
    return size if lean <= 2.0 and TILE // 2 <= size < WORK // 2 else None


def unwarp(plane: WorkMap, lattice: Lattice) -> NDArray[np.float32]:
    """Resample a work map so that `lattice`'s periods become the tile's, TILE work px on
    each axis; what falls outside the picture is zero (no evidence either way)."""
    (y1, x1), (y2, x2) = lattice
    forward = np.array([[y1, y2], [x1, x2]], dtype=np.float64) / TILE  # tile (row, col) -> map
    determinant = forward[0, 0] * forward[1, 1] - forward[0, 1] * forward[1, 0]
    inverse = np.array([[forward[1, 1], -forward[0, 1]], [-forward[1, 0], forward[0, 0]]])
    corners = inverse / determinant @ np.array([[0, 0, WORK, WORK], [0, WORK, 0, WORK]])
    low, high = np.floor(corners.min(axis=1)), np.ceil(corners.max(axis=1))
    rows, cols = (int(v) for v in np.minimum(high - low, 4 * WORK))
    origin = forward @ low
    matrix = np.array(
        [
            [forward[1, 1], forward[1, 0], origin[1]],
            [forward[0, 1], forward[0, 0], origin[0]],
        ],
        dtype=np.float64,
    )
    return cv2.warpAffine(  # type: ignore[no-any-return]
        plane,
        matrix,
        (cols, rows),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0.0,
    )


def _lattice(plane: WorkMap, lay: Layout, proposed: list[Lattice]) -> list[Hypothesis]:
    """Each proposed lattice's unwarped map, as it is and mirrored: the `_LATTICE_KEEP`
    whose pilot stands out most, each at the pilot's best offsets."""
    poses: list[Pose] = []
    tiles: list[NDArray[np.float32]] = []
    for lattice in proposed:
        level = unwarp(plane, lattice)
        for mirrored in (False, True):
            poses.append(Pose(mirrored=mirrored, lattice=lattice))
            tiles.append(_fold_tile(level[:, ::-1] if mirrored else level, TILE))
    if not tiles:
        return []
    spectra = fft.rfft2(np.stack(tiles))
    z, corr = _pilot_z(spectra, lay.pilot_filter)
    best = np.argsort(z)[::-1][:_LATTICE_KEEP]
    return [
        (poses[i], spectra[i], shift) for i in best for shift in _peaks(corr[i], _LATTICE_OFFSETS)
    ]


def _scanned(
    plane: WorkMap, lay: Layout, anchors: tuple[int | None, int | None]
) -> list[Hypothesis]:
    """The crop scan's poses (see `_scan`), each at the pilot's best few offsets."""
    return [
        (pose, spectrum, shift)
        for pose, spectrum, corr in _scan(plane, lay, anchors)
        for shift in _peaks(corr, _SCAN_OFFSETS)
    ]


def search(plane: WorkMap, lay: Layout, aspect: float = 1.0) -> tuple[Candidate, int]:
    """The best hypothesis for a work map of a picture `aspect` (height / width) in
    shape, and how many were decoded (<= PER_VIEW).

    In stages, cheapest and likeliest first, each decoded in one batch, stopping as soon
    as one passes the threshold: the whole picture as it is; mirrored; the lattices the
    autocorrelation proposes (rotations, shears, crops of any aspect), both ways round;
    then the crop scan, both ways round.
    """
    best = _decode_all(_whole(plane, lay, mirrored=False), lay)
    scored = _OFFSETS
    if best.score >= THRESHOLD:
        return best, scored

    @cache
    def proposed() -> Periods:  # computed once, and only if the mirror alone fails
        return periods(plane)

    later: tuple[Callable[[], list[Hypothesis]], ...] = (
        lambda: _whole(plane, lay, mirrored=True),
        lambda: _lattice(plane, lay, lattices(proposed(), aspect)),
        lambda: _scanned(plane, lay, (_anchor(proposed().heights), _anchor(proposed().widths))),
    )
    for stage in later:
        hypotheses = stage()
        if not hypotheses:
            continue
        found = _decode_all(hypotheses, lay)
        scored += len(hypotheses)
        if found.score > best.score:
            best = found
        if best.score >= THRESHOLD:
            break
    return best, scored
