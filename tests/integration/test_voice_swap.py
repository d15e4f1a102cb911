"""The voice swap end to end on two real speakers of the shared speech data: a tiny run
trained and resumed through the CLI, applied to a sound file and to a video's sound
track, every output sealed (watermark, C2PA "AI-generated", ledger entry), the picture of
a video kept, eval's JSON, and the one-line errors for bad input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cli_helpers import assert_clean_error, fauxlab_at_home
from fauxlab.errors import InputError, ModelError, OutputExistsError
from fauxlab.media import VideoWriter, iter_frames, probe_video, read_audio
from fauxlab.media.audio_writer import write_audio
from fauxlab.synthesis.voice.swap.apply import apply_voice
from fauxlab.synthesis.voice.swap.data import speaker_files
from fauxlab.synthesis.voice.swap.runfolder import load_run
from fauxlab.synthesis.voice.swap.train import train

RATE = 16_000
SPEAKERS = {"a": "librispeech_1998", "b": "librispeech_2414"}  # F and M, LibriSpeech test-other


def fauxlab(home: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return fauxlab_at_home(home, *args, timeout=600)


def _json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("voice-home")


@pytest.fixture(scope="module")
def folders(shared_speech: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two files of each speaker (1 trained on, the last by name held out), by symlink:
    the shared data is read in place, never copied."""
    root = tmp_path_factory.mktemp("speakers")
    out = {}
    for name, prefix in SPEAKERS.items():
        folder = root / name
        folder.mkdir()
        for number in (1, 5):
            file = shared_speech / f"{prefix}_{number}.flac"
            if not file.is_file():
                pytest.skip(f"{file} is missing from the shared speech data")
            (folder / file.name).symlink_to(file)
        out[name] = folder
    return out


@pytest.fixture(scope="module")
def run(folders: dict[str, Path], home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Trained 2 steps, then resumed to 3: each stop leaves a checkpoint and previews."""
    out = tmp_path_factory.mktemp("runs") / "voice"
    first = _json(fauxlab(home, "voice", "train", "--a", folders["a"], "--b", folders["b"],
                          "--out", out, "--steps", "2", "--batch", "2", "--json"))  # fmt: skip
    assert first["step"] == 2 and len(first["previews"]) == 2
    resumed = _json(fauxlab(home, "voice", "train", "--out", out, "--resume", "--steps", "3",
                            "--json"))  # fmt: skip
    assert resumed["step"] == 3 and resumed["segments"] == 3 * 2 * 2
    assert resumed["weights_sha256"] != first["weights_sha256"]
    return out


@pytest.fixture(scope="module")
def clip(shared_speech: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4 s of speaker A's held-out file, as a WAV."""
    audio = read_audio(shared_speech / f"{SPEAKERS['a']}_5.flac", RATE)
    assert audio is not None
    out = tmp_path_factory.mktemp("clips") / "held_out_a.wav"
    return write_audio(out, audio.samples[: 4 * RATE], RATE)


def test_the_run_records_its_split_and_both_voices(run: Path) -> None:
    info = json.loads((run / "run.json").read_text())
    for name, prefix in SPEAKERS.items():
        assert [Path(p).name for p in info[name]["train"]] == [f"{prefix}_1.flac"]
        assert [Path(p).name for p in info[name]["held_out"]] == [f"{prefix}_5.flac"]
    # a woman's voice (1998) sits higher than a man's (2414)
    assert info["a"]["pitch"]["log_f0_mean"] > info["b"]["pitch"]["log_f0_mean"] + 0.3
    previews = sorted((run / "previews").glob("*.wav"))
    assert {p.name for p in previews} >= {"step-00000003-a-to-b.wav", "step-00000003-b-to-a.wav"}


def _assert_sealed(home: Path, path: Path, watermark_id: int) -> dict[str, Any]:
    (report,) = _json(fauxlab(home, "verify", path, "--json"))
    assert report["sealed_by_fauxlab"] and not report["tampered"]
    assert report["watermark"]["found"] and report["watermark"]["payload"] == watermark_id
    credentials = report["credentials"]
    assert credentials["valid"] and credentials["signed_by_us"] and credentials["ai_generated"]
    assert report["ledger"]["status"] == "exact" and report["ledger"]["inclusion_proof_verified"]
    return dict(report)


def test_apply_to_a_sound_file_is_sealed_and_eval_scores_it(
    run: Path, clip: Path, home: Path, tmp_path: Path
) -> None:
    out = tmp_path / "as_b.wav"
    before = clip.read_bytes()
    summary = _json(fauxlab(home, "voice", "apply", run, clip, "--to", "b", "--out", out,
                            "--json"))  # fmt: skip
    assert summary["kind"] == "audio" and summary["step"] == 3 and clip.read_bytes() == before
    report = _assert_sealed(home, out, summary["sealed"]["watermark_id"])
    assert report["credentials"]["claim"]["model_name"] == "fauxlab-voiceswap"
    heard = read_audio(out, RATE)
    assert heard is not None and abs(heard.duration - 4.0) < 0.05
    original = read_audio(clip, RATE)
    assert original is not None
    assert abs(np.corrcoef(original.samples, heard.samples[: len(original.samples)])[0, 1]) < 0.9

    again = fauxlab(home, "voice", "apply", run, clip, "--out", out)
    assert_clean_error(again, "already exists")

    scores = _json(fauxlab(home, "voice", "eval", run, clip, out, "--json"))
    assert scores["to"] == "b" and scores["segments"] == 1
    for side in ("output", "input_baseline", "pitch_only_baseline"):
        block = scores["speaker"][side]
        assert -1 <= block["cos_to_b"] <= 1 and -1 <= block["cos_to_a"] <= 1
        assert block["closer_to_target"] in (0.0, 1.0)
    # the input itself is A: the judge must hear that
    assert scores["speaker"]["input_baseline"]["closer_to_target"] == 0.0
    content = scores["content"]
    assert content["input_transcript"] and content["mcd_db_after_dtw"] > 0
    assert content["wer_against_input_transcript"] is not None
    assert 0 <= scores["naturalness"]["output"] <= 1


def test_apply_to_a_video_keeps_the_picture_and_seals_it(
    run: Path, clip: Path, home: Path, tmp_path: Path
) -> None:
    video = tmp_path / "talk.mp4"
    with VideoWriter(video, 10.0, audio_from=clip) as writer:
        for index in range(40):
            frame = np.zeros((64, 96, 3), np.uint8)
            frame[:, : 2 * index + 2] = (200, 120, 40)
            writer.write(frame, index / 10.0)
    out = tmp_path / "talk_as_b.mp4"
    summary = _json(fauxlab(home, "voice", "apply", run, video, "--out", out, "--json"))
    assert summary["kind"] == "video"
    source, made = probe_video(video), probe_video(out)
    assert (made.frame_count, made.width, made.height) == (source.frame_count, 96, 64)
    assert made.has_audio and abs(made.duration - source.duration) < 0.15
    firsts = [next(iter(iter_frames(p))).image.astype(int) for p in (video, out)]
    assert np.abs(firsts[0] - firsts[1]).mean() < 3  # the same picture (plus its mark)
    _assert_sealed(home, out, summary["sealed"]["watermark_id"])


def test_bad_input_is_one_line(run: Path, home: Path, tmp_path: Path) -> None:
    silent = write_audio(tmp_path / "silent.wav", np.zeros(3 * RATE, np.float32), RATE)
    assert_clean_error(
        fauxlab(home, "voice", "apply", run, silent, "--out", tmp_path / "x.wav"), "no speech"
    )
    assert not (tmp_path / "x.wav").exists()
    assert_clean_error(fauxlab(home, "voice", "train", "--a", tmp_path, "--b", tmp_path,
                               "--out", tmp_path / "r"), "budget")  # fmt: skip


def test_bad_runs_outputs_and_speakers_are_named(
    run: Path, clip: Path, tmp_path: Path, folders: dict[str, Path]
) -> None:
    """The same errors in process (each is one line through the CLI's error contract)."""
    with pytest.raises(ModelError, match="no such run folder"):
        load_run(tmp_path / "nope")
    broken = tmp_path / "broken"
    shutil.copytree(run, broken)
    (weights,) = (broken / "checkpoints").glob("step-00000003.safetensors")
    weights.write_bytes(weights.read_bytes()[:1000])  # cut short, as a crash mid-copy leaves
    with pytest.raises(ModelError, match="damaged"):
        load_run(broken)
    loaded = load_run(run)
    with pytest.raises(InputError, match=r"\.wav"):
        apply_voice(loaded, clip, tmp_path / "z.flac", "b")
    with pytest.raises(InputError, match="a or b"):
        apply_voice(loaded, clip, tmp_path / "z.wav", "c")
    with pytest.raises(InputError, match="single file"):
        speaker_files(str(folders["a"] / f"{SPEAKERS['a']}_1.flac"))
    with pytest.raises(InputError, match="at least 2"):
        speaker_files(str(folders["a"] / "*_1.flac"))
    with pytest.raises(OutputExistsError, match="--resume"):
        train(str(folders["a"]), str(folders["b"]), run, steps=1)
    assert not list(tmp_path.glob("z.*"))


def test_eval_without_the_voice_eval_extra_says_how_to_get_it(
    run: Path, clip: Path, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """resemblyzer made unimportable, as on an install without `fauxlab[voice-eval]`: a
    package of that name placed first on the path fails to import, as a missing one does."""
    shadow = tmp_path / "shadow" / "resemblyzer"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('No module named resemblyzer')\n")
    path = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(shadow.parent), path) if p))
    result = fauxlab(home, "voice", "eval", run, clip, clip, "--json")
    assert_clean_error(result, "pip install 'fauxlab[voice-eval]'")
