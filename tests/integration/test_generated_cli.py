"""`fauxlab detector train-generated` end to end on real anime faces (small counts), and
its one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from cli_helpers import assert_clean_error, fauxlab
from fauxlab.detection.detectors.generated.model import load_model
from fauxlab.synthesis.gan.models import Architecture, build_generator
from fauxlab.synthesis.gan.sample import generator_bytes


@pytest.fixture(scope="module")
def anime(shared_data: Path) -> Path:
    folder = shared_data / "anime-faces"
    if not folder.is_dir():
        pytest.skip(f"{folder} not found")
    return folder


@pytest.fixture(scope="module")
def generator_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An untrained 64 px generator, sampled in memory by the trainer."""
    torch.manual_seed(1)
    arch = Architecture(model="fauxlab", size=64, ngf=16)
    path = tmp_path_factory.mktemp("gen") / "untrained.safetensors"
    path.write_bytes(generator_bytes(build_generator(arch), arch, 0))
    return path


@pytest.mark.slow
def test_train_prints_held_out_numbers_and_writes_a_model(
    anime: Path, generator_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "generated.safetensors"
    base = ("detector", "train-generated", "--real", anime, "--fake-generator", generator_file)
    result = fauxlab(*base, "--out", out, "--n", "40", "--eval-n", "16", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert [(p["fake"], p["real"]) for p in report["pairs"]] == [("untrained", "anime-faces")]
    assert {"auc", "auc_jpeg75"} <= set(report["pairs"][0])
    assert report["counts"]["train_real"] == report["counts"]["train_fake"] == 40
    assert report["overall"]["auc"] > 0.9
    model = load_model(out)
    assert model.info["command"] == report["command"]
    assert "train-generated" in model.info["command"] and "--n 40" in model.info["command"]
    assert out.stat().st_size < 30_000
    again = fauxlab(*base, "--out", out, "--n", "40")
    assert_clean_error(again, "already exists")


def test_errors_are_one_line(anime: Path, generator_file: Path, tmp_path: Path) -> None:
    existing = tmp_path / "exists.safetensors"
    existing.write_bytes(b"mine")
    out = tmp_path / "m.safetensors"
    empty = tmp_path / "empty"
    empty.mkdir()
    cases: list[tuple[tuple[str | Path, ...], str]] = [
        (("--real", anime, "--fake-generator", generator_file, "--out", existing), "exists"),
        (("--real", tmp_path / "nope", "--fake-generator", generator_file, "--out", out),
         "not a folder"),
        (("--real", anime, "--fake-generator", generator_file, "--out", tmp_path / "m.bin"),
         ".safetensors"),
        (("--real", anime, "--out", out), "no fake images"),
        (("--real", anime, "--fake-generator", tmp_path / "nope", "--out", out), "nope"),
        (("--real", empty, "--fake-generator", generator_file, "--out", out), "no JPEG"),
    ]  # fmt: skip
    for args, needle in cases:
        assert_clean_error(fauxlab("detector", "train-generated", *args), needle)
    assert existing.read_bytes() == b"mine" and not out.exists()
