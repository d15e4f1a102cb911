"""The voice CNN and the neural vocoder's shapes, and their files' damage checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from fauxlab.detection.detectors.voice.cnn import CnnVoiceModel, Lcnn, normalised
from fauxlab.detection.detectors.voice.features import LfccSettings
from fauxlab.detection.detectors.voice.model import load_model
from fauxlab.errors import ModelError
from fauxlab.synthesis.voice.neural import Generator, load_vocoder
from fauxlab.synthesis.voice.vocoders import HOP, MEL_BANDS


def test_the_lcnn_gives_one_logit_a_window_at_any_length() -> None:
    net = Lcnn().eval()
    parameters = sum(p.numel() for p in net.parameters())
    assert 50_000 < parameters < 300_000  # AASIST-L is 85 k, LCNN-LFCC about 0.3 M
    with torch.no_grad():
        assert net(torch.randn(3, 1, 257, 200)).shape == (3,)
        assert net(torch.randn(1, 1, 257, 16)).shape == (1,)  # the shortest window


def test_a_window_is_seen_without_its_loudness() -> None:
    rng = np.random.default_rng(0)
    spectrum = rng.normal(-40, 15, (200, 257))
    a, b = normalised(spectrum), normalised(spectrum + 30.0)
    assert a.shape == (257, 200) and np.allclose(a, b, atol=1e-5)
    assert a.max() == pytest.approx(2.0) and a.min() >= 2.0 - 90.0 / 20.0 - 1e-6


def test_the_generator_makes_one_hop_of_samples_per_mel_frame() -> None:
    with torch.no_grad():
        out = Generator()(torch.randn(2, MEL_BANDS, 10))
    assert out.shape == (2, 10 * HOP) and float(out.abs().max()) <= 1.0


def test_a_saved_cnn_model_reads_back_and_a_damaged_one_is_refused(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = CnnVoiceModel(settings=LfccSettings(), net=Lcnn().eval(), platt=(0.5, -0.25))
    path = tmp_path / "cnn.safetensors"
    model.save(path)
    again = load_model(path)
    assert isinstance(again, CnnVoiceModel) and again.platt == (0.5, -0.25)
    x = torch.randn(2, 1, 257, 200)
    with torch.no_grad():
        assert torch.allclose(model.net(x), again.net(x))
    broken = tmp_path / "broken.safetensors"
    broken.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(ModelError, match="truncated or corrupt"):
        load_model(broken)
    with pytest.raises(ModelError, match="not a fauxlab neural vocoder"):
        load_vocoder(path)
