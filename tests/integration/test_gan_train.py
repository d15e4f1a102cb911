"""GAN training end to end on real anime faces: tiny runs (32 px, 128 images, batch 16)."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from cli_helpers import assert_clean_error, fauxlab
from fauxlab.provenance.context import Provenance
from fauxlab.provenance.verify import verify_file
from fauxlab.synthesis.gan.config import TrainConfig
from fauxlab.synthesis.gan.explain import explain_page
from fauxlab.synthesis.gan.sample import load_generator, write_interpolation
from fauxlab.synthesis.gan.train import train
from fauxlab.training import Budget, load_checkpoint

STEPS = 20


@pytest.fixture(scope="module")
def anime(shared_data: Path) -> Path:
    folder = shared_data / "anime-faces"
    if not folder.is_dir():
        pytest.skip(f"{folder} not found")
    return folder


def tiny_config(anime: Path) -> TrainConfig:
    return TrainConfig.for_model(
        "fauxlab",
        32,
        data_dir=str(anime),
        batch=16,
        image_limit=128,
        sample_every=10,
        checkpoint_every=10,
    )


@pytest.fixture(scope="module")
def run(anime: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("gan") / "run"
    result = train(tiny_config(anime), folder, Budget(total_steps=STEPS))
    assert result.step == STEPS
    return folder


def test_training_writes_a_complete_run(run: Path) -> None:
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [10, 20]
    for record in records:
        for key in ("loss_d", "loss_g", "d_real", "d_fake"):
            assert torch.isfinite(torch.tensor(record[key]))
    assert json.loads((run / "config.json").read_text())["arch"]["size"] == 32
    assert load_checkpoint(run / "checkpoints").step == STEPS
    assert (run / "curves.svg").is_file() and (run / "generator.safetensors").is_file()
    grids = sorted((run / "samples").glob("grid-*.png"))
    assert [g.name for g in grids] == [
        "grid-00000000.png",
        "grid-00000010.png",
        "grid-00000020.png",
    ]
    for sealed in (grids[-1], run / "timelapse.mp4"):
        assert verify_file(sealed, Provenance.default()).sealed_by_fauxlab


def test_resume_continues_exactly_where_it_stopped(run: Path, anime: Path, tmp_path: Path) -> None:
    halves = tmp_path / "halves"
    first = train(tiny_config(anime), halves, Budget(total_steps=STEPS // 2))
    assert first.step == STEPS // 2
    second = train(tiny_config(anime), halves, Budget(total_steps=STEPS), resume=True)
    assert (second.start_step, second.step) == (STEPS // 2, STEPS)
    straight = load_checkpoint(run / "checkpoints").tensors
    resumed = load_checkpoint(halves / "checkpoints").tensors
    assert straight.keys() == resumed.keys()
    for name, tensor in straight.items():
        assert torch.equal(tensor, resumed[name]), name


def test_existing_run_folder_is_refused_without_resume(run: Path, anime: Path) -> None:
    result = fauxlab("gan", "train", anime, "--out", run, "--steps", "1")
    assert_clean_error(result, "already exists", "--resume")


def test_truncated_checkpoint_is_a_clear_error(run: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(run, broken)
    weights = broken / "checkpoints" / f"step-{STEPS:08d}.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    result = fauxlab("gan", "train", "unused", "--out", broken, "--resume", "--steps", "30")
    assert_clean_error(result, "truncated")
    generator = broken / "generator.safetensors"
    generator.write_bytes(generator.read_bytes()[:1000])
    assert_clean_error(fauxlab("gan", "sample", broken, "-n", "1", "--out", tmp_path / "s"))


def test_samples_are_sealed_and_out_is_never_overwritten(run: Path, tmp_path: Path) -> None:
    out = tmp_path / "samples"
    result = fauxlab("gan", "sample", run, "-n", "3", "--out", out, "--seed", "1", "--json")
    assert result.returncode == 0, result.stderr
    images = sorted(out.glob("*.png"))
    assert len(images) == 3
    for image in images:
        assert verify_file(image, Provenance.default()).sealed_by_fauxlab
    again = fauxlab("gan", "sample", run, "-n", "1", "--out", out)
    assert_clean_error(again, "already exists")


def test_interpolation_and_explanation(run: Path, tmp_path: Path) -> None:
    video = tmp_path / "walk.mp4"
    write_interpolation(load_generator(run), video, seconds=1.0, fps=8)
    assert verify_file(video, Provenance.default()).sealed_by_fauxlab
    page = explain_page(run)
    assert "D(real)" in page and "<svg" in page and "data:image/png;base64," in page


def test_resume_refuses_options_that_contradict_the_saved_run(
    run: Path, anime: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(run, copy)
    before = sorted(p.name for p in (copy / "checkpoints").iterdir())
    result = fauxlab(
        "gan", "train", anime, "--out", copy, "--resume", "--steps", str(STEPS + 1),
        "--size", "64", "--batch", "16", "--limit", "64", "--loss", "hinge",
    )  # fmt: skip
    assert_clean_error(result, "--size 32", "--limit 128")
    assert "--batch" not in result.stderr and "--loss" not in result.stderr  # they agree
    assert sorted(p.name for p in (copy / "checkpoints").iterdir()) == before


def test_resume_accepts_options_that_repeat_the_saved_run(
    run: Path, anime: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(run, copy)
    result = fauxlab(
        "gan", "train", anime, "--out", copy, "--resume", "--steps", str(STEPS + 1),
        "--model", "fauxlab", "--size", "32", "--batch", "16", "--limit", "128", "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["step"] == STEPS + 1


def test_sigterm_saves_a_checkpoint_that_resume_continues(anime: Path, tmp_path: Path) -> None:
    """`kill` mid-run: exit 130 with a checkpoint at or after the last logged step, and
    --resume starts from that checkpoint."""
    run, log = tmp_path / "run", tmp_path / "stderr.txt"
    command = [
        sys.executable, "-m", "fauxlab", "gan", "train", str(anime), "--out", str(run),
        "--size", "32", "--batch", "16", "--limit", "128", "--steps", "100000",
        "--sample-every", "100000", "--checkpoint-every", "100000",
    ]  # fmt: skip
    metrics, deadline = run / "metrics.jsonl", time.monotonic() + 300
    with log.open("w") as stderr:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
        try:
            while not (metrics.is_file() and metrics.read_text().strip()):
                assert process.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.5)
            logged = int(json.loads(metrics.read_text().splitlines()[0])["step"])
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=180)
        finally:
            if process.poll() is None:
                process.kill()
    assert code == 130 and "Traceback" not in log.read_text(), log.read_text()
    saved = load_checkpoint(run / "checkpoints").step
    assert saved >= logged
    result = fauxlab("gan", "train", anime, "--out", run, "--resume", "--steps", str(saved + 1),
                     "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    resumed = json.loads(result.stdout)
    assert (resumed["start_step"], resumed["step"]) == (saved, saved + 1)


@pytest.mark.parametrize("args", [("--version",), ("--help",), ("gan", "--help")])
def test_the_command_tree_does_not_import_torch(args: tuple[str, ...]) -> None:
    """`gan` imports torch inside its commands: --version and --help stay quick (~2 s less)."""
    command = [sys.executable, "-X", "importtime", "-m", "fauxlab", *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    imported = [line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()]
    assert "fauxlab.cli.gan" in imported
    assert "torch" not in imported
