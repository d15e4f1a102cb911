"""Where the audio mark lives: a key-derived frame of ±1 chips on the sound's spectrogram.

The sound is seen at `RATE` (16 kHz) through a short-time Fourier transform of `N_FFT`
samples every `HOP`. A chip covers `CHIP_HOPS` hops (32 ms) by `CHIP_BINS` bins (62.5 Hz);
a frame is `SLOTS` chips in time (1.536 s) by `BANDS` in frequency, 500 to 7000 Hz. The
lower half, up to 3500 Hz, is what the telephone, 8 kHz resampling and every codec keep,
and alone still carries the id; the upper half adds evidence where it survives. Frames
repeat end to end, each with the whole payload, so any excerpt a frame or more long holds
every chip at least once. A share of each frame's chips are a known pilot, used to find
where the frames start (and the speed); the rest carry the coded payload, each coded bit
on about 35 chips spread over the frame, each chip with its own key sign.

Small chips were chosen by measurement: the score of a marked sound is at most the
square root of the number of data chips, and speech leaves each chip's evidence weak,
so more, smaller chips raised the median score of 10 s of speech from 7 (16 x 24 chips of
187.5 Hz x 64 ms) to 19.5 at the same strength.

The layout comes from SHAKE-256 of the key (as the image mark's, with its own labels).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from fauxlab.provenance.watermark import _ecc
from fauxlab.provenance.watermark._layout import DEFAULT_KEY, PAYLOAD_BITS, _permutation, _stream

RATE = 16_000  # samples a second the mark is made and read at
N_FFT = 512  # 32 ms windows
HOP = N_FFT // 2  # 16 ms
FIRST_BIN = 16  # 500 Hz
CHIP_BINS = 2  # 62.5 Hz
BANDS = 104  # 500 to 7000 Hz
CHIP_HOPS = 2  # 32 ms
SLOTS = 48  # chips a frame in time: 96 hops, 1.536 s
FRAME_HOPS = SLOTS * CHIP_HOPS
BAND_BINS = BANDS * CHIP_BINS
PILOT_CHIPS = 998  # a fifth of the frame: enough to lock the frame start on a few seconds
MARK_DB = 1.0  # each chip raises or lowers its cells' magnitude by this many dB (see docs)

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class AudioLayout:
    """One key's frame: which chips are pilot, which carry which coded bit, and signs.

    Chips are numbered slot-major: chip = slot * BANDS + band."""

    signs: FloatArray  # (SLOTS * BANDS,) key sign of every chip, ±1
    pilot: NDArray[np.intp]
    data: NDArray[np.intp]
    coded_bit: NDArray[np.intp]  # for each data chip, the coded bit it carries
    coded_bits: int

    def chips(self, payload: int) -> FloatArray:
        """The ±1 value of every chip of the frame for `payload`."""
        message = np.array(
            [(payload >> (PAYLOAD_BITS - 1 - i)) & 1 for i in range(PAYLOAD_BITS)], dtype=np.int8
        )
        coded = _ecc.encode(message)
        values = self.signs.copy()
        values[self.data] *= 1.0 - 2.0 * coded[self.coded_bit]
        return values

    def pilot_chips(self) -> FloatArray:
        """The frame with the pilot's signs and zero on every data chip."""
        values = np.zeros(SLOTS * BANDS)
        values[self.pilot] = self.signs[self.pilot]
        return values


@lru_cache(maxsize=8)
def audio_layout(key: int = DEFAULT_KEY) -> AudioLayout:
    count = SLOTS * BANDS
    order = _permutation(key, b"audio-chips", count)
    pilot, data = np.sort(order[:PILOT_CHIPS]), np.sort(order[PILOT_CHIPS:])
    signs = np.where(_stream(key, b"audio-signs", count) >> np.uint64(63), 1.0, -1.0)
    coded_bits = _ecc.coded_length(PAYLOAD_BITS)
    spread = _permutation(key, b"audio-spread", len(data))
    coded_bit = np.empty(len(data), dtype=np.intp)
    coded_bit[spread] = np.arange(len(data)) % coded_bits
    return AudioLayout(signs, pilot, data, coded_bit, coded_bits)


def cell_pattern(chips: FloatArray, hops: int) -> FloatArray:
    """(hops, BAND_BINS): the chip value under every spectrogram cell of the band, frames
    repeated from hop 0 for `hops` hops."""
    frame = chips.reshape(SLOTS, BANDS)
    cells = np.repeat(np.repeat(frame, CHIP_HOPS, axis=0), CHIP_BINS, axis=1)
    reps = -(-hops // FRAME_HOPS)
    return np.tile(cells, (reps, 1))[:hops]
