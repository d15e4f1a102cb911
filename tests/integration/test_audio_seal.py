"""The audio watermark on real speech, and seal -> verify of sound files through the CLI."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cli_helpers import fauxlab_at_home
from fauxlab.media import read_audio
from fauxlab.media.audio_writer import recode, write_audio
from fauxlab.provenance.watermark import embed_audio, extract_audio
from fauxlab.provenance.watermark._audio import snr_db

PAYLOAD = 0x0A0D_10F0


@pytest.fixture(scope="module")
def long_speech(shared_speech: Path) -> Path:
    """The first LibriSpeech utterance of 12 s or more (clean read speech)."""
    for path in sorted(shared_speech.glob("librispeech_*.flac")):
        heard = read_audio(path)
        if heard is not None and heard.duration >= 12:
            return path
    pytest.fail(f"no LibriSpeech utterance of 12 s or more in {shared_speech}")


@pytest.fixture(scope="module")
def speech(long_speech: Path) -> tuple[np.ndarray[Any, np.dtype[np.float32]], int]:
    heard = read_audio(long_speech)
    assert heard is not None
    return heard.samples, heard.sample_rate


def test_real_speech_round_trip_is_quiet(speech: tuple[np.ndarray[Any, Any], int]) -> None:
    samples, rate = speech
    marked = embed_audio(samples, rate, PAYLOAD)
    assert snr_db(samples, marked) > 20  # measured 21 to 29 dB on speech (BENCHMARKS.md)
    reading = extract_audio(marked, rate)
    assert reading.found and reading.payload == PAYLOAD and reading.speed == 1.0


def test_mp3_64_and_a_ten_second_excerpt_keep_the_id(
    speech: tuple[np.ndarray[Any, Any], int],
) -> None:
    samples, rate = speech
    marked = embed_audio(samples, rate, PAYLOAD)
    assert extract_audio(recode(marked, rate, ".mp3", 64_000), rate).payload == PAYLOAD
    excerpt = marked[int(1.7 * rate) : int(11.7 * rate)]  # starts mid-frame
    reading = extract_audio(excerpt, rate)
    assert reading.found and reading.payload == PAYLOAD


def test_a_speed_change_is_undone(speech: tuple[np.ndarray[Any, Any], int]) -> None:
    from scipy import signal

    samples, rate = speech
    marked = embed_audio(samples, rate, PAYLOAD)
    faster = signal.resample_poly(marked, 20, 21).astype(np.float32)  # played 1.05x as fast
    reading = extract_audio(faster, rate)
    assert reading.payload == PAYLOAD and reading.speed == pytest.approx(1.05, abs=0.006)
    assert reading.undone and "speed" in reading.undone[0]


def test_unmarked_real_recordings_never_decode(shared_speech: Path) -> None:
    files = sorted(shared_speech.glob("*.flac"))[::15]  # every source; all of them: benchmark
    read = 0
    for path in files:
        heard = read_audio(path)
        assert heard is not None
        if heard.duration < 1.6:
            continue
        reading = extract_audio(heard.samples, heard.sample_rate)
        assert not reading.found and reading.payload is None, path.name
        read += 1
    assert read >= 8


def fauxlab(home: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return fauxlab_at_home(home, *args)


def _verify(home: Path, *paths: Path) -> list[dict[str, Any]]:
    result = fauxlab(home, "verify", *paths, "--json")
    assert result.returncode == 0, result.stderr
    reports: list[dict[str, Any]] = json.loads(result.stdout)
    return reports


@pytest.mark.parametrize("suffix", [".wav", ".mp3"])
def test_cli_seals_and_verifies_a_sound_file(
    tmp_path: Path, long_speech: Path, suffix: str
) -> None:
    home = tmp_path / "home"
    out = tmp_path / f"voice{suffix}"
    before = long_speech.read_bytes()
    sealed = fauxlab(home, "seal", long_speech, "--generator", "piper", "-o", out, "--json")
    assert sealed.returncode == 0, sealed.stderr
    result = json.loads(sealed.stdout)
    assert result["kind"] == "audio" and long_speech.read_bytes() == before

    (report,) = _verify(home, out)
    assert report["kind"] == "audio" and report["sealed_by_fauxlab"] and not report["tampered"]
    assert report["watermark"]["found"] and report["watermark"]["payload"] == result["watermark_id"]
    creds = report["credentials"]
    assert creds["valid"] and creds["signed_by_us"] and creds["ai_generated"]
    assert creds["claim"]["generator"] == "piper"
    assert report["ledger"]["status"] == "exact" and report["ledger"]["inclusion_proof_verified"]

    heard = read_audio(out)
    assert heard is not None
    reposted = tmp_path / "reposted.mp3"  # what a platform keeps: 64 kbit/s, no manifest
    write_audio(reposted, heard.samples, heard.sample_rate, 64_000)
    (copy,) = _verify(home, reposted)
    assert copy["credentials"]["present"] is False
    assert copy["watermark"]["payload"] == result["watermark_id"]
    assert copy["ledger"]["status"] == "watermark" and copy["sealed_by_fauxlab"]


def test_the_unmarked_original_is_a_near_match_by_fingerprint(
    tmp_path: Path, long_speech: Path
) -> None:
    home = tmp_path / "home"
    sealed = fauxlab(home, "seal", long_speech, "--generator", "x", "-o", tmp_path / "v.wav")
    assert sealed.returncode == 0, sealed.stderr
    (original,) = _verify(home, long_speech)
    assert not original["watermark"]["found"] and original["credentials"] is None
    assert original["ledger"]["status"] == "near" and not original["sealed_by_fauxlab"]
    assert "content credentials" in " ".join(original["problems"])  # FLAC: none to read


def _one_line_error(result: subprocess.CompletedProcess[str], needle: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0], lines


def test_cli_refuses_bad_sound(tmp_path: Path, long_speech: Path) -> None:
    home = tmp_path / "home"
    silent, short = tmp_path / "silent.wav", tmp_path / "short.wav"
    write_audio(silent, np.zeros(16_000 * 3, np.float32), 16_000)
    write_audio(short, np.full(16_000, 0.1, np.float32), 16_000)
    _one_line_error(fauxlab(home, "seal", silent, "--generator", "x"), "silent")
    _one_line_error(fauxlab(home, "seal", short, "--generator", "x"), "too short")
    cut = tmp_path / "cut.wav"
    write_audio(cut, read_audio(long_speech).samples, 16_000)  # type: ignore[union-attr]
    cut.write_bytes(cut.read_bytes()[:20_000])
    _one_line_error(fauxlab(home, "seal", cut, "--generator", "x"), "truncated")
    _one_line_error(
        fauxlab(home, "seal", long_speech, "--generator", "x", "-o", tmp_path / "o.flac"),
        "must end in",
    )
    assert not list(tmp_path.glob("*.sealed.*")) and not (tmp_path / "o.flac").exists()


def test_detect_names_a_sealed_sound_and_its_unmarked_original(
    tmp_path: Path, long_speech: Path
) -> None:
    from fauxlab.detection import detect_file
    from fauxlab.detection.detectors.provenance.detector import ProvenanceDetector
    from fauxlab.detection.evidence import Verdict
    from fauxlab.provenance.context import Provenance
    from fauxlab.provenance.seal import ModelInfo, seal_file

    home = tmp_path / "home"
    provenance = Provenance(home / "ledger.sqlite", home / "identity")
    sealed = seal_file(long_speech, tmp_path / "v.mp3", ModelInfo("tts"), provenance=provenance)
    detector = [ProvenanceDetector(provenance)]
    found = detect_file(sealed.path, detector)
    assert found.verdict is Verdict.FAKE
    assert f"invisible watermark (id {sealed.watermark_id})" in found.evidence[0].summary
    original = detect_file(long_speech, detector)
    assert original.verdict is not Verdict.FAKE and original.probability is None
    assert "audio fingerprint distance" in original.evidence[0].summary
