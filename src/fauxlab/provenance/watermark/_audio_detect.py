"""Reading an audio mark: spectrogram, undo a speed change, fold frames, lock on the pilot,
decode, decide.

What the decoder searches
-------------------------
The sound is whitened (log power less its local mean across frequency, clipped, each cell
weighted by its share above the noise floor; see `whiten`) and folded: every frame of the
mark is the same, so summing the map over the frame period adds the mark up while the
speech averages out. Where the frames start is unknown after
a cut, so the pilot is correlated at all `FRAME_HOPS` offsets of the folded frame (a
circular search, one hop apart); the best few are decoded. A speed change (0.9x to 1.1x,
pitch and tempo together, as a resampled file played at the wrong rate) stretches time
and frequency alike; if the sound as it is fails, a grid of speeds is undone on the
whitened spectrogram (a bilinear resample of its two axes) and the pilot ranks them; the
best few are whitened again after the warp, exactly, and decoded.

Detection statistic and threshold
---------------------------------
Exactly the image mark's (see `_detect`): for one hypothesis h (a speed and a frame
offset), the data chips' folded values c_j with key signs k_j and codeword signs s_j(w)
give Z_h(w) = sum_j k_j c_j s_j(w) / ||c||. Under the null (an unmarked sound) c is a
function of the sound alone and h of the sound and the pilot chips alone, while the
data-chip key signs are independent fair ±1 draws, so Hoeffding and the union bound over
at most `HYPOTHESES` decoded hypotheses and 2^32 codewords give

    P(found | unmarked) <= HYPOTHESES * 2^32 * exp(-t^2 / 2) = FALSE_POSITIVE_RATE

for t = sqrt(2 ln(32 * 2^32 / 1e-6)) = 8.88. Hypotheses ranked by the pilot alone (all
offsets at all speeds) cost nothing; only decoded ones count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from fauxlab.provenance.watermark import _ecc
from fauxlab.provenance.watermark._audio_layout import (
    BAND_BINS,
    BANDS,
    CHIP_BINS,
    CHIP_HOPS,
    FIRST_BIN,
    FRAME_HOPS,
    HOP,
    N_FFT,
    RATE,
    SLOTS,
    AudioLayout,
)
from fauxlab.provenance.watermark._detect import FALSE_POSITIVE_RATE
from fauxlab.provenance.watermark._layout import PAYLOAD_BITS

HYPOTHESES = 32
THRESHOLD = math.sqrt(2 * math.log(HYPOTHESES * 2.0**PAYLOAD_BITS / FALSE_POSITIVE_RATE))
_OFFSETS = 3  # frame offsets decoded for the sound as it is
SPEEDS = tuple(float(s) for s in np.round(np.arange(0.9, 1.1001, 0.0025), 4))
_SPEED_KEEP = 6  # speeds decoded, best pilot first
_SPEED_OFFSETS = 2  # offsets decoded per speed kept
SPEED_WINDOW = 12.0  # seconds searched for a speed: a step's drift over it, about a chip
assert _OFFSETS + _SPEED_KEEP * _SPEED_OFFSETS <= HYPOTHESES
_SPAN = (  # bins any speed of the grid pulls into the band
    int(FIRST_BIN * SPEEDS[0]) - 2,
    min(N_FFT // 2 + 1, math.ceil((FIRST_BIN + BAND_BINS) * SPEEDS[-1]) + 2),
)
_FLOOR = 1e-4  # power floor, a share of the band's mean: silence says nothing either way
_CLIP = 1.5  # whitened cells are clipped at this many robust standard deviations
_NOISE_QUANTILE = 0.1  # the share of a bin's time spent at or under its noise floor
SIGMA = 3.0  # bins: the width of the local mean whitening takes off

Samples = NDArray[np.float32]
FloatArray = NDArray[np.float64]


def window() -> FloatArray:
    """The square root of a periodic Hann window: analysis and synthesis with it at
    50% overlap reconstruct the signal exactly."""
    hann: FloatArray = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)
    return np.sqrt(hann)


def hops(length: int) -> int:
    """Spectrogram columns that cover every sample of a sound `length` samples long
    twice (the windows overlap by half), so the inverse gives every sample back."""
    return (length - 1) // HOP + 2


def stft(samples: NDArray[np.floating[Any]], count: int | None = None) -> NDArray[np.complex128]:
    """(hops, N_FFT // 2 + 1): hop t is centred on sample t * HOP."""
    count = hops(len(samples)) if count is None else count
    padded = np.zeros((count + 1) * HOP, dtype=np.float64)
    padded[HOP : HOP + len(samples)] = samples[: len(padded) - HOP]
    index = np.arange(count)[:, None] * HOP + np.arange(N_FFT)[None, :]
    return np.fft.rfft(padded[index] * window(), axis=1)


def istft(spectrum: NDArray[np.complex128], length: int) -> FloatArray:
    """The inverse of `stft` (overlap-add), `length` samples long."""
    frames = np.fft.irfft(spectrum, n=N_FFT, axis=1) * window()
    out = np.zeros((len(spectrum) + 1) * HOP)
    for half in range(2):  # frames overlap by half: add the even and odd ones in turn
        part = frames[half::2].reshape(-1)
        start = half * HOP
        out[start : start + len(part)] += part
    return out[HOP : HOP + length]


def power(samples: Samples) -> FloatArray:
    """(hops, N_FFT // 2 + 1) power spectrogram."""
    spectrum: FloatArray = np.abs(stft(samples))
    return spectrum * spectrum


def unspeed(spectrogram: FloatArray, speed: float, first: int = 0) -> FloatArray:
    """The band of a spectrogram (its column 0 is bin `first`) of a sound played `speed`
    times fast, as it was before: time stretched back by `speed`, frequencies pulled down
    by it."""
    count = int(len(spectrogram) * speed)
    t = np.arange(count, dtype=np.float64) / speed
    f = (FIRST_BIN + np.arange(BAND_BINS, dtype=np.float64)) * speed - first
    return _lerp(_lerp(spectrogram, f, axis=1), t, axis=0)


def _lerp(values: FloatArray, at: FloatArray, axis: int) -> FloatArray:
    """`values` linearly interpolated at fractional positions `at` along `axis`, held
    at the edges: the bilinear warp done one axis at a time, as two gathers."""
    last = values.shape[axis] - 1
    clamped = np.clip(at, 0.0, float(last))
    low = np.minimum(np.floor(clamped).astype(np.intp), max(last - 1, 0))
    weight = clamped - low
    shape = [1, 1]
    shape[axis] = len(at)
    weight = weight.reshape(shape)
    below = np.take(values, low, axis=axis)
    above = np.take(values, np.minimum(low + 1, last), axis=axis)
    mixed: FloatArray = below * (1.0 - weight) + above * weight
    return mixed


def whiten(band: FloatArray) -> FloatArray:
    """Log power of the band less its local mean across frequency (a Gaussian of `SIGMA`
    bins), clipped, and weighted by how far each cell stands above the noise floor.

    The local mean takes off the spectral envelope and the voice's harmonics, which last
    longer than a chip; the chips, which change every 32 ms, stay. A cell holding sound
    S over noise N moves by the mark's share S / (S + N) only, so it is weighted by an
    estimate of that share, 1 - N / (S + N), with N each bin's `_NOISE_QUANTILE` power
    over time: silence and cells that added noise buries count for nothing."""
    from scipy import ndimage  # imported here: a second at start-up for every command

    floor = _FLOOR * float(band.mean()) + 1e-20
    level = np.log(band + floor)
    high = level - ndimage.gaussian_filter1d(level, SIGMA, axis=1, mode="nearest")
    spread = 1.4826 * float(np.median(np.abs(high))) + 1e-12
    clipped = np.clip(high, -_CLIP * spread, _CLIP * spread)
    # noise power is exponential in each cell: its mean is its 10% quantile / 0.105
    noise = np.quantile(band, _NOISE_QUANTILE, axis=0)[None, :] / -np.log1p(-_NOISE_QUANTILE)
    local = ndimage.gaussian_filter(band, (2.0, SIGMA), mode="nearest") + floor
    share: FloatArray = np.clip(1.0 - noise / local, 0.0, 1.0) * clipped
    return share


def chip_sums(band: FloatArray) -> FloatArray:
    """(FRAME_HOPS offsets, SLOTS * BANDS chips): the whitened band folded over the frame
    period, each chip's summed cells as if the frames started at each hop offset."""
    return fold(whiten(band))


def fold(white: FloatArray) -> FloatArray:
    """`chip_sums` of a band already whitened."""
    white = white.reshape(len(white), BANDS, CHIP_BINS).sum(axis=2)
    pad = -len(white) % FRAME_HOPS
    per_band = np.pad(white, ((0, pad), (0, 0))).reshape(-1, FRAME_HOPS, BANDS).sum(axis=0)
    runs = per_band.copy()
    for h in range(1, CHIP_HOPS):
        runs += np.roll(per_band, -h, axis=0)
    starts = (np.arange(FRAME_HOPS)[:, None] + CHIP_HOPS * np.arange(SLOTS)[None, :]) % FRAME_HOPS
    return runs[starts].reshape(FRAME_HOPS, SLOTS * BANDS)  # type: ignore[no-any-return]


def pilot_z(chips: FloatArray, lay: AudioLayout) -> FloatArray:
    """For each offset, how far the pilot's correlation stands above the others (z)."""
    corr = chips @ lay.pilot_chips()
    spread = float(corr.std()) or 1.0
    z: FloatArray = (corr - corr.mean()) / spread
    return z


def best_offsets(z: FloatArray, count: int) -> list[int]:
    """The `count` best offsets, at least a chip apart (circularly)."""
    kept: list[int] = []
    for offset in np.argsort(z)[::-1].tolist():
        if all(min((offset - k) % FRAME_HOPS, (k - offset) % FRAME_HOPS) >= 2 for k in kept):
            kept.append(offset)
            if len(kept) == count:
                break
    return kept


@dataclass(frozen=True)
class AudioCandidate:
    speed: float
    offset: int  # hops from the sound's start to the first frame start (mod FRAME_HOPS)
    score: float
    payload: int
    agreement: float
    pilot: float  # the pilot's z at this hypothesis


def decode(rows: FloatArray, lay: AudioLayout) -> tuple[FloatArray, list[int], FloatArray]:
    """Scores, payloads and agreements of a batch of chip rows (one per hypothesis)."""
    received = rows[:, lay.data] * lay.signs[lay.data]
    soft = np.stack(
        [np.bincount(lay.coded_bit, weights=row, minlength=lay.coded_bits) for row in received]
    )
    messages = _ecc.decode_batch(soft.astype(np.float64), PAYLOAD_BITS)
    expected = 1.0 - 2.0 * _ecc.encode_batch(messages)[:, lay.coded_bit]
    norms = np.linalg.norm(received, axis=1)
    scores = np.einsum("ij,ij->i", received, expected) / np.where(norms > 0, norms, 1.0)
    payloads = [int("".join(str(int(b)) for b in m), 2) for m in messages]
    agreement = np.mean(np.sign(received) == expected, axis=1)
    return scores, payloads, agreement


def _best(
    hypotheses: list[tuple[float, int, float, FloatArray]], lay: AudioLayout
) -> AudioCandidate:
    scores, payloads, agreement = decode(np.stack([h[3] for h in hypotheses]), lay)
    i = int(np.argmax(scores))
    speed, offset, pilot, _ = hypotheses[i]
    return AudioCandidate(speed, offset, float(scores[i]), payloads[i], float(agreement[i]), pilot)


def search(samples: Samples, lay: AudioLayout) -> tuple[AudioCandidate, int]:
    """The best hypothesis for a sound at `RATE`, and how many were decoded.

    First the sound as it is, at the pilot's best offsets; if that fails, every speed of
    the grid over the first `SPEED_WINDOW` seconds, the best few decoded."""
    spectrogram = power(samples)
    chips = chip_sums(spectrogram[:, FIRST_BIN : FIRST_BIN + BAND_BINS])
    z = pilot_z(chips, lay)
    first = [(1.0, o, float(z[o]), chips[o]) for o in best_offsets(z, _OFFSETS)]
    best = _best(first, lay)
    decoded = len(first)
    if best.score >= THRESHOLD:
        return best, decoded
    part = spectrogram[: int(SPEED_WINDOW * RATE / HOP)]
    white = whiten(part[:, _SPAN[0] : _SPAN[1]])  # once: warped below, not redone per speed
    ranked = sorted(
        (s for s in SPEEDS if s != 1.0),
        key=lambda s: float(pilot_z(fold(unspeed(white, s, _SPAN[0])), lay).max()),
        reverse=True,
    )
    later = []
    for speed in ranked[:_SPEED_KEEP]:  # the best, exactly: whitened after the warp
        speed_chips = chip_sums(unspeed(part, speed))
        speed_z = pilot_z(speed_chips, lay)
        later += [
            (speed, o, float(speed_z[o]), speed_chips[o])
            for o in best_offsets(speed_z, _SPEED_OFFSETS)
        ]
    if later:
        found = _best(later, lay)
        decoded += len(later)
        if found.score > best.score:
            best = found
    return best, decoded


def p_value(score: float) -> float:
    """The union bound at the observed score: the chance an unmarked sound scores this."""
    log_p = math.log(HYPOTHESES) + PAYLOAD_BITS * math.log(2) - score**2 / 2
    return min(1.0, math.exp(min(log_p, 0.0)))


__all__ = ["HYPOTHESES", "RATE", "THRESHOLD", "AudioCandidate", "search"]
