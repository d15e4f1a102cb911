"""The voice swap's parts on synthetic signals: model shapes, what instance normalisation
removes from the code, the pitch mapping, the mel envelope round trip, the judges' WER."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fauxlab.errors import InputError
from fauxlab.synthesis.voice.swap.evaluate import segments
from fauxlab.synthesis.voice.swap.features import (
    BANDS,
    RATE,
    MelEnvelope,
    PitchStats,
    analyse,
    check_speech,
    map_f0,
)
from fauxlab.synthesis.voice.swap.judges import word_error_rate
from fauxlab.synthesis.voice.swap.model import BOTTLENECK, VoiceSwapModel

FRAMES = 200
EDGE = 12  # frames at each end that zero padding reaches through the encoder's convolutions


@pytest.fixture(scope="module")
def model() -> VoiceSwapModel:
    torch.manual_seed(0)
    return VoiceSwapModel().eval()


@pytest.fixture(scope="module")
def mel() -> torch.Tensor:
    """A smooth, speech-like normalised log-mel: slow random curves across time and bands."""
    generator = torch.Generator().manual_seed(1)
    coarse = torch.randn(1, 1, 10, 20, generator=generator)
    fine = torch.nn.functional.interpolate(coarse, (BANDS, FRAMES), mode="bicubic")
    return fine[0]


def test_shapes_code_and_both_decoders(model: VoiceSwapModel, mel: torch.Tensor) -> None:
    with torch.no_grad():
        code = model.encoder(mel)
        assert code.shape == (1, BOTTLENECK, FRAMES)
        for speaker in ("a", "b"):
            assert model(mel, speaker).shape == (1, BANDS, FRAMES)
        assert not torch.allclose(model(mel, "a"), model(mel, "b"))
    # every code channel has zero mean and unit spread over the utterance
    assert code.mean(dim=2).abs().max() < 1e-4
    assert (code.std(dim=2, unbiased=False) - 1).abs().max() < 1e-2


def test_a_fixed_colouring_of_the_utterance_leaves_the_code(
    model: VoiceSwapModel, mel: torch.Tensor
) -> None:
    """A constant per-band offset over the whole utterance (a fixed filter: a microphone,
    or the average colouring of a different vocal tract) is a constant per channel after
    the first convolution, and instance normalisation removes it; the words (the shape
    over time) stay. The same change made to only half of the utterance is not removed."""
    offset = torch.linspace(-2.0, 2.0, BANDS)[:, None]
    with torch.no_grad():
        code = model.encoder(mel)[..., EDGE:-EDGE]
        coloured = model.encoder(mel + offset)[..., EDGE:-EDGE]
        half = mel.clone()
        half[..., : FRAMES // 2] += offset
        partly = model.encoder(half)[..., EDGE:-EDGE]
    change = (coloured - code).abs().mean()
    assert change < 0.1, change
    assert (partly - code).abs().mean() > 3 * change


def test_f0_mapping_moves_mean_and_spread_and_keeps_unvoiced() -> None:
    rng = np.random.default_rng(0)
    f0 = np.exp(rng.normal(np.log(200.0), 0.15, 500))
    f0[::7] = 0.0
    source = PitchStats.of([f0])
    target = PitchStats(float(np.log(110.0)), 0.1)
    mapped = map_f0(f0, source, target)
    assert np.array_equal(mapped == 0, f0 == 0)
    logs = np.log(mapped[mapped > 0])
    assert logs.mean() == pytest.approx(target.mean, abs=1e-9)
    assert logs.std() == pytest.approx(target.std, rel=1e-6)
    assert np.allclose(map_f0(f0, source, source), f0)
    assert PitchStats.from_dict(target.to_dict()) == target


def test_too_little_voice_has_no_pitch_statistics_and_is_not_speech() -> None:
    with pytest.raises(InputError):
        PitchStats.of([np.zeros(100)])
    silent = analyse(np.zeros(RATE, np.float32))
    with pytest.raises(InputError, match="no speech"):
        check_speech(silent, "silence")


def test_mel_envelope_round_trip_of_a_voiced_sound() -> None:
    """A harmonic sound's WORLD envelope survives 80 mel bands within about a decibel."""
    t = np.arange(RATE) / RATE
    tone = sum(np.sin(2 * np.pi * 140 * k * t) / k for k in range(1, 30)).astype(np.float32)
    envelope = analyse(0.1 * tone).envelope
    mel = MelEnvelope()
    back = mel.to_linear(mel.to_mel(envelope))
    db = 10 * np.abs(np.log10(back) - np.log10(envelope))
    assert mel.to_mel(envelope).shape == (len(envelope), BANDS)
    assert float(np.median(db)) < 1.5


def test_word_error_rate() -> None:
    assert word_error_rate("the cat sat", "the cat sat") == 0.0
    assert word_error_rate("the cat sat", "the bat sat down") == pytest.approx(2 / 3)
    assert word_error_rate("a b", "") == 1.0
    assert word_error_rate("", "anything") is None


def test_segments_cover_the_sound_and_fold_a_short_tail() -> None:
    pieces = segments(np.zeros(int(7.0 * RATE), np.float32))
    assert pieces[0][0] == 0 and pieces[-1][1] == int(7.0 * RATE)
    assert len(pieces) == 2  # 3 s + 4 s: the 1 s tail joins the second piece
    assert segments(np.zeros(RATE, np.float32)) == [(0, RATE)]
