"""`fauxlab bench` on a labelled folder built here: sealed fakes in two subfolders against
unmarked reals (sample images we may ship, plus frames of a shared clip when present)."""

from __future__ import annotations

import csv
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pytest
from skimage import data as skdata

from cli_helpers import assert_clean_error, fauxlab
from fauxlab.demo.samples import astronaut
from fauxlab.media import iter_frames, write_image
from fauxlab.media.sampling import Sampling
from fauxlab.provenance.context import Provenance
from fauxlab.provenance.seal import ModelInfo, seal_image

MODEL = ModelInfo("bench-generator", "ef" * 32)
CLIP = Path(os.environ.get("FAUXLAB_DATA", Path(__file__).parents[2] / "../shared/data"))
CLIP = CLIP / "videos" / "voxceleb-1.mp4"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bench-home")


@pytest.fixture(autouse=True)
def _use_home(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("FAUXLAB_HOME", str(home))
    monkeypatch.delenv("FAUXLAB_LEDGER", raising=False)
    yield


@pytest.fixture(scope="module")
def labeled(tmp_path_factory: pytest.TempPathFactory, home: Path) -> Path:
    root = tmp_path_factory.mktemp("labeled")
    provenance = Provenance(home / "ledger.sqlite", home / "identity")
    reals = {"astronaut.png": astronaut(), "chelsea.png": skdata.chelsea()}
    if CLIP.is_file():  # two frames of a real talking head
        for frame in iter_frames(CLIP, Sampling.parse("count:2")):
            reals[f"clip-{frame.index}.png"] = frame.image
    for name, image in reals.items():
        write_image(root / "real" / name, np.ascontiguousarray(image))
    fakes = {
        "gan/a.png": astronaut()[:, ::-1],
        "gan/nested/b.jpg": skdata.chelsea()[::-1],
        "swap/c.png": skdata.coffee(),
    }
    for name, image in fakes.items():
        out = root / "fake" / name
        out.parent.mkdir(parents=True, exist_ok=True)
        seal_image(np.ascontiguousarray(image), out, MODEL, provenance=provenance)
    return root


def test_bench_separates_sealed_fakes_perfectly(tmp_path: Path, labeled: Path) -> None:
    out = tmp_path / "bench"
    result = fauxlab("bench", labeled, "--out", out, "--detectors", "provenance", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    n_real = len(list((labeled / "real").iterdir()))
    assert report["counts"] == {"real": n_real, "fake": 3}
    metrics = report["metrics"]
    assert metrics["auc"] == 1.0 and metrics["ap"] == 1.0
    assert metrics["eer"] == 0.0 and metrics["accuracy"] == 1.0
    groups = {g["subfolder"]: g for g in report["groups"]}
    assert set(groups) == {"real", "fake/gan", "fake/swap"}
    assert groups["fake/gan"]["n"] == 2 and groups["fake/gan"]["auc_vs_real"] == 1.0
    assert groups["real"]["auc_vs_real"] is None and groups["real"]["mean_score"] == 0.0
    fused = report["intervals"]["scorers"][0]
    assert fused["name"] == "fused" and fused["auc"] == [1.0, 1.0, 1.0]
    assert fused["false_positive_rate"] == [0.0, 0.0, 0.0] and fused["miss_rate"][0] == 0.0
    assert [s["name"] for s in report["intervals"]["scorers"]] == ["fused", "provenance"]
    assert report["sources"] == []  # the names carry no source prefix

    assert sorted(p.name for p in out.iterdir()) == ["roc.svg", "scores.csv"]
    roc = ElementTree.fromstring((out / "roc.svg").read_bytes())
    assert (
        roc.tag == "{http://www.w3.org/2000/svg}svg"
        and "nan" not in ElementTree.tostring(roc).decode()
    )
    with (out / "scores.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == n_real + 3
    assert set(rows[0]) >= {"path", "label", "subfolder", "probability", "verdict", "p_provenance"}
    nested = next(r for r in rows if r["path"].endswith("b.jpg"))
    assert nested["subfolder"] == "fake/gan" and nested["verdict"] == "fake"
    assert nested["probability"] == "1.0" and nested["label"] == "fake"


def test_bench_breaks_down_by_source_when_files_are_named_by_it(
    tmp_path: Path, labeled: Path
) -> None:
    named = tmp_path / "named"
    for label in ("real", "fake"):
        (named / label).mkdir(parents=True)
    for i, path in enumerate(sorted((labeled / "real").iterdir())):
        source = "stock" if i % 2 else "selfie"
        shutil.copy(path, named / "real" / f"{source}_{path.name}")
    for path in sorted((labeled / "fake").rglob("*.*")):
        shutil.copy(path, named / "fake" / f"{path.parent.name}_{path.name}")
    result = fauxlab("bench", named, "--out", tmp_path / "o", "--detectors", "provenance", "--json")
    assert result.returncode == 0, result.stderr
    sources = {s["source"]: s for s in json.loads(result.stdout)["sources"]}
    assert {"real/stock", "real/selfie", "fake/gan", "fake/swap"} <= set(sources)
    assert sources["fake/swap"]["auc_vs_real"] == 1.0 and sources["fake/swap"]["n"] == 1


def test_bench_prints_a_table(tmp_path: Path, labeled: Path) -> None:
    result = fauxlab("bench", labeled, "--out", tmp_path / "b", "--detectors", "provenance")
    assert result.returncode == 0, result.stderr
    assert "AUC 1.000" in result.stdout and "fake/swap" in result.stdout


def test_bench_bad_folders_and_outputs(tmp_path: Path, labeled: Path) -> None:
    existing = tmp_path / "taken"
    existing.mkdir()
    assert_clean_error(fauxlab("bench", labeled, "--out", existing), "already exists")
    only_real = tmp_path / "only-real"
    shutil.copytree(labeled / "real", only_real / "real")
    assert_clean_error(
        fauxlab("bench", only_real, "--out", tmp_path / "o1", "--detectors", "provenance"),
        "no fake/ subfolder",
    )
    (only_real / "fake").mkdir()
    (only_real / "fake" / "readme.txt").write_text("no media here")
    assert_clean_error(
        fauxlab("bench", only_real, "--out", tmp_path / "o2", "--detectors", "provenance"),
        "no image or video inside",
    )
    assert_clean_error(fauxlab("bench", tmp_path / "missing"), "not a folder")
    assert not (tmp_path / "o1").exists() and not (tmp_path / "o2").exists()
