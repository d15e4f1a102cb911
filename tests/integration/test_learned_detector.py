"""`fauxlab detector train` on real faces, and the learned detector on real media."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image

from cli_helpers import assert_clean_error, fauxlab
from fauxlab.detection.analysed import analyse
from fauxlab.detection.detectors.learned.detector import LearnedFaceDetector
from fauxlab.detection.detectors.learned.weights import load_detector
from fauxlab.errors import ModelError


@pytest.fixture(scope="module")
def real_faces(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """120 UTKFace photos, linked (not copied) into a temporary folder."""
    source = sorted((shared_data / "faces" / "utkface").glob("*.jpg"))[:120]
    if len(source) < 120:
        pytest.skip("UTKFace is not in the shared data folder")
    folder = tmp_path_factory.mktemp("reals")
    for path in source:
        (folder / path.name).symlink_to(path)
    return folder


@pytest.fixture(scope="module")
def trained_run(real_faces: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.mktemp("det") / "run"
    result = fauxlab("detector", "train", "--real", real_faces, "--out", run, "--steps", "3",
                     "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert 0.0 <= summary["validation_auc"] <= 1.0
    return run


def test_training_writes_a_loadable_calibrated_detector(trained_run: Path) -> None:
    loaded = load_detector(trained_run)
    assert loaded.metadata["format"] == "fauxlab.learned-detector/1"
    assert "detector train" in loaded.metadata["command"]
    assert (trained_run / "bank-train.npz").is_file()
    assert (trained_run / "checkpoints" / "latest.json").is_file()
    records = [
        json.loads(line) for line in (trained_run / "metrics.jsonl").read_text().splitlines()
    ]
    assert any("val_auc" in r for r in records)


def test_resume_continues_from_the_checkpoint(trained_run: Path) -> None:
    result = fauxlab("detector", "train", "--real", "unused", "--out", trained_run,
                     "--steps", "5", "--resume", "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    latest = json.loads((trained_run / "checkpoints" / "latest.json").read_text())
    assert latest["step"] == 5


def test_detector_scores_faces_of_a_real_video_with_a_heatmap(
    trained_run: Path, video_with_audio: Path
) -> None:
    media = analyse(video_with_audio)
    evidence = LearnedFaceDetector(trained_run).examine(media)
    assert evidence.detector == "learned"
    assert evidence.probability is not None and 0.0 <= evidence.probability <= 1.0
    assert len(evidence.faces) == len(media.images)  # one face on each keyframe
    assert evidence.figures and evidence.figures[0].png.startswith(b"\x89PNG")


def test_a_detector_trained_on_larger_crops_reads_them_back(
    real_faces: Path, video_with_audio: Path, tmp_path: Path
) -> None:
    """--size is the model's: the weights file says which crop it was made for, and
    detection cuts that crop (the boundary map follows it)."""
    run = tmp_path / "run224"
    result = fauxlab("detector", "train", "--real", real_faces, "--out", run, "--steps", "2",
                     "--size", "224", "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    loaded = load_detector(run)
    assert loaded.geometry.size == 224 and loaded.metadata["input_size"] == "224"
    assert np.load(run / "bank-train.npz")["crops"].shape[1:] == (280, 280, 3)
    detector = LearnedFaceDetector(run)
    evidence = detector.examine(analyse(video_with_audio))
    assert evidence.probability is not None and evidence.figures
    assert_clean_error(
        fauxlab("detector", "train", "--real", real_faces, "--out", tmp_path / "odd",
                "--steps", "1", "--size", "100"),
        "--size",
    )  # fmt: skip


def test_no_face_means_no_judgement(trained_run: Path, tmp_path: Path) -> None:
    noise: NDArray[np.uint8] = np.random.default_rng(0).integers(0, 255, (200, 200, 3), np.uint8)
    Image.fromarray(noise).save(tmp_path / "noise.png")
    evidence = LearnedFaceDetector(trained_run).examine(analyse(tmp_path / "noise.png"))
    assert evidence.probability is None and "No face" in evidence.summary


def test_bad_runs_and_inputs_are_one_line_errors(
    trained_run: Path, real_faces: Path, tmp_path: Path
) -> None:
    exists = fauxlab(
        "detector", "train", "--real", real_faces, "--out", trained_run, "--steps", "1"
    )
    assert_clean_error(exists, "already exists")
    assert_clean_error(
        fauxlab("detector", "train", "--real", real_faces, "--out", tmp_path / "r", "--resume",
                "--steps", "1"),
        "not a detector run",
    )  # fmt: skip
    assert_clean_error(fauxlab("detector", "train", "--real", real_faces, "--out", tmp_path / "x"))
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_clean_error(
        fauxlab("detector", "train", "--real", empty, "--out", tmp_path / "y", "--steps", "1"),
        "no images",
    )


def test_a_damaged_detector_file_is_a_model_error(trained_run: Path, tmp_path: Path) -> None:
    data = (trained_run / "detector.safetensors").read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError, match="truncated or corrupt"):
        load_detector(tmp_path / "cut.safetensors")


def test_detect_uses_a_trained_run_given_with_model(trained_run: Path, tmp_path: Path) -> None:
    from skimage import data

    Image.fromarray(data.astronaut()).save(tmp_path / "astronaut.png")
    result = fauxlab("detect", tmp_path / "astronaut.png", "--detectors", "learned",
                     "--model", trained_run, "--json")  # fmt: skip
    assert result.returncode in (0, 1), result.stderr
    evidence = json.loads(result.stdout)["files"][0]["evidence"]
    assert evidence[0]["detector"] == "learned" and evidence[0]["probability"] is not None
    assert_clean_error(
        fauxlab("detect", tmp_path / "astronaut.png", "--detectors", "provenance",
                "--model", trained_run),
        "--model replaces the learned detector",
    )  # fmt: skip
