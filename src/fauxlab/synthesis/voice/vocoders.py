"""Resynthesis of real speech through vocoders: the same words, the same speaker, the same
length, only the waveform made by a machine (the "vocoder artefacts" recipe of WaveFake,
Frank and Schoenherr 2021, and Sun et al. 2023).

Four families, each a different way of turning a description of speech back into sound:

- `griffinlim`: the exact magnitude spectrogram, phase rebuilt by Griffin-Lim (1984);
- `melgl`: an 80-band mel spectrogram (what neural TTS predicts), inverted to a linear
  spectrum and phased by Griffin-Lim: the smoothing of a mel vocoder without its network;
- `world`: the WORLD vocoder (Morise et al. 2016): pitch, spectral envelope and
  aperiodicity, re-synthesised;
- `lpc`: a source-filter vocoder (LPC-10 style): an all-pole filter per 25 ms excited by
  pulses at the pitch or by noise, as old speech codecs and formant synthesisers did.

Each takes mono float samples in [-1, 1] at `rate` and returns as many samples, at the
same loudness, so that length and level cannot tell real from fake.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyworld
import torch
from numpy.typing import NDArray
from scipy.linalg import solve_toeplitz
from scipy.signal import lfilter

Samples = NDArray[np.float32]
Vocoder = Callable[[Samples, int], Samples]

N_FFT, HOP = 512, 128  # 32 ms windows every 8 ms at 16 kHz
GL_ITERATIONS = 32
MEL_BANDS = 80
LPC_ORDER = 16
WORLD_PERIOD_MS = 5.0


def _match(fake: NDArray[Any], real: Samples) -> Samples:
    """`fake` cut or padded to the real's length and brought to its RMS level."""
    out = np.zeros(len(real), np.float64)
    out[: min(len(fake), len(real))] = fake[: len(real)]
    gain = np.sqrt(np.mean(real.astype(np.float64) ** 2) / max(np.mean(out**2), 1e-12))
    matched: Samples = np.clip(out * gain, -1.0, 1.0).astype(np.float32)
    return matched


def _griffin_lim(magnitude: torch.Tensor, length: int, seed: int) -> torch.Tensor:
    """A waveform whose STFT magnitude approaches `magnitude` (bins x frames)."""
    window = torch.hann_window(N_FFT)
    generator = torch.Generator().manual_seed(seed)
    phase = torch.rand(magnitude.shape, generator=generator) * 2 * torch.pi
    spectrum = magnitude * torch.exp(1j * phase)
    for _ in range(GL_ITERATIONS):
        wave = torch.istft(spectrum, N_FFT, HOP, window=window, length=length)
        rebuilt = torch.stft(wave, N_FFT, HOP, window=window, return_complex=True)
        spectrum = magnitude * torch.exp(1j * torch.angle(rebuilt))
    return torch.istft(spectrum, N_FFT, HOP, window=window, length=length)


def _magnitude(samples: Samples) -> torch.Tensor:
    wave = torch.from_numpy(np.asarray(samples, np.float32))
    spectrum = torch.stft(wave, N_FFT, HOP, window=torch.hann_window(N_FFT), return_complex=True)
    return spectrum.abs()


def griffinlim(samples: Samples, rate: int) -> Samples:
    """The exact magnitude spectrogram with its phase rebuilt by Griffin-Lim."""
    wave = _griffin_lim(_magnitude(samples), len(samples), seed=len(samples))
    return _match(wave.numpy(), samples)


def mel_filters(rate: int, bands: int = MEL_BANDS, n_fft: int = N_FFT) -> NDArray[np.float64]:
    """Triangular mel filters (Slaney-style spacing, HTK formula), bands x bins."""

    def mel(hz: NDArray[np.float64]) -> NDArray[np.float64]:
        out: NDArray[np.float64] = 2595.0 * np.log10(1.0 + hz / 700.0)
        return out

    edges_mel = np.linspace(0.0, mel(np.array([rate / 2.0]))[0], bands + 2)
    edges = 700.0 * (10 ** (edges_mel / 2595.0) - 1.0)
    freqs = np.linspace(0.0, rate / 2.0, n_fft // 2 + 1)
    filters = np.zeros((bands, len(freqs)))
    for b in range(bands):
        low, centre, high = edges[b], edges[b + 1], edges[b + 2]
        rising = (freqs - low) / max(centre - low, 1e-9)
        falling = (high - freqs) / max(high - centre, 1e-9)
        filters[b] = np.clip(np.minimum(rising, falling), 0.0, None)
    return filters


def melgl(samples: Samples, rate: int) -> Samples:
    """An 80-band mel spectrogram inverted (least squares, non-negative) and phased by
    Griffin-Lim: what a mel-spectrogram vocoder keeps of the sound."""
    magnitude = _magnitude(samples).numpy().astype(np.float64)
    filters = mel_filters(rate)
    mels = filters @ magnitude
    inverse = np.linalg.pinv(filters)
    linear = np.clip(inverse @ mels, 0.0, None)
    wave = _griffin_lim(torch.from_numpy(linear.astype(np.float32)), len(samples), len(samples))
    return _match(wave.numpy(), samples)


def _pitch(samples: Samples, rate: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    x = samples.astype(np.float64)
    f0, times = pyworld.dio(x, rate, frame_period=WORLD_PERIOD_MS)
    return pyworld.stonemask(x, f0, times, rate), times


def world(samples: Samples, rate: int) -> Samples:
    """WORLD analysis (DIO + StoneMask pitch, CheapTrick envelope, D4C aperiodicity) and
    synthesis."""
    x = samples.astype(np.float64)
    f0, times = _pitch(samples, rate)
    envelope = pyworld.cheaptrick(x, f0, times, rate)
    aperiodicity = pyworld.d4c(x, f0, times, rate)
    wave = pyworld.synthesize(f0, envelope, aperiodicity, rate, WORLD_PERIOD_MS)
    return _match(wave, samples)


def _lpc(frame: NDArray[np.float64], order: int) -> NDArray[np.float64]:
    """All-pole coefficients [1, a1..ap] by the autocorrelation method."""
    r = np.correlate(frame, frame, "full")[len(frame) - 1 : len(frame) + order]
    if r[0] <= 1e-10:
        return np.concatenate([[1.0], np.zeros(order)])
    r[0] *= 1.0 + 1e-6  # white-noise correction keeps the filter stable
    a = solve_toeplitz(r[:order], -r[1 : order + 1])
    return np.concatenate([[1.0], a])


def lpc(samples: Samples, rate: int, seed: int = 0) -> Samples:
    """A source-filter vocoder: per 25 ms frame (10 ms hop) an order-16 LPC filter, excited
    by a pulse train at the WORLD pitch where voiced and white noise where not, each frame
    at the original's level; overlap-added with a Hann window."""
    x = samples.astype(np.float64)
    size, hop = int(0.025 * rate), int(0.010 * rate)
    f0, times = _pitch(samples, rate)
    pitch = np.interp(np.arange(len(x)) / rate, times, f0)
    phase = np.cumsum(pitch / rate)
    pulses = (np.diff(np.floor(phase), prepend=0.0) > 0).astype(np.float64)
    noise = np.random.default_rng(seed).standard_normal(len(x))
    window = np.hanning(size)
    out = np.zeros(len(x) + size)
    norm = np.zeros(len(x) + size)
    for start in range(0, max(1, len(x) - size + 1), hop):
        frame = x[start : start + size]
        if len(frame) < size:
            break
        a = _lpc(frame * window, LPC_ORDER)
        voiced = pitch[start + size // 2] > 0
        source = pulses[start : start + size] if voiced else noise[start : start + size]
        shaped = lfilter([1.0], a, source)
        level = np.sqrt(np.mean(frame**2) / max(np.mean(shaped**2), 1e-12))
        out[start : start + size] += shaped * level * window
        norm[start : start + size] += window**2
    out = out[: len(x)] / np.maximum(norm[: len(x)], 1e-3)
    return _match(out, samples)


VOCODERS: dict[str, Vocoder] = {
    "griffinlim": griffinlim,
    "melgl": melgl,
    "world": world,
    "lpc": lpc,
}
