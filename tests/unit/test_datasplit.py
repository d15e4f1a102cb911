"""One split rule: every shipped model records what it trained on, and nothing we report
on was trained on (`fauxlab.datasplit`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fauxlab import datasplit
from fauxlab.datasplit import (
    held_out_anime,
    held_out_faces,
    held_out_speech,
    held_out_videos,
    names_digest,
    read_manifest,
    shipped_manifests,
    split_held_out,
)

ASSETS = Path(datasplit.__file__).resolve().parent / "assets"


def test_the_held_out_sets_nest() -> None:
    files = [Path(f"face_{i}.jpg") for i in range(5000)]
    _, small = split_held_out(files, 400)
    _, large = split_held_out(files, 500)
    assert set(small) <= set(large) and len(small) == 400


def test_every_shipped_model_has_a_training_manifest() -> None:
    weights = sorted(ASSETS.rglob("*.safetensors"))
    assert weights
    manifests = {read_manifest(p).model for p in shipped_manifests()}
    assert {w.name for w in weights} <= manifests


@pytest.fixture(scope="module")
def trained(shared_data: Path) -> dict[str, set[Path]]:
    """Every shipped model's training files, rebuilt from the data and checked against the
    count and digest its manifest recorded."""
    root = shared_data.resolve()
    found: dict[str, set[Path]] = {}
    for path in shipped_manifests():
        manifest = read_manifest(path)
        files = manifest.training(root)
        assert len(files) == manifest.training_files, path.name
        assert names_digest(files, root) == manifest.digest, f"{path.name}: the data changed"
        found[manifest.model] = {f.resolve() for f in files}
    return found


def test_nothing_we_report_on_was_trained_on(
    trained: dict[str, set[Path]], shared_data: Path
) -> None:
    root = shared_data.resolve()
    evaluated = {
        "held-out faces": held_out_faces(root),
        "held-out anime": held_out_anime(root),
        "held-out videos": held_out_videos(root),
        "third-party": sorted((root / "thirdparty").rglob("*.*")),
        "held-out speech": held_out_speech(root),
    }
    assert all(evaluated.values())
    for set_name, files in evaluated.items():
        for model, training in trained.items():
            overlap = {f.resolve() for f in files} & training
            assert not overlap, f"{set_name}: {len(overlap)} files trained {model}"


def test_held_out_videos_are_the_ones_the_learned_detector_never_saw(
    trained: dict[str, set[Path]], shared_data: Path
) -> None:
    videos = held_out_videos(shared_data.resolve())
    assert {p.name for p in videos} >= {"liveportrait-d6.mp4", "liveportrait-d9.mp4"}
    assert len(trained["learned.safetensors"] & {v.resolve() for v in videos}) == 0
