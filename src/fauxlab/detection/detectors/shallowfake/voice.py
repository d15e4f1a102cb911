"""Pitch and tempo of speech: what a naive speed change does to a voice.

Resampling audio to 0.75x speed lowers every frequency by the same factor, so a man's
voice at 120 Hz comes out at 90 Hz and a woman's at 200 Hz at 150 Hz; speech also slows
from about 4-5 syllables a second. Both measures vary a lot between speakers, so a voice
outside the adult range is a hint to look closer, never proof on its own. Editors that
time-stretch (keep the pitch) leave only the slower tempo.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from fauxlab.detection.detectors.shallowfake._signal import peaks
from fauxlab.detection.detectors.shallowfake.frames import FloatArray

VOICE_RATE = 16_000  # Hz: covers voice pitch and its harmonics, a third of 48 kHz's work
HOP = VOICE_RATE // 100  # 10 ms between analysis frames
PITCH_WINDOW = 640  # 40 ms integration window for the pitch search
LOWEST_PITCH, HIGHEST_PITCH = 60.0, 420.0  # Hz searched
YIN_THRESHOLD = 0.2  # YIN's aperiodicity below which a frame is voiced
SPEECH_RANGE_DB = 30.0  # frames within this of the loud end count as speech
MIN_SPEECH_SECONDS = 1.5
SYLLABLE_GAP = 30  # frames (300 ms): quieter stretches shorter than this are still speech
SYLLABLE_RANGE_DB = 25.0  # a syllable's loudness peak lies within this of the loud end
MIN_VOICED_SHARE = 0.25  # below this the sound is mostly music or noise: not judged
MAX_PITCH_SPREAD = 0.6  # interquartile range over median; above it, music or many voices
PITCH_FRAMES = 1500  # at most this many frames, evenly spread, enter the pitch median
# Normal adult ranges (Baken and Orlikoff, "Clinical measurement of speech and voice"):
# speaking pitch about 85-155 Hz for men and 165-255 Hz for women; widened here so that
# only a voice no adult speaks with stands out.
PITCH_NORMAL = (75.0, 300.0)
# Loudness peaks (about one a syllable) per second of speech: 2.1-4.8 over the shared clips
# with clear speech (docs/shallowfakes.md), conversational norms 3-7 syllables a second.
TEMPO_NORMAL = (2.0, 8.0)


@dataclass(frozen=True)
class Voice:
    """What the sound track says about the speed of the speech in it."""

    speech_seconds: float
    voiced_share: float  # of speech frames that have a pitch
    pitch_hz: float | None  # median pitch of voiced frames
    pitch_spread_hz: float | None  # interquartile range
    syllables_per_second: float | None

    @property
    def judged(self) -> bool:
        return (
            self.pitch_hz is not None
            and self.pitch_spread_hz is not None
            and self.voiced_share >= MIN_VOICED_SHARE
            and self.pitch_spread_hz <= MAX_PITCH_SPREAD * self.pitch_hz
        )

    @property
    def pitch_normal(self) -> bool:
        return self.pitch_hz is None or PITCH_NORMAL[0] <= self.pitch_hz <= PITCH_NORMAL[1]

    @property
    def tempo_normal(self) -> bool:
        rate = self.syllables_per_second
        return rate is None or TEMPO_NORMAL[0] <= rate <= TEMPO_NORMAL[1]


def _frames(samples: FloatArray, length: int) -> FloatArray:
    count = max(0, 1 + (len(samples) - length) // HOP)
    if count == 0:
        return np.zeros((0, length))
    index = np.arange(length)[None, :] + HOP * np.arange(count)[:, None]
    return samples[index]


def loudness_db(samples: FloatArray) -> FloatArray:
    """RMS level of 20 ms windows every 10 ms, in dB."""
    frames = _frames(samples, 2 * HOP)
    return np.asarray(10 * np.log10(np.mean(frames**2, axis=1) + 1e-10), dtype=np.float64)


def _pitch(frames: FloatArray) -> FloatArray:
    """YIN pitch (de Cheveigne and Kawahara 2002) of each frame, NaN where unvoiced."""
    shortest = int(VOICE_RATE / HIGHEST_PITCH)
    longest = int(VOICE_RATE / LOWEST_PITCH)
    window = PITCH_WINDOW
    x = frames - frames.mean(axis=1, keepdims=True)
    size = 2 ** int(np.ceil(np.log2(window + longest + window)))
    spectrum = np.fft.rfft(x, size, axis=1)
    head = np.fft.rfft(x[:, :window], size, axis=1)
    correlation = np.fft.irfft(np.conj(head) * spectrum, size, axis=1)[:, : longest + 2]
    energy = np.cumsum(np.pad(x**2, ((0, 0), (1, 0))), axis=1)
    lags = np.arange(longest + 2)
    shifted = energy[:, lags + window] - energy[:, lags]
    difference = shifted[:, :1] + shifted - 2 * correlation
    difference[:, 0] = 0
    running = np.cumsum(difference[:, 1:], axis=1)
    normalised = np.ones_like(difference)
    normalised[:, 1:] = difference[:, 1:] * lags[1:] / np.maximum(running, 1e-12)
    pitch = np.full(len(frames), np.nan)
    for i, curve in enumerate(normalised):
        below = np.flatnonzero(curve[shortest : longest + 1] < YIN_THRESHOLD)
        if len(below) == 0:
            continue
        lag = shortest + int(below[0])
        while lag < longest and curve[lag + 1] < curve[lag]:
            lag += 1
        a, b, c = curve[lag - 1], curve[lag], curve[lag + 1]
        bend = a - 2 * b + c
        offset = 0.5 * (a - c) / bend if bend > 0 else 0.0
        pitch[i] = VOICE_RATE / (lag + offset)
    return pitch


def _bridge(mask: NDArray[np.bool_], gap: int) -> NDArray[np.bool_]:
    """`mask` with runs of False shorter than `gap` between Trues filled in."""
    out = mask.copy()
    on = np.flatnonzero(mask)
    for a, b in itertools.pairwise(on):
        if 1 < b - a <= gap:
            out[a:b] = True
    return out


def analyse_voice(samples: FloatArray) -> Voice:
    """Pitch and syllable rate of the speech in mono `samples` at VOICE_RATE."""
    level = loudness_db(samples)
    if len(level) == 0:
        return Voice(0.0, 0.0, None, None, None)
    loud = float(np.percentile(level, 95))
    floor = max(loud - SPEECH_RANGE_DB, float(np.percentile(level, 10)) + 6.0)
    speech = _bridge(level > floor, SYLLABLE_GAP)
    speech_seconds = float(speech.sum()) * HOP / VOICE_RATE
    if speech_seconds < MIN_SPEECH_SECONDS or loud < -60:
        return Voice(speech_seconds, 0.0, None, None, None)
    frames = _frames(samples, PITCH_WINDOW + int(VOICE_RATE / LOWEST_PITCH) + 2)
    usable = np.flatnonzero(speech[: len(frames)])
    step = max(2, -(-len(usable) // PITCH_FRAMES))  # every 20 ms at least: medians need no more
    pitch = _pitch(frames[usable[::step]])
    voiced = pitch[np.isfinite(pitch)]
    smooth = np.convolve(level, np.ones(5) / 5, mode="same")
    found = peaks(smooth, 3.0, 10)
    syllables = int((speech[found] & (smooth[found] > loud - SYLLABLE_RANGE_DB)).sum())
    voiced_share = len(voiced) / max(1, len(pitch))
    if len(voiced) < 20:
        return Voice(speech_seconds, voiced_share, None, None, syllables / speech_seconds)
    q1, median, q3 = np.percentile(voiced, [25, 50, 75])
    return Voice(
        speech_seconds, voiced_share, float(median), float(q3 - q1), syllables / speech_seconds
    )
