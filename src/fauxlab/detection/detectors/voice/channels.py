"""The wider set of channels a voice reaches a listener through, for training the CNN.

The codec set (`train.AUGMENTATIONS`: MP3, Opus, the telephone band, a lower sample rate,
white noise) is what calls and uploads do to a voice; real recordings also carry a room
(reverberation), background noise that is not white, a loudness far from full scale and
clipping. A detector that never heard those on real speech calls them synthetic (the
first CNN's false alarms were broadcast and interview sound tracks). Every augmentation
here is applied to reals and fakes alike, so none of them becomes a cue for either class.

The rooms are synthetic impulse responses (a direct path then exponentially decaying
noise, RT60 0.2 to 0.8 s; Habets' and the Kaldi recipes' simple model), not recorded ones:
no room recordings ship with the project.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.signal import fftconvolve

from fauxlab.detection.detectors.voice.features import FloatArray
from fauxlab.detection.detectors.voice.train import AUGMENTATIONS
from fauxlab.media.audio_writer import recode

RT60_RANGE = (0.2, 0.8)  # seconds for the reverberation to fall by 60 dB
NOISE_SNR_DB = (5.0, 30.0)  # background noise coloured like rooms and streets
GAIN_DB = (-30.0, 12.0)  # loudness changes; above full scale the samples clip

Augmentation = Callable[[FloatArray, int, np.random.Generator], FloatArray]


def _rms(x: FloatArray) -> float:
    return float(np.sqrt(np.mean(np.asarray(x, np.float64) ** 2)))


def room_response(rate: int, rt60: float, rng: np.random.Generator) -> FloatArray:
    """A synthetic room impulse response: a unit direct path, then noise decaying by
    60 dB in `rt60` seconds starting 2-10 ms later, at a random direct-to-reverberant
    ratio (-3 to 12 dB)."""
    delay = int(rng.uniform(0.002, 0.010) * rate)
    length = int(rt60 * rate)
    t = np.arange(length) / rate
    tail = rng.standard_normal(length) * np.exp(-6.908 * t / rt60)  # ln(1000) = 6.908
    ratio_db = rng.uniform(-3.0, 12.0)
    tail *= 10 ** (-ratio_db / 20) / max(np.sqrt(np.sum(tail**2)), 1e-9)
    out = np.zeros(delay + length, np.float64)
    out[0] = 1.0
    out[delay:] += tail
    return out.astype(np.float32)


def reverberant(samples: FloatArray, rate: int, rng: np.random.Generator) -> FloatArray:
    """`samples` heard in a synthetic room (RT60 drawn from RT60_RANGE), the same length
    and loudness (RMS) as before, clipped to full scale."""
    response = room_response(rate, rng.uniform(*RT60_RANGE), rng)
    wet = fftconvolve(np.asarray(samples, np.float64), response)[: len(samples)]
    wet *= _rms(samples) / max(float(np.sqrt(np.mean(wet**2))), 1e-12)
    out: FloatArray = np.clip(wet, -1, 1).astype(np.float32)
    return out


def coloured_noise(length: int, exponent: float, rng: np.random.Generator) -> FloatArray:
    """Noise whose power falls as 1 / f^exponent (0 white, 1 pink, 2 brown), unit RMS."""
    spectrum = np.fft.rfft(rng.standard_normal(length))
    freqs = np.fft.rfftfreq(length)
    freqs[0] = freqs[1] if length > 1 else 1.0
    shaped = np.fft.irfft(spectrum / freqs ** (exponent / 2), length)
    out: FloatArray = (shaped / max(float(np.sqrt(np.mean(shaped**2))), 1e-12)).astype(np.float32)
    return out


def noisy(samples: FloatArray, rate: int, rng: np.random.Generator) -> FloatArray:
    """Pink or brown background noise at 5 to 30 dB below the speech's RMS."""
    snr_db = rng.uniform(*NOISE_SNR_DB)
    noise = coloured_noise(len(samples), float(rng.choice([1.0, 2.0])), rng)
    out: FloatArray = np.clip(samples + noise * _rms(samples) * 10 ** (-snr_db / 20), -1, 1)
    return out.astype(np.float32)


def louder(samples: FloatArray, rate: int, rng: np.random.Generator) -> FloatArray:
    """A loudness change of -30 to +12 dB, clipped at full scale, then kept at 16 bits
    (a quiet recording loses its lowest bits)."""
    scaled = np.clip(samples * 10 ** (rng.uniform(*GAIN_DB) / 20), -1, 1)
    out: FloatArray = (np.round(scaled * 32767) / 32767).astype(np.float32)
    return out


def room_then_codec(samples: FloatArray, rate: int, rng: np.random.Generator) -> FloatArray:
    """A room, then a call or upload: reverberation followed by MP3, Opus, AAC or the
    telephone band."""
    roomy = reverberant(samples, rate, rng)
    last = str(rng.choice(["mp3", "opus", "aac", "telephone"]))
    if last == "aac":
        return aac(roomy, rate, rng)
    return AUGMENTATIONS[last](roomy, rate, rng)


def aac(samples: FloatArray, rate: int, rng: np.random.Generator) -> FloatArray:
    """AAC at 32 to 96 kbps, the codec of most video sound tracks."""
    return recode(samples, rate, ".m4a", int(rng.choice([32_000, 48_000, 64_000, 96_000])))


WIDE_AUGMENTATIONS: dict[str, Augmentation] = {
    **AUGMENTATIONS,
    "aac": aac,
    "reverb": reverberant,
    "room_codec": room_then_codec,
    "background": noisy,
    "gain": louder,
}
CHANNEL_SETS: dict[str, dict[str, Augmentation]] = {
    "codecs": AUGMENTATIONS,
    "wide": WIDE_AUGMENTATIONS,
}


def augment_with(
    table: dict[str, Augmentation], samples: FloatArray, rate: int, rng: np.random.Generator
) -> FloatArray:
    """One augmentation of `table`, chosen at random, applied to `samples`."""
    name = str(rng.choice(list(table)))
    return table[name](samples, rate, rng)
