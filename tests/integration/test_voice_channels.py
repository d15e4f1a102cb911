"""The CNN's wider channel set on real speech, and the training rules around it: rooms
that reverberate as long as drawn, noise of the colour asked for, loudness kept to
16 bits, the 0.5 point raised for false alarms, clean and augmented versions drawn in
the same shares for both classes, the cosine learning rate, and options refused early.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from typer.testing import CliRunner

from fauxlab.cli.detector import app
from fauxlab.detection.detectors.voice.channels import (
    WIDE_AUGMENTATIONS,
    coloured_noise,
    louder,
    noisy,
    reverberant,
    room_response,
)
from fauxlab.detection.detectors.voice.cnn_train import (
    CnnTrainConfig,
    Spectrogram,
    _picks,
    learning_rate,
    raise_threshold,
)
from fauxlab.errors import InputError
from fauxlab.synthesis.voice import fakes

RATE = 16_000


@pytest.fixture(scope="module")
def speech(speech_file: Path) -> NDArray[np.float32]:
    return fakes.read_clip(speech_file, 4.0).samples


@pytest.mark.parametrize("name", sorted(WIDE_AUGMENTATIONS))
def test_each_channel_keeps_the_length_and_full_scale(
    speech: NDArray[np.float32], name: str
) -> None:
    out = WIDE_AUGMENTATIONS[name](speech, RATE, np.random.default_rng(1))
    assert out.shape == speech.shape and out.dtype == np.float32
    assert np.isfinite(out).all() and float(np.abs(out).max()) <= 1.0
    assert not np.allclose(out, speech, atol=1e-4)


@pytest.mark.parametrize("rt60", [0.25, 0.7])
def test_a_room_decays_by_60_db_in_the_time_drawn(rt60: float) -> None:
    response = room_response(RATE, rt60, np.random.default_rng(0)).astype(np.float64)
    tail = response[int(0.011 * RATE) :]  # past the direct path and the longest delay
    decay = np.cumsum(tail[::-1] ** 2)[::-1]  # Schroeder's backward integration
    db = 10 * np.log10(decay / decay[0])
    t = np.arange(len(db)) / RATE
    chosen = (db < -5) & (db > -25)
    slope = np.polyfit(t[chosen], db[chosen], 1)[0]  # dB a second
    assert -60 / slope == pytest.approx(rt60, rel=0.15)


def test_speech_is_heard_through_the_room_drawn() -> None:
    """A click through `reverberant` rings for the RT60 its generator draws first."""
    click = np.zeros(2 * RATE, np.float32)
    click[1000] = 0.5
    rt60 = np.random.default_rng(5).uniform(0.2, 0.8)  # the draw `reverberant` makes first
    out = reverberant(click, RATE, np.random.default_rng(5)).astype(np.float64)
    assert np.abs(out[:1000]).max() < 1e-6  # nothing before the click
    decay = np.cumsum(out[1000 + int(0.011 * RATE) :][::-1] ** 2)[::-1]
    db = 10 * np.log10(decay / decay[0])
    t = np.arange(len(db)) / RATE
    chosen = (db < -5) & (db > -25)
    assert -60 / np.polyfit(t[chosen], db[chosen], 1)[0] == pytest.approx(rt60, rel=0.15)


@pytest.mark.parametrize("exponent", [1.0, 2.0])
def test_coloured_noise_falls_as_asked(exponent: float) -> None:
    noise = coloured_noise(2**16, exponent, np.random.default_rng(0)).astype(np.float64)
    power = np.abs(np.fft.rfft(noise)) ** 2
    freqs = np.fft.rfftfreq(len(noise), 1 / RATE)
    band = (freqs > 100) & (freqs < 4000)
    slope = np.polyfit(np.log10(freqs[band]), np.log10(power[band]), 1)[0]
    assert slope == pytest.approx(-exponent, abs=0.15)
    assert np.sqrt(np.mean(noise**2)) == pytest.approx(1.0, rel=1e-3)


def test_background_noise_lies_5_to_30_db_below_the_speech(speech: NDArray[np.float32]) -> None:
    for seed in range(4):
        added = noisy(speech, RATE, np.random.default_rng(seed)).astype(np.float64) - speech
        snr = 10 * np.log10(np.mean(speech.astype(np.float64) ** 2) / np.mean(added**2))
        assert 4.5 < snr < 30.5, snr


def test_loudness_changes_keep_16_bits_and_clip_at_full_scale(speech: NDArray[np.float32]) -> None:
    for seed in range(6):
        out = louder(speech, RATE, np.random.default_rng(seed))
        steps = out.astype(np.float64) * 32767
        assert np.allclose(steps, np.round(steps), atol=1e-2)
    loud = louder(speech * 8, RATE, np.random.default_rng(0))  # far above full scale
    assert float(np.abs(loud).max()) == pytest.approx(1.0)


def test_the_half_point_rises_until_few_reals_reach_it() -> None:
    rng = np.random.default_rng(0)
    reals = rng.normal(-2.0, 1.5, 200)
    a, b = raise_threshold((1.5, 0.5), reals, 0.02)
    assert a == 1.5 and b < 0.5
    assert np.mean(a * reals + b > 0) <= 0.02
    # already few false alarms: the scaling stays as fitted
    assert raise_threshold((1.0, -10.0), reals, 0.02) == (1.0, -10.0)
    assert raise_threshold((-1.0, 0.0), reals, 0.02) == (-1.0, 0.0)


def test_clean_and_augmented_versions_are_drawn_in_the_share_asked() -> None:
    db = np.zeros((10, 4), np.float16)
    starts = np.zeros(1, int)
    pool = [Spectrogram(db, starts, False, clean=i < 2) for i in range(14)]  # 2 clean, 12 not
    picks = _picks(pool, 6000, 1 / 3, np.random.default_rng(0))
    assert np.mean([pool[i].clean for i in picks]) == pytest.approx(1 / 3, abs=0.02)
    uniform = _picks(pool, 6000, None, np.random.default_rng(0))
    assert np.mean([pool[i].clean for i in uniform]) == pytest.approx(2 / 14, abs=0.02)


def test_the_cosine_falls_with_steps_or_minutes_whichever_is_further() -> None:
    config = CnnTrainConfig(steps=100, minutes=10.0, learning_rate=1e-3, cosine=True)
    assert learning_rate(config, 0, 0.0) == pytest.approx(1e-3)
    assert learning_rate(config, 50, 0.0) == pytest.approx(0.51e-3)
    assert learning_rate(config, 10, 300.0) == pytest.approx(0.51e-3)  # half the minutes
    assert learning_rate(config, 100, 0.0) == pytest.approx(0.02e-3)
    flat = CnnTrainConfig(steps=100, learning_rate=1e-3)
    assert learning_rate(flat, 90, 0.0) == 1e-3


def test_wrong_cnn_options_are_refused_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="choose from codecs, wide"):
        CnnTrainConfig(channels="studio")
    with pytest.raises(InputError, match=r"\[0, 1\)"):
        CnnTrainConfig(false_alarm_target=1.5)
    speech = tmp_path / "speech"
    speech.mkdir()
    (speech / "manifest.csv").write_text("file,speaker\n", encoding="utf-8")
    runner = CliRunner()
    out = tmp_path / "m.safetensors"
    result = runner.invoke(app, ["train-voice", "--real", str(speech), "--out", str(out),
                                 "--model", "linear", "--cosine"])  # fmt: skip
    assert isinstance(result.exception, InputError) and "--model cnn" in str(result.exception)
    result = runner.invoke(app, ["train-voice", "--real", str(speech), "--out", str(out),
                                 "--model", "cnn", "--channels", "studio"])  # fmt: skip
    assert isinstance(result.exception, InputError) and "codecs, wide" in str(result.exception)
    assert not out.exists()
