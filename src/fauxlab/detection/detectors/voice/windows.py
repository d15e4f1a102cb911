"""The voice features of every 2 s window, from spectra computed once per frame.

The features are defined per window (`features.fine_structure`, `phase_coherence`,
`long_fine_structure`), and computing them so ran every STFT twice (windows overlap by
half) and smoothed each frame's spectrum in a Python loop. Everything those functions do
frame by frame (FFTs, log spectra, envelopes, phase differences between neighbouring
frames) is the same whichever window a frame falls in, so here it is done once per frame,
for a stretch of 16 windows at a time (so that an hour of sound never holds all its
spectra at once); each window then picks its frames (its own loud ones) and pools them
with the same formulas. The values match the per-window definitions to float rounding
(`tests/unit/test_voice_windows.py`), so the shipped model stays valid.

A window whose frames do not fall on its stretch's frame grid (settings whose hop does
not divide evenly, or a recording too short to fill one 64 ms frame) is computed the
per-window way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray
from scipy.fft import dct
from scipy.ndimage import convolve1d

from fauxlab.detection.detectors.voice.features import (
    FINE_BANDS,
    LONG_BANDS,
    LONG_FFT,
    LONG_HOP,
    MIN_SPEECH_SHARE,
    PHASE_BANDS,
    PHASE_FFT,
    PHASE_HOP,
    FloatArray,
    LfccSettings,
    Segments,
    _bands,
    _deltas,
    _frames,
    _loud,
    fine_structure,
    linear_filters,
    long_fine_structure,
    phase_coherence,
    speech_frames,
)

Float64 = NDArray[np.float64]
LFCC_CHUNK = 4096  # frames (41 s) whose spectra are held at once
STRETCH_WINDOWS = 16  # windows (17 s of sound) whose detailed spectra are held at once
ENVELOPE_QUEFRENCIES = 30  # as `features.fine_structure`: below the pitch of any voice
LONG_SMOOTHING = 15  # bins, as `features.long_fine_structure`


@dataclass(frozen=True)
class ShortSpectra:
    """25 ms frames (the LFCC grid): level, log power, and its fine structure."""

    levels: Float64  # frames, dB
    spectrum: Float64  # frames x bins, dB
    residual: Float64  # spectrum minus its cepstral envelope


def _view(x: Float64, size: int, hop: int) -> Float64:
    """Frames of `size` every `hop` samples, as `features._frames` cuts them, without
    copying (the windowing multiplies them into new arrays anyway)."""
    view: Float64 = sliding_window_view(x, size)[::hop]
    return view


def short_spectra(samples: FloatArray, settings: LfccSettings) -> ShortSpectra:
    x = np.asarray(samples, np.float64)
    frames = _view(x, settings.window, settings.hop) if len(x) >= settings.window else None
    if frames is None:  # shorter than one frame: padded, as `features._frames` does
        frames = _frames(samples, settings)
    levels: Float64 = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-10)
    window = np.hamming(settings.window)
    power: Float64 = np.square(np.abs(np.fft.rfft(frames * window, settings.n_fft, axis=1)))
    spectrum: Float64 = 10 * np.log10(power + 1e-10)
    cepstrum = np.fft.irfft(spectrum, axis=1)
    keep = ENVELOPE_QUEFRENCIES
    cepstrum[:, keep : -keep + 1] = 0
    envelope = np.fft.rfft(cepstrum, axis=1).real[:, : spectrum.shape[1]]
    return ShortSpectra(levels, spectrum, spectrum - envelope)


def _stft(samples: FloatArray, size: int, hop: int) -> NDArray[np.complex128]:
    """`features._stft` of a recording at least `size + hop` long."""
    frames = _view(np.asarray(samples, np.float64), size, hop)
    out: NDArray[np.complex128] = np.fft.rfft(frames * np.hanning(size), axis=1)
    return out


def levels_and_lfcc(samples: FloatArray, settings: LfccSettings) -> tuple[Float64, Float64]:
    """`features.frame_levels` and `features.lfcc` of the whole recording, a few thousand
    frames at a time (an hour of sound never holds all its spectra at once)."""
    x = np.asarray(samples, np.float64)
    frames = _view(x, settings.window, settings.hop) if len(x) >= settings.window else None
    if frames is None:  # shorter than one frame: padded, as `features._frames` does
        frames = _frames(samples, settings)
    window = np.hamming(settings.window)
    filters = linear_filters(settings).T
    levels, cepstra = [], []
    for at in range(0, len(frames), LFCC_CHUNK):
        chunk = frames[at : at + LFCC_CHUNK]
        levels.append(10 * np.log10(np.mean(chunk**2, axis=1) + 1e-10))
        power = np.square(np.abs(np.fft.rfft(chunk * window, settings.n_fft, axis=1)))
        energies = np.log(power @ filters + 1e-10)
        cepstra.append(dct(energies, type=2, norm="ortho", axis=1)[:, : settings.coefficients])
    joined = np.concatenate(cepstra)
    first = _deltas(joined)
    return np.concatenate(levels), np.hstack([joined, first, _deltas(first)])


@dataclass(frozen=True)
class PhaseSpectra:
    """`features.phase_coherence`'s frame-by-frame quantities, on its 8 ms grid."""

    levels: Float64  # frames, dB
    # Per band, summed over its bins: the change of instantaneous frequency across
    # frames (frames - 2 rows) and the phase turn between neighbouring bins (frames
    # rows), each times its magnitude weight, and the weights.
    jitter: Float64
    jitter_weight: Float64
    turn: Float64
    turn_weight: Float64


def _wrapped(angle: Float64) -> Float64:
    """`np.angle(np.exp(1j * angle))` (the angle into -pi..pi) without trigonometry."""
    out: Float64 = (angle + np.pi) % (2 * np.pi) - np.pi
    return out


def _band_sums(values: Float64, bands: list[NDArray[np.int_]]) -> Float64:
    starts = [int(b[0]) for b in bands]
    out: Float64 = np.add.reduceat(values, starts, axis=1)
    return out


def phase_spectra(samples: FloatArray) -> PhaseSpectra:
    spectrum = _stft(samples, PHASE_FFT, PHASE_HOP)
    magnitude = np.abs(spectrum)
    levels: Float64 = 10 * np.log10((magnitude**2).sum(axis=1) + 1e-10)
    bins = np.arange(PHASE_FFT // 2 + 1)
    advance = (
        np.angle(spectrum[1:] * np.conj(spectrum[:-1])) - 2 * np.pi * bins * PHASE_HOP / PHASE_FFT
    )
    jitter = np.abs(_wrapped(np.diff(_wrapped(advance), axis=0)))
    weight = np.sqrt(magnitude[2:] * magnitude[1:-1])
    turn = np.abs(np.angle(spectrum[:, 1:] * np.conj(spectrum[:, :-1])))
    turn_weight = np.sqrt(magnitude[:, 1:] * magnitude[:, :-1])
    bands = _bands(PHASE_BANDS, len(bins))  # the last bin has no neighbour to turn to
    return PhaseSpectra(
        levels,
        _band_sums(jitter * weight, bands),
        _band_sums(weight, bands),
        _band_sums(turn * turn_weight, bands),
        _band_sums(turn_weight, bands),
    )


def long_spectra(samples: FloatArray) -> tuple[Float64, Float64]:
    """64 ms frames every PHASE_HOP samples (both parities of LONG_HOP, so that every
    window's frames are on the grid): log power and its fine structure."""
    spectrum: Float64 = 10 * np.log10(np.abs(_stft(samples, LONG_FFT, PHASE_HOP)) ** 2 + 1e-10)
    kernel = np.ones(LONG_SMOOTHING) / LONG_SMOOTHING
    envelope = convolve1d(spectrum, kernel, axis=1, mode="constant", cval=0.0)
    return spectrum, spectrum - envelope


class BandTables:
    """Per frame and band of a fine structure (spectrum minus envelope): its spread, and
    what `features._neighbour_likeness` needs to compare any two frames."""

    def __init__(self, residual: Float64, bands: list[NDArray[np.int_]]) -> None:
        self.starts = [int(b[0]) for b in bands]
        sizes = np.array([len(b) for b in bands])
        mean = np.add.reduceat(residual, self.starts, axis=1) / sizes
        self.centred: Float64 = residual - np.repeat(mean, sizes, axis=1)
        self.energy: Float64 = np.add.reduceat(self.centred**2, self.starts, axis=1)
        self.spread: Float64 = np.sqrt(self.energy / sizes)  # the band's standard deviation

    def likeness(self, rows: NDArray[np.int_]) -> Float64:
        """Mean correlation, per band, of each of `rows` with the one before it."""
        if len(rows) < 2:
            return np.zeros(len(self.starts))
        a, c = rows[1:], rows[:-1]
        dots = np.add.reduceat(self.centred[a] * self.centred[c], self.starts, axis=1)
        norm = np.sqrt(self.energy[a] * self.energy[c]) + 1e-9
        out: Float64 = (dots / norm).mean(axis=0)
        return out


class Stretch:
    """The spectra of a stretch of a recording that holds a few consecutive windows
    (those starting from frame `first` to frame `last`), each computed once, and each
    window's detailed features pooled from them."""

    def __init__(self, samples: FloatArray, settings: LfccSettings, first: int, last: int) -> None:
        self.samples = samples
        self.settings = settings
        self.first = first
        self.begin = first * settings.hop
        end = min((last + settings.segment_frames) * settings.hop + settings.window, len(samples))
        self.piece = samples[self.begin : end]
        self._short: ShortSpectra | None = None
        self._fine: tuple[BandTables, Float64, Float64] | None = None
        self._phase: PhaseSpectra | None = None
        self._long: tuple[Float64, BandTables] | None = None

    @property
    def short(self) -> ShortSpectra:
        if self._short is None:
            self._short = short_spectra(self.piece, self.settings)
        return self._short

    @property
    def fine(self) -> tuple[BandTables, Float64, Float64]:
        """The 25 ms fine structure's tables, and per frame and band the mean level and
        that level against the frame's whole spectrum."""
        if self._fine is None:
            spectrum = self.short.spectrum
            bands = _bands(FINE_BANDS, spectrum.shape[1])
            tables = BandTables(self.short.residual, bands)
            sizes = np.array([len(b) for b in bands])
            level = np.add.reduceat(spectrum, tables.starts, axis=1) / sizes
            self._fine = tables, level, level - spectrum.mean(axis=1, keepdims=True)
        return self._fine

    @property
    def phase(self) -> PhaseSpectra:
        if self._phase is None:
            self._phase = phase_spectra(self.piece)
        return self._phase

    @property
    def long(self) -> tuple[Float64, BandTables]:
        """64 ms frames' loudest bin, and their fine structure's tables."""
        if self._long is None:
            spectrum, residual = long_spectra(self.piece)
            bands = _bands(LONG_BANDS, spectrum.shape[1])
            self._long = spectrum.max(axis=1), BandTables(residual, bands)
        return self._long

    def _piece(self, start: int) -> tuple[int, int]:
        """Where window `start` (in frames) begins, in samples, and how long it is."""
        s = self.settings
        offset = start * s.hop
        stop = min((start + s.segment_frames) * s.hop + s.window, len(self.samples))
        return offset, stop - offset

    def detail_features(self, start: int) -> FloatArray:
        """fine_structure, phase_coherence and long_fine_structure of window `start`."""
        offset, length = self._piece(start)
        if (offset - self.begin) % PHASE_HOP or length < LONG_FFT + LONG_HOP:  # off the grid
            piece = self.samples[offset : offset + length]
            return np.concatenate(
                [
                    fine_structure(piece, self.settings),
                    phase_coherence(piece),
                    long_fine_structure(piece),
                ]
            )
        fine = self._fine_of(start - self.first, length)
        offset -= self.begin
        return np.concatenate([fine, self._phase_of(offset, length), self._long_of(offset, length)])

    def _fine_of(self, start: int, length: int) -> FloatArray:
        s = self.settings
        rows = slice(start, start + 1 + (length - s.window) // s.hop)
        chosen = np.flatnonzero(_loud(self.short.levels[rows])) + start
        tables, level, relative = self.fine
        if len(chosen) > 1:
            change = np.abs(np.diff(level[chosen], axis=0)).mean(axis=0)
        else:
            change = np.zeros(len(tables.starts))
        parts = [tables.spread[chosen].mean(axis=0), change, relative[chosen].mean(axis=0)]
        out: FloatArray = np.concatenate([*parts, tables.likeness(chosen)]).astype(np.float32)
        return out

    def _phase_of(self, offset: int, length: int) -> FloatArray:
        first = offset // PHASE_HOP
        count = 1 + (length - PHASE_FFT) // PHASE_HOP
        phase = self.phase
        loud = _loud(phase.levels[first : first + count])
        chosen = loud[2:]
        pairs = slice(first, first + count - 2)
        jitter = phase.jitter[pairs][chosen].sum(axis=0)
        jitter_weight = phase.jitter_weight[pairs][chosen].sum(axis=0)
        frames = slice(first, first + count)
        turn = phase.turn[frames][loud].sum(axis=0)
        turn_weight = phase.turn_weight[frames][loud].sum(axis=0)
        out: FloatArray = np.concatenate(
            [jitter / (jitter_weight + 1e-9), turn / (turn_weight + 1e-9)]
        ).astype(np.float32)
        return out

    def _long_of(self, offset: int, length: int) -> FloatArray:
        step = LONG_HOP // PHASE_HOP
        first = offset // PHASE_HOP
        count = 1 + (length - LONG_FFT) // LONG_HOP
        peaks, tables = self.long
        rows = np.arange(first, first + step * count, step)
        chosen = rows[_loud(peaks[rows], 30.0)]
        contrast = tables.spread[chosen].mean(axis=0)
        out: FloatArray = np.concatenate([contrast, tables.likeness(chosen)]).astype(np.float32)
        return out


def segment_features(samples: FloatArray, settings: LfccSettings) -> Segments:
    """Mean and spread of the speech frames' LFCC in each window with enough speech, with
    the window's fine-structure and phase features. A recording shorter than a window is
    one window. (`features.segment_features_per_window` computes the same, slowly.)"""
    levels, cepstra = levels_and_lfcc(samples, settings)
    speech = speech_frames(levels)[: len(cepstra)]
    length, hop = settings.segment_frames, settings.segment_hop_frames
    rows: list[NDArray[np.float64]] = []
    kept: list[int] = []
    for start in range(0, max(1, len(cepstra) - length + 1), hop):
        mask = speech[start : start + length]
        if mask.size == 0 or mask.mean() < MIN_SPEECH_SHARE:
            continue
        chosen = cepstra[start : start + length][mask]
        rows.append(np.concatenate([chosen.mean(axis=0), chosen.std(axis=0)]))
        kept.append(start)
    if not settings.lfcc_only:
        for at in range(0, len(kept), STRETCH_WINDOWS):
            group = kept[at : at + STRETCH_WINDOWS]
            stretch = Stretch(samples, settings, group[0], group[-1])
            for k, start in enumerate(group, at):
                rows[k] = np.concatenate([rows[k], stretch.detail_features(start)])
    seconds = settings.hop / settings.rate
    first = np.array(kept, np.float64) * seconds
    features = np.array(rows, np.float32).reshape(len(rows), settings.size)
    end = np.minimum(first + settings.segment_seconds, len(samples) / settings.rate)
    return Segments(features, first, end)
