"""swap train -> apply -> eval on real faces: ~110 crops each of two shared clips, 64 px."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from fauxlab.errors import InputError, NoFaceError, OutputExistsError
from fauxlab.faces import ExtractSettings, extract_faces
from fauxlab.media import Sampling, VideoWriter, iter_frames, probe_video, write_image
from fauxlab.provenance.context import Provenance
from fauxlab.provenance.verify import verify_file
from fauxlab.synthesis.faceswap.convert import apply_swap
from fauxlab.synthesis.faceswap.data import load_faceset
from fauxlab.synthesis.faceswap.evaluate import crop_swap_scores, evaluate
from fauxlab.synthesis.faceswap.runfolder import RUN_FILE, load_run
from fauxlab.synthesis.faceswap.train import TrainConfig, train
from fauxlab.training import load_weights

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def folders(shared_videos: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("swap-faces")
    settings = ExtractSettings(size=64, max_faces=1)
    out = []
    for name in ("voxceleb-1", "voxceleb-2"):
        video = shared_videos / f"{name}.mp4"
        if not video.is_file():
            pytest.skip(f"{video} not found")
        extract_faces([video], root / name, settings, Sampling.parse("count:110"))
        out.append(root / name)
    return out[0], out[1]


@pytest.fixture(scope="module")
def run(folders: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("swap-run") / "run"
    config = TrainConfig(batch=4, preview_every=2, seed=1)
    summary = train(*folders, folder, config, steps=2)
    assert summary.step == 2 and len(summary.previews) == 1
    return folder


@pytest.fixture(scope="module")
def short_clip(shared_videos: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first second of a clip with sound, re-encoded with its audio."""
    source = shared_videos / "voxceleb-1.mp4"
    clip = tmp_path_factory.mktemp("clip") / "clip.mp4"
    info = probe_video(source)
    with VideoWriter(clip, info.fps, audio_from=source) as writer:
        for frame in iter_frames(source):
            if frame.time >= 1.0:
                break
            writer.write(frame.image, frame.time)
    return clip


def test_train_writes_sealed_previews_and_resumes(run: Path, folders: tuple[Path, Path]) -> None:
    info = json.loads((run / RUN_FILE).read_text())
    assert info["model"] == "fauxlab" and info["size"] == 64 and info["a"]["faces"] >= 100
    previews = sorted((run / "previews").glob("*.png"))
    assert [p.name for p in previews] == ["step-00000002.png"]
    report = verify_file(previews[0], Provenance.default())
    assert report.sealed_by_fauxlab and not report.tampered
    summary = train(Path(), Path(), run, steps=3, resume=True, overrides={"preview_every": 10})
    assert summary.step == 3 and summary.images == 3 * 2 * 4, "batch 4 comes from run.json"
    with pytest.raises(OutputExistsError, match="--resume"):
        train(*folders, run, TrainConfig(batch=4), steps=1)


def test_gan_switches_on_late(folders: tuple[Path, Path], tmp_path: Path) -> None:
    config = TrainConfig(batch=2, gan_weight=0.1, gan_start=0.5, log_every=1)
    train(*folders, tmp_path / "gan", config, steps=2)
    lines = [json.loads(x) for x in (tmp_path / "gan" / "metrics.jsonl").read_text().splitlines()]
    assert [line["gan"] for line in lines] == [False, True]
    assert "a_gan" in lines[1] and "b_critic" in lines[1] and "a_gan" not in lines[0]
    weights = sorted((tmp_path / "gan" / "checkpoints").glob("*.safetensors"))[-1]
    assert any(k.startswith("critic.a.") for k in load_weights(weights)[0])


def test_apply_image_and_video_are_sealed_and_keep_audio(
    run: Path, short_clip: Path, tmp_path: Path
) -> None:
    loaded = load_run(run)
    still = tmp_path / "frame.png"
    write_image(still, next(iter_frames(short_clip)).image)
    result = apply_swap(loaded, still, tmp_path / "swapped.png", "b")
    assert result.frames_swapped == 1
    assert verify_file(tmp_path / "swapped.png", Provenance.default()).sealed_by_fauxlab
    out = tmp_path / "swapped.mp4"
    summary = apply_swap(loaded, short_clip, out, "a")
    assert summary.frames_swapped == summary.frames > 20
    source, made = probe_video(short_clip), probe_video(out)
    assert made.audio_codec == source.audio_codec and made.frame_count == source.frame_count
    assert abs(made.duration - source.duration) < 0.1
    report = verify_file(out, Provenance.default())
    assert report.sealed_by_fauxlab and not report.tampered
    creds = report.credentials
    assert creds is not None and creds.claim is not None and creds.claim.ingredients
    with pytest.raises(OutputExistsError):
        apply_swap(loaded, short_clip, out, "a")
    scores = evaluate(loaded, still, tmp_path / "swapped.png", "b")
    assert scores.frames_with_faces == 1 and scores.id_retrieval in (0.0, 1.0)
    assert set(scores.reconstruction_ssim) == {"a->a", "b->b"}
    assert scores.landmark_distance_pct is not None and scores.landmark_distance_pct < 20


def test_crop_swap_scores(run: Path, folders: tuple[Path, Path]) -> None:
    faces = {"a": load_faceset(folders[0]), "b": load_faceset(folders[1])}
    scores = crop_swap_scores(load_run(run), faces, count=4)
    assert set(scores) == {"id_a->b", "id_b->a", "ssim_a->a", "ssim_b->b"}
    assert all(0.0 <= v <= 1.0 for k, v in scores.items() if k.startswith("id"))
    assert -1.0 <= scores["ssim_a->a"] <= 1.0


def test_bad_inputs_have_clear_messages(
    run: Path, folders: tuple[Path, Path], tmp_path: Path
) -> None:
    with pytest.raises(InputError, match=r"\d+ faces; training an identity needs at least 500"):
        load_faceset(folders[0], min_faces=500)
    mixed = tmp_path / "mixed"
    shutil.copytree(folders[0], mixed)
    first = sorted(mixed.glob("*.png"))[0]
    cv2.imwrite(str(first), np.zeros((80, 80, 3), np.uint8))
    with pytest.raises(InputError, match="different sizes"):
        load_faceset(mixed)
    blank = tmp_path / "blank.mp4"
    with VideoWriter(blank, 10) as writer:
        for i in range(10):
            writer.write(np.full((96, 96, 3), 40 + i, np.uint8), i / 10)
    with pytest.raises(NoFaceError, match="no face"):
        apply_swap(load_run(run), blank, tmp_path / "none.mp4", "b")
    assert not (tmp_path / "none.mp4").exists()


def test_cli_errors_are_one_line(run: Path, tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / RUN_FILE).write_text(json.dumps({"format": "fauxlab-swap/0"}))
    cases = [
        (["apply", str(tmp_path / "old"), str(run / RUN_FILE), "--out", str(tmp_path / "o.png")],
         "incompatible version"),
        (["train", "--a", str(tmp_path), "--b", str(tmp_path), "--out", str(tmp_path / "r"),
          "--steps", "1"], "faces.jsonl"),
        (["train", "--out", str(run), "--steps", "1"], "--resume"),
    ]  # fmt: skip
    for args, needle in cases:
        result = subprocess.run(
            [sys.executable, "-m", "fauxlab", "swap", *args],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert result.returncode == 2, result.stderr
        lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0], lines
