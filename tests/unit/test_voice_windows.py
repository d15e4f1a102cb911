"""The voice features computed once per recording equal their per-window definition (the
one the shipped model was trained on) on real speech, at every edge: a recording shorter
than a window, a last window cut short, settings off the shared frame grid, LFCC only;
and the early-stopping voice check agrees with counting every voiced frame."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from fauxlab.detection.detectors.voice.features import (
    LfccSettings,
    Segments,
    frame_levels,
    has_voice,
    segment_features_per_window,
    speech_frames,
    voiced_frames,
)
from fauxlab.detection.detectors.voice.model import load_shipped_model
from fauxlab.detection.detectors.voice.windows import segment_features
from fauxlab.media import read_audio

SHIPPED = load_shipped_model().settings


@pytest.fixture(scope="module")
def speech(speech_file: Path, shared_speech: Path) -> np.ndarray:
    """Clean read speech followed by a noisy meeting recording: about 20 s, 16 kHz."""
    meeting = sorted(shared_speech.glob("ami_*.flac"))[0]
    parts = [read_audio(path, SHIPPED.rate) for path in (speech_file, meeting)]
    joined = np.concatenate([p.samples for p in parts if p is not None])
    assert len(joined) > 12 * SHIPPED.rate
    return joined[: 20 * SHIPPED.rate]


def assert_same(new: Segments, old: Segments) -> None:
    assert new.features.shape == old.features.shape
    np.testing.assert_array_equal(new.starts, old.starts)
    np.testing.assert_array_equal(new.ends, old.ends)
    np.testing.assert_allclose(new.features, old.features, rtol=1e-5, atol=1e-6)


def test_every_window_of_real_speech_matches_its_definition(speech: np.ndarray) -> None:
    old = segment_features_per_window(speech, SHIPPED)
    assert len(old.features) >= 10 and old.features.shape[1] == SHIPPED.size
    assert_same(segment_features(speech, SHIPPED), old)


@pytest.mark.parametrize(
    "samples",
    [
        pytest.param(24_000, id="shorter-than-a-window"),
        # the last window (from 4 s) ends 100 samples past the end: its frames are fewer
        pytest.param((400 + 200) * 160 + 400 - 100, id="last-window-cut-short"),
        pytest.param(1_100, id="shorter-than-the-long-frame"),
    ],
)
def test_short_and_ragged_recordings_match(speech: np.ndarray, samples: int) -> None:
    clip = speech[:samples]
    assert_same(segment_features(clip, SHIPPED), segment_features_per_window(clip, SHIPPED))


def test_settings_off_the_shared_grid_and_lfcc_only_match(speech: np.ndarray) -> None:
    clip = speech[: 8 * SHIPPED.rate]
    off_grid = dataclasses.replace(SHIPPED, hop=150, window=380)  # windows not on 128s
    lfcc_only = dataclasses.replace(SHIPPED, lfcc_only=True)
    for settings in (off_grid, lfcc_only):
        old = segment_features_per_window(clip, settings)
        assert len(old.features) >= 3
        assert_same(segment_features(clip, settings), old)


def test_the_early_stopping_voice_check_agrees_with_counting_every_frame(
    speech: np.ndarray,
) -> None:
    rng = np.random.default_rng(0)
    noise = (0.1 * rng.standard_normal(4 * SHIPPED.rate)).astype(np.float32)
    settings = LfccSettings()
    for samples in (speech[: 6 * SHIPPED.rate], noise):
        speech_mask = speech_frames(frame_levels(samples, settings))
        counted = int((speech_mask & voiced_frames(samples, settings)[: len(speech_mask)]).sum())
        for needed in (1, 30, counted, counted + 1, 10_000):
            assert has_voice(samples, settings, speech_mask, needed) == (counted >= needed)
