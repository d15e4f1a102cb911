"""A 256-bit perceptual hash of a sound, so a re-encoded copy is found in the ledger.

Haitsma and Kalker's fingerprint, made the size of a PDQ hash so that the ledger stores
and searches it in the same index: the sound (mono, 16 kHz) is cut into `SEGMENTS` equal
spans of its own length and `BANDS` log-spaced bands of 300 to 3400 Hz (what MP3, AAC,
Opus and 8 kHz telephone sound all keep). Bit (n, m) is the sign of the change from span
n - 1 to span n of the log-energy difference between bands m and m + 1. Signs of energy
differences survive what re-encoding, resampling, a gain or an equaliser do; spans
measured in shares of the length survive a speed change too. A cut excerpt is another
sound: the watermark finds those.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import numpy as np
from numpy.typing import NDArray

SEGMENTS = 16  # spans
BANDS = 17  # bands: 16 differences between them
LOW_HZ, HIGH_HZ = 300.0, 3400.0
_N_FFT = 1024
NEAR_DISTANCE = 47
"""Bits of 256 two hashes of one sound may differ by and still match (the largest the
ledger's chunk index answers without a scan). See BENCHMARKS.md ("Audio watermark") for
how often re-encodings stay within it and how far distinct recordings lie."""


def fingerprint(samples: NDArray[np.floating[Any]], sample_rate: int) -> str:
    """The 64-hex-digit hash of mono `samples` (full scale 1) at `sample_rate` Hz."""
    x = np.asarray(samples, dtype=np.float64)
    hop = _N_FFT // 2
    shortest = _N_FFT + hop * (SEGMENTS - 1)  # one window per span at least
    if len(x) < shortest:
        x = np.pad(x, (0, shortest - len(x)))
    count = (len(x) - _N_FFT) // hop + 1
    index = np.arange(count)[:, None] * hop + np.arange(_N_FFT)[None, :]
    power = np.abs(np.fft.rfft(x[index] * np.hanning(_N_FFT), axis=1)) ** 2
    freqs = np.fft.rfftfreq(_N_FFT, 1.0 / sample_rate)
    edges = np.geomspace(LOW_HZ, HIGH_HZ, BANDS + 1)
    bands = np.stack(
        [power[:, (freqs >= lo) & (freqs < hi)].sum(axis=1) for lo, hi in pairwise(edges)],
        axis=1,
    )
    spans = np.array_split(np.arange(count), SEGMENTS)
    energy = np.log(np.stack([bands[s].mean(axis=0) for s in spans]) + 1e-12)
    across = energy[:, :-1] - energy[:, 1:]  # (SEGMENTS, BANDS - 1)
    bits = (across - across.mean(axis=0)) > 0  # each difference against its own mean
    return np.packbits(bits.ravel()).tobytes().hex()
