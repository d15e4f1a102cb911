"""`fauxlab detector train-spectrum` end to end on real anime faces (small counts)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from typer.testing import CliRunner, Result

from fauxlab.cli.detector import app
from fauxlab.detection.detectors.spectrum.model import load_model
from fauxlab.errors import FauxlabError, InputError, ModelError, OutputExistsError
from fauxlab.synthesis.gan.models import Architecture, build_generator
from fauxlab.synthesis.gan.sample import generator_bytes

runner = CliRunner()


def invoke(*args: str | Path) -> Result:
    return runner.invoke(app, [str(a) for a in args])


def assert_error(result: Result, kind: type[FauxlabError], *needles: str) -> None:
    """The command stopped on an expected error whose message is one line for a person."""
    assert isinstance(result.exception, kind), (result.exception, result.output)
    message = str(result.exception)
    assert "\n" not in message
    for needle in needles:
        assert needle in message, (needle, message)


@pytest.fixture(scope="module")
def anime(shared_data: Path) -> Path:
    folder = shared_data / "anime-faces"
    if not folder.is_dir():
        pytest.skip(f"{folder} not found")
    return folder


@pytest.fixture(scope="module")
def generator_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An untrained 64 px generator: its up-sampling stack is all there is to see."""
    torch.manual_seed(0)
    arch = Architecture(model="fauxlab", size=64, ngf=16)
    path = tmp_path_factory.mktemp("gen") / "untrained.safetensors"
    path.write_bytes(generator_bytes(build_generator(arch), arch, 0))
    return path


@pytest.fixture(scope="module")
def upsampled_folder(anime: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Anime faces shrunk to 32 px and blown up again with nearest neighbour: fakes whose
    only tell is an up-sampling step (no synthetic picture is written to disk)."""
    folder = tmp_path_factory.mktemp("upsampled")
    for path in sorted(anime.iterdir())[:40]:
        with Image.open(path) as image:
            small = image.convert("RGB").resize((32, 32), Image.Resampling.LANCZOS)
        small.resize((64, 64), Image.Resampling.NEAREST).save(folder / f"{path.stem}.png")
    return folder


def test_train_from_a_generator_and_a_folder(
    anime: Path, generator_file: Path, upsampled_folder: Path, tmp_path: Path
) -> None:
    out = tmp_path / "spectrum.safetensors"
    result = invoke(
        "train-spectrum", "--real", anime, "--fake-generator", generator_file,
        "--fake", upsampled_folder, "--out", out, "--n", "80", "--eval-n", "30", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, (result.output, result.exception)
    report = json.loads(result.output)
    assert {(p["fake"], p["real"]) for p in report["pairs"]} == {
        ("untrained", "anime-faces"),
        (upsampled_folder.name, "anime-faces"),
    }
    assert report["counts"]["train_real"] == report["counts"]["train_fake"] == 80
    assert report["counts"]["held_out_fake"] == 30 + 8  # the folder keeps a fifth of 40
    assert report["overall"]["auc"] > 0.9
    model = load_model(out)
    assert model.info["command"] == report["command"]
    assert "--fake-generator" in model.info["command"] and "--n 80" in model.info["command"]
    assert np.isfinite(model.weights).all() and model.real_profile.shape == (32,)


def test_plain_output_prints_held_out_numbers(
    anime: Path, generator_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "m.safetensors"
    result = invoke(
        "train-spectrum", "--real", anime, "--fake-generator", generator_file,
        "--out", out, "--n", "40", "--eval-n", "20",
    )  # fmt: skip
    assert result.exit_code == 0, (result.output, result.exception)
    assert "held-out AUC" in result.output and "after JPEG 75" in result.output
    assert out.is_file()


def test_errors_are_one_line(anime: Path, generator_file: Path, tmp_path: Path) -> None:
    existing = tmp_path / "exists.safetensors"
    existing.write_bytes(b"mine")
    base = ("train-spectrum", "--real", anime, "--fake-generator", generator_file, "--n", "20")
    assert_error(invoke(*base, "--out", existing), OutputExistsError, "already exists")
    assert existing.read_bytes() == b"mine"
    out = tmp_path / "m.safetensors"
    empty = tmp_path / "empty"
    empty.mkdir()
    missing = tmp_path / "missing"
    cases: list[tuple[tuple[str | Path, ...], type[FauxlabError], str]] = [
        (("--real", missing, "--fake-generator", generator_file), InputError, "not a folder"),
        (("--real", empty, "--fake-generator", generator_file), InputError, "no JPEG"),
        (("--real", anime, "--fake", empty), InputError, "no JPEG"),
        (("--real", anime), InputError, "no fake images"),
        (("--real", anime, "--fake-generator", tmp_path / "nope"), ModelError, "nope"),
    ]
    for args, kind, needle in cases:
        assert_error(invoke("train-spectrum", *args, "--out", out), kind, needle)
    assert_error(invoke(*base, "--out", tmp_path / "m.bin"), InputError, ".safetensors")
    assert not out.exists()
