"""A short talking-head-like clip rendered from skimage's astronaut, with a sound track.

Media we may ship and rebuild anywhere: a slow push-in, pan and tilt over the portrait,
and a voice-like tone whose loudness rises and falls, so the demo has a video with audio.
"""

from __future__ import annotations

import math
import wave
from pathlib import Path

import cv2
import numpy as np

from fauxlab.demo.samples import astronaut
from fauxlab.media import VideoWriter

FPS = 25
SAMPLE_RATE = 16_000


def _write_tone(path: Path, seconds: float) -> None:
    t = np.arange(round(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    syllables = 0.5 + 0.5 * np.sin(2 * math.pi * 3.0 * t)  # three "syllables" a second
    voice = np.sin(2 * math.pi * 180 * t) + 0.4 * np.sin(2 * math.pi * 360 * t)
    samples = (0.3 * 32767 * syllables * voice / 1.4).astype(np.int16)
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(SAMPLE_RATE)
        handle.writeframes(samples.tobytes())


def render_clip(out: Path, seconds: float = 3.0, size: int = 320) -> Path:
    """Write the clip to `out` (mp4, H.264 + AAC) and return it."""
    portrait = astronaut()
    tone = out.with_name(f".{out.stem}.tone.wav")
    _write_tone(tone, seconds)
    try:
        with VideoWriter(out, FPS, audio_from=tone) as writer:
            frames = round(seconds * FPS)
            for i in range(frames):
                p = i / max(frames - 1, 1)
                zoom = 1.8 + 0.4 * p  # a slow push-in on the face
                angle = 6.0 * math.sin(2 * math.pi * p)  # a gentle head tilt
                centre = (225.0 + 10 * p, 140.0 - 5 * p)  # the face, drifting a little
                matrix = cv2.getRotationMatrix2D(centre, angle, zoom)
                matrix[:, 2] += np.array([256.0, 230.0]) - centre
                frame = cv2.warpAffine(portrait, matrix, (512, 512), borderMode=cv2.BORDER_REFLECT)
                writer.write(cv2.resize(frame, (size, size), interpolation=cv2.INTER_AREA), i / FPS)
    finally:
        tone.unlink(missing_ok=True)
    return out
