"""The audio watermark's parts on made-up sound: the transform, the threshold, the checks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.typing import NDArray

from fauxlab.errors import InputError
from fauxlab.provenance.audio_hash import fingerprint
from fauxlab.provenance.phash import hamming
from fauxlab.provenance.watermark import PAYLOAD_BITS, embed_audio, extract_audio
from fauxlab.provenance.watermark._audio import MIN_SECONDS, snr_db
from fauxlab.provenance.watermark._audio_detect import (
    HYPOTHESES,
    THRESHOLD,
    istft,
    p_value,
    stft,
)
from fauxlab.provenance.watermark._audio_layout import PILOT_CHIPS, audio_layout

RATE = 16_000


def _noise(seconds: float, seed: int = 0, rate: int = RATE) -> NDArray[np.float32]:
    """Pink-ish noise: white noise through a one-pole low-pass, like a room's hum and hiss."""
    white = np.random.default_rng(seed).standard_normal(int(seconds * rate))
    pink = np.empty_like(white)
    level = 0.0
    for i, value in enumerate(white):  # small: a few seconds
        level = 0.9 * level + value
        pink[i] = level
    return (0.05 * pink / pink.std()).astype(np.float32)


def test_stft_reconstructs_exactly() -> None:
    x = np.random.default_rng(1).standard_normal(12_345)
    assert np.allclose(istft(stft(x), len(x)), x, atol=1e-9)


def test_threshold_is_the_union_bound_at_one_in_a_million() -> None:
    assert math.isclose(HYPOTHESES * 2.0**PAYLOAD_BITS * math.exp(-(THRESHOLD**2) / 2), 1e-6)
    assert p_value(THRESHOLD) == pytest.approx(1e-6)
    assert p_value(0.0) == 1.0


def test_layout_is_fixed_by_the_key() -> None:
    one, again, other = audio_layout(1), audio_layout(1), audio_layout(2)
    assert np.array_equal(one.pilot, again.pilot) and len(one.pilot) == PILOT_CHIPS
    assert not np.array_equal(one.signs, other.signs)
    assert set(one.pilot).isdisjoint(one.data)
    assert len(one.pilot) + len(one.data) == len(one.signs)


@pytest.mark.parametrize("rate", [16_000, 44_100])
def test_round_trip_at_any_rate_and_channel_count(rate: int) -> None:
    sound = np.stack([_noise(6, seed=2, rate=rate), _noise(6, seed=3, rate=rate)])
    marked = embed_audio(sound, rate, 0xCAFE_F00D)
    assert marked.shape == sound.shape and marked.dtype == np.float32
    assert snr_db(sound, marked) > 20
    reading = extract_audio(marked, rate)
    assert reading.found and reading.payload == 0xCAFE_F00D
    assert reading.score >= THRESHOLD and reading.p_value < 1e-6


def test_wrong_key_and_unmarked_sound_find_nothing() -> None:
    sound = _noise(6, seed=4)
    marked = embed_audio(sound, RATE, 7, key=1234)
    assert not extract_audio(marked, RATE).found  # read with the default key
    assert extract_audio(marked, RATE, key=1234).payload == 7
    unmarked = extract_audio(sound, RATE)
    assert not unmarked.found and unmarked.payload is None and unmarked.undone == ()


def test_bad_sound_is_refused() -> None:
    with pytest.raises(InputError, match="too short"):
        embed_audio(np.zeros(int(RATE * MIN_SECONDS) - 1, np.float32) + 0.1, RATE, 1)
    with pytest.raises(InputError, match="silent"):
        embed_audio(np.zeros(RATE * 3, np.float32), RATE, 1)
    with pytest.raises(InputError, match="NaN"):
        extract_audio(np.full(RATE * 3, np.nan, np.float32), RATE)
    with pytest.raises(InputError, match="sample rate"):
        extract_audio(np.zeros(RATE * 3, np.float32), 4000)
    with pytest.raises(ValueError, match="payload"):
        embed_audio(_noise(3), RATE, 2**32)


def test_fingerprint_is_256_bits_and_ignores_gain() -> None:
    sound = _noise(5, seed=5)
    first = fingerprint(sound, RATE)
    assert len(first) == 64 and int(first, 16) >= 0
    assert hamming(first, fingerprint(0.5 * sound, RATE)) == 0
    assert hamming(first, fingerprint(_noise(5, seed=6), RATE)) > 60
