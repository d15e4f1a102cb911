"""Sound files as media: every common format is recognised and decoded to one rate and
one channel, and bad sound gets a one-line error (exit 2) from `fauxlab detect`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cli_helpers import assert_clean_error, fauxlab
from fauxlab.errors import CorruptMediaError, MediaTooLargeError
from fauxlab.media import MediaKind, expand_inputs, media_kind, read_audio
from fauxlab.media.audio_writer import recode, write_audio

FORMATS = (".wav", ".flac", ".mp3", ".m4a", ".ogg", ".opus")


@pytest.fixture(scope="module")
def speech(speech_file: Path) -> np.ndarray:
    """Four seconds of real speech at 16 kHz."""
    sound = read_audio(speech_file)
    assert sound is not None and sound.sample_rate == 16_000
    return sound.samples[: 4 * 16_000]


@pytest.mark.parametrize("suffix", FORMATS)
def test_each_format_is_recognised_by_content_and_decoded(
    tmp_path: Path, speech: np.ndarray, suffix: str
) -> None:
    path = write_audio(tmp_path / f"speech{suffix}", speech, 16_000, bitrate=64_000)
    renamed = path.rename(tmp_path / "no_suffix.bin")
    assert media_kind(renamed) is MediaKind.AUDIO
    sound = read_audio(renamed)
    assert sound is not None and sound.sample_rate == 16_000
    assert abs(sound.duration - 4.0) < 0.15


@pytest.mark.parametrize(("channels", "rate"), [(1, 8_000), (2, 44_100), (8, 96_000)])
def test_any_channel_count_and_rate_comes_out_mono_at_the_asked_rate(
    tmp_path: Path, speech: np.ndarray, channels: int, rate: int
) -> None:
    up = np.interp(np.arange(4 * rate) * 16_000 / rate, np.arange(len(speech)), speech)
    planar = np.stack([up.astype(np.float32)] * channels)
    path = write_audio(tmp_path / "many.wav", planar, rate)
    sound = read_audio(path, 16_000)
    assert sound is not None and sound.samples.ndim == 1
    assert abs(sound.duration - 4.0) < 0.01 and float(np.abs(sound.samples).max()) > 0.01


def test_folders_offer_sound_files_only_when_asked(tmp_path: Path, speech: np.ndarray) -> None:
    write_audio(tmp_path / "a.flac", speech, 16_000)
    assert expand_inputs([tmp_path]) == []
    assert [p.name for p in expand_inputs([tmp_path], audio=True)] == ["a.flac"]


def test_a_lossy_round_trip_keeps_length_and_shape(speech: np.ndarray) -> None:
    coded = recode(speech, 16_000, ".mp3", 32_000)
    assert coded.shape == speech.shape
    assert np.corrcoef(speech, coded)[0, 1] > 0.9


def test_too_long_sound_is_refused_with_the_limit(tmp_path: Path, speech: np.ndarray) -> None:
    path = write_audio(tmp_path / "long.flac", speech, 16_000)
    with pytest.raises(MediaTooLargeError, match="over the limit of 0 min"):
        read_audio(path, max_seconds=2.0)


def test_truncated_wav_is_an_error(tmp_path: Path, speech: np.ndarray) -> None:
    whole = write_audio(tmp_path / "whole.wav", speech, 16_000).read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(CorruptMediaError, match="truncated"):
        read_audio(cut)


@pytest.mark.slow
def test_detect_reads_sound_files_and_refuses_bad_ones_in_one_line(
    tmp_path: Path, speech: np.ndarray, speech_file: Path
) -> None:
    good = write_audio(tmp_path / "call.mp3", speech, 16_000, bitrate=64_000)
    report_path = tmp_path / "report.html"
    result = fauxlab(
        "detect", good, "--json", "--detectors", "provenance,learned", "--report", report_path
    )
    assert result.returncode == 0, result.stderr
    assert "call.mp3" in report_path.read_text(encoding="utf-8")
    (report,) = json.loads(result.stdout)["files"]
    assert report["kind"] == "audio" and report["verdict"] != "no face"
    assert abs(report["duration"] - 4.0) < 0.2
    learned = next(e for e in report["evidence"] if e["detector"] == "learned")
    assert learned["probability"] is None and "sound file" in learned["summary"]

    empty = tmp_path / "empty.wav"
    empty.touch()
    assert_clean_error(fauxlab("detect", empty), "empty")
    flac = speech_file.read_bytes()
    cut = tmp_path / "cut.flac"
    cut.write_bytes(flac[: len(flac) // 3])
    assert_clean_error(fauxlab("detect", cut), "truncated")
    noise = tmp_path / "noise.ogg"
    noise.write_bytes(b"OggS" + bytes(range(256)) * 8)
    assert_clean_error(fauxlab("detect", noise), "cannot be opened")
