"""The "voice" detector: is the speech in a sound file or a video's sound track real, or
made by a vocoder or text-to-speech?

It listens only where there is a voice: a recording that is silent, holds under a
second of speech, or has no 2 s stretch that is mostly speech cannot be judged, and says
so. Each 2 s window (every second) gets a probability, shown as a timeline and marked
on a spectrogram; the file's probability is the calibrated mean over the windows.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from fauxlab.charts import palette
from fauxlab.detection.analysed import AnalysedMedia
from fauxlab.detection.detectors.voice import SPEC
from fauxlab.detection.detectors.voice.features import (
    SILENCE_DB,
    FloatArray,
    Judgement,
    LfccSettings,
    frame_levels,
    has_voice,
    log_spectrogram,
    speech_frames,
)
from fauxlab.detection.detectors.voice.model import VoiceJudge, load_named_model
from fauxlab.detection.evidence import Evidence, Figure
from fauxlab.media.images import RGBImage

NAME = SPEC.name
FAKE_ABOVE = 0.65
REAL_BELOW = 0.35
MIN_SPEECH_SECONDS = 1.0  # of frames loud enough to be speech
MIN_VOICED_SECONDS = 0.3  # of those with a pitch (vowels): less is noise, not a voice
FIGURE_COLUMNS = 600  # spectrogram width in pixels, at most
FIGURE_ROWS = 160

# The charts' colour-blind-safe verdict colours (Okabe-Ito), for the score strip.
REAL_RGB, FAKE_RGB = palette.rgb(palette.REAL), palette.rgb(palette.FAKE)


def summary_for(probability: float, windows: int, suspicious: int) -> str:
    """One plain sentence for a non-expert."""
    stretches = f"{suspicious} of {windows} two-second stretch{'es' if windows != 1 else ''}"
    if probability >= FAKE_ABOVE:
        return (
            f"The voice sounds machine-made: {stretches} carry the spectral traces that "
            "voice cloning and text-to-speech leave."
        )
    if probability <= REAL_BELOW:
        return (
            f"The voice sounds like a real recording: none of the traces of voice cloning "
            f"or text-to-speech in most of its speech ({stretches} suspicious)."
        )
    return (
        f"The voice is between a real recording and a synthetic one ({stretches} "
        "suspicious); it does not settle the question."
    )


def no_speech_reason(samples: FloatArray, settings: LfccSettings) -> str | None:
    """Why this sound cannot be judged (silence, too little voice, no voice), or None."""
    levels = frame_levels(samples, settings)
    if len(levels) == 0 or float(np.percentile(levels, 95)) < SILENCE_DB:
        return "The sound is silent: there is no voice to judge."
    speech = speech_frames(levels)
    frame_seconds = settings.hop / settings.rate
    if float(speech.sum()) * frame_seconds < MIN_SPEECH_SECONDS:
        return f"It holds under {MIN_SPEECH_SECONDS:.0f} s of sound: too little to judge."
    if not has_voice(samples, settings, speech, math.ceil(MIN_VOICED_SECONDS / frame_seconds)):
        return "No voice was heard (no pitch in the sound: noise, not speech): nothing to judge."
    return None


def _colour(values: NDArray[np.float64]) -> RGBImage:
    """Values in [0, 1] to a dark-blue-to-yellow scale."""
    stops = np.array([[10, 10, 40], [60, 40, 120], [200, 70, 90], [250, 200, 60]], np.float64)
    position = np.clip(values, 0, 1) * (len(stops) - 1)
    low = np.floor(position).astype(int).clip(0, len(stops) - 2)
    t = (position - low)[..., None]
    out: RGBImage = (stops[low] * (1 - t) + stops[low + 1] * t).astype(np.uint8)
    return out


def spectrogram_figure(samples: FloatArray, settings: LfccSettings, judged: Judgement) -> Figure:
    """The spectrogram (0 Hz at the bottom), with a strip below it coloured by each
    window's probability and the suspicious stretches (at or above 0.5) boxed in vermillion."""
    duration = len(samples) / settings.rate

    def draw() -> RGBImage:
        spectrum = log_spectrogram(samples, settings).T[::-1]  # bins x frames, top = Nyquist
        columns = min(FIGURE_COLUMNS, spectrum.shape[1])
        edges = np.linspace(0, spectrum.shape[1], columns + 1).astype(int)
        pooled = np.stack(
            [spectrum[:, a:b].max(axis=1) for a, b in itertools.pairwise(edges)],
            axis=1,
        )
        rows = np.linspace(0, pooled.shape[0] - 1, FIGURE_ROWS).astype(int)
        top = float(pooled.max())
        image = _colour((pooled[rows] - (top - 80.0)) / 80.0)
        strip = np.full((14, columns, 3), 235, np.uint8)
        for start, end, p in zip(judged.starts, judged.ends, judged.window_p, strict=True):
            a = int(start / duration * columns)
            b = max(a + 1, int(end / duration * columns))
            shade = (1 - p) * np.array(REAL_RGB, np.float64) + p * np.array(FAKE_RGB, np.float64)
            strip[:, a:b] = shade.astype(np.uint8)
            if p >= 0.5:
                image[:2, a:b] = image[-2:, a:b] = FAKE_RGB
                image[:, a : a + 1] = image[:, b - 1 : b] = FAKE_RGB
        return np.concatenate([image, strip], axis=0)

    caption = (
        f"Spectrogram of the sound (0 to {settings.rate // 2000} kHz, {duration:.1f} s); "
        "the strip below scores each 2 s stretch from bluish green (real) to vermillion "
        "(synthetic), and vermillion boxes mark the suspicious ones."
    )
    return Figure("voice spectrogram", caption, draw)


class VoiceDetector:
    """The speech's 2 s windows, scored by a shipped voice model (the small CNN on the
    log spectrogram by default, or the linear model on LFCC statistics)."""

    name = NAME

    def __init__(self, model: str | None = None) -> None:
        self.model: VoiceJudge = load_named_model(model)

    def _declined(self, media: AnalysedMedia, text: str, **details: Any) -> Evidence:
        weight = SPEC.weight_for(media.is_video)
        return Evidence(self.name, None, text, details, weight=weight)

    def examine(self, media: AnalysedMedia) -> Evidence:
        if not media.has_audio:
            what = "video has no sound track" if media.is_video else "still image has no sound"
            return self._declined(media, f"This {what}: there is no voice to judge.")
        sound = media.sound(self.model.settings.rate)
        if sound is None:
            return self._declined(media, "There is no sound track: no voice to judge.")
        samples = sound.samples
        reason = no_speech_reason(samples, self.model.settings)
        if reason is not None:
            return self._declined(media, reason, seconds=round(sound.duration, 2))
        judged = self.model.judge(samples)
        probability = judged.probability
        if probability is None:
            reason = "No two-second stretch is mostly speech: too little voice to judge."
            return self._declined(media, reason, seconds=round(sound.duration, 2))
        window_p = judged.window_p
        suspicious = int((window_p >= 0.5).sum())
        details: dict[str, Any] = {
            "seconds": round(sound.duration, 2),
            "windows": len(window_p),
            "suspicious_windows": suspicious,
            "timeline": [
                {"start": round(float(a), 2), "end": round(float(b), 2), "p": round(float(p), 4)}
                for a, b, p in zip(judged.starts, judged.ends, window_p, strict=True)
            ],
        }
        return Evidence(
            self.name,
            round(probability, 4),
            summary_for(probability, len(window_p), suspicious),
            details,
            figures=[spectrogram_figure(samples, self.model.settings, judged)],
            weight=SPEC.weight_for(media.is_video),
        )
