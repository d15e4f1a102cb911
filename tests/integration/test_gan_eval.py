"""`fauxlab gan eval` on a tiny run of real anime faces (32 px, 3 steps, 64 held out)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cli_helpers import assert_clean_error, fauxlab
from fauxlab.synthesis.gan.config import TrainConfig
from fauxlab.synthesis.gan.metrics import FEATURE_SIZE
from fauxlab.training import Budget

HOLDOUT = 64


@pytest.fixture(scope="module")
def anime(shared_data: Path) -> Path:
    folder = shared_data / "anime-faces"
    if not folder.is_dir():
        pytest.skip(f"{folder} not found")
    return folder


@pytest.fixture(scope="module")
def run(anime: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from fauxlab.synthesis.gan.train import train

    folder = tmp_path_factory.mktemp("gan-eval") / "run"
    config = TrainConfig.for_model(
        "fauxlab", 32, data_dir=str(anime), batch=16, image_limit=128, holdout=HOLDOUT,
        sample_every=10**6, checkpoint_every=10**6,
    )  # fmt: skip
    train(config, folder, Budget(total_steps=3))
    return folder


def _noise_folder(folder: Path, count: int) -> Path:
    """`count` random 48 px PNGs: images we may write, without copying shared data."""
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(count):
        pixels = rng.integers(0, 256, size=(48, 48, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"noise-{i:03d}.png")
    return folder


def _eval_json(*args: str | Path) -> dict[str, object]:
    result = fauxlab("gan", "eval", *args, "--json")
    assert result.returncode == 0, result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_eval_scores_the_run_against_its_held_out_images(run: Path) -> None:
    data = _eval_json(run)
    assert data["images"] == HOLDOUT and data["image_size"] == 32 and data["step"] == 3
    assert data["feature_size"] == FEATURE_SIZE and data["seed"] == 0
    assert f"{HOLDOUT} held out" in str(data["real_source"])
    fd, kid, kid_std = (float(str(data[k])) for k in ("fd_lite0", "kid", "kid_std"))
    assert fd > 0 and np.isfinite(kid) and kid_std >= 0
    for key in ("precision", "recall"):
        assert 0.0 <= float(str(data[key])) <= 1.0
    # 3 steps of training cannot fool anyone: far from the reals, and much worse than a
    # second set of real faces would be.
    assert kid > 0.01


def test_eval_is_seeded_and_n_picks_a_subset(run: Path) -> None:
    first = _eval_json(run, "-n", "50", "--seed", "3")
    again = _eval_json(run, "-n", "50", "--seed", "3")
    assert first["images"] == 50
    first.pop("seconds"), again.pop("seconds")
    assert first == again


def test_eval_against_a_data_dir_prints_a_table(run: Path, tmp_path: Path) -> None:
    reals = _noise_folder(tmp_path / "reals", 60)
    result = fauxlab("gan", "eval", run / "generator.safetensors", reals)
    assert result.returncode == 0, result.stderr
    assert "60 real images" in result.stdout and str(reals) in result.stdout
    for name in ("FD-Lite0", "KID", "precision", "recall"):
        assert name in result.stdout


def test_eval_errors_are_one_line(run: Path, tmp_path: Path) -> None:
    assert_clean_error(fauxlab("gan", "eval", run, tmp_path / "missing"), "does not exist")
    few = _noise_folder(tmp_path / "few", 10)
    assert_clean_error(fauxlab("gan", "eval", run, few), "10 readable images", "50")
    assert_clean_error(fauxlab("gan", "eval", run, "-n", "65"), "-n must be between 50 and")
    assert_clean_error(fauxlab("gan", "eval", "no-such-generator"), "built-in")

    no_config = tmp_path / "no-config"
    shutil.copytree(run, no_config)
    (no_config / "config.json").unlink()
    assert_clean_error(fauxlab("gan", "eval", no_config), "no config.json", "DATA_DIR")

    no_holdout = tmp_path / "no-holdout"
    shutil.copytree(run, no_holdout)
    config = json.loads((no_holdout / "config.json").read_text())
    (no_holdout / "config.json").write_text(json.dumps({**config, "holdout": 0}))
    assert_clean_error(fauxlab("gan", "eval", no_holdout), "--holdout 0", "DATA_DIR")
