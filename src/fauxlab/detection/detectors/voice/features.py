"""What the voice detector hears: LFCC, and where in a recording there is speech.

LFCC (linear-frequency cepstral coefficients; Sahidullah et al. 2015, the ASVspoof
baseline front end) are MFCC with the triangular filters spaced evenly in Hz instead of
on the mel scale, so the top of the band, where vocoders leave most of their traces
(smeared phase, missing noise, regular harmonics), keeps as much resolution as the bottom.

A window of speech (2 s, every second) is described by the mean and spread of its
frames' LFCC with their first and second differences (120 numbers; only frames loud
enough to be speech count, so pauses and background do not water it down), and by
three groups of numbers that look at what LFCC averages away (144 more):

- fine structure: per band, how far the log spectrum departs from its smooth envelope
  (harmonic contrast), how fast band energy changes, the band's level against the whole,
  and how alike the fine structure of neighbouring frames is, at 25 ms and at 64 ms
  (where real voices' harmonics are sharp and rebuilt phase smears them);
- phase: per band, how steadily the instantaneous frequency moves from frame to frame,
  and how phase turns from bin to bin (group delay), weighted by magnitude: vocoders
  that rebuild or model phase (Griffin-Lim, WORLD) leave it less coherent or too regular.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.fft import dct

from fauxlab.detection.linear import JsonSettings

FloatArray = NDArray[np.float32]
SPEECH_RANGE_DB = 35.0  # frames within this of the loud end count as speech
SILENCE_DB = -60.0  # a recording whose loud end is below this is silent
MIN_SPEECH_SHARE = 0.5  # of a window's frames, for the window to be judged
FINE_BANDS, PHASE_BANDS, LONG_BANDS = 16, 16, 24
PHASE_FFT, PHASE_HOP = 512, 128
LONG_FFT, LONG_HOP = 1024, 256


@dataclass(frozen=True)
class LfccSettings(JsonSettings):
    rate: int = 16_000
    n_fft: int = 512
    window: int = 400  # 25 ms
    hop: int = 160  # 10 ms
    filters: int = 30
    coefficients: int = 20
    segment_seconds: float = 2.0  # one judged window
    segment_hop_seconds: float = 1.0
    lfcc_only: bool = False  # the baseline: LFCC statistics alone

    @property
    def frame_dims(self) -> int:
        return 3 * self.coefficients  # with deltas and delta-deltas

    @property
    def size(self) -> int:
        # LFCC mean and spread, then fine structure, phase, and long-window fine structure
        if self.lfcc_only:
            return 2 * self.frame_dims
        return 2 * self.frame_dims + 4 * FINE_BANDS + 2 * PHASE_BANDS + 2 * LONG_BANDS

    @property
    def segment_frames(self) -> int:
        return round(self.segment_seconds * self.rate / self.hop)

    @property
    def segment_hop_frames(self) -> int:
        return round(self.segment_hop_seconds * self.rate / self.hop)


def linear_filters(settings: LfccSettings) -> NDArray[np.float64]:
    """Triangular filters evenly spaced from 0 Hz to Nyquist, filters x bins."""
    bins = settings.n_fft // 2 + 1
    edges = np.linspace(0, bins - 1, settings.filters + 2)
    positions = np.arange(bins)[None, :]
    low, centre, high = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (positions - low) / (centre - low)
    falling = (high - positions) / (high - centre)
    out: NDArray[np.float64] = np.clip(np.minimum(rising, falling), 0.0, None)
    return out


def _frames(samples: FloatArray, settings: LfccSettings) -> NDArray[np.float64]:
    x = np.asarray(samples, np.float64)
    if len(x) < settings.window:
        x = np.pad(x, (0, settings.window - len(x)))
    count = 1 + (len(x) - settings.window) // settings.hop
    index = np.arange(settings.window)[None, :] + settings.hop * np.arange(count)[:, None]
    frames: NDArray[np.float64] = x[index]
    return frames


def frame_levels(samples: FloatArray, settings: LfccSettings) -> NDArray[np.float64]:
    """RMS level of each analysis frame in dB (full scale 0 dB)."""
    frames = _frames(samples, settings)
    out: NDArray[np.float64] = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-10)
    return out


def _deltas(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Regression deltas over +-2 frames (HTK), edges repeated."""
    padded = np.pad(x, ((2, 2), (0, 0)), mode="edge")
    out: NDArray[np.float64] = (
        2 * (padded[4:] - padded[:-4]) + (padded[3:-1] - padded[1:-3])
    ) / 10.0
    return out


def log_spectrogram(samples: FloatArray, settings: LfccSettings) -> NDArray[np.float64]:
    """Power spectrum of each frame in dB, frames x bins."""
    window = np.hamming(settings.window)
    spectrum = np.fft.rfft(_frames(samples, settings) * window, settings.n_fft, axis=1)
    out: NDArray[np.float64] = 10 * np.log10(np.abs(spectrum) ** 2 + 1e-10)
    return out


def lfcc(samples: FloatArray, settings: LfccSettings) -> NDArray[np.float64]:
    """LFCC with deltas and delta-deltas, frames x (3 * coefficients)."""
    window = np.hamming(settings.window)
    power = np.abs(np.fft.rfft(_frames(samples, settings) * window, settings.n_fft, axis=1)) ** 2
    energies = np.log(power @ linear_filters(settings).T + 1e-10)
    cepstra = dct(energies, type=2, norm="ortho", axis=1)[:, : settings.coefficients]
    first = _deltas(cepstra)
    return np.hstack([cepstra, first, _deltas(first)])


def speech_frames(levels: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Frames loud enough to be speech: within SPEECH_RANGE_DB of the loud end (95th
    percentile) and above silence."""
    if len(levels) == 0:
        return np.zeros(0, bool)
    loud = float(np.percentile(levels, 95))
    out: NDArray[np.bool_] = (levels > loud - SPEECH_RANGE_DB) & (levels > SILENCE_DB)
    return out


@dataclass(frozen=True)
class Segments:
    """The judged windows of one recording: their features and where they lie."""

    features: FloatArray  # windows x settings.size
    starts: NDArray[np.float64]  # seconds
    ends: NDArray[np.float64]


@dataclass(frozen=True)
class Judgement:
    """What a voice model says about one recording: each judged window's place and
    P(synthetic), and the file's (None when no window had enough speech)."""

    starts: NDArray[np.float64]  # seconds
    ends: NDArray[np.float64]
    window_p: NDArray[np.float64]
    probability: float | None


def segment_features_per_window(samples: FloatArray, settings: LfccSettings) -> Segments:
    """Mean and spread of the speech frames' LFCC in each window with enough speech. A
    recording shorter than a window is one window.

    The definition, window by window, as the shipped model was trained; the detector uses
    `windows.segment_features`, which computes the same from spectra computed once per
    recording (the test and the benchmark run both)."""
    cepstra = lfcc(samples, settings)
    speech = speech_frames(frame_levels(samples, settings))[: len(cepstra)]
    length, hop = settings.segment_frames, settings.segment_hop_frames
    starts = list(range(0, max(1, len(cepstra) - length + 1), hop))
    rows: list[NDArray[np.float64]] = []
    kept: list[int] = []
    for start in starts:
        mask = speech[start : start + length]
        if mask.size == 0 or mask.mean() < MIN_SPEECH_SHARE:
            continue
        chosen = cepstra[start : start + length][mask]
        parts = [chosen.mean(axis=0), chosen.std(axis=0)]
        if not settings.lfcc_only:
            stop = (start + length) * settings.hop + settings.window
            piece = samples[start * settings.hop : stop]
            parts += [
                fine_structure(piece, settings),
                phase_coherence(piece),
                long_fine_structure(piece),
            ]
        rows.append(np.concatenate(parts))
        kept.append(start)
    seconds = settings.hop / settings.rate
    first = np.array(kept, np.float64) * seconds
    features = np.array(rows, np.float32).reshape(len(rows), settings.size)
    end = np.minimum(first + settings.segment_seconds, len(samples) / settings.rate)
    return Segments(features, first, end)


PITCH_LAGS_HZ = (60.0, 420.0)  # voice pitch range searched
VOICED_CORRELATION = 0.4  # normalised autocorrelation peak above which a frame is voiced
VOICING_CHUNK = 256  # frames looked at a time by `has_voice`


def voiced_frames(samples: FloatArray, settings: LfccSettings) -> NDArray[np.bool_]:
    """Frames with a clear pitch: the peak of the normalised autocorrelation over voice
    pitch lags (a quick YIN-like test; noise and silence have none)."""
    return _voicing(_frames(samples, settings), settings)


def has_voice(
    samples: FloatArray, settings: LfccSettings, where: NDArray[np.bool_], needed: int
) -> bool:
    """Whether at least `needed` of the frames marked in `where` are voiced: the frames
    `voiced_frames` would call voiced, looked at a few hundred at a time until enough are
    found (a recording with a voice rarely needs more than its first second of speech)."""
    frames = _frames(samples, settings)
    chosen = np.flatnonzero(where[: len(frames)])
    found = 0
    for at in range(0, len(chosen), VOICING_CHUNK):
        found += int(_voicing(frames[chosen[at : at + VOICING_CHUNK]], settings).sum())
        if found >= needed:
            return True
    return found >= needed


def _voicing(frames: NDArray[np.float64], settings: LfccSettings) -> NDArray[np.bool_]:
    frames = frames - frames.mean(axis=1, keepdims=True)
    size = 2 * settings.n_fft
    power = np.abs(np.fft.rfft(frames * np.hanning(settings.window), size, axis=1)) ** 2
    correlation = np.fft.irfft(power, size, axis=1)
    low = int(settings.rate / PITCH_LAGS_HZ[1])
    high = min(int(settings.rate / PITCH_LAGS_HZ[0]), settings.window - 1)
    peak = correlation[:, low : high + 1].max(axis=1) / np.maximum(correlation[:, 0], 1e-12)
    out: NDArray[np.bool_] = peak > VOICED_CORRELATION
    return out


def _bands(count: int, bins: int) -> list[NDArray[np.int_]]:
    return list(np.array_split(np.arange(bins), count))


def _loud(levels: NDArray[np.float64], range_db: float = SPEECH_RANGE_DB) -> NDArray[np.bool_]:
    out: NDArray[np.bool_] = levels > float(np.percentile(levels, 95)) - range_db
    return out if out.sum() > 5 else np.ones(len(levels), bool)


def _stft(x: NDArray[np.float64], size: int, hop: int) -> NDArray[np.complex128]:
    if len(x) < size + hop:
        x = np.pad(x, (0, size + hop - len(x)))
    count = 1 + (len(x) - size) // hop
    index = np.arange(size)[None, :] + hop * np.arange(count)[:, None]
    out: NDArray[np.complex128] = np.fft.rfft(x[index] * np.hanning(size), axis=1)
    return out


def _neighbour_likeness(res: NDArray[np.float64], band: NDArray[np.int_]) -> float:
    """Mean correlation of the fine structure of consecutive frames in one band."""
    a = res[1:, band] - res[1:, band].mean(axis=1, keepdims=True)
    c = res[:-1, band] - res[:-1, band].mean(axis=1, keepdims=True)
    norm = np.sqrt((a**2).sum(axis=1) * (c**2).sum(axis=1)) + 1e-9
    return float(((a * c).sum(axis=1) / norm).mean()) if len(a) else 0.0


def fine_structure(samples: FloatArray, settings: LfccSettings) -> FloatArray:
    """Per band at 25 ms: harmonic contrast, energy change, relative level, and the
    likeness of neighbouring frames' fine structure (4 x FINE_BANDS numbers)."""
    frames = _frames(samples, settings)
    frames = frames[_loud(10 * np.log10(np.mean(frames**2, axis=1) + 1e-10))]
    window = np.hamming(settings.window)
    spectrum = 10 * np.log10(
        np.abs(np.fft.rfft(frames * window, settings.n_fft, axis=1)) ** 2 + 1e-10
    )
    cepstrum = np.fft.irfft(spectrum, axis=1)
    keep = 30  # quefrencies kept for the envelope: below the pitch of any voice
    cepstrum[:, keep : -keep + 1] = 0
    envelope = np.fft.rfft(cepstrum, axis=1).real[:, : spectrum.shape[1]]
    residual = spectrum - envelope
    bands = _bands(FINE_BANDS, spectrum.shape[1])
    contrast = [residual[:, b].std(axis=1).mean() for b in bands]
    change = [
        np.abs(np.diff(spectrum[:, b].mean(axis=1))).mean() if len(spectrum) > 1 else 0.0
        for b in bands
    ]
    level = [(spectrum[:, b] - spectrum.mean(axis=1, keepdims=True)).mean() for b in bands]
    alike = [_neighbour_likeness(residual, b) for b in bands]
    return np.array([*contrast, *change, *level, *alike], np.float32)


def phase_coherence(samples: FloatArray) -> FloatArray:
    """Per band: the magnitude-weighted change of instantaneous frequency between frames,
    and the magnitude-weighted phase turn between neighbouring bins (2 x PHASE_BANDS)."""
    spectrum = _stft(np.asarray(samples, np.float64), PHASE_FFT, PHASE_HOP)
    magnitude = np.abs(spectrum)
    loud = _loud(10 * np.log10((magnitude**2).sum(axis=1) + 1e-10))
    bins = np.arange(PHASE_FFT // 2 + 1)
    advance = (
        np.angle(spectrum[1:] * np.conj(spectrum[:-1])) - 2 * np.pi * bins * PHASE_HOP / PHASE_FFT
    )
    deviation = np.angle(np.exp(1j * advance))
    jitter = np.abs(np.angle(np.exp(1j * np.diff(deviation, axis=0))))
    weight = np.sqrt(magnitude[2:] * magnitude[1:-1])
    chosen = loud[2:]
    turn = np.abs(np.angle(spectrum[:, 1:] * np.conj(spectrum[:, :-1])))
    turn_weight = np.sqrt(magnitude[:, 1:] * magnitude[:, :-1])
    bands = _bands(PHASE_BANDS, len(bins))
    out = []
    for b in bands:
        w = weight[chosen][:, b]
        out.append(float((jitter[chosen][:, b] * w).sum() / (w.sum() + 1e-9)))
    for b in bands:
        inner = b[b < len(bins) - 1]
        w = turn_weight[loud][:, inner]
        out.append(float((turn[loud][:, inner] * w).sum() / (w.sum() + 1e-9)))
    return np.array(out, np.float32)


def long_fine_structure(samples: FloatArray) -> FloatArray:
    """Per band at 64 ms (harmonics resolved): contrast against a 15-bin smoothed
    envelope and neighbour likeness of that fine structure (2 x LONG_BANDS)."""
    spectrum = 10 * np.log10(
        np.abs(_stft(np.asarray(samples, np.float64), LONG_FFT, LONG_HOP)) ** 2 + 1e-10
    )
    spectrum = spectrum[_loud(spectrum.max(axis=1), 30.0)]
    kernel = np.ones(15) / 15
    envelope = np.apply_along_axis(lambda row: np.convolve(row, kernel, mode="same"), 1, spectrum)
    residual = spectrum - envelope
    bands = _bands(LONG_BANDS, spectrum.shape[1])
    contrast = [residual[:, b].std(axis=1).mean() for b in bands]
    alike = [_neighbour_likeness(residual, b) for b in bands]
    return np.array([*contrast, *alike], np.float32)
